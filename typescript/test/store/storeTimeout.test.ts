import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { Agent, RunContext, RunState } from '@openai/agents';
import { EmbeddedStoreLockedError, RunStateStore, StoreTimeoutError } from '../../src/index.js';
import { storeTimeoutMs } from '../../src/store/storeTimeout.js';
import { childEnv, fixturePath, spawnTsx, succeeded } from '../fixtures/helpers.js';
import { REPO_ROOT, freshAppDirectory, testDatabaseUrl } from '../support/environment.js';

const CLI = join(REPO_ROOT, 'typescript/src/cli/main.ts');
const LIMIT_MS = 2_000;
/** Timers on a loaded two-core machine fire late; the error must still come close to the limit. */
const LATE_MS = 2_500;
const agent = new Agent({ name: 'Waiter', instructions: 'Saves checkpoints.' });
const checkpoint = (n: number) => new RunState(new RunContext({ checkpoint: n }), `checkpoint ${n}`, agent, 10);

/** Without limits these saves would wait forever: fail instead. */
const HANG = { timeout: 60_000 };

/** Asserts `save` fails with StoreTimeoutError after about LIMIT_MS (not sooner, not much later). */
async function assertTimesOut(save: Promise<unknown>): Promise<void> {
  const started = performance.now();
  await assert.rejects(save, StoreTimeoutError);
  const waited = performance.now() - started;
  assert.ok(waited >= LIMIT_MS - 50 && waited < LIMIT_MS + LATE_MS, `StoreTimeoutError after ${Math.round(waited)} ms`);
}

test('the limit: timeoutMs option, else TIMESTEP_STORE_TIMEOUT_MS, else 30 s; nonsense is refused', () => {
  assert.equal(storeTimeoutMs(undefined, {}), 30_000);
  assert.equal(storeTimeoutMs(undefined, { TIMESTEP_STORE_TIMEOUT_MS: '1500' }), 1_500);
  assert.equal(storeTimeoutMs(250, { TIMESTEP_STORE_TIMEOUT_MS: '1500' }), 250);
  assert.throws(() => storeTimeoutMs(undefined, { TIMESTEP_STORE_TIMEOUT_MS: '2s' }), /TIMESTEP_STORE_TIMEOUT_MS must be a whole number of milliseconds from 1 to 2147483647 \(about 24 days\); got "2s"/);
  assert.throws(() => storeTimeoutMs(0, {}), /timeoutMs store option must be a whole number/);
  // Past what a timer and PostgreSQL's statement_timeout hold (2^31 - 1 ms): refused, not failing every connection later.
  assert.equal(storeTimeoutMs(2 ** 31 - 1, {}), 2 ** 31 - 1);
  assert.throws(() => storeTimeoutMs(2 ** 31, {}), RangeError);
  assert.throws(() => storeTimeoutMs(undefined, { TIMESTEP_STORE_TIMEOUT_MS: String(2 ** 31) }), RangeError);
  assert.throws(() => new RunStateStore({ agent, runId: 'r', usePglite: true, timeoutMs: -1 }), RangeError);
});

test('the largest limit works on PostgreSQL, where the client waits a second longer than the server', async () => {
  const store = new RunStateStore({ agent, runId: `largest-limit-${randomUUID()}`, connectionString: testDatabaseUrl(), timeoutMs: 2 ** 31 - 1 });
  try {
    assert.equal((await store.save(checkpoint(1))).version, 1);
  } finally {
    await store.clear();
    await store.close();
  }
});

test('a stopped embedded store host: a save fails with StoreTimeoutError at timeoutMs, and works once the host continues', HANG, async () => {
  const dataDir = join(freshAppDirectory(), 'pglite');
  const host = spawnTsx(CLI, ['db', 'serve', '--data-dir', dataDir, '--idle-timeout', '120']);
  await host.line(/"socket"/);
  const store = new RunStateStore({ agent, runId: 'stopped-host', pglitePath: dataDir, timeoutMs: LIMIT_MS });
  try {
    await store.save(checkpoint(1)); // joined through the socket
    process.kill(host.pid, 'SIGSTOP');
    try {
      await assertTimesOut(store.save(checkpoint(2)));
    } finally {
      process.kill(host.pid, 'SIGCONT');
    }
    await store.save(checkpoint(3));
    const latest = await store.load();
    assert.equal((latest._context.context as { checkpoint: number }).checkpoint, 3);
  } finally {
    await store.close();
    host.process.kill('SIGTERM');
    await host.exited;
  }
});

