import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, RunContext, RunState } from '@openai/agents';
import { DurableSession, RunStateStore, StoreUnavailableError, runAgent } from '../../src/index.js';
import type { ModelServer } from '../../../testing/model-server/server.mjs';
import { REPO_ROOT, freshAppDirectory, useScriptedOpenAI } from '../support/environment.js';
import { MODEL_CALLS, STEPPER_INPUT, STEPS, stepAgent, stepCounts } from '../durable/stepAgent.js';
import { ruleOfCall } from '../durable/support.js';

/**
 * PostgreSQL stopping in the middle of a run: a clear error and no partial
 * write; once it is back, the same store object works again. Runs on its own
 * throwaway cluster so the shared test server is never stopped.
 */
const CLUSTER = join(REPO_ROOT, 'testing/postgres/cluster.sh');
let dataDir: string;
let port: number;
let url: string;
let server: ModelServer;

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
  server = await useScriptedOpenAI('durable-twenty-steps');
});
after(async () => {
  stopCluster();
  await server.close();
});

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

test('PostgreSQL going away mid durable run: StoreUnavailableError, and once it is back the same process resumes the run at once', async () => {
  const runId = `faults-durable-${randomUUID()}`;
  const sessionId = randomUUID();
  const file = join(freshAppDirectory(), 'effects.txt');
  let stopped = false;
  // The idempotent tool stops the server during step 3, after the step's side effect: its result cannot be stored.
  const agent = stepAgent({
    effectsFile: file,
    idempotent: true,
    onStep: (step) => {
      if (step === 3 && !stopped) {
        stopped = true;
        stopCluster();
      }
    },
  });
  const options = { durable: { runId, connectionString: url }, maxTurns: 30 };
  const first = new DurableSession({ sessionId, connectionString: url });
  await assert.rejects(runAgent(agent, STEPPER_INPUT, first, false, options), (error: unknown) => {
    assert.ok(error instanceof StoreUnavailableError, `got ${String(error)}`);
    assert.match(error.message, /unavailable/);
    return true;
  });
  await first.close();

  startCluster();
  const before = server.requests.length;
  const session = new DurableSession({ sessionId, connectionString: url });
  const resumed = await runAgent(agent, [], session, false, options);
  assert.equal(resumed.finalOutput, 'All 20 steps are recorded.');
  assert.deepEqual(
    server.requests.slice(before).map((request) => request.ruleId),
    Array.from({ length: MODEL_CALLS - 3 }, (_, n) => ruleOfCall(n + 3)),
    'the three journaled model calls were not sent again',
  );
  const counts = stepCounts(readFileSync(file, 'utf8'));
  assert.deepEqual(
    [...counts],
    Array.from({ length: STEPS }, (_, i) => [i + 1, i === 2 ? 2 : 1]),
    'step 3, in doubt and idempotent, ran again; every other step once',
  );
  await session.close();
});
