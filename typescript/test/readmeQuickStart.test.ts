import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, freshAppDirectory, useScriptedOpenAI } from './support/environment.js';
import type { ModelServer } from '../../testing/model-server/server.mjs';

/**
 * The README's TypeScript quick start, type-checked and run exactly as written
 * (it imports the built package by name, so this needs `npm run build`, which
 * the test script does).
 */
let server: ModelServer;
before(async () => {
  server = await useScriptedOpenAI('readme-quick-start');
});
after(() => server.close());

function quickStartCode(): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Quick start (TypeScript)'));
  const match = /```typescript\n([\s\S]*?)```/.exec(section);
  assert.ok(match, 'README has a TypeScript quick start block');
  return match[1];
}

/** Writes the quick start into a folder inside the package, so the package and @openai/agents resolve as for a user. */
function withQuickStartFile(use: (file: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(REPO_ROOT, 'typescript', '.quick-start-'));
  const file = join(dir, 'quick-start.mts');
  writeFileSync(file, quickStartCode());
  return use(file).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('the README quick start type-checks under tsc --strict', async () => {
  await withQuickStartFile(async (file) => {
    // The settings a user's strict NodeNext project has; a type error fails with tsc's report.
    const tsc = join(REPO_ROOT, 'typescript/node_modules/.bin/tsc');
    const flags = ['--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck'];
    await promisify(execFile)(tsc, [...flags, file]).catch((error: { stdout?: string }) => {
      assert.fail(`tsc rejects the README quick start:\n${error.stdout ?? String(error)}`);
    });
  });
});

test('the README quick start runs as written and finishes the approved refund', async () => {
  await withQuickStartFile(async (file) => {
    const { stdout } = await promisify(execFile)(join(REPO_ROOT, 'typescript/node_modules/.bin/tsx'), [file], {
      env: { ...process.env, TIMESTEP_HOME: freshAppDirectory() },
    });
    assert.equal(stdout.trim(), 'Done: refunded 42.');
    assert.deepEqual(
      server.requests.map((request) => request.ruleId),
      ['refund-request', 'refund-done'],
    );
  });
});