test('a client that first joins a stopped embedded store host gets StoreTimeoutError at timeoutMs', HANG, async () => {
  const dataDir = join(freshAppDirectory(), 'pglite');
  const host = spawnTsx(CLI, ['db', 'serve', '--data-dir', dataDir, '--idle-timeout', '120']);
  await host.line(/"socket"/);
  process.kill(host.pid, 'SIGSTOP');
  const store = new RunStateStore({ agent, runId: 'joins-stopped-host', pglitePath: dataDir, timeoutMs: LIMIT_MS });
  try {
    await assertTimesOut(store.save(checkpoint(1)));
  } finally {
    process.kill(host.pid, 'SIGCONT');
  }
  try {
    await store.save(checkpoint(2));
    assert.equal(((await store.load())._context.context as { checkpoint: number }).checkpoint, 2);
  } finally {
    await store.close();
    host.process.kill('SIGTERM');
    await host.exited;
  }
});

test('a live lock holder that never serves the store is waited for timeoutMs, not longer', HANG, async () => {
  const pglitePath = join(freshAppDirectory(), 'pglite');
  const holder = spawnTsx(fixturePath('storeChild.ts'), ['lock-only', pglitePath], childEnv({}));
  try {
    await holder.line(/"locked"/);
    const store = new RunStateStore({ agent, pglitePath, timeoutMs: LIMIT_MS });
    const started = performance.now();
    await assert.rejects(store.history(), EmbeddedStoreLockedError);
    const waited = performance.now() - started;
    await store.close();
    assert.ok(waited >= LIMIT_MS - 50 && waited < LIMIT_MS + LATE_MS, `gave up after ${Math.round(waited)} ms`);
  } finally {
    holder.process.stdin!.end();
    await succeeded(holder);
  }
});

test('a PostgreSQL server that accepts the connection but never answers: StoreTimeoutError at timeoutMs, no password shown', HANG, async () => {
  const silent = createServer(() => {}); // takes connections, says nothing
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const { port } = silent.address() as AddressInfo;
  const store = new RunStateStore({ agent, connectionString: `postgresql://app:s3cret-pw@127.0.0.1:${port}/db`, timeoutMs: LIMIT_MS });
  try {
    const started = performance.now();
    const error = await store.save(checkpoint(1)).catch((e: unknown) => e);
    const waited = performance.now() - started;
    assert.ok(error instanceof StoreTimeoutError, String(error));
    assert.equal(error.nothingSent, true);
    assert.doesNotMatch(`${error.message} ${String(error.cause)}`, /s3cret-pw/);
    assert.ok(waited >= LIMIT_MS - 50 && waited < LIMIT_MS + LATE_MS, `StoreTimeoutError after ${Math.round(waited)} ms`);
  } finally {
    await store.close();
    silent.close();
  }
});

/** A second PostgreSQL session, holding something a save of `runId` needs until `release()`. */
async function holdingSession(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: testDatabaseUrl() });
  await client.connect();
  return client;
}

test("PostgreSQL: another session holding the run's advisory lock makes a save fail with StoreTimeoutError at timeoutMs", HANG, async () => {
  const runId = `held-advisory-${randomUUID()}`;
  const store = new RunStateStore({ agent, runId, connectionString: testDatabaseUrl(), timeoutMs: LIMIT_MS });
  const holder = await holdingSession();
  try {
    await store.save(checkpoint(1));
    await holder.query('SELECT pg_advisory_lock(hashtextextended($1, 7405733))', [runId]);
    await assertTimesOut(store.save(checkpoint(2)));
    await holder.query('SELECT pg_advisory_unlock(hashtextextended($1, 7405733))', [runId]);
    await store.save(checkpoint(2));
    assert.deepEqual((await store.history()).map((entry) => entry.version), [1, 2]);
  } finally {
    await holder.end();
    await store.clear();
    await store.close();
  }
});

test("PostgreSQL: another session's uncommitted row for the run's next version makes a save fail with StoreTimeoutError", HANG, async () => {
  const runId = `held-row-${randomUUID()}`;
  const store = new RunStateStore({ agent, runId, connectionString: testDatabaseUrl(), timeoutMs: LIMIT_MS });
  const holder = await holdingSession();
  try {
    await store.save(checkpoint(1));
    await holder.query('BEGIN');
    // A copy of version 1 as version 2, not committed: its primary key is locked.
    await holder.query(
      `INSERT INTO timestep_run_states
         SELECT (jsonb_populate_record(NULL::timestep_run_states, to_jsonb(s) || '{"version": 2}')).*
         FROM timestep_run_states s WHERE run_id = $1 AND version = 1`,
      [runId],
    );
    await assertTimesOut(store.save(checkpoint(2)));
    await holder.query('ROLLBACK');
    await store.save(checkpoint(2));
    assert.deepEqual((await store.history()).map((entry) => entry.version), [1, 2]);
  } finally {
    await holder.end();
    await store.clear();
    await store.close();
  }
});
