import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Agent, RunContext, RunState } from '@openai/agents';
import { RunStateStore, StoreUnavailableError } from '../../src/index.js';
import { REPO_ROOT, freshAppDirectory } from '../support/environment.js';

/**
 * PostgreSQL stopping in the middle of a run: a clear error and no partial
 * write; once it is back, the same store object works again. Runs on its own
 * throwaway cluster so the shared test server is never stopped.
 */
const CLUSTER = join(REPO_ROOT, 'testing/postgres/cluster.sh');
let dataDir: string;
let port: number;
let url: string;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

const startCluster = () => execFileSync(CLUSTER, ['start', dataDir, String(port)], { encoding: 'utf8' }).trim();
const stopCluster = () => execFileSync(CLUSTER, ['stop', dataDir]);

before(async () => {
  const parent = freshAppDirectory();
  chmodSync(parent, 0o755); // the server runs as the 'postgres' user when we are root
  dataDir = join(parent, 'pg');
  port = await freePort();
  url = startCluster();
});
after(() => stopCluster());

test('PostgreSQL going away mid-run gives StoreUnavailableError, writes nothing, and the next save after it returns works', async () => {
  const agent = new Agent({ name: 'Saver', instructions: 'Saves checkpoints.' });
  const store = new RunStateStore({ agent, runId: 'faults', connectionString: url });
  const stateAt = (checkpoint: number) => new RunState(new RunContext({ checkpoint }), `checkpoint ${checkpoint}`, agent, 10);
  assert.equal((await store.save(stateAt(1))).version, 1);

  stopCluster();
  await assert.rejects(store.save(stateAt(2)), (error: unknown) => {
    assert.ok(error instanceof StoreUnavailableError, `got ${String(error)}`);
    assert.match(error.message, /unavailable/);
    return true;
  });
  await assert.rejects(store.load(), StoreUnavailableError);

  startCluster();
  assert.deepEqual((await store.history()).map((entry) => entry.version), [1], 'the failed save left nothing behind');
  assert.equal((await store.save(stateAt(2))).version, 2);
  const latest = await store.load();
  assert.equal((latest._context.context as { checkpoint: number }).checkpoint, 2);
  await store.close();
});
