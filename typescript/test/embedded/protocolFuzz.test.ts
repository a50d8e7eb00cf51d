/**
 * The embedded store's socket server against clients that break the protocol
 * or misbehave: malformed, truncated and oversized messages, garbage, clients
 * that leave an extended query or a transaction unfinished, change session
 * settings, never read their results, or hold the store idle. After each, a
 * save and load must still work in this process (the host, in-process), in a
 * TypeScript process and in a Python process (both through the socket), and
 * the host's memory must stay bounded.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Agent, RunContext, RunState } from '@openai/agents';
import { RunStateStore } from '../../src/index.js';
import { socketPathFor } from '../../src/store/embedded/embeddedDatabase.js';
import { MAX_MESSAGE_BYTES } from '../../src/store/embedded/frontendMessages.js';
import { REPO_ROOT, freshAppDirectory, spawnScript } from '../support/environment.js';
import {
  RawWireClient,
  bind,
  cstring,
  execute,
  flush,
  parse,
  query,
  startupMessage,
  typedMessage,
} from './rawWireClient.js';

const agent = new Agent({ name: 'Checkpointer', instructions: 'Saves checkpoints.' });
const TS_WORKER = join(REPO_ROOT, 'typescript/test/embedded/checkpointWorker.ts');
const PYTHON = join(REPO_ROOT, '.venv/bin/python');
const PYTHON_WORKER = join(REPO_ROOT, 'python/tests/workers/checkpoint_worker.py');
const CLI = join(REPO_ROOT, 'typescript/src/cli/main.ts');

/** Growth of a host's resident memory that means it is buffering what it should not. */
const RSS_GROWTH_LIMIT_BYTES = 300 * 1024 * 1024;

/** Runs a checkpoint worker (TypeScript or Python) saving and loading `count` versions; resolves with its versions. */
function runWorker(python: boolean, dataDir: string, runId: string, count = 2, env: NodeJS.ProcessEnv = process.env): Promise<number[]> {
  const args = [dataDir, runId, String(count)];
  const child = python
    ? spawn(PYTHON, [PYTHON_WORKER, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env })
    : spawnScript(TS_WORKER, args);
  const versions: number[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => versions.push((JSON.parse(line) as { version: number }).version));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => (code === 0 ? resolve(versions) : reject(new Error(`${python ? 'Python' : 'TypeScript'} worker ${runId} exited with ${code}`)))),
  );
}

async function saveAndLoadInProcess(dataDir: string, runId: string): Promise<void> {
  const store = new RunStateStore({ agent, runId, pglitePath: dataDir });
  try {
    for (const version of [1, 2]) {
      await store.save(new RunState(new RunContext({ checkpoint: version }), `checkpoint ${version}`, agent, 10));
      const loaded = await store.load();
      assert.equal((loaded._context.context as { checkpoint: number }).checkpoint, version);
    }
  } finally {
    await store.close();
  }
}

/** A save and load in this process, in a TypeScript process and in a Python process all work. */
async function everyoneStillSavesAndLoads(dataDir: string, label: string): Promise<void> {
  const [, ts, py] = await Promise.all([
    saveAndLoadInProcess(dataDir, `${label}/in-process`),
    runWorker(false, dataDir, `${label}/typescript`),
    runWorker(true, dataDir, `${label}/python`),
  ]);
  assert.deepEqual(ts, [1, 2], `${label}: TypeScript through the socket`);
  assert.deepEqual(py, [1, 2], `${label}: Python through the socket`);
}

/** A deterministic byte generator (xorshift), so a failing input can be replayed. */
function garbage(seed: number, length: number): Buffer {
  let state = seed || 1;
  const bytes = Buffer.alloc(length);
  for (let index = 0; index < length; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[index] = state & 0xff;
  }
  return bytes;
}

const int32 = (value: number): Buffer => {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32BE(value);
  return bytes;
};

