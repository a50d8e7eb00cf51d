import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Agent, RunContext, RunState } from '@openai/agents';
import { RunStateStore } from '../../src/index.js';
import { socketPathFor } from '../../src/store/embedded/embeddedDatabase.js';
import { deadPid } from '../fixtures/helpers.js';
import { REPO_ROOT, spawnScript, freshAppDirectory } from '../support/environment.js';

const WORKER = join(REPO_ROOT, 'typescript/test/embedded/checkpointWorker.ts');
const CLI = join(REPO_ROOT, 'typescript/src/cli/main.ts');
const CHECKPOINTS = 200;

interface Worker {
  process: ChildProcess;
  acknowledged: number[];
  exited: Promise<number | null>;
}

const PYTHON = join(REPO_ROOT, '.venv/bin/python');
const PYTHON_WORKER = join(REPO_ROOT, 'python/tests/workers/checkpoint_worker.py');

/** A TypeScript worker, or with `python` the Python twin (same arguments, same output). */
function startWorker(dataDir: string, runId: string, onAck?: (version: number) => void, python = false): Worker {
  const args = [dataDir, runId, String(CHECKPOINTS)];
  const child = python
    ? spawn(PYTHON, [PYTHON_WORKER, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
    : spawnScript(WORKER, args);
  const worker: Worker = {
    process: child,
    acknowledged: [],
    exited: new Promise((resolve) => child.once('exit', resolve)),
  };
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const { version } = JSON.parse(line) as { version: number };
    worker.acknowledged.push(version);
    onAck?.(version);
  });
  return worker;
}


async function assertEveryCheckpointLoads(dataDir: string, runIds: string[]): Promise<void> {
  const agent = new Agent({ name: 'Checkpointer', instructions: 'Saves checkpoints.' });
  for (const runId of runIds) {
    const store = new RunStateStore({ agent, runId, pglitePath: dataDir });
    const history = await store.history();
    assert.deepEqual(
      history.map((entry) => entry.version),
      Array.from({ length: CHECKPOINTS }, (_, index) => index + 1),
      `${runId}: every checkpoint is present exactly once`,
    );
    for (const { version } of history) {
      const state = await store.load({ version });
      assert.equal((state._context.context as { checkpoint: number }).checkpoint, version);
    }
    await store.close();
  }
}

test('two TypeScript and two Python processes save and load 200 checkpoints each into one embedded store at once', async () => {
  const dataDir = join(freshAppDirectory(), 'pglite');
  const runIds = ['ts-a', 'ts-b', 'py-c', 'py-d'];
  const workers = runIds.map((runId) => startWorker(dataDir, runId, undefined, runId.startsWith('py-')));
  const codes = await Promise.all(workers.map((worker) => worker.exited));
  assert.deepEqual(codes, [0, 0, 0, 0]);
  await assertEveryCheckpointLoads(dataDir, runIds);
});

test('kill -9 of the store server mid-run: the next call brings it back and no committed checkpoint is lost', async () => {
  const dataDir = join(freshAppDirectory(), 'pglite');
  const server = spawnScript(CLI, ['db', 'serve', '--data-dir', dataDir, '--idle-timeout', '60']);
  const serverGone = new Promise((resolve) => server.once('exit', resolve));
  await new Promise<void>((resolve) => createInterface({ input: server.stdout! }).once('line', () => resolve()));

  let killed = false;
  const killAtCheckpoint = (version: number) => {
    if (!killed && version === 50) {
      killed = true;
      server.kill('SIGKILL');
    }
  };
  const workers = ['kill-a', 'kill-b'].map((runId) => startWorker(dataDir, runId, killAtCheckpoint));
  const codes = await Promise.all(workers.map((worker) => worker.exited));
  await serverGone;
  assert.ok(killed, 'the server was killed while the workers ran');
  assert.deepEqual(codes, [0, 0], 'workers recovered from the lost server');
  await assertEveryCheckpointLoads(dataDir, ['kill-a', 'kill-b']);
});

test('a stale lock and socket left by a dead server do not block a new one', async () => {
  const dataDir = join(freshAppDirectory(), 'pglite');
  const agent = new Agent({ name: 'Checkpointer', instructions: 'Saves checkpoints.' });
  const first = new RunStateStore({ agent, runId: 'stale', pglitePath: dataDir });
  await first.save(new RunState(new RunContext({ checkpoint: 1 }), 'checkpoint 1', agent, 10));
  await first.close();

  // What a server killed with SIGKILL leaves behind: its lock (naming a dead
  // pid) and a socket file nobody listens on.
  writeFileSync(
    `${dataDir}.lock`,
    JSON.stringify({ pid: deadPid(), host: hostname(), startTicks: null, command: 'dead server', acquiredAt: new Date(0).toISOString() }),
  );
  const listener = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socketPathFor(dataDir))}, () => console.log('up'))`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) => createInterface({ input: listener.stdout! }).once('line', () => resolve()));
  listener.kill('SIGKILL');
  await new Promise((resolve) => listener.once('exit', resolve));
  assert.ok(existsSync(socketPathFor(dataDir)), 'the dead listener left its socket file');

  const second = new RunStateStore({ agent, runId: 'stale', pglitePath: dataDir });
  const saved = await second.save(new RunState(new RunContext({ checkpoint: 2 }), 'checkpoint 2', agent, 10));
  assert.equal(saved.version, 2);
  await second.close();
});
