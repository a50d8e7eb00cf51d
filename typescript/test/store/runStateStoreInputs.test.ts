/**
 * Issue 13 items 4, 7 and 8 for RunStateStore and DurableSession: values the
 * store cannot keep, malformed options and ids are typed errors that write
 * nothing; decided approvals are not listed as pending.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Agent, OpenAIProvider, RunState, tool } from '@openai/agents';
import { z } from 'zod';
import {
  DurableSession,
  InvalidIdentifierError,
  InvalidRunStateError,
  RunStateStore,
  UnstorableValueError,
  consumeResult,
  runAgent,
} from '../../src/index.js';
import type { DatabaseLease } from '../../src/store/connect.js';
import { backends, useScriptedOpenAI } from '../support/environment.js';
import { referenceAgents } from '../support/referenceAgents.js';
import { BERKELEY_QUESTION, leaseRaw, runStatesChecksum, runToBerkeleyApproval, uniquePrefix } from '../fixtures/helpers.js';
import { startModelServer, type ModelServer, type Scenario } from '../../../testing/model-server/server.mjs';

/** An agent whose tool returns what the test puts in `toolOutput`, and a model that repeats it. */
const ECHO_SCENARIO: Scenario = {
  name: 'unstorable-tool-output',
  rules: [
    { id: 'answer', when: { agent: 'Echo Agent', lastItem: { kind: 'function_call_output' } }, reply: { text: 'done' } },
    { id: 'call', when: { agent: 'Echo Agent' }, reply: { toolCalls: [{ name: 'echo', arguments: {} }] } },
  ],
};

let reference: ModelServer;
let echoServer: ModelServer;
let echoProvider: OpenAIProvider;
before(async () => {
  reference = await useScriptedOpenAI('reference-eight-turns');
  echoServer = await startModelServer({ scenario: ECHO_SCENARIO });
  echoProvider = new OpenAIProvider({ baseURL: `${echoServer.url}/v1`, apiKey: 'echo-key' });
});
after(() => Promise.all([reference.close(), echoServer.close()]));

function echoAgent(output: string) {
  const echo = tool({ name: 'echo', description: 'Echoes.', parameters: z.object({}), execute: async () => output });
  return new Agent({ name: 'Echo Agent', instructions: 'You are the Echo Agent. Call echo.', model: 'gpt-4.1', tools: [echo] });
}

const PREFIX = uniquePrefix('run-state-inputs');
const newId = () => `${PREFIX}${randomUUID()}`;

/** The strings and numbers the store cannot keep, with what the error must say. */
const UNSTORABLE: Array<[string, unknown, RegExp]> = [
  ['a NUL character', 'before\u0000after', /NUL/],
  ['a lone high surrogate', 'before\uD800after', /lone surrogate \(U\+D800\)/],
  ['a lone low surrogate', '\uDC00', /lone surrogate \(U\+DC00\)/],
  ['NaN', NaN, /NaN/],
  ['Infinity', Infinity, /Infinity/],
  ['-Infinity', -Infinity, /-Infinity/],
];

