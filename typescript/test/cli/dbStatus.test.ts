import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { REPO_ROOT, freshAppDirectory } from '../support/environment.js';

const TSX = join(REPO_ROOT, 'typescript/node_modules/.bin/tsx');
const CLI = join(REPO_ROOT, 'typescript/src/cli/main.ts');
const PASSWORD = 'hunter2-do-not-print';

function timestep(args: string[], env: NodeJS.ProcessEnv = {}) {
  return promisify(execFile)(TSX, [CLI, ...args], { env: { ...process.env, ...env } });
}

test('db status and db stop report and stop the serving process, never printing the database password', async () => {
  const dataDir = join(freshAppDirectory(), 'pglite');
  const env = { TIMESTEP_DB_URL: `postgresql://app:${PASSWORD}@127.0.0.1:1/app` };

  const closed = await timestep(['db', 'status', '--json', '--data-dir', dataDir], env);
  assert.equal(JSON.parse(closed.stdout).holder, null);

  const server = spawn(TSX, [CLI, 'db', 'serve', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = JSON.parse(
    await new Promise<string>((resolve) => createInterface({ input: server.stdout! }).once('line', resolve)),
  ) as { pid: number };

  const status = await timestep(['db', 'status', '--json', '--data-dir', dataDir], env);
  const parsed = JSON.parse(status.stdout);
  assert.equal(parsed.holder.pid, ready.pid);
  assert.equal(parsed.holderIsServer, true);
  assert.equal(parsed.serving, true);
  assert.equal(parsed.databaseUrl, 'postgresql://app:***@127.0.0.1:1/app');

  const human = await timestep(['db', 'status', '--data-dir', dataDir], env);
  assert.match(human.stdout, new RegExp(`held by process ${ready.pid} \\(timestep db serve\\)`));

  const exited = new Promise((resolve) => server.once('exit', resolve));
  const stop = await timestep(['db', 'stop', '--data-dir', dataDir], env);
  assert.match(stop.stdout, new RegExp(`Stopped timestep db serve \\(process ${ready.pid}\\)`));
  await exited;
  const after = await timestep(['db', 'status', '--json', '--data-dir', dataDir], env);
  assert.equal(JSON.parse(after.stdout).holder, null);

  for (const output of [closed, status, human, stop, after]) {
    assert.ok(!(output.stdout + output.stderr).includes(PASSWORD), 'the password never appears');
  }
});
