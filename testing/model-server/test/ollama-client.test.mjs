// Drives `POST /api/chat` (and the small Ollama side endpoints) with the
// official `ollama` npm client, JSON and NDJSON streaming.

import { after, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startModelServer } from '../server.mjs';
import { RED_SQUARE_BASE64, importFromTypescript, postJson, referenceScenarioPath } from './helpers.mjs';

const server = await startModelServer({ scenarioPath: referenceScenarioPath });
const { Ollama } = await importFromTypescript('ollama');
const ollama = new Ollama({ host: server.url });
after(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city.',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};
const weatherSystem = { role: 'system', content: 'You are the Weather Assistant.' };
const oaklandQuestion = { role: 'user', content: "What's the weather in Oakland?" };

describe('ollama client against /api/chat', () => {
  test('JSON: tool call with object arguments and counters', async () => {
    const response = await ollama.chat({
      model: 'llama3.2',
      messages: [weatherSystem, oaklandQuestion],
      tools: [weatherTool],
      stream: false,
    });
    assert.equal(response.done, true);
    assert.equal(response.done_reason, 'stop');
    assert.deepEqual(response.message.tool_calls, [{ function: { name: 'get_weather', arguments: { city: 'Oakland' } } }]);
    assert.ok(response.prompt_eval_count > 0);
    assert.ok(response.eval_count > 0);
    assert.deepEqual(server.requests, [
      { api: 'ollama.chat', model: 'llama3.2', ruleId: 'weather-lookup-oakland', stream: false },
    ]);
  });

  test('stream: word deltas, tool calls chunk, final done chunk', async () => {
    const toolStream = await ollama.chat({
      model: 'llama3.2',
      messages: [weatherSystem, oaklandQuestion],
      tools: [weatherTool],
      stream: true,
    });
    /** @type {any[]} */
    const toolChunks = [];
    for await (const chunk of toolStream) toolChunks.push(chunk);
    assert.deepEqual(
      toolChunks.flatMap((c) => c.message.tool_calls ?? []),
      [{ function: { name: 'get_weather', arguments: { city: 'Oakland' } } }],
    );
    assert.equal(toolChunks.at(-1).done, true);

    // Tool result identified by `tool_name`, as current Ollama clients send it.
    const answerStream = await ollama.chat({
      model: 'llama3.2',
      messages: [
        weatherSystem,
        oaklandQuestion,
        { role: 'assistant', content: '', tool_calls: toolChunks.flatMap((c) => c.message.tool_calls ?? []) },
        { role: 'tool', content: 'sunny', tool_name: 'get_weather' },
      ],
      tools: [weatherTool],
      stream: true,
    });
    /** @type {any[]} */
    const chunks = [];
    for await (const chunk of answerStream) chunks.push(chunk);
    assert.ok(chunks.length > 2);
    assert.equal(chunks.map((c) => c.message.content).join(''), 'The weather in Oakland: sunny');
    assert.ok(chunks.slice(0, -1).every((c) => c.done === false));
    const last = chunks.at(-1);
    assert.equal(last.done, true);
    assert.equal(last.done_reason, 'stop');
    assert.ok(last.eval_count > 0);
    assert.deepEqual(
      server.requests.map((r) => [r.ruleId, r.stream]),
      [
        ['weather-lookup-oakland', true],
        ['weather-answer-oakland', true],
      ],
    );
  });

  test('tool results without tool_name are paired with calls in order', async () => {
    const response = await ollama.chat({
      model: 'llama3.2',
      messages: [
        weatherSystem,
        oaklandQuestion,
        { role: 'assistant', content: '', tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Oakland' } } }] },
        { role: 'tool', content: 'foggy' },
      ],
      tools: [weatherTool],
      stream: false,
    });
    assert.equal(response.message.content, 'The weather in Oakland: foggy');
  });

  test('images on the user message set lastUserHasImage', async () => {
    const response = await ollama.chat({
      model: 'llava',
      messages: [
        { role: 'system', content: 'You are a Personal Assistant.' },
        { role: 'user', content: 'What do you see in this image?', images: [RED_SQUARE_BASE64] },
      ],
      stream: false,
    });
    assert.equal(response.message.content, 'I see a small red square.');
  });

  test('an unmatched request rejects with the summary as the error text', async () => {
    await assert.rejects(
      ollama.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'Unscripted question' }], stream: false }),
      (error) => {
        assert.equal(error.status_code, 400);
        assert.match(error.message, /^no scripted rule matched: .*lastUserText="Unscripted question"/);
        return true;
      },
    );
  });

  test('without a stream field the answer is NDJSON, like Ollama', async () => {
    const { status, contentType, text } = await postJson(`${server.url}/api/chat`, {
      model: 'llama3.2',
      messages: [{ role: 'user', content: "What's 2+2?" }],
    });
    assert.equal(status, 200);
    assert.equal(contentType, 'application/x-ndjson');
    const lines = text.trimEnd().split('\n').map((line) => JSON.parse(line));
    assert.equal(lines.map((l) => l.message.content).join(''), '2 + 2 = 4.');
    assert.equal(lines.at(-1).done, true);
    assert.equal(server.requests[0].stream, true);
  });

  test('/api/version and /api/tags answer', async () => {
    const { version } = await ollama.version();
    assert.match(version, /^\d+\.\d+\.\d+$/);
    const { models } = await ollama.list();
    assert.ok(Array.isArray(models));
  });
});
