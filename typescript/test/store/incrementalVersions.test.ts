/**
 * Versions stored as deltas (spec/state-delta): every past version still
 * loads exactly as saved, full versions keep chains short, and damage or
 * concurrent writers never produce a version that cannot be rebuilt.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { MemorySession, RunState } from '@openai/agents';
import { InvalidRunStateError, RunStateStore, consumeResult, runAgent } from '../../src/index.js';
import type { DatabaseLease } from '../../src/store/connect.js';
import { backends, useScriptedOpenAI } from '../support/environment.js';
import { REFERENCE_TURNS, referenceAgents } from '../support/referenceAgents.js';
import { playConversation } from '../support/conversation.js';
import { leaseRaw, runStatesChecksum, uniquePrefix } from '../fixtures/helpers.js';
import type { ModelServer } from '../../../testing/model-server/server.mjs';

let server: ModelServer;
let states: Array<RunState<any, any>>;
const agents = referenceAgents();

before(async () => {
  server = await useScriptedOpenAI('reference-eight-turns');
  // Every state of the eight-turn conversation, in order: each run's
  // original input holds the session so far, so the states grow turn by turn.
  states = [];
  const session = new MemorySession();
  await playConversation(
    REFERENCE_TURNS,
    session,
    async (input) => {
      const result = await consumeResult(await runAgent(agents.personalAssistant, input, session));
      states.push(result.state);
      return result;
    },
    async (state) => {
      for (const item of state.getInterruptions()) state.approve(item);
      return state;
    },
  );
  assert.ok(states.length >= 7, `${states.length} states`);
});
after(() => server.close());

/**
 * What loading `text` gives: the SDK does not round-trip its own text exactly
 * (fromString drops the agent span, replaces an empty trace), so a loaded
 * state is compared with the SDK's own load of the text that was saved.
 */
const asLoaded = async (text: string) => (await RunState.fromString(agents.personalAssistant, text)).toString();

const PREFIX = uniquePrefix('incremental');
const newRunId = () => `${PREFIX}${randomUUID()}`;

interface StoredRow {
  version: number;
  state_encoding: 'full' | 'delta';
  chars: number;
}