describe('a misbehaving client never takes the embedded store down', () => {
  const dataDir = join(freshAppDirectory(), 'pglite');
  const socket = socketPathFor(dataDir);
  // This process hosts the store for the whole suite: the first store to open it.
  const hostStore = new RunStateStore({ agent, runId: 'host', pglitePath: dataDir });
  let baselineRss = 0;

  before(async () => {
    await hostStore.save(new RunState(new RunContext({ checkpoint: 0 }), 'host', agent, 10));
    baselineRss = process.memoryUsage().rss;
  });
  after(() => hostStore.close());

  /** Runs one bad client, then checks every kind of client still works and memory is bounded. */
  async function afterwardsAllIsWell(label: string): Promise<void> {
    await everyoneStillSavesAndLoads(dataDir, label);
    const growth = process.memoryUsage().rss - baselineRss;
    assert.ok(growth < RSS_GROWTH_LIMIT_BYTES, `${label}: host RSS grew by ${Math.round(growth / 2 ** 20)} MB`);
  }

  test('startup length -1: FATAL protocol violation, connection closed', async () => {
    const client = await RawWireClient.open(socket);
    client.send(Buffer.concat([int32(-1), int32(196608)]));
    await client.closed;
    assert.deepEqual(client.errors().map((error) => [error.severity, error.code]), [['FATAL', '08P01']]);
    await afterwardsAllIsWell('startup-length-minus-1');
  });

  test('startup packet of an unknown protocol version: FATAL 0A000', async () => {
    const client = await RawWireClient.open(socket);
    client.send(Buffer.concat([int32(8), int32(0x00020000)]));
    await client.closed;
    assert.deepEqual(client.errors().map((error) => error.code), ['0A000']);
    await afterwardsAllIsWell('startup-protocol-2');
  });

  test('truncated startup packet, then disconnect', async () => {
    const client = await RawWireClient.open(socket);
    client.send(startupMessage().subarray(0, 12));
    client.socket.end();
    await client.closed;
    await afterwardsAllIsWell('startup-truncated');
  });

  test('unknown message type after startup: FATAL 08P01, connection closed', async () => {
    const client = await RawWireClient.started(socket);
    client.send(typedMessage('y', cstring('what is this')));
    await client.closed;
    assert.deepEqual(client.errors().map((error) => [error.severity, error.code]), [['FATAL', '08P01']]);
    await afterwardsAllIsWell('unknown-type');
  });

  test("'Q' with length -1: FATAL 08P01, connection closed", async () => {
    const client = await RawWireClient.started(socket);
    client.send(typedMessage('Q', Buffer.alloc(0), -1));
    await client.closed;
    assert.deepEqual(client.errors().map((error) => error.code), ['08P01']);
    await afterwardsAllIsWell('query-length-minus-1');
  });

  test('a message over the size limit: FATAL 54000 naming the limit, before any of it is buffered', async () => {
    const client = await RawWireClient.started(socket);
    client.send(typedMessage('Q', cstring('SELECT 1'), MAX_MESSAGE_BYTES + 1));
    await client.closed;
    const [error] = client.errors();
    assert.equal(error.code, '54000');
    assert.match(error.message, new RegExp(`limit of ${MAX_MESSAGE_BYTES} bytes`));
    await afterwardsAllIsWell('oversized');
  });

  test('truncated query, then disconnect', async () => {
    const client = await RawWireClient.started(socket);
    client.send(query('SELECT 1').subarray(0, 7));
    client.socket.end();
    await client.closed;
    await afterwardsAllIsWell('query-truncated');
  });

  test('random bytes after startup (20 seeds)', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const client = await RawWireClient.started(socket);
      client.send(garbage(seed, 4096));
      client.socket.end();
      await client.closed;
    }
    await afterwardsAllIsWell('random-after-startup');
  });

  test('random bytes instead of a startup packet (20 seeds)', async () => {
    for (let seed = 101; seed <= 120; seed++) {
      const client = await RawWireClient.open(socket);
      client.send(garbage(seed, 4096));
      client.socket.end();
      await client.closed;
    }
    await afterwardsAllIsWell('random-before-startup');
  });

  test('Parse error without Sync, then disconnect', async () => {
    const client = await RawWireClient.started(socket);
    client.send(Buffer.concat([parse('SELEC 1'), flush()]));
    await client.until((messages) => messages.some((message) => message.type === 'E'));
    client.destroy();
    await client.closed;
    await afterwardsAllIsWell('parse-error-no-sync');
  });

  test('disconnect in the middle of an extended query (Parse, Bind, Execute, no Sync)', async () => {
    const client = await RawWireClient.started(socket);
    client.send(Buffer.concat([parse('SELECT 1'), bind(), execute(), flush()]));
    await client.until((messages) => messages.some((message) => message.type === 'C'));
    client.destroy();
    await client.closed;
    await afterwardsAllIsWell('mid-extended-query');
  });

  test('disconnect inside a transaction: what it did is rolled back', async () => {
    const client = await RawWireClient.started(socket);
    client.send(query('BEGIN; CREATE TABLE fuzz_abandoned (id int)'));
    await client.until((messages) => messages.filter((message) => message.type === 'Z').length >= 2);
    client.destroy();
    await client.closed;
    await afterwardsAllIsWell('abandoned-transaction');
    const probe = await RawWireClient.started(socket);
    probe.send(query("SELECT to_regclass('fuzz_abandoned') IS NULL AS gone"));
    await probe.until((messages) => messages.filter((message) => message.type === 'Z').length >= 2);
    const row = probe.messages().find((message) => message.type === 'D')!;
    assert.equal(row.body.toString('utf8', 6), 't');
    probe.destroy();
  });

  test("one client's SET default_transaction_read_only = on never reaches the next", async () => {
    const client = await RawWireClient.started(socket);
    client.send(query('SET default_transaction_read_only = on'));
    await client.until((messages) => messages.filter((message) => message.type === 'Z').length >= 2);
    // Still connected, so nothing was reset by a disconnect: the handover itself must reset.
    await afterwardsAllIsWell('session-setting');
    client.destroy();
  });

  test('a client that disconnects while waiting for its turn does not keep the turn', async () => {
    const holder = await RawWireClient.started(socket);
    holder.send(query('BEGIN'));
    await holder.until((messages) => messages.filter((message) => message.type === 'Z').length >= 2);
    // Queued behind the holder's transaction (its startup already needs the turn), then gone.
    const quitter = await RawWireClient.open(socket);
    quitter.send(Buffer.concat([startupMessage(), query('BEGIN')]));
    quitter.destroy();
    await quitter.closed;
    holder.send(query('COMMIT'));
    await holder.until((messages) => messages.filter((message) => message.type === 'Z').length >= 3);
    holder.destroy();
    await afterwardsAllIsWell('quit-while-waiting');
  });

  test('a client that never reads its large results: host memory stays bounded, others carry on', async () => {
    const client = await RawWireClient.started(socket);
    client.socket.pause(); // reads nothing from here on
    // 400 results of 1 MB each: 400 MB if the host buffered them.
    for (let index = 0; index < 400; index++) client.send(query("SELECT repeat('x', 1048576)"));
    await afterwardsAllIsWell('slow-reader');
    client.destroy();
    await client.closed;
    await afterwardsAllIsWell('slow-reader-gone');
  });
});

