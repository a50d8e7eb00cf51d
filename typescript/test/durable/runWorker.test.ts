/**
 * Leases, submitRun and RunWorker (spec/run-journal, "Leases and workers"),
 * on the twenty-step durable run, against both stores.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Agent, MCPServerStdio, MemorySession, OpenAIProvider, Runner, tool } from '@openai/agents';
import OpenAI from 'openai';
import { z } from 'zod';
import {
  DurableRunConflictError,
  DurableRunMismatchError,
  DurableRunUnsupportedError,
  DurableSession,
  RunWorker,
  runAgent,
  submitRun,
  type RunWorkerEvent,
} from '../../src/index.js';
import { leaseDatabase, resolveStoreTarget, type StoreOptions } from '../../src/store/connect.js';
import { backends, freshAppDirectory, useScriptedOpenAI } from '../support/environment.js';
import { createScratchDatabase } from '../fixtures/helpers.js';
import type { ModelServer } from '../../../testing/model-server/server.mjs';
import { MODEL_CALLS, STEPS, STEPPER_INPUT, stepAgent, stepCounts } from './stepAgent.js';
import { childArgs, conversation, journaledModelCalls, ruleOfCall, runChild, runRow, storedJournal } from './support.js';

let server: ModelServer;
// A database of its own: a worker claims any claimable run of its graph, and other suites leave
// crashed runs of the Durable Stepper in the shared test database.
let scratch: { url: string; drop(): Promise<void> };
before(async () => {
  server = await useScriptedOpenAI('durable-twenty-steps');
  scratch = await createScratchDatabase();
});
after(async () => {
  await server.close();
  await scratch.drop();
});

const stores = (): Array<{ name: string; options: StoreOptions }> => [
  { name: 'pglite', options: backends()[0].options },
  { name: 'postgres', options: { get connectionString() { return scratch.url; } } },
];

const effects = () => join(freshAppDirectory(), 'effects.txt');
const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');
const everyStepOnce = (file: string) =>
  assert.deepEqual([...stepCounts(lines(file))], Array.from({ length: STEPS }, (_, i) => [i + 1, 1]));

/** A worker whose events the test keeps (nothing printed). */
function worker(store: StoreOptions, agents: Agent<any, any>[], options: Partial<ConstructorParameters<typeof RunWorker>[0]> = {}) {
  const events: RunWorkerEvent[] = [];
  const created = new RunWorker({ agents, ...store, pollMs: 20, onEvent: (event) => events.push(event), ...options });
  return { worker: created, events };
}

/** Retries `attempt` until it returns something, for at most `ms` (waiting on a lease to expire). */
async function eventually<T>(ms: number, attempt: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await attempt();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`nothing after ${ms} ms`);
    await delay(50);
  }
}

/** A runner whose model endpoint refuses connections: every run it drives fails. */
const unreachableRunner = () =>
  new Runner({
    modelProvider: new OpenAIProvider({
      openAIClient: new OpenAI({ baseURL: 'http://127.0.0.1:9/v1', apiKey: 'unused', maxRetries: 0 }),
    }),
  });

