/**
 * Turn-taking between the process hosting the embedded store and the
 * processes joined through its socket: a host that saves back to back must
 * not starve them, and an in-process caller that cannot get its turn gives up
 * with StoreTimeoutError instead of waiting forever.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Agent, RunContext, RunState } from '@openai/agents';
import { RunStateStore, StoreTimeoutError } from '../../src/index.js';
import { HostedStore, socketPathFor } from '../../src/store/embedded/embeddedDatabase.js';
import { REPO_ROOT, freshAppDirectory, spawnScript } from '../support/environment.js';
import { RawWireClient, query } from './rawWireClient.js';

const agent = new Agent({ name: 'Checkpointer', instructions: 'Saves checkpoints.' });
const CHECKPOINTS = 20;

interface Worker {
  acknowledged: number[];
  /** Host saves completed when each acknowledgement arrived. */
  hostSavesAtAck: number[];
  exited: Promise<number | null>;
}

function startWorker(python: boolean, dataDir: string, runId: string, hostSaves: () => number): Worker {
  const args = [dataDir, runId, String(CHECKPOINTS)];
  const child = python
    ? spawn(join(REPO_ROOT, '.venv/bin/python'), [join(REPO_ROOT, 'python/tests/workers/checkpoint_worker.py'), ...args], {
        stdio: ['ignore', 'pipe', 'inherit'],
      })
    : spawnScript(join(REPO_ROOT, 'typescript/test/embedded/checkpointWorker.ts'), args);
  const worker: Worker = { acknowledged: [], hostSavesAtAck: [], exited: new Promise((resolve) => child.once('exit', resolve)) };
  createInterface({ input: child.stdout! }).on('line', (line) => {
    worker.acknowledged.push((JSON.parse(line) as { version: number }).version);
    worker.hostSavesAtAck.push(hostSaves());
  });
  return worker;
}

test('a host saving back to back does not starve a TypeScript and a Python process saving through its socket', { timeout: 180_000 }, async () => {
  const dataDir = join(freshAppDirectory(), 'pglite');
  const host = new RunStateStore({ agent, runId: 'busy-host', pglitePath: dataDir });
  let hostSaves = 0;
  await host.save(new RunState(new RunContext({ checkpoint: 0 }), 'host', agent, 10));

  const workers = [startWorker(false, dataDir, 'joined-ts', () => hostSaves), startWorker(true, dataDir, 'joined-py', () => hostSaves)];
  let workersDone = false;
  const allExited = Promise.all(workers.map((worker) => worker.exited)).finally(() => (workersDone = true));
  while (!workersDone) {
    await host.save(new RunState(new RunContext({ checkpoint: hostSaves + 1 }), 'host', agent, 10));
    hostSaves++;
  }
  assert.deepEqual(await allExited, [0, 0]);
  await host.close();

  const expected = Array.from({ length: CHECKPOINTS }, (_, index) => index + 1);
  for (const worker of workers) {
    assert.deepEqual(worker.acknowledged, expected, 'every checkpoint of the joined process was saved and loaded');
    // Interleaved, not after the host stopped: the host kept saving between the joined process's checkpoints.
    const first = worker.hostSavesAtAck[0];
    const last = worker.hostSavesAtAck[worker.hostSavesAtAck.length - 1];
    assert.ok(last > first, `host saves went on while the joined process saved (${first} → ${last})`);
  }
});

test('an in-process caller waits at most timeoutMs for a socket client that keeps the store busy, then StoreTimeoutError; the store works afterwards', async () => {
  const dataDir = join(freshAppDirectory(), 'pglite');
  const store = await HostedStore.open(dataDir, { timeoutMs: 500 });
  try {
    const client = await RawWireClient.started(socketPathFor(dataDir));
    client.send(query('BEGIN'));
    let answered = 2; // ReadyForQuery of startup and of BEGIN
    await client.until((messages) => messages.filter((message) => message.type === 'Z').length >= answered);

    // The client is busy, never idle past the limit: one statement after another in its transaction.
    let outcome: unknown = null;
    const waiting = store.query('SELECT 1 AS one').then(
      () => (outcome = 'answered'),
      (error: unknown) => (outcome = error),
    );
    while (outcome === null) {
      client.send(query('SELECT 1'));
      answered++;
      await client.until((messages) => messages.filter((message) => message.type === 'Z').length >= answered);
    }
    await waiting;
    assert.ok(outcome instanceof StoreTimeoutError, `expected StoreTimeoutError, got ${String(outcome)}`);
    assert.equal(outcome.nothingSent, true);
    assert.match(outcome.message, /500 ms.*TIMESTEP_STORE_TIMEOUT_MS/s);

    client.send(query('COMMIT'));
    await client.until((messages) => messages.filter((message) => message.type === 'Z').length >= answered + 1);
    assert.deepEqual(await store.query('SELECT 1 AS one'), [{ one: 1 }]);
    client.destroy();
  } finally {
    await store.close();
  }
});