describe('timestep db serve cuts off a client that holds the store idle, and still stops', () => {
  test('BEGIN and idle: the client gets FATAL 25P03 after the limit, its transaction is rolled back, others save, db stop works', async () => {
    const dataDir = join(freshAppDirectory(), 'pglite');
    const env = { ...process.env, TIMESTEP_STORE_TIMEOUT_MS: '1500' };
    const server = spawn(process.execPath, ['--import', 'tsx', CLI, 'db', 'serve', '--data-dir', dataDir, '--idle-timeout', '0'], {
      cwd: join(REPO_ROOT, 'typescript'),
      stdio: ['ignore', 'pipe', 'inherit'],
      env,
    });
    const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
    try {
      await idleClientIsCutOff(dataDir, env, server.stdout!, exited);
    } finally {
      server.kill('SIGKILL'); // only if an assertion failed before db stop
    }
  });
});

async function idleClientIsCutOff(
  dataDir: string,
  env: NodeJS.ProcessEnv,
  serverOutput: NodeJS.ReadableStream,
  exited: Promise<number | null>,
): Promise<void> {
    const ready = JSON.parse(await new Promise<string>((resolve) => createInterface({ input: serverOutput }).once('line', resolve))) as {
      pid: number;
    };
    const rssOf = (pid: number) => 1024 * Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
    const readyRss = rssOf(ready.pid);

    const idler = await RawWireClient.started(socketPathFor(dataDir));
    idler.send(query('BEGIN; CREATE TABLE held_then_dropped (id int)'));
    await idler.until((messages) => messages.filter((message) => message.type === 'Z').length >= 2);

    // Others wait behind the idler until it is cut off, then save and load.
    const [ts, py] = await Promise.all([runWorker(false, dataDir, 'after-idler/ts'), runWorker(true, dataDir, 'after-idler/py', 2, env)]);
    assert.deepEqual([ts, py], [[1, 2], [1, 2]]);
    await idler.closed;
    assert.deepEqual(idler.errors().map((error) => error.code), ['25P03']);

    // The server also survives the inputs that used to wedge it.
    for (const bytes of [typedMessage('y', cstring('?')), typedMessage('Q', Buffer.alloc(0), -1)]) {
      const client = await RawWireClient.started(socketPathFor(dataDir));
      client.send(bytes);
      await client.closed;
    }
    const probe = await RawWireClient.started(socketPathFor(dataDir));
    probe.send(query("SELECT to_regclass('held_then_dropped') IS NULL"));
    await probe.until((messages) => messages.filter((message) => message.type === 'Z').length >= 2);
    assert.equal(probe.messages().find((message) => message.type === 'D')!.body.toString('utf8', 6), 't');
    probe.destroy();

    const growth = rssOf(ready.pid) - readyRss;
    assert.ok(growth < RSS_GROWTH_LIMIT_BYTES, `server RSS grew by ${Math.round(growth / 2 ** 20)} MB`);

    const stop = spawnScript(CLI, ['db', 'stop', '--data-dir', dataDir]);
    assert.equal(await new Promise((resolve) => stop.once('exit', resolve)), 0);
    assert.equal(await exited, 0);
}
