import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { protocol, type AgentInputItem } from '@openai/agents';
import {
  DurableSession,
  InvalidIdentifierError,
  StoreClosedError,
  consumeResult,
  fromResponsesItem,
  runAgent,
  toResponsesItem,
} from '../../src/index.js';
import { toolNamesByCallId, type ResponsesItem } from '../../src/portable-state/responsesItems.js';
import type { StoreOptions } from '../../src/store/connect.js';
import { playConversation, type RunTurn } from '../support/conversation.js';
import { backends, useScriptedOpenAI } from '../support/environment.js';
import { REFERENCE_TURNS, referenceAgents } from '../support/referenceAgents.js';
import { leaseRaw, uniquePrefix } from '../fixtures/helpers.js';
import type { ModelServer } from '../../../testing/model-server/server.mjs';

let server: ModelServer;
before(async () => {
  server = await useScriptedOpenAI('reference-eight-turns');
});
after(() => server.close());

const PREFIX = uniquePrefix('durable-session');
const newSessionId = () => `${PREFIX}${randomUUID()}`;
const RED_PIXEL = (REFERENCE_TURNS[7] as Array<{ content: Array<{ image?: string }> }>)[0].content[1].image!;

const user = (text: string): AgentInputItem => ({ role: 'user', content: text });
const textsOf = (items: AgentInputItem[]) => items.map((item) => (item as { content: unknown }).content);

/** Runs SQL on the backend's database for the duration of one call. */
async function sql<Row = Record<string, unknown>>(options: StoreOptions, text: string, params: unknown[] = []) {
  const lease = await leaseRaw(options);
  try {
    return await lease.db.query<Row>(text, params);
  } finally {
    await lease.release();
  }
}

/** Plays the whole reference conversation on `session`, approving in process. */
async function playReference(session: DurableSession) {
  const { personalAssistant } = referenceAgents();
  const runTurn: RunTurn = async (input) => consumeResult(await runAgent(personalAssistant, input, session));
  await playConversation(REFERENCE_TURNS, session, runTurn, async (state) => {
    for (const item of state.getInterruptions()) state.approve(item);
    return state;
  });
}

/** Every object key anywhere in `value`. */
function keysIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysIn);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) => [key, ...keysIn(inner)]);
}

