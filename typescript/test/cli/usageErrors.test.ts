/**
 * Bad usage of `timestep` outside `runs` and `worker`: exit 2 with a message
 * and the usage (with --json, one {"error":{"type","message"}} line on
 * stderr), never a stack; `db serve --idle-timeout` takes whole seconds only.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT, childEnv } from '../fixtures/helpers.js';
import { freshAppDirectory } from '../support/environment.js';

const MAIN = join(PACKAGE_ROOT, 'src', 'cli', 'main.ts');

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * `timestep ARGS` with a private app directory. A command that should have
 * refused its arguments but serves instead is killed after a while, so the
 * test fails instead of hanging.
 */
function timestep(...args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', MAIN, ...args],
      { cwd: PACKAGE_ROOT, env: childEnv({ TIMESTEP_HOME: freshAppDirectory() }), timeout: 60_000 },
      (_error, stdout, stderr) => resolve({ code: child.exitCode, signal: child.signalCode, stdout, stderr }),
    );
  });
}

function assertUsageError(outcome: Outcome, message: RegExp): void {
  assert.equal(outcome.code, 2, `exit 2 (${outcome.signal ?? ''}):\n${outcome.stderr}`);
  assert.equal(outcome.stdout, '');
  assert.match(outcome.stderr, /^timestep: /);
  assert.match(outcome.stderr, message);
  assert.match(outcome.stderr, /\nUsage: timestep db/);
  assert.doesNotMatch(outcome.stderr, /TypeError|ERR_PARSE_ARGS|\n\s+at /, 'no stack');
}

function assertJsonUsageError(outcome: Outcome, message: RegExp): void {
  assert.equal(outcome.code, 2, `exit 2 (${outcome.signal ?? ''}):\n${outcome.stderr}`);
  assert.equal(outcome.stdout, '');
  const lines = outcome.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, outcome.stderr);
  const { error } = JSON.parse(lines[0]!) as { error: { type: string; message: string } };
  assert.deepEqual(Object.keys(error), ['type', 'message']);
  assert.equal(error.type, 'UsageError');
  assert.match(error.message, message);
}

describe('timestep usage errors', () => {
  test('an unknown option, at the top or after a db command, exits 2 with the usage, not a stack', async () => {
    assertUsageError(await timestep('--version'), /Unknown option '--version'/);
    assertUsageError(await timestep('--foo'), /Unknown option '--foo'/);
    assertUsageError(await timestep('db', 'status', '--bogus'), /Unknown option '--bogus'/);
    assertUsageError(await timestep('db', 'serve', '--data-dir'), /--data-dir/);
    assertUsageError(await timestep('db', 'status', 'extra'), /unknown command "db status extra"/);
  });

  test('with --json, a usage error is one {"error":{"type","message"}} line on stderr', async () => {
    assertJsonUsageError(await timestep('db', 'status', '--bogus', '--json'), /Unknown option '--bogus'/);
    assertJsonUsageError(await timestep('--json', '--version'), /Unknown option '--version'/);
    assertJsonUsageError(await timestep('bogus', '--json'), /unknown command "bogus"/);
    assertJsonUsageError(await timestep('db', 'serve', '--idle-timeout', 'abc', '--json'), /--idle-timeout must be a whole number/);
  });

  test('with --json, a failure of ours is a JSON error line too, exit 1', async () => {
    const file = join(freshAppDirectory(), 'not-a-directory');
    writeFileSync(file, '');
    const outcome = await timestep('db', 'serve', '--data-dir', join(file, 'pglite'), '--json');
    assert.equal(outcome.code, 1, outcome.stderr);
    const { error } = JSON.parse(outcome.stderr.trim()) as { error: { type: string; message: string } };
    assert.equal(error.type, 'UnusableDataDirectoryError');
    assert.match(error.message, /it is a file, not a directory/);
  });

  test('db serve --idle-timeout takes a whole number of seconds: anything else exits 2 before serving', async () => {
    const dataDir = join(freshAppDirectory(), 'pglite');
    for (const value of ['abc', '-5', '', '1.5', '1e3', ' 5', '0x10', '99999999999']) {
      const outcome = await timestep('db', 'serve', '--data-dir', dataDir, `--idle-timeout=${value}`);
      assertUsageError(outcome, /--idle-timeout must be a whole number of seconds from 0 \(never\)/);
      assert.ok(outcome.stderr.includes(`got ${JSON.stringify(value)}.`), outcome.stderr);
      assert.equal(existsSync(dataDir), false, `nothing was started for ${JSON.stringify(value)}`);
    }
    // Without "=", a negative number reads as an option: refused by the parser, also with exit 2.
    assertUsageError(await timestep('db', 'serve', '--data-dir', dataDir, '--idle-timeout', '-5'), /--idle-timeout/);
    assertUsageError(await timestep('db', 'status', '--idle-timeout', '5'), /--idle-timeout applies to `timestep db serve` only/);
  });
});