for (const backend of backends()) {
  describe(`incremental versions on ${backend.name}`, () => {
    let raw: DatabaseLease;
    const stores: RunStateStore<any, any>[] = [];
    before(async () => {
      raw = await leaseRaw(backend.options);
    });
    after(async () => {
      await Promise.all(stores.map((store) => store.close()));
      await raw.release();
    });
    const storeFor = (runId: string) => {
      const store = new RunStateStore({ agent: agents.personalAssistant, runId, ...backend.options });
      stores.push(store);
      return store;
    };
    const rowsOf = (runId: string) =>
      raw.db.query<StoredRow>(
        `SELECT version, state_encoding, char_length(native_state)::int AS chars
         FROM timestep_run_states WHERE run_id = $1 ORDER BY version`,
        [runId],
      );

    test('a run saved turn by turn stores deltas, and every version loads back exactly as saved', async () => {
      const runId = newRunId();
      const store = storeFor(runId);
      const texts: string[] = [];
      for (let round = 0; round < 3; round++) {
        for (const state of states) {
          texts.push(state.toString());
          await store.save(state);
        }
      }
      const rows = await rowsOf(runId);
      assert.deepEqual(rows.map((row) => row.version), texts.map((_, i) => i + 1));
      assert.equal(rows[0].state_encoding, 'full');
      assert.ok(rows.some((row) => row.state_encoding === 'delta'), 'some versions are deltas');
      const reader = storeFor(runId);
      for (const [i, text] of texts.entries()) {
        assert.equal((await reader.load({ version: i + 1 })).toString(), await asLoaded(text), `version ${i + 1}`);
      }
      assert.equal((await reader.load()).toString(), await asLoaded(texts.at(-1)!));
    });

    test('a full version is written before the deltas since the last one reach twice its size', async () => {
      const runId = newRunId();
      const store = storeFor(runId);
      for (let round = 0; round < 3; round++) for (const state of states) await store.save(state);
      const rows = await rowsOf(runId);
      let full = 0;
      let chain = 0;
      let lastFull = 0;
      for (const row of rows) {
        if (row.state_encoding === 'full') {
          full = row.chars;
          chain = 0;
          lastFull = row.version;
        } else {
          chain += row.chars;
          assert.ok(chain < 2 * full, `version ${row.version}: ${chain} delta chars on a full version of ${full}`);
          assert.ok(row.version - lastFull <= 32, `version ${row.version}: more than 32 deltas in a row`);
        }
      }
      assert.ok(rows.filter((row) => row.state_encoding === 'full').length >= 2, 'the chain was restarted');
      const deltaChars = rows.filter((row) => row.state_encoding === 'delta').reduce((sum, row) => sum + row.chars, 0);
      const wholeChars = states.reduce((sum, state) => sum + state.toString().length, 0) * 3;
      assert.ok(deltaChars + rows.filter((r) => r.state_encoding === 'full').reduce((s, r) => s + r.chars, 0) < wholeChars);
    });

    test('a state saved again and again gets a full version every 33', async () => {
      const runId = newRunId();
      const store = storeFor(runId);
      for (let i = 0; i < 70; i++) await store.save(states[0]);
      const rows = await rowsOf(runId);
      // Tiny deltas would take thousands of versions to reach twice the full
      // size: the count bounds how many rows a load reads.
      assert.deepEqual(rows.filter((row) => row.state_encoding === 'full').map((row) => row.version), [1, 34, 67]);
      assert.equal((await store.load()).toString(), await asLoaded(states[0].toString()));
    });

    test('a string with its own formatting is stored whole and comes back byte for byte', async () => {
      const runId = newRunId();
      const store = storeFor(runId);
      await store.save(states[0]);
      const indented = JSON.stringify(JSON.parse(states[1].toString()), null, 2);
      await store.save(indented);
      await store.save(states[2]);
      const rows = await rowsOf(runId);
      // Version 2 cannot be rebuilt as JSON.stringify would write it, so it is
      // stored whole; version 3 is compact again and is a delta on its value.
      assert.deepEqual(rows.map((row) => row.state_encoding), ['full', 'full', 'delta']);
      const [{ native_state }] = await raw.db.query<{ native_state: string }>(
        'SELECT native_state FROM timestep_run_states WHERE run_id = $1 AND version = 2',
        [runId],
      );
      assert.equal(native_state, indented);
      assert.equal((await store.load({ version: 3 })).toString(), await asLoaded(states[2].toString()));
    });

    test('two stores writing one run keep versions gap-free and every version loadable', async () => {
      const runId = newRunId();
      const [a, b] = [storeFor(runId), storeFor(runId)];
      const saved: string[] = [];
      // Interleaved: each store's base is stale after the other's save.
      for (const [i, state] of states.slice(0, 4).entries()) {
        await (i % 2 === 0 ? a : b).save(state);
        saved.push(state.toString());
      }
      // Concurrent: both race for the same next version.
      const racing = [states[4], states[5]];
      const versions = await Promise.all([a.save(racing[0]), b.save(racing[1])]);
      assert.deepEqual(versions.map((v) => v.version).sort(), [5, 6]);
      for (const [i, version] of versions.entries()) saved[version.version - 1] = racing[i].toString();
      // And the saves after the race still build on the right versions.
      for (const store of [a, b, a]) {
        await store.save(states[6]);
        saved.push(states[6].toString());
      }
      const rows = await rowsOf(runId);
      assert.deepEqual(rows.map((row) => row.version), saved.map((_, i) => i + 1));
      for (const [i, text] of saved.entries()) {
        assert.equal((await b.load({ version: i + 1 })).toString(), await asLoaded(text), `version ${i + 1}`);
      }
    });

    test('many stores saving one run at once all succeed, with gap-free versions', async () => {
      const runId = newRunId();
      const writers = Array.from({ length: 6 }, () => storeFor(runId));
      await Promise.all(
        writers.map(async (store, w) => {
          for (let i = 0; i < 5; i++) await store.save(states[(w + i) % states.length]);
        }),
      );
      const rows = await rowsOf(runId);
      assert.deepEqual(rows.map((row) => row.version), Array.from({ length: 30 }, (_, i) => i + 1));
      for (const row of rows) await storeFor(runId).load({ version: row.version });
    });

    test('a delta never lands on a version another writer made with the same number', async () => {
      const runId = newRunId();
      const [a, b] = [storeFor(runId), storeFor(runId)];
      await a.save(states[0]);
      await a.save(states[1]); // a now holds version 2 as its base
      await b.clear();
      await b.save(states[4]);
      await b.save(states[5]); // another version 2
      await a.save(states[2]);
      const rows = await rowsOf(runId);
      assert.equal(rows[2].state_encoding, 'full');
      assert.equal((await b.load({ version: 3 })).toString(), await asLoaded(states[2].toString()));
    });

    test('a chain without its full version is reported as damaged', async () => {
      const runId = newRunId();
      const store = storeFor(runId);
      for (const state of states.slice(0, 3)) await store.save(state);
      await raw.db.query(`UPDATE timestep_run_states SET state_encoding = 'delta' WHERE run_id = $1`, [runId]);
      for (const version of [undefined, 2]) {
        const error = await storeFor(runId).load({ version }).catch((e: unknown) => e);
        assert.ok(error instanceof InvalidRunStateError, `version ${version}: loaded instead of an error`);
        assert.match(error.message, /no full version before it/);
      }
    });

    describe('a damaged delta is InvalidRunStateError and nothing is deleted', () => {
      const damages: Array<[string, (doc: Record<string, unknown>) => unknown, RegExp]> = [
        ['a newer delta format', (doc) => ({ ...doc, state_delta: 2 }), /format 2.*upgrade Timestep/],
        ['the wrong base version', (doc) => ({ ...doc, base_version: 99 }), /delta on version 99/],
        ['an operation that does not fit', (doc) => ({ ...doc, ops: { a: 1, e: [] } }), /not an array/],
        ['a changed value', (doc) => ({ ...doc, ops: { o: { currentTurn: { r: 42 } } } }), /checksum mismatch/],
        ['truncated text', (doc) => JSON.stringify(doc).slice(0, 20), /damaged in storage \(not valid JSON\)/],
      ];
      for (const [name, damage, message] of damages) {
        test(name, async () => {
          const runId = newRunId();
          const store = storeFor(runId);
          for (const state of states.slice(0, 3)) await store.save(state);
          const [row] = await raw.db.query<{ version: number; native_state: string }>(
            `SELECT version, native_state FROM timestep_run_states
             WHERE run_id = $1 AND state_encoding = 'delta' ORDER BY version LIMIT 1`,
            [runId],
          );
          assert.ok(row, 'the run has a delta version');
          const damaged = damage(JSON.parse(row.native_state));
          await raw.db.query('UPDATE timestep_run_states SET native_state = $1 WHERE run_id = $2 AND version = $3', [
            typeof damaged === 'string' ? damaged : JSON.stringify(damaged),
            runId,
            row.version,
          ]);
          const before = await runStatesChecksum(raw.db, runId);
          const error = await storeFor(runId).load({ version: row.version }).catch((e: unknown) => e);
          assert.ok(error instanceof InvalidRunStateError, `got ${String(error)}`);
          assert.match(error.message, message);
          assert.equal(await runStatesChecksum(raw.db, runId), before);
          // Versions before the damage still load.
          assert.equal(
            (await storeFor(runId).load({ version: row.version - 1 })).toString(),
            await asLoaded(states[row.version - 2].toString()),
          );
        });
      }
    });
  });
}
