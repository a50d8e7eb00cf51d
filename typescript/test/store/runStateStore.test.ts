import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { Agent, MaxTurnsExceededError, RunState } from '@openai/agents';
import {
  InvalidIdentifierError,
  InvalidRunStateError,
  RunStateConflictError,
  RunStateNotFoundError,
  RunStateStore,
  StoreClosedError,
  StoreUnavailableError,
  consumeResult,
  runAgent,
} from '../../src/index.js';
import type { DatabaseLease } from '../../src/store/connect.js';
import { backends, freshAppDirectory, testDatabaseUrl, useScriptedOpenAI } from '../support/environment.js';
import { referenceAgents, type ReferenceAgents } from '../support/referenceAgents.js';
import { leaseRaw, runStatesChecksum, runToBerkeleyApproval, uniquePrefix } from '../fixtures/helpers.js';
import type { ModelServer } from '../../../testing/model-server/server.mjs';

let server: ModelServer;
before(async () => {
  server = await useScriptedOpenAI('reference-eight-turns');
});
after(() => server.close());

/** Every run id of this file starts with it, so row checksums ignore other suites. */
const PREFIX = uniquePrefix('run-state-store');
const newRunId = (label = '') => `${PREFIX}${label}${randomUUID()}`;

/**
 * The three kinds of state a run goes through, from real runs of the reference
 * agents. The checkpoint is a run stopped by maxTurns after a tool call (a run
 * stopped right after a handoff cannot be reloaded by the SDK itself).
 */
async function realStates({ personalAssistant, weatherAssistant }: ReferenceAgents) {
  const interrupted = (await runToBerkeleyApproval(personalAssistant)).state;
  const checkpoint = await runAgent(weatherAssistant, "What's the weather in Oakland?", null, false, { maxTurns: 1 }).then(
    () => assert.fail('maxTurns 1 cannot answer after a tool call'),
    (error: unknown) => {
      assert.ok(error instanceof MaxTurnsExceededError && error.state);
      return error.state;
    },
  );
  const approved = await RunState.fromString(personalAssistant, interrupted.toString());
  for (const item of approved.getInterruptions()) approved.approve(item);
  const final = (await consumeResult(await runAgent(personalAssistant, approved))).state;
  return { interrupted, checkpoint, final };
}

const approvalCallIds = (state: RunState<any, any>) =>
  state.getInterruptions().map((item) => (item.rawItem as { callId: string }).callId);
const stepOf = (state: RunState<any, any>) => (state.toJSON() as { currentStep?: { type: string } }).currentStep?.type;

