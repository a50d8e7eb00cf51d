// Drives the server with a real @openai/agents run, configured only through
// the environment (OPENAI_BASE_URL / OPENAI_API_KEY), over the Responses API
// and Chat Completions, streaming and not.

import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startModelServer } from '../server.mjs';
import {
  REFERENCE_RULE_IDS,
  REFERENCE_TURNS,
  RED_SQUARE_DATA_URL,
  importFromTypescript,
  referenceScenarioPath,
} from './helpers.mjs';

const server = await startModelServer({ scenarioPath: referenceScenarioPath });
// Set before the SDK creates its default client, which reads these once.
process.env.OPENAI_BASE_URL = `${server.url}/v1`;
process.env.OPENAI_API_KEY = 'test';
process.env.OPENAI_AGENTS_DISABLE_TRACING = '1';

const { Agent, run, tool, setTracingDisabled, OpenAIChatCompletionsModel } = await importFromTypescript('@openai/agents');
const { default: OpenAI } = await importFromTypescript('openai');
const { z } = await importFromTypescript('zod');
setTracingDisabled(true);

after(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

/** @param {string | object} model  model name (Responses) or a Model instance */
function makeAgents(model) {
  const getWeather = tool({
    name: 'get_weather',
    description: 'Current weather for a city.',
    parameters: z.object({ city: z.string() }),
    execute: async ({ city }) => `sunny in ${city}`,
  });
  const weather = new Agent({
    name: 'Weather Assistant',
    instructions: 'You are the Weather Assistant. Use get_weather to answer.',
    tools: [getWeather],
    model,
  });
  return new Agent({
    name: 'Personal Assistant',
    instructions: 'You are a Personal Assistant. Hand weather questions to the Weather Assistant.',
    handoffs: [weather],
    model,
  });
}

/** @param {{ text: string, image?: boolean }} turn */
function userMessage(turn) {
  if (!turn.image) return { role: 'user', content: turn.text };
  return {
    role: 'user',
    content: [
      { type: 'input_text', text: turn.text },
      { type: 'input_image', image: RED_SQUARE_DATA_URL },
    ],
  };
}

/**
 * Runs the eight reference turns, always starting from the Personal
 * Assistant with the accumulated history. Returns per-turn results.
 *
 * @param {object} agent
 * @param {boolean} stream
 */
async function runReferenceConversation(agent, stream) {
  /** @type {any[]} */
  let history = [];
  const turns = [];
  for (const turn of REFERENCE_TURNS) {
    const result = await run(agent, [...history, userMessage(turn)], { stream });
    let streamedText = '';
    if (stream) {
      for await (const event of result) {
        if (event.type === 'raw_model_stream_event' && event.data.type === 'output_text_delta') {
          streamedText += event.data.delta;
        }
      }
      await result.completed;
    }
    turns.push({ finalOutput: result.finalOutput, lastAgent: result.lastAgent.name, streamedText, result });
    history = result.history;
  }
  return { turns, history };
}

/** @param {Awaited<ReturnType<typeof runReferenceConversation>>} conversation */
function assertReferenceAnswers(conversation, stream) {
  conversation.turns.forEach((turn, i) => {
    assert.equal(turn.finalOutput, REFERENCE_TURNS[i].answer, `turn ${i + 1}`);
    if (stream) assert.equal(turn.streamedText, REFERENCE_TURNS[i].answer, `streamed deltas of turn ${i + 1}`);
  });
  assert.deepEqual(
    conversation.turns.map((turn) => turn.lastAgent),
    [
      'Personal Assistant',
      'Weather Assistant',
      'Personal Assistant',
      'Weather Assistant',
      'Personal Assistant',
      'Personal Assistant',
      'Personal Assistant',
      'Personal Assistant',
    ],
  );
}

for (const stream of [false, true]) {
  describe(`@openai/agents over the Responses API (stream: ${stream})`, () => {
    test('runs the eight reference turns with handoff and tool call', async () => {
      const conversation = await runReferenceConversation(makeAgents('gpt-4.1-mini'), stream);
      assertReferenceAnswers(conversation, stream);
      assert.deepEqual(
        server.requests.map((r) => r.ruleId),
        REFERENCE_RULE_IDS,
      );
      assert.ok(server.requests.every((r) => r.api === 'responses' && r.stream === stream && r.model === 'gpt-4.1-mini'));

      // The handoff and the tool call round-trip through the history.
      const calls = conversation.history.filter((item) => item.type === 'function_call').map((item) => item.name);
      assert.deepEqual(calls, [
        'transfer_to_Weather_Assistant',
        'get_weather',
        'transfer_to_Weather_Assistant',
        'get_weather',
      ]);
      const usage = conversation.turns[0].result.rawResponses[0].usage;
      assert.ok(usage.inputTokens > 0 && usage.outputTokens === 3, 'usage comes from the response');
    });
  });

  describe(`@openai/agents over Chat Completions (stream: ${stream})`, () => {
    test('runs the eight reference turns with handoff and tool call', async () => {
      // new OpenAI() picks up OPENAI_BASE_URL / OPENAI_API_KEY from the environment.
      const model = new OpenAIChatCompletionsModel(new OpenAI(), 'gpt-4.1-mini');
      const conversation = await runReferenceConversation(makeAgents(model), stream);
      assertReferenceAnswers(conversation, stream);
      assert.deepEqual(
        server.requests.map((r) => r.ruleId),
        REFERENCE_RULE_IDS,
      );
      assert.ok(server.requests.every((r) => r.api === 'chat.completions' && r.stream === stream));
    });
  });
}

describe('determinism', () => {
  test('two identical runs produce identical histories and response ids', async () => {
    const first = await runReferenceConversation(makeAgents('gpt-4.1-mini'), false);
    const second = await runReferenceConversation(makeAgents('gpt-4.1-mini'), false);
    assert.equal(JSON.stringify(second.history), JSON.stringify(first.history));
    const ids = (/** @type {typeof first} */ c) =>
      c.turns.flatMap((turn) => turn.result.rawResponses.map((/** @type {any} */ r) => r.responseId));
    assert.deepEqual(ids(second), ids(first));
    assert.ok(ids(first).every((id) => /^resp_[0-9a-f]{48}$/.test(id)));
  });

  test('streaming and non-streaming runs produce the same items', async () => {
    const plain = await runReferenceConversation(makeAgents('gpt-4.1-mini'), false);
    const streamed = await runReferenceConversation(makeAgents('gpt-4.1-mini'), true);
    const strip = (/** @type {any[]} */ history) =>
      history.map(({ providerData, ...item }) => item);
    assert.deepEqual(strip(streamed.history), strip(plain.history));
  });
});

describe('errors', () => {
  test('an unmatched request makes the run fail with the summary', async () => {
    const agent = new Agent({ name: 'Nobody', instructions: 'No rule mentions me.', model: 'gpt-4.1-mini' });
    await assert.rejects(run(agent, 'Hello there'), (error) => {
      assert.match(String(error.message), /no scripted rule matched: .*lastUserText="Hello there"/);
      return true;
    });
    assert.deepEqual(server.requests, [{ api: 'responses', model: 'gpt-4.1-mini', ruleId: null, stream: false }]);
  });
});