for (const backend of backends()) {
  describe(`RunStateStore and DurableSession inputs on ${backend.name}`, () => {
    let raw: DatabaseLease;
    const closers: Array<{ close(): Promise<void> }> = [];
    before(async () => {
      raw = await leaseRaw(backend.options);
    });
    after(async () => {
      await Promise.all(closers.map((closer) => closer.close()));
      await raw.release();
    });
    const storeFor = (agent: Agent<any, any>, runId = newId()) => {
      const store = new RunStateStore({ agent, runId, ...backend.options });
      closers.push(store);
      return store;
    };
    const sessionFor = (sessionId = newId()) => {
      const session = new DurableSession({ sessionId, ...backend.options });
      closers.push(session);
      return session;
    };
    const checksum = () => runStatesChecksum(raw.db, PREFIX);
    const sessionRows = async () =>
      (
        await raw.db.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM timestep_session_items WHERE starts_with(session_id, $1)',
          [PREFIX],
        )
      )[0].n;

    test('a context value the store cannot keep is UnstorableValueError naming it; nothing is written', async () => {
      const { personalAssistant } = referenceAgents();
      const context: Record<string, unknown> = { user: 'Ada' };
      const result = await consumeResult(
        await runAgent(personalAssistant, BERKELEY_QUESTION, null, false, { context }),
      );
      const store = storeFor(personalAssistant);
      await store.save(result.state);
      const before = await checksum();
      for (const [label, value, message] of UNSTORABLE) {
        context.bad = { deep: [1, value] };
        const error = await store.save(result.state).catch((e: unknown) => e);
        assert.ok(error instanceof UnstorableValueError, `${label}: ${error}`);
        assert.equal(error.path, '$.state.context.context.bad.deep[1]', label);
        assert.match(error.message, message, label);
        // Also given as text, as state.toString() writes it (NaN would be null there).
        if (typeof value === 'string') {
          await assert.rejects(store.save(result.state.toString()), UnstorableValueError, `${label} (string)`);
        }
        assert.equal(await checksum(), before, `${label}: nothing written`);
      }
      delete context.bad;
      context[`key\u0000`] = 1;
      await assert.rejects(store.save(result.state), (e: unknown) => e instanceof UnstorableValueError && /its key/.test(e.message));
      delete context[`key\u0000`];
      assert.equal(await checksum(), before);
      assert.equal((await store.save(result.state)).version, 2, 'the store still works');
    });

    test('a tool output with NUL or a lone surrogate: the session refuses it with a typed error, the state too', async () => {
      for (const [label, output] of [['NUL', 'sunny\u0000'], ['lone surrogate', 'sunny\uD83D']] as const) {
        const agent = echoAgent(output);
        const session = sessionFor();
        const error = await runAgent(agent, 'Echo, please.', session, false, { modelProvider: echoProvider }).catch(
          (e: unknown) => e,
        );
        assert.ok(error instanceof UnstorableValueError, `${label}: ${error}`);
        assert.match(error.path, /^\$\.items\[\d+\]\.output/, label);
        assert.deepEqual(await session.getItems(), [], `${label}: nothing of the turn was written`);

        const result = await runAgent(agent, 'Echo, please.', null, false, { modelProvider: echoProvider });
        const saveError = await storeFor(agent).save(result.state).catch((e: unknown) => e);
        assert.ok(saveError instanceof UnstorableValueError, `${label}: ${saveError}`);
        assert.match(saveError.path, /^\$\.state\.generatedItems\[\d+\]\./, label);
      }
      assert.equal(await sessionRows(), 0);
    });

    test('addItems with an unstorable value in any item writes none of them', async () => {
      const session = sessionFor();
      await session.addItems([{ role: 'user', content: 'kept' }]);
      for (const [label, value, message] of UNSTORABLE) {
        const error = await session
          .addItems([
            { role: 'user', content: 'fine' },
            { type: 'function_call_result', callId: 'c1', name: 'f', status: 'completed', output: value as string },
          ])
          .catch((e: unknown) => e);
        assert.ok(error instanceof UnstorableValueError, `${label}: ${error}`);
        assert.equal(error.path, '$.items[1].output', label);
        assert.match(error.message, message, label);
      }
      const cyclic: Record<string, unknown> = { role: 'user', content: 'loop' };
      cyclic.self = cyclic;
      await assert.rejects(session.addItems([cyclic as never]), UnstorableValueError);
      assert.deepEqual(await session.getItems(), [{ role: 'user', content: 'kept' }]);
    });

    test('a circular or BigInt context is InvalidRunStateError saying why; nothing is written', async () => {
      const { personalAssistant } = referenceAgents();
      const context: Record<string, unknown> = {};
      const result = await consumeResult(await runAgent(personalAssistant, BERKELEY_QUESTION, null, false, { context }));
      const store = storeFor(personalAssistant);
      const before = await checksum();
      context.self = context;
      await assert.rejects(store.save(result.state), (e: unknown) => e instanceof InvalidRunStateError && /circular/i.test(e.message));
      delete context.self;
      context.big = 10n;
      await assert.rejects(store.save(result.state), (e: unknown) => e instanceof InvalidRunStateError && /BigInt/.test(e.message));
      assert.equal(await checksum(), before);
    });

    test('bad expectedVersion, status and load version are InvalidRunStateError saying what to pass', async () => {
      const { personalAssistant } = referenceAgents();
      const { state } = await runToBerkeleyApproval(personalAssistant);
      const store = storeFor(personalAssistant);
      await store.save(state);
      const before = await checksum();
      for (const expectedVersion of [NaN, 1e10, -1, 1.5, Infinity, '1', null]) {
        const error = await store.save(state, { expectedVersion: expectedVersion as number }).catch((e: unknown) => e);
        assert.ok(error instanceof InvalidRunStateError, `expectedVersion ${String(expectedVersion)}: ${error}`);
        assert.match(error.message, /expectedVersion must be a whole number from 0/);
      }
      for (const status of ['done', '', 'FINAL', null, 3]) {
        const error = await store.save(state, { status: status as 'final' }).catch((e: unknown) => e);
        assert.ok(error instanceof InvalidRunStateError, `status ${String(status)}: ${error}`);
        assert.match(error.message, /status must be one of 'interrupted', 'checkpoint', 'final'/);
      }
      assert.equal(await checksum(), before, 'nothing written');
      for (const version of [1.5, 'abc', '1', 0, -1, NaN, 1e10, null]) {
        const error = await store.load({ version: version as number }).catch((e: unknown) => e);
        assert.ok(error instanceof InvalidRunStateError, `version ${String(version)}: ${error}`);
        assert.match(error.message, /version must be a whole number from 1/);
      }
      assert.ok((await store.load({ version: 1 })) instanceof RunState, 'a good version still loads');
      assert.equal((await store.save(state, { expectedVersion: 1, status: 'checkpoint' })).version, 2);
    });

    test('ids: lone surrogates are InvalidIdentifierError; the length limit counts code points', async () => {
      const { personalAssistant } = referenceAgents();
      for (const id of ['run\uD800', 'run\uDFFF', '\uDC00\uD800']) {
        assert.throws(() => storeFor(personalAssistant, id), InvalidIdentifierError, JSON.stringify(id));
        assert.throws(() => sessionFor(id), InvalidIdentifierError, JSON.stringify(id));
      }
      // 512 emoji are 1024 UTF-16 units but 512 characters, as Python counts them.
      const longest = `${PREFIX}${'🚀'.repeat(512 - [...PREFIX].length)}`;
      assert.equal([...longest].length, 512);
      const { state } = await runToBerkeleyApproval(personalAssistant);
      assert.equal((await storeFor(personalAssistant, longest).save(state)).runId, longest);
      const session = sessionFor(longest);
      await session.addItems([{ role: 'user', content: 'long id' }]);
      assert.deepEqual(await sessionFor(longest).getItems(), [{ role: 'user', content: 'long id' }]);
      assert.throws(() => storeFor(personalAssistant, `${longest}x`), /513 characters long; the limit is 512/);
      assert.throws(() => sessionFor(`${longest}🚀`), InvalidIdentifierError);
    });

    test('approvals decided before a save are not listed as pending', async () => {
      const { personalAssistant } = referenceAgents();
      const store = storeFor(personalAssistant);
      const { state } = await runToBerkeleyApproval(personalAssistant);
      const waiting = await store.save(state);
      assert.equal(waiting.pendingApprovals.length, 1);
      assert.equal(waiting.pendingApprovals[0].tool, 'get_weather');

      for (const decide of ['approve', 'reject'] as const) {
        const decided = await store.load({ version: 1 });
        const [approval] = decided.getInterruptions();
        decided[decide](approval);
        const saved = await store.save(decided);
        assert.deepEqual(saved.pendingApprovals, [], `${decide}: returned by save`);
        assert.deepEqual((await store.history()).at(-1)!.pendingApprovals, [], `${decide}: in history()`);
        const [row] = await raw.db.query<{ pending_approvals: unknown }>(
          'SELECT pending_approvals FROM timestep_run_states WHERE run_id = $1 AND version = $2',
          [store.runId, saved.version],
        );
        assert.deepEqual(row.pending_approvals, [], `${decide}: in the column`);
        // Given as text, the decision is read from the state too.
        assert.deepEqual((await store.save(decided.toString())).pendingApprovals, [], `${decide}: from toString()`);
      }
      assert.deepEqual((await store.history())[0].pendingApprovals.length, 1, 'the undecided version keeps its list');
    });
  });
}