for (const backend of backends()) {
  describe(`RunStateStore on ${backend.name}`, () => {
    let raw: DatabaseLease;
    const stores: RunStateStore<any, any>[] = [];
    before(async () => {
      raw = await leaseRaw(backend.options);
    });
    after(async () => {
      await Promise.all(stores.map((store) => store.close()));
      await raw.release();
    });

    /** A store on this backend, closed after the suite. */
    function storeFor(agent: Agent<any, any>, options: { runId?: string; sessionId?: string } = {}) {
      const store = new RunStateStore({ agent, ...backend.options, ...options });
      stores.push(store);
      return store;
    }
    const checksum = () => runStatesChecksum(raw.db, PREFIX);
    const storedText = async (runId: string) => {
      const [row] = await raw.db.query<{ native_state: string }>(
        'SELECT native_state FROM timestep_run_states WHERE run_id = $1 ORDER BY version DESC LIMIT 1',
        [runId],
      );
      return row.native_state;
    };

    test('save → load gives a live RunState that resumes and finishes the run', async () => {
      const { personalAssistant, weatherCalls } = referenceAgents();
      const { state } = await runToBerkeleyApproval(personalAssistant);
      const runId = newRunId();
      await storeFor(personalAssistant, { runId }).save(state);

      const loaded = await storeFor(personalAssistant, { runId }).load();
      assert.ok(loaded instanceof RunState);
      const [approval] = loaded.getInterruptions();
      assert.equal(approval.name, 'get_weather');
      assert.equal(approval.arguments, '{"city":"Berkeley"}');
      loaded.approve(approval);
      const finished = await consumeResult(await runAgent(personalAssistant, loaded));
      assert.equal(finished.finalOutput, 'The weather in Berkeley: foggy, 58°F');
      assert.deepEqual(weatherCalls, ['Berkeley']);
    });

    test('every save appends a version; history lists them oldest first with their metadata', async () => {
      const agents = referenceAgents();
      const { personalAssistant } = agents;
      const states = await realStates(agents);
      const store = storeFor(personalAssistant, { runId: newRunId() });
      const saved = [
        await store.save(states.interrupted),
        await store.save(states.checkpoint),
        await store.save(states.final),
      ];
      const history = await store.history();
      assert.deepEqual(history, saved, 'save returns what history records');
      assert.deepEqual(
        history.map(({ version, status, currentAgent }) => ({ version, status, currentAgent })),
        [
          { version: 1, status: 'interrupted', currentAgent: 'Weather Assistant' },
          { version: 2, status: 'checkpoint', currentAgent: 'Weather Assistant' },
          { version: 3, status: 'final', currentAgent: 'Weather Assistant' },
        ],
      );
      const callId = (states.interrupted.getInterruptions()[0].rawItem as { callId: string }).callId;
      assert.deepEqual(history[0].pendingApprovals, [
        { agent: 'Weather Assistant', tool: 'get_weather', call_id: callId, arguments: '{"city":"Berkeley"}' },
      ]);
      for (const version of history) {
        assert.equal(version.runId, store.runId);
        assert.equal(version.sessionId, null);
        assert.equal(version.sdkName, '@openai/agents');
        assert.equal(version.sdkVersion, '0.20.0');
        assert.equal(version.sdkSchemaVersion, '1.22');
        assert.ok(version.createdAt instanceof Date && !Number.isNaN(version.createdAt.getTime()));
      }
      assert.deepEqual(history[1].pendingApprovals, []);
      assert.deepEqual(history[2].pendingApprovals, []);
      assert.ok(history[0].createdAt <= history[1].createdAt && history[1].createdAt <= history[2].createdAt);

      const waiting = await raw.db.query<{ version: number }>(
        `SELECT version FROM timestep_run_states
          WHERE run_id = $1 AND pending_approvals @> '[{"tool":"get_weather"}]' ORDER BY version`,
        [store.runId],
      );
      assert.deepEqual(waiting, [{ version: 1 }], 'pending approvals are queryable with SQL');

      assert.equal(stepOf(await store.load()), 'next_step_final_output', 'load() gives the latest');
      const past = await store.load({ version: 1 });
      assert.equal(stepOf(past), 'next_step_interruption');
      assert.equal(past.getInterruptions().length, 1);

      assert.equal(await store.clear(), 3);
      assert.deepEqual(await store.history(), []);
      await assert.rejects(store.load(), RunStateNotFoundError);
      assert.equal(await store.clear(), 0);
    });

    test('save() takes the string of state.toString()', async () => {
      const { personalAssistant } = referenceAgents();
      const { state } = await runToBerkeleyApproval(personalAssistant);
      const store = storeFor(personalAssistant, { runId: newRunId() });
      const saved = await store.save(state.toString());
      assert.equal(saved.status, 'interrupted');
      assert.equal(saved.pendingApprovals[0].tool, 'get_weather');
      assert.equal(await storedText(store.runId), state.toString(), 'stored byte for byte');
      assert.deepEqual(approvalCallIds(await store.load()), approvalCallIds(state));
    });

    test('expectedVersion: a stale one writes nothing, the current one saves', async () => {
      const { personalAssistant } = referenceAgents();
      const { state } = await runToBerkeleyApproval(personalAssistant);
      const store = storeFor(personalAssistant, { runId: newRunId() });
      assert.equal((await store.save(state, { expectedVersion: 0 })).version, 1);

      const before = await checksum();
      const conflict = await store.save(state, { expectedVersion: 0 }).catch((error: unknown) => error);
      assert.ok(conflict instanceof RunStateConflictError);
      assert.deepEqual(
        { runId: conflict.runId, expected: conflict.expectedVersion, actual: conflict.actualVersion },
        { runId: store.runId, expected: 0, actual: 1 },
      );
      assert.equal(await checksum(), before);

      assert.equal((await store.save(state, { expectedVersion: 1 })).version, 2);
      assert.deepEqual((await store.history()).map((v) => v.version), [1, 2]);
    });

    test('runId defaults to sessionId, else a random id', async () => {
      const { personalAssistant } = referenceAgents();
      const sessionId = newRunId('session-');
      const bySession = storeFor(personalAssistant, { sessionId });
      assert.equal(bySession.runId, sessionId);
      assert.equal(bySession.sessionId, sessionId);
      const { state } = await runToBerkeleyApproval(personalAssistant);
      assert.equal((await bySession.save(state)).sessionId, sessionId);

      const explicit = storeFor(personalAssistant, { sessionId, runId: newRunId() });
      assert.notEqual(explicit.runId, sessionId);
      assert.equal(explicit.sessionId, sessionId);

      const first = storeFor(personalAssistant);
      const second = storeFor(personalAssistant);
      assert.match(first.runId, /^[0-9a-f-]{36}$/);
      assert.notEqual(first.runId, second.runId);
      assert.equal(first.sessionId, null);
    });

    test('two stores on the same run id see each other\'s versions', async () => {
      const agents = referenceAgents();
      const { personalAssistant } = agents;
      const { interrupted, final } = await realStates(agents);
      const runId = newRunId();
      const a = storeFor(personalAssistant, { runId });
      const b = storeFor(personalAssistant, { runId });
      await a.save(interrupted);
      await b.save(final);
      assert.deepEqual((await a.history()).map((v) => v.status), ['interrupted', 'final']);
      assert.equal(stepOf(await a.load()), 'next_step_final_output');
      assert.equal(stepOf(await b.load({ version: 1 })), 'next_step_interruption');
    });

    test('load of a run never saved, or of an unknown version, is RunStateNotFoundError', async () => {
      const { personalAssistant } = referenceAgents();
      const store = storeFor(personalAssistant, { runId: newRunId() });
      const missing = await store.load().catch((error: unknown) => error);
      assert.ok(missing instanceof RunStateNotFoundError);
      assert.equal(missing.runId, store.runId);

      await store.save((await runToBerkeleyApproval(personalAssistant)).state);
      const unknown = await store.load({ version: 42 }).catch((error: unknown) => error);
      assert.ok(unknown instanceof RunStateNotFoundError);
      assert.equal(unknown.version, 42);
      assert.match(unknown.message, /version 42/);
    });

    test('a closed store throws StoreClosedError', async () => {
      const { personalAssistant } = referenceAgents();
      const store = new RunStateStore({ agent: personalAssistant, runId: newRunId(), ...backend.options });
      await store.history();
      await store.close();
      await store.close(); // idempotent
      const { state } = await runToBerkeleyApproval(personalAssistant);
      await assert.rejects(store.save(state), StoreClosedError);
      await assert.rejects(store.load(), StoreClosedError);
      await assert.rejects(store.history(), StoreClosedError);
      await assert.rejects(store.clear(), StoreClosedError);
    });

    test('invalid input is InvalidRunStateError and leaves the table unchanged', async () => {
      const { personalAssistant } = referenceAgents();
      const { state } = await runToBerkeleyApproval(personalAssistant);
      const text = state.toString();
      const edited = (change: (json: Record<string, unknown>) => void) => {
        const json = JSON.parse(text) as Record<string, unknown>;
        change(json);
        return JSON.stringify(json);
      };
      const store = storeFor(personalAssistant, { runId: newRunId() });
      await store.save(state); // so "unchanged" also covers the run's existing version
      const stranger = new Agent({ name: 'Stranger', instructions: 'Knows nobody.' });
      const strangersStore = storeFor(stranger, { runId: store.runId });

      const cases: Array<[string, RunStateStore<any, any>, unknown]> = [
        ['garbage', store, 'this is not a run state'],
        ['truncated JSON of a real state', store, text.slice(0, Math.floor(text.length / 2))],
        ['a JSON number', store, '42'],
        ['JSON null', store, 'null'],
        ['a JSON array', store, '[]'],
        ['a JSON string', store, '"state"'],
        ['wrong field types', store, edited((json) => (json.currentTurn = 'three'))],
        ['wrong nested types', store, edited((json) => (json.currentAgent = { name: 7 }))],
        ['an unknown $schemaVersion', store, edited((json) => (json.$schemaVersion = '9.99'))],
        ['no $schemaVersion', store, edited((json) => delete json.$schemaVersion)],
        ['an agent missing from the graph (string)', strangersStore, text],
        ['an agent missing from the graph (RunState)', strangersStore, state],
        ['a number', store, 42],
        ['null', store, null],
      ];
      const before = await runStatesChecksum(raw.db, PREFIX);
      for (const [label, target, input] of cases) {
        await assert.rejects(target.save(input as string), InvalidRunStateError, label);
        assert.equal(await checksum(), before, `${label}: nothing written`);
      }
      assert.equal((await store.history()).length, 1);
    });

    test('a row damaged in storage is reported, never resumed', async () => {
      const { personalAssistant } = referenceAgents();
      const store = storeFor(personalAssistant, { runId: newRunId() });
      await store.save((await runToBerkeleyApproval(personalAssistant)).state);
      await raw.db.query(
        `UPDATE timestep_run_states SET native_state = replace(native_state, 'Berkeley', 'Oakland') WHERE run_id = $1`,
        [store.runId],
      );
      await assert.rejects(store.load(), (error: unknown) => {
        assert.ok(error instanceof InvalidRunStateError);
        assert.match(error.message, /checksum/);
        return true;
      });
    });

    test('a row written by another SDK loads from its portable form, and is refused naming the writer without one', async () => {
      const { personalAssistant } = referenceAgents();
      const store = storeFor(personalAssistant, { runId: newRunId() });
      await store.save((await runToBerkeleyApproval(personalAssistant)).state);
      await raw.db.query(
        `UPDATE timestep_run_states SET sdk_name = 'openai-agents', sdk_version = '0.24.0', sdk_schema_version = '1.21'
          WHERE run_id = $1`,
        [store.runId],
      );
      const fromPortable = await store.load();
      assert.deepEqual(
        fromPortable.getInterruptions().map((item) => item.name),
        ['get_weather'],
        'the pending approval survives the portable path',
      );

      await raw.db.query('UPDATE timestep_run_states SET portable_state = NULL WHERE run_id = $1', [store.runId]);
      await assert.rejects(store.load(), (error: unknown) => {
        assert.ok(error instanceof InvalidRunStateError);
        assert.match(error.message, /openai-agents 0\.24\.0/);
        return true;
      });
    });

    test('ids with quotes, SQL meta characters and unicode round-trip', async () => {
      const { personalAssistant } = referenceAgents();
      const { state } = await runToBerkeleyApproval(personalAssistant);
      const ids = [
        `${PREFIX}O'Brien"; DROP TABLE timestep_run_states; --`,
        `${PREFIX}back\\slash %_ $1 ?`,
        `${PREFIX}日本語 🚀 é\u200b`,
        `${PREFIX}${'x'.repeat(512 - PREFIX.length)}`,
      ];
      for (const runId of ids) {
        const saved = await storeFor(personalAssistant, { runId, sessionId: runId }).save(state);
        assert.equal(saved.runId, runId);
        const reader = storeFor(personalAssistant, { runId });
        assert.deepEqual((await reader.history()).map((v) => [v.runId, v.sessionId]), [[runId, runId]]);
        assert.deepEqual(approvalCallIds(await reader.load()), approvalCallIds(state));
      }
    });

    test('20 concurrent saves through separate stores give versions 1..20', async () => {
      const { personalAssistant } = referenceAgents();
      const { state } = await runToBerkeleyApproval(personalAssistant);
      const runId = newRunId();
      const saved = await Promise.all(
        Array.from({ length: 20 }, () => storeFor(personalAssistant, { runId }).save(state)),
      );
      const expected = Array.from({ length: 20 }, (_, i) => i + 1);
      assert.deepEqual(saved.map((v) => v.version).sort((a, b) => a - b), expected);
      assert.deepEqual((await storeFor(personalAssistant, { runId }).history()).map((v) => v.version), expected);
    });
  });
}

