import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Agent } from '@openai/agents';
import { RunStateStore } from '../../src/index.js';
import { REPO_ROOT, spawnScript, freshAppDirectory, testDatabaseUrl } from '../support/environment.js';

/**
 * Crash safety: a process saving in a loop is killed with SIGKILL at random
 * moments; after every kill the store opens, the latest acknowledged version
 * (or a newer one whose acknowledgement was lost) loads intact, history has no
 * gaps, and nothing stale blocks the next process. TIMESTEP_KILL_LOOPS sets the
 * number of kills per backend (CI: 5; `TIMESTEP_KILL_LOOPS=50 npm test` for the full run).
 */
const KILLS = Number(process.env.TIMESTEP_KILL_LOOPS ?? 5);
const SAVER = join(REPO_ROOT, 'typescript/test/reliability/saveLoop.ts');
const CLI = join(REPO_ROOT, 'typescript/src/cli/main.ts');

// A seeded generator, so a failing sequence of kill points can be replayed.
function random(seed: number): () => number {
  let x = seed;
  return () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

/** Runs the saver until it has acknowledged `acks` saves, then kills it; returns the last acknowledged version. */
async function saveThenKill(target: string, runId: string, acks: number): Promise<number> {
  const child = spawnScript(SAVER, [target, runId]);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let last = 0;
  let seen = 0;
  await new Promise<void>((resolve) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      last = (JSON.parse(line) as { version: number }).version;
      if (++seen === acks) {
        child.kill('SIGKILL');
        resolve();
      }
    });
  });
  await exited;
  return last;
}

async function assertIntact(options: { pglitePath?: string; connectionString?: string }, runId: string, acknowledged: number) {
  const agent = new Agent({ name: 'Saver', instructions: 'Saves checkpoints.' });
  const store = new RunStateStore({ agent, runId, ...options });
  try {
    const versions = (await store.history()).map((entry) => entry.version);
    assert.ok(versions.length >= acknowledged, `acknowledged version ${acknowledged} survived (have ${versions.length})`);
    assert.deepEqual(versions, Array.from({ length: versions.length }, (_, i) => i + 1), 'no gaps or duplicates');
    const latest = await store.load();
    assert.equal((latest._context.context as { checkpoint: number }).checkpoint, versions.length);
  } finally {
    await store.close();
  }
}

async function killLoop(target: string, options: { pglitePath?: string; connectionString?: string }, runId: string) {
  const next = random(runId.length * 7919);
  for (let kill = 0; kill < KILLS; kill++) {
    const acknowledged = await saveThenKill(target, runId, 1 + Math.floor(next() * 8));
    await assertIntact(options, runId, acknowledged);
  }
}

describe('kill -9 during saves', () => {
  test('embedded store, hosted in the saving process', async () => {
    const dataDir = join(freshAppDirectory(), 'pglite');
    await killLoop(dataDir, { pglitePath: dataDir }, 'kill-embedded');
  });

  describe('embedded store, through the store server', () => {
    let dataDir: string;
    let server: ReturnType<typeof spawn>;
    before(async () => {
      dataDir = join(freshAppDirectory(), 'pglite');
      server = spawnScript(CLI, ['db', 'serve', '--data-dir', dataDir, '--idle-timeout', '0']);
      await new Promise<void>((resolve) => createInterface({ input: server.stdout! }).once('line', () => resolve()));
    });
    after(async () => {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    });
    test('clients killed mid-save leave the server serving and the data intact', async () => {
      await killLoop(dataDir, { pglitePath: dataDir }, 'kill-served');
      assert.equal(server.exitCode, null, 'the server survived every client crash');
    });
  });

  test('PostgreSQL', async () => {
    const url = testDatabaseUrl();
    await killLoop(url, { connectionString: url }, `kill-postgres-${process.pid}`);
  });
});