for (const { name, options: store } of stores()) {
  describe(`durable run workers (${name})`, () => {
    test('submitRun queues a run without executing it; a worker claims it once and finishes it', async () => {
      const runId = `submitted-${randomUUID()}`;
      const session = new DurableSession(store);
      const file = effects();
      const agent = stepAgent({ effectsFile: file });
      const before = server.requests.length;
      await submitRun(agent, STEPPER_INPUT, session, { runId, ...store }, { maxTurns: 30 });
      const queued = await runRow(store, runId);
      assert.deepEqual({ ...queued, graph: typeof queued?.graph }, {
        status: 'queued', lease_owner: null, lease_expires_at: null, attempts: 0, graph: 'string',
      });
      assert.equal(server.requests.length, before, 'submitting calls no model');
      assert.equal(lines(file), '', 'submitting runs no tool');

      const { worker: one, events } = worker(store, [stepAgent({ effectsFile: file })]);
      assert.equal(await one.runOnce(), runId);
      assert.equal(await one.runOnce(), null, `a finished run is not claimed again: ${JSON.stringify(events)}`);
      assert.deepEqual(events.map((event) => event.event), ['claimed', 'finished']);
      assert.equal(server.requests.length - before, MODEL_CALLS);
      everyStepOnce(file);
      const finished = await runRow(store, runId);
      assert.deepEqual([finished?.status, finished?.lease_owner, finished?.lease_expires_at, finished?.attempts], ['finished', null, null, 1]);
      assert.equal((await conversation(session)).length > STEPS, true, 'the worker appended to the submitted session');

      await assert.rejects(submitRun(agent, STEPPER_INPUT, session, { runId, ...store }), DurableRunConflictError);
      await session.close();
    });

    test('submitRun refuses sessions a worker cannot reopen or would not find, graphs it cannot journal and bad turn limits, writing nothing', async () => {
      const agent = stepAgent({ effectsFile: effects() });
      const limitRun = `limit-${randomUUID()}`;
      for (const maxTurns of [0, 2.5, null as unknown as number]) {
        await assert.rejects(submitRun(agent, STEPPER_INPUT, null, { runId: limitRun, ...store }, { maxTurns }), RangeError);
      }
      assert.equal(await runRow(store, limitRun), undefined);
      const memoryRun = `memory-${randomUUID()}`;
      await assert.rejects(submitRun(agent, STEPPER_INPUT, new MemorySession(), { runId: memoryRun, ...store }), (error: unknown) =>
        error instanceof DurableRunUnsupportedError && /DurableSession/.test(error.message),
      );
      const mcpRun = `mcp-${randomUUID()}`;
      const mcp = new Agent({ name: 'Uses MCP', mcpServers: [new MCPServerStdio({ name: 'never started', fullCommand: 'false' })] });
      await assert.rejects(submitRun(mcp, 'hi', null, { runId: mcpRun, ...store }), DurableRunUnsupportedError);
      await assert.rejects(runAgent(mcp, 'hi', null, false, { durable: { runId: mcpRun, ...store } }), DurableRunUnsupportedError);
      // A session of another store: the worker would reopen it in the run's store and not find its conversation.
      const elsewhereRun = `elsewhere-${randomUUID()}`;
      const elsewhere = new DurableSession({ pglitePath: join(freshAppDirectory(), 'another-store') });
      await assert.rejects(submitRun(agent, STEPPER_INPUT, elsewhere, { runId: elsewhereRun, ...store }), (error: unknown) =>
        error instanceof DurableRunMismatchError && /keeps its items in the embedded store at .*another-store\b/.test(error.message),
      );
      assert.equal(await runRow(store, elsewhereRun), undefined);
      assert.equal(await runRow(store, memoryRun), undefined);
      assert.equal(await runRow(store, mcpRun), undefined, 'an unsupported graph leaves no row behind');
    });

    test('a direct call holds the lease while it runs: a second caller is refused before writing anything', async () => {
      const runId = `leased-${randomUUID()}`;
      const session = new DurableSession(store);
      const file = effects();
      let reached!: () => void;
      const atStep3 = new Promise<void>((resolve) => (reached = resolve));
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const agent = stepAgent({
        effectsFile: file,
        onStep: async (step) => {
          if (step !== 3) return;
          reached();
          await released;
        },
      });
      const durable = { runId, ...store, leaseMs: 300 };
      const first = runAgent(agent, STEPPER_INPUT, session, false, { durable, maxTurns: 30 });
      await atStep3;
      const holding = await runRow(store, runId);
      assert.equal(holding?.status, 'running');
      assert.match(holding?.lease_owner ?? '', /^[^/]+\/\d+\/[0-9a-f]+$/);
      const journalBefore = (await storedJournal(store, runId)).length;
      // Held across several lease lengths: the holder renews it.
      await delay(1000);
      await assert.rejects(runAgent(agent, [], session, false, { durable, maxTurns: 30 }), DurableRunConflictError);
      const { worker: idle } = worker(store, [agent]);
      assert.equal(await idle.runOnce(), null, 'a worker does not claim a run under a live lease');
      assert.equal((await storedJournal(store, runId)).length, journalBefore, 'the refused callers wrote nothing');
      release();
      assert.equal((await first).finalOutput, 'All 20 steps are recorded.');
      const done = await runRow(store, runId);
      assert.deepEqual([done?.status, done?.lease_owner, done?.attempts], ['finished', null, 1]);
      everyStepOnce(file);
      await session.close();
    });

    test('a process whose lease expired under it stops with DurableRunConflictError (not the SDK wrapper) at its next write', async () => {
      const runId = `overtaken-${randomUUID()}`;
      const session = new DurableSession(store);
      const file = effects();
      let reached!: () => void;
      const atStep3 = new Promise<void>((resolve) => (reached = resolve));
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const slow = stepAgent({
        effectsFile: file,
        onStep: async (step) => {
          if (step !== 3) return;
          reached();
          await released;
        },
      });
      // A long lease, so no renewal comes while the test plays the clock forward.
      const first = runAgent(slow, STEPPER_INPUT, session, false, { durable: { runId, ...store, leaseMs: 600_000 }, maxTurns: 30 });
      await atStep3;
      // The holder is paused (GC, a suspended VM) past its lease: as the store sees it, the lease expired.
      const lease = await leaseDatabase(resolveStoreTarget(store));
      await lease.db.query(`UPDATE timestep_durable_runs SET lease_expires_at = now() - interval '1 second' WHERE run_id = $1`, [runId]);
      await lease.release();
      const takeover = await runAgent(stepAgent({ effectsFile: file }), [], session, false, { durable: { runId, ...store }, maxTurns: 30 });
      assert.equal(takeover.interruptions.length, 1, 'the resumer found step 3 in doubt');
      release();
      await assert.rejects(first, (error: unknown) => error instanceof DurableRunConflictError && error.runId === runId);
      const row = await runRow(store, runId);
      assert.deepEqual([row?.status, row?.lease_owner], ['interrupted', null], 'the overtaken process left the row as the resumer set it');
      await session.close();
    });

    test('a worker never claims a run whose agent graph differs from its agents', async () => {
      const runId = `graph-${randomUUID()}`;
      const file = effects();
      await submitRun(stepAgent({ effectsFile: file }), STEPPER_INPUT, null, { runId, ...store }, { maxTurns: 30 });
      const extraTool = tool({ name: 'extra', description: 'extra', parameters: z.object({}), execute: async () => 'x' });
      const different = stepAgent({ effectsFile: file });
      different.tools = [...different.tools, extraTool];
      const { worker: other } = worker(store, [different]);
      assert.equal(await other.runOnce(), null);
      assert.equal((await runRow(store, runId))?.status, 'queued');
      assert.equal(lines(file), '');
      const { worker: matching } = worker(store, [stepAgent({ effectsFile: file })]);
      assert.equal(await matching.runOnce(), runId);
      everyStepOnce(file);
    });

    test('a failed run is retried by workers while its attempts are below maxAttempts', async () => {
      const runId = `retry-${randomUUID()}`;
      const file = effects();
      await submitRun(stepAgent({ effectsFile: file }), STEPPER_INPUT, null, { runId, ...store }, { maxTurns: 30 });
      const { worker: broken, events } = worker(store, [stepAgent({ effectsFile: file })], { runner: unreachableRunner() });
      assert.equal(await broken.runOnce(), runId);
      const failed = events.find((event) => event.event === 'failed');
      assert.ok(failed && 'error' in failed && failed.error.length > 0, JSON.stringify(events));
      assert.deepEqual([(await runRow(store, runId))?.status, (await runRow(store, runId))?.attempts], ['failed', 1]);

      const { worker: strict } = worker(store, [stepAgent({ effectsFile: file })], { maxAttempts: 1 });
      assert.equal(await strict.runOnce(), null, 'attempts (1) is not below maxAttempts (1)');
      const { worker: retrying } = worker(store, [stepAgent({ effectsFile: file })]);
      assert.equal(await retrying.runOnce(), runId);
      assert.deepEqual([(await runRow(store, runId))?.status, (await runRow(store, runId))?.attempts], ['finished', 2]);
      everyStepOnce(file);
    });

    test('a run whose process was killed is claimed by a worker once its lease expires; no journaled call repeats', { timeout: 120_000 }, async () => {
      const runId = `expired-${randomUUID()}`;
      const sessionId = randomUUID();
      const file = effects();
      const before = server.requests.length;
      const { killed } = await runChild(
        [...childArgs(store, runId, sessionId, file, '--hang-at', '6', '--idempotent', '--lease-ms', '5000')],
        (line, kill) => line.event === 'step' && line.step === 6 && kill(),
      );
      assert.ok(killed);
      const journaled = journaledModelCalls(await storedJournal(store, runId));
      assert.equal(server.requests.length - before, journaled, 'the child sent only the calls it journaled');

      const { worker: rescuer, events } = worker(store, [stepAgent({ effectsFile: file, idempotent: true })], { leaseMs: 1500 });
      // The child's lease is still live at first: only its expiry frees the run for a worker.
      assert.equal(await rescuer.runOnce(), null);
      assert.equal(await eventually(20_000, () => rescuer.runOnce()), runId);
      assert.deepEqual(events.map((event) => event.event), ['claimed', 'finished']);
      const ruleIds = server.requests.slice(before).map((request) => request.ruleId);
      assert.deepEqual(ruleIds, Array.from({ length: MODEL_CALLS }, (_, ordinal) => ruleOfCall(ordinal)), 'each model call was sent once');
      everyStepOnce(file);
      const row = await runRow(store, runId);
      assert.deepEqual([row?.status, row?.attempts, row?.lease_owner], ['finished', 2, null]);
    });

    test('a run whose process died on its last allowed attempt is marked failed, not claimed again', { timeout: 120_000 }, async () => {
      const runId = `gave-up-${randomUUID()}`;
      const file = effects();
      const { killed } = await runChild(
        [...childArgs(store, runId, randomUUID(), file, '--hang-at', '6', '--idempotent', '--lease-ms', '1000')],
        (line, kill) => line.event === 'step' && line.step === 6 && kill(),
      );
      assert.ok(killed);
      const agents = [stepAgent({ effectsFile: file, idempotent: true })];
      const { worker: strict, events } = worker(store, agents, { maxAttempts: 1 });
      // Once the dead holder's lease expires, a worker allowing one attempt fails the run instead of claiming it.
      await eventually(20_000, async () => ((await strict.runOnce()) === null && (await runRow(store, runId))?.status === 'failed') || null);
      assert.deepEqual(events.map((event) => [event.event, 'run_id' in event ? event.run_id : null]), [['failed', runId]]);
      assert.match((events[0] as { error: string }).error, /died on each of its 1 attempts/);
      assert.deepEqual(await runRow(store, runId).then((row) => [row?.attempts, row?.lease_owner]), [1, null]);
      assert.equal(await strict.runOnce(), null, 'a failed run at the limit stays failed');

      const { worker: patient } = worker(store, agents, { maxAttempts: 2 });
      assert.equal(await patient.runOnce(), runId);
      assert.deepEqual(await runRow(store, runId).then((row) => [row?.status, row?.attempts]), ['finished', 2]);
      everyStepOnce(file);
    });
  });
}