for (const backend of backends()) {
  describe(`DurableSession on ${backend.name}`, () => {
    const sessions: DurableSession[] = [];
    after(() => Promise.all(sessions.map((session) => session.close())));
    function open(sessionId = newSessionId()) {
      const session = new DurableSession({ sessionId, ...backend.options });
      sessions.push(session);
      return session;
    }

    test('addItems / getItems keep order; getItems(limit) gives the most recent in order', async () => {
      const session = open();
      await session.addItems([user('one'), user('two')]);
      await session.addItems([]);
      await session.addItems([user('three'), user('four'), user('five')]);
      assert.deepEqual(textsOf(await session.getItems()), ['one', 'two', 'three', 'four', 'five']);
      assert.deepEqual(textsOf(await session.getItems(2)), ['four', 'five']);
      assert.deepEqual(textsOf(await session.getItems(1)), ['five']);
      assert.deepEqual(textsOf(await session.getItems(99)), ['one', 'two', 'three', 'four', 'five']);
      assert.deepEqual(await session.getItems(0), []);
    });

    test('getItems refuses a limit that is not a whole number, before reading', async () => {
      const session = open();
      await session.addItems([user('one')]);
      for (const limit of [Number.NaN, Number.POSITIVE_INFINITY, 1.5, '2' as unknown as number]) {
        await assert.rejects(session.getItems(limit), (error: Error) => error instanceof RangeError && /whole number/.test(error.message));
      }
      assert.deepEqual(textsOf(await session.getItems()), ['one']);
    });

    test('popItem returns and removes the last item, undefined when empty; clearSession empties', async () => {
      const session = open();
      assert.equal(await session.popItem(), undefined);
      await session.addItems([user('a'), user('b'), user('c')]);
      assert.deepEqual(await session.popItem(), user('c'));
      assert.deepEqual(textsOf(await session.getItems()), ['a', 'b']);
      await session.clearSession();
      assert.deepEqual(await session.getItems(), []);
      assert.equal(await session.popItem(), undefined);
    });

    test('sessions are isolated by id; objects with one id share the conversation, also after a reopen', async () => {
      const id = newSessionId();
      const first = open(id);
      const second = open(id);
      const other = open();
      assert.equal(await first.getSessionId(), id);
      await first.addItems([user('from first')]);
      await second.addItems([user('from second')]);
      await other.addItems([user('elsewhere')]);
      assert.deepEqual(textsOf(await first.getItems()), ['from first', 'from second']);
      assert.deepEqual(textsOf(await second.getItems()), ['from first', 'from second']);
      assert.deepEqual(textsOf(await other.getItems()), ['elsewhere']);
      await other.clearSession();
      assert.deepEqual(textsOf(await first.getItems()), ['from first', 'from second'], 'clearing another id leaves us');

      for (const session of sessions.splice(0)) await session.close();
      if (backend.options.pglitePath) {
        assert.equal(existsSync(`${backend.options.pglitePath}.lock`), false, 'the store was really closed');
      }
      assert.deepEqual(textsOf(await open(id).getItems()), ['from first', 'from second']);
      await assert.rejects(first.getItems(), StoreClosedError);
    });

    test('a random id by default; bad ids are InvalidIdentifierError', async () => {
      const a = open(undefined);
      const b = new DurableSession(backend.options);
      sessions.push(b);
      assert.match(await a.getSessionId(), /.+/);
      assert.notEqual(await a.getSessionId(), await b.getSessionId());
      for (const id of ['', 'x'.repeat(513), 'a\0b']) {
        assert.throws(() => new DurableSession({ sessionId: id, ...backend.options }), InvalidIdentifierError);
      }
      const quirky = `${PREFIX}O'Brien"; DELETE FROM timestep_session_items; -- 日本語 🚀`;
      await open(quirky).addItems([user('quirky')]);
      assert.deepEqual(textsOf(await open(quirky).getItems()), ['quirky']);
    });

    test('the item column holds the Responses API format for a real reference conversation', async () => {
      const session = open();
      await playReference(session);
      const rows = await sql<{ item: ResponsesItem; native_sdk: string; native_item: AgentInputItem }>(
        backend.options,
        'SELECT item, native_sdk, native_item FROM timestep_session_items WHERE session_id = $1 ORDER BY id',
        [await session.getSessionId()],
      );
      assert.equal(rows.length, (await session.getItems()).length);
      const items = rows.map((row) => row.item);
      assert.deepEqual(keysIn(items).filter((key) => /[A-Z]/.test(key)), [], 'no camelCase keys');
      assert.ok(rows.every((row) => row.native_sdk === '@openai/agents'));

      const calls = items.filter((item) => item.type === 'function_call');
      const outputs = items.filter((item) => item.type === 'function_call_output');
      assert.deepEqual(
        calls.map((call) => call.name),
        ['transfer_to_Weather_Assistant', 'get_weather', 'transfer_to_Weather_Assistant', 'get_weather'],
      );
      assert.equal(outputs.length, calls.length);
      for (const [index, output] of outputs.entries()) {
        assert.equal(output.call_id, calls[index].call_id);
        assert.equal('name' in output, false, 'function_call_output has no name');
        assert.equal(typeof output.output, 'string');
      }
      assert.equal(outputs[3].output, 'foggy, 58°F');
      const image = items
        .flatMap((item) => (Array.isArray(item.content) ? (item.content as ResponsesItem[]) : []))
        .find((part) => part.type === 'input_image');
      assert.deepEqual(image, { type: 'input_image', image_url: RED_PIXEL });
      assert.ok(
        items.some((item) => item.role === 'assistant' && JSON.stringify(item.content).includes('"output_text"')),
      );
    });

    test('items another language wrote in the Responses format are read as JS SDK items and a run continues on them', async () => {
      const session = open();
      const sessionId = await session.getSessionId();
      const foreign: ResponsesItem[] = [
        {
          type: 'message',
          role: 'user',
          content: [
            { type: 'input_text', text: 'What is in this picture?' },
            { type: 'input_image', image_url: RED_PIXEL, detail: 'auto' },
          ],
        },
        {
          type: 'message',
          role: 'assistant',
          id: 'msg_python_1',
          status: 'completed',
          content: [{ type: 'output_text', text: 'A small red square.', annotations: [] }],
        },
        { role: 'user', content: "What's the weather in Oakland?" },
        { type: 'function_call', call_id: 'call_python_1', name: 'get_weather', arguments: '{"city":"Oakland"}', status: 'completed' },
        { type: 'function_call_output', call_id: 'call_python_1', output: 'sunny, 68°F' },
      ];
      for (const item of foreign) {
        await sql(
          backend.options,
          `INSERT INTO timestep_session_items (session_id, item, native_sdk, native_item) VALUES ($1, $2::jsonb, 'openai-agents', NULL)`,
          [sessionId, JSON.stringify(item)],
        );
      }

      const items = await session.getItems();
      for (const item of items) {
        const parsed = protocol.ModelItem.safeParse(item);
        assert.ok(parsed.success, `not a valid SDK item: ${JSON.stringify(item)}\n${parsed.error}`);
      }
      assert.deepEqual(items[0], {
        type: 'message',
        role: 'user',
        content: [
          { type: 'input_text', text: 'What is in this picture?' },
          { type: 'input_image', image: RED_PIXEL, detail: 'auto' },
        ],
      });
      assert.deepEqual(items[1], {
        type: 'message',
        role: 'assistant',
        id: 'msg_python_1',
        status: 'completed',
        content: [{ type: 'output_text', text: 'A small red square.', providerData: { annotations: [] } }],
      });
      assert.deepEqual(items[3], {
        type: 'function_call',
        callId: 'call_python_1',
        name: 'get_weather',
        arguments: '{"city":"Oakland"}',
        status: 'completed',
        providerData: { type: 'function_call' }, // as the SDK itself reads a Responses function_call
      });
      const result = {
        type: 'function_call_result',
        callId: 'call_python_1',
        name: 'get_weather',
        status: 'completed',
        output: { type: 'text', text: 'sunny, 68°F' },
      };
      assert.deepEqual(items[4], result, 'tool name recovered from the call');
      assert.deepEqual(await session.getItems(1), [result], 'even when the call lies outside the window');

      const { weatherAssistant, weatherCalls } = referenceAgents();
      const requestsBefore = server.requests.length;
      const continued = await runAgent(weatherAssistant, [], session);
      assert.equal(continued.finalOutput, 'The weather in Oakland: sunny, 68°F');
      assert.deepEqual(server.requests.slice(requestsBefore).map((r) => r.ruleId), ['weather-answer-oakland']);
      assert.deepEqual(weatherCalls, [], 'the history was used, the tool not run again');
      const after = await session.getItems();
      assert.deepEqual(after.slice(0, 5), items);
      assert.equal(after.length, 6);
    });

    test('a closed session throws StoreClosedError', async () => {
      const session = new DurableSession({ sessionId: newSessionId(), ...backend.options });
      await session.addItems([user('x')]);
      await session.close();
      await assert.rejects(session.getItems(), StoreClosedError);
      await assert.rejects(session.getItems(0), StoreClosedError);
      await assert.rejects(session.addItems([user('y')]), StoreClosedError);
      await assert.rejects(session.addItems([]), StoreClosedError);
      await assert.rejects(session.popItem(), StoreClosedError);
      await assert.rejects(session.clearSession(), StoreClosedError);
    });

    test('what is not an array of input items is refused and nothing is written', async () => {
      const session = open();
      for (const bad of [null, 'hi', { role: 'user', content: 'hi' }]) {
        await assert.rejects(session.addItems(bad as never), (error: unknown) =>
          error instanceof TypeError && /items must be an array of input items/.test(error.message),
        );
      }
      for (const badItem of [null, 'hi', {}, { content: 'no type or role' }, ['role', 'user']]) {
        await assert.rejects(session.addItems([user('kept out too'), badItem as never]), (error: unknown) =>
          error instanceof TypeError && /item 1 is not an input item .* Nothing was written/.test(error.message),
        );
      }
      assert.deepEqual(await session.getItems(), []);
    });

    test('calls in flight when the session is closed finish; later ones throw StoreClosedError', async () => {
      // A limit no other store here uses gives the session a database of its own, which close() really closes.
      const session = new DurableSession({ sessionId: newSessionId(), ...backend.options, timeoutMs: 29_999 });
      await session.getItems(); // opened: the calls below go straight to it
      const added = Array.from({ length: 20 }, (_, n) => session.addItems([user(`m${n}`)]));
      await Promise.all([...added, session.close()]);
      await assert.rejects(session.getItems(), StoreClosedError);
      const reopened = open(await session.getSessionId());
      assert.equal((await reopened.getItems()).length, 20);
    });
  });
}

describe('Responses item converter', () => {
  test('fromResponsesItem(toResponsesItem(item)) gives back every item of a real reference conversation', async () => {
    const [backend] = backends();
    const session = new DurableSession(backend.options);
    try {
      await playReference(session);
      const items = await session.getItems();
      const kinds = new Set(items.map((item) => (item as { type?: string }).type ?? 'message'));
      assert.deepEqual([...kinds].sort(), ['function_call', 'function_call_result', 'message']);
      const converted = items.map((item) => toResponsesItem(item));
      const toolNames = toolNamesByCallId(converted);
      for (const [index, item] of items.entries()) {
        const back = fromResponsesItem(converted[index], toolNames);
        assert.deepEqual(withoutEmptyProviderData(back), withoutEmptyProviderData(item), JSON.stringify(item));
      }
    } finally {
      await session.close();
    }
  });
});

/** The only normalisation the round trip allows: `providerData: {}` counts as absent. */
function withoutEmptyProviderData(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmptyProviderData);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key, inner]) => !(key === 'providerData' && inner && typeof inner === 'object' && Object.keys(inner).length === 0))
      .map(([key, inner]) => [key, withoutEmptyProviderData(inner)]),
  );
}