describe('RunStateStore errors before any store exists', () => {
  test('load from a fresh app directory is RunStateNotFoundError', async () => {
    const { personalAssistant } = referenceAgents();
    const store = new RunStateStore({ agent: personalAssistant, pglitePath: join(freshAppDirectory(), 'pglite') });
    try {
      await assert.rejects(store.load(), RunStateNotFoundError);
      assert.deepEqual(await store.history(), []);
    } finally {
      await store.close();
    }
  });

  test('empty, too long and NUL ids are InvalidIdentifierError', () => {
    const { personalAssistant: agent } = referenceAgents();
    for (const id of ['', 'x'.repeat(513), 'a\0b']) {
      assert.throws(() => new RunStateStore({ agent, runId: id }), InvalidIdentifierError, JSON.stringify(id));
      assert.throws(() => new RunStateStore({ agent, runId: 'ok', sessionId: id }), InvalidIdentifierError);
    }
    assert.throws(() => new RunStateStore({ agent, runId: 42 as unknown as string }), InvalidIdentifierError);
  });

  test('an unreachable PostgreSQL is StoreUnavailableError without the password; a working server then works', async () => {
    const port = await closedPort();
    const password = 'S3cret-Pa55word';
    const { personalAssistant } = referenceAgents();
    for (const host of ['127.0.0.1', 'localhost']) {
      const unreachable = new RunStateStore({
        agent: personalAssistant,
        runId: newRunId(),
        connectionString: `postgresql://timestep:${password}@${host}:${port}/timestep`,
      });
      for (let attempt = 0; attempt < 2; attempt++) {
        const error = await unreachable.history().catch((e: unknown) => e);
        assert.ok(error instanceof StoreUnavailableError, `${host}, attempt ${attempt}: ${inspect(error)}`);
        for (const text of [error.message, error.stack ?? '', inspect(error, { depth: 5 })]) {
          assert.ok(!text.includes(password), `the password leaked: ${text}`);
        }
      }
      await unreachable.close();
    }

    const working = new RunStateStore({ agent: personalAssistant, runId: newRunId(), connectionString: testDatabaseUrl() });
    try {
      assert.equal((await working.save((await runToBerkeleyApproval(personalAssistant)).state)).version, 1);
    } finally {
      await working.close();
    }
  });
});

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