describe('two workers on PostgreSQL', () => {
  test('claim with FOR UPDATE SKIP LOCKED: no run is claimed twice', { timeout: 180_000 }, async () => {
    const store = { connectionString: scratch.url };
    const RUNS = 8;
    const file = effects();
    const runIds = Array.from({ length: RUNS }, (_, index) => `fleet-${index}-${randomUUID()}`);
    for (const runId of runIds) await submitRun(stepAgent({ effectsFile: file }), STEPPER_INPUT, null, { runId, ...store }, { maxTurns: 30 });
    const events: RunWorkerEvent[] = [];
    const workers: Promise<void>[] = [];
    const controller = new AbortController();
    const allDone = new Promise<void>((resolve) => {
      const onEvent = (event: RunWorkerEvent) => {
        events.push(event);
        const finished = events.filter((seen) => seen.event === 'finished' && runIds.includes(seen.run_id));
        if (finished.length === RUNS) resolve();
      };
      const agents = [stepAgent({ effectsFile: file })];
      workers.push(
        new RunWorker({ agents, ...store, concurrency: 3, pollMs: 20, onEvent }).run(controller.signal),
        new RunWorker({ agents, ...store, concurrency: 3, pollMs: 20, onEvent }).run(controller.signal),
      );
    });
    await allDone;
    controller.abort();
    await Promise.all(workers);

    const claims = events.filter((event) => event.event === 'claimed' && runIds.includes(event.run_id));
    assert.equal(claims.length, RUNS, 'every run was claimed exactly once');
    assert.equal(new Set(claims.map((event) => (event as { run_id: string }).run_id)).size, RUNS);
    assert.equal(new Set(claims.map((event) => event.worker)).size, 2, 'both workers claimed runs');
    for (const runId of runIds) {
      assert.equal(journaledModelCalls(await storedJournal(store, runId)), MODEL_CALLS);
      assert.deepEqual([(await runRow(store, runId))?.status, (await runRow(store, runId))?.attempts], ['finished', 1]);
    }
    // Every run did each step once: RUNS lines per step in the shared effects file.
    assert.deepEqual([...stepCounts(lines(file))], Array.from({ length: STEPS }, (_, i) => [i + 1, RUNS]));
    assert.deepEqual(events.filter((event) => event.event === 'stopped').length, 2);
  });
});
