// Wire-level behaviour with plain fetch: errors, determinism, control
// endpoints, delays, scenario validation.

import { after, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startModelServer } from '../server.mjs';
import { validateScenario } from '../scenario.mjs';
import { echoScenarioPath, parseSse, postJson, referenceScenarioPath } from './helpers.mjs';

const server = await startModelServer({ scenarioPath: referenceScenarioPath });
after(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

/** The same "Oakland weather, after the handoff" request in each wire format. */
const REQUESTS = {
  responses: {
    path: '/v1/responses',
    body: {
      model: 'gpt-test',
      instructions: 'You are the Weather Assistant.',
      input: [
        { role: 'user', content: "What's the weather in Oakland?" },
        { type: 'function_call', call_id: 'call_1', name: 'transfer_to_weather_assistant', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_1', output: '{"assistant":"Weather Assistant"}' },
      ],
      tools: [{ type: 'function', name: 'get_weather', parameters: {} }],
    },
  },
  chat: {
    path: '/v1/chat/completions',
    body: {
      model: 'gpt-test',
      messages: [
        { role: 'system', content: 'You are the Weather Assistant.' },
        { role: 'user', content: "What's the weather in Oakland?" },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'transfer_to_weather_assistant', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '{"assistant":"Weather Assistant"}' },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: {} } }],
      stream_options: { include_usage: true },
    },
  },
  ollama: {
    path: '/api/chat',
    body: {
      model: 'gpt-test',
      messages: [
        { role: 'system', content: 'You are the Weather Assistant.' },
        { role: 'user', content: "What's the weather in Oakland?" },
        { role: 'assistant', content: '', tool_calls: [{ function: { name: 'transfer_to_weather_assistant', arguments: {} } }] },
        { role: 'tool', content: '{"assistant":"Weather Assistant"}', tool_name: 'transfer_to_weather_assistant' },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: {} } }],
    },
  },
};

describe('determinism', () => {
  for (const [api, { path, body }] of Object.entries(REQUESTS)) {
    for (const stream of [false, true]) {
      test(`${api} (stream: ${stream}): identical requests give identical bodies`, async () => {
        const first = await postJson(server.url + path, { ...body, stream });
        const second = await postJson(server.url + path, { ...body, stream });
        assert.equal(first.status, 200, first.text);
        assert.equal(second.text, first.text);
        assert.match(first.text, /get_weather/);
        assert.equal(server.requests.at(-1)?.ruleId, 'weather-lookup-oakland');
      });
    }
  }

  test('a different conversation gets different ids', async () => {
    const { path, body } = REQUESTS.responses;
    const a = JSON.parse((await postJson(server.url + path, body)).text);
    const otherCity = structuredClone(body);
    otherCity.input[0].content = "What's the weather in Berkeley?";
    const b = JSON.parse((await postJson(server.url + path, otherCity)).text);
    assert.notEqual(a.id, b.id);
    assert.notEqual(a.output[0].call_id, b.output[0].call_id);
    assert.equal(JSON.parse(b.output[0].arguments).city, 'Berkeley');
  });

  test('Responses stream ends with response.completed carrying the JSON response', async () => {
    const { path, body } = REQUESTS.responses;
    const json = JSON.parse((await postJson(server.url + path, body)).text);
    const events = parseSse((await postJson(server.url + path, { ...body, stream: true })).text);
    assert.ok(events.every((e) => e.event === e.data.type), 'event: line matches data.type');
    assert.deepEqual(events.at(-1)?.data.response, json);
  });

  test('Chat stream ends with a usage chunk and [DONE]', async () => {
    const { path, body } = REQUESTS.chat;
    const events = parseSse((await postJson(server.url + path, { ...body, stream: true })).text);
    assert.equal(events.at(-1)?.data, '[DONE]');
    assert.deepEqual(events.at(-2)?.data.choices, []);
    assert.ok(events.at(-2)?.data.usage.prompt_tokens > 0);
  });
});

describe('errors', () => {
  const unmatched = {
    responses: { path: '/v1/responses', body: { model: 'm', input: 'Unscripted question' } },
    chat: { path: '/v1/chat/completions', body: { model: 'm', messages: [{ role: 'user', content: 'Unscripted question' }] } },
  };
  for (const [api, { path, body }] of Object.entries(unmatched)) {
    test(`${api}: no matching rule gives 400 with an OpenAI-style error`, async () => {
      const { status, text } = await postJson(server.url + path, body);
      assert.equal(status, 400);
      const { error } = JSON.parse(text);
      assert.equal(error.type, 'invalid_request_error');
      assert.match(error.message, /^no scripted rule matched: model="m"; .*lastUserText="Unscripted question"/);
      assert.deepEqual(server.requests.at(-1)?.ruleId, null);
    });
  }

  test('ollama: no matching rule gives 400 with Ollama\'s string error', async () => {
    const { status, text } = await postJson(`${server.url}/api/chat`, {
      model: 'm',
      messages: [{ role: 'user', content: 'Unscripted question' }],
    });
    assert.equal(status, 400);
    assert.match(JSON.parse(text).error, /^no scripted rule matched: /);
  });

  test('invalid JSON and unknown routes', async () => {
    const bad = await fetch(`${server.url}/v1/responses`, { method: 'POST', body: '{nope' });
    assert.equal(bad.status, 400);
    const missing = await fetch(`${server.url}/v1/embeddings`, { method: 'POST', body: '{}' });
    assert.equal(missing.status, 404);
    assert.match((await missing.json()).error.message, /no route POST \/v1\/embeddings/);
  });

  test('a rule can reply with an error status', async () => {
    const errorServer = await startModelServer({
      scenario: { rules: [{ id: 'down', reply: { error: { status: 503, message: 'overloaded' } } }] },
    });
    try {
      const { status, text } = await postJson(`${errorServer.url}/v1/chat/completions`, { model: 'm', messages: [] });
      assert.equal(status, 503);
      assert.deepEqual(JSON.parse(text), {
        error: { message: 'overloaded', type: 'server_error', param: null, code: null },
      });
      assert.deepEqual(errorServer.requests, [{ api: 'chat.completions', model: 'm', ruleId: 'down', stream: false }]);
    } finally {
      await errorServer.close();
    }
  });
});

describe('control endpoints', () => {
  test('GET /__scripted/requests and POST /__scripted/reset', async () => {
    await postJson(`${server.url}/v1/responses`, { model: 'gpt-test', input: "What's 2+2?", stream: true });
    const log = await (await fetch(`${server.url}/__scripted/requests`)).json();
    assert.deepEqual(log, [{ api: 'responses', model: 'gpt-test', ruleId: 'math-two-plus-two', stream: true }]);
    const reset = await fetch(`${server.url}/__scripted/reset`, { method: 'POST' });
    assert.equal(reset.status, 200);
    assert.deepEqual(await (await fetch(`${server.url}/__scripted/requests`)).json(), []);
    assert.equal(server.requests.length, 0, 'the in-process log is the same array');
  });
});

describe('delays', () => {
  test('rule delayMs and the server-wide default delay the answer', async () => {
    const delayed = await startModelServer({
      scenario: {
        rules: [
          { id: 'slow', when: { lastUserTextContains: 'slow' }, reply: { text: 'late', delayMs: 150 } },
          { id: 'default', reply: { text: 'on time' } },
        ],
      },
      delayMs: 80,
    });
    try {
      const timed = async (/** @type {string} */ text) => {
        const start = performance.now();
        const response = await postJson(`${delayed.url}/v1/responses`, { model: 'm', input: text });
        return { elapsed: performance.now() - start, body: JSON.parse(response.text) };
      };
      const slow = await timed('slow please');
      assert.ok(slow.elapsed >= 145, `rule delay honoured (${slow.elapsed} ms)`);
      assert.equal(slow.body.output[0].content[0].text, 'late');
      const normal = await timed('hi');
      assert.ok(normal.elapsed >= 75, `default delay honoured (${normal.elapsed} ms)`);
    } finally {
      await delayed.close();
    }
  });

  test('close() does not wait for pending delays', async () => {
    const delayed = await startModelServer({ scenario: { rules: [{ id: 'x', reply: { text: 'x' } }] }, delayMs: 60_000 });
    const pending = fetch(`${delayed.url}/v1/responses`, { method: 'POST', body: '{"input":"hi"}' }).catch((e) => e);
    // The log entry is written before the delay starts: the request has arrived.
    while (delayed.requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
    const start = performance.now();
    await delayed.close();
    assert.ok(performance.now() - start < 5_000);
    assert.ok((await pending) instanceof Error, 'the pending request is cut off');
  });
});

describe('scenarios', () => {
  test('echo scenario answers with the last user text', async () => {
    const echo = await startModelServer({ scenarioPath: echoScenarioPath });
    try {
      const { text } = await postJson(`${echo.url}/v1/chat/completions`, {
        model: 'm',
        messages: [
          { role: 'user', content: 'first' },
          { role: 'assistant', content: 'echo: first' },
          { role: 'user', content: 'second' },
        ],
      });
      assert.equal(JSON.parse(text).choices[0].message.content, 'echo: second');
    } finally {
      await echo.close();
    }
  });

  test('validation rejects typos and malformed replies', () => {
    assert.throws(
      () => validateScenario({ rules: [{ id: 'a', when: { lastUserTextContain: 'x' }, reply: { text: 'y' } }] }),
      /unknown key "lastUserTextContain"/,
    );
    assert.throws(() => validateScenario({ rules: [{ id: 'a', reply: {} }] }), /needs "text", "toolCalls" or "error"/);
    assert.throws(
      () => validateScenario({ rules: [{ id: 'a', reply: { text: 'x' } }, { id: 'a', reply: { text: 'y' } }] }),
      /duplicate rule id "a"/,
    );
    assert.throws(
      () => validateScenario({ rules: [{ id: 'a', when: { lastItem: { kind: 'tool' } }, reply: { text: 'x' } }] }),
      /lastItem.kind must be one of/,
    );
  });

  test('startModelServer rejects a missing scenario', async () => {
    await assert.rejects(startModelServer({}), /needs a scenario or a scenarioPath/);
  });
});

describe('onRequest', () => {
  test('sees each request as it arrives, with its last user text, before the scripted delay', async () => {
    const observed = [];
    const delayed = await startModelServer({ scenarioPath: referenceScenarioPath, delayMs: 200, onRequest: (seen) => observed.push(seen) });
    try {
      const { path, body } = REQUESTS.chat;
      const sent = Date.now();
      assert.equal((await postJson(delayed.url + path, body)).status, 200);
      assert.equal(observed.length, 1);
      const [seen] = observed;
      assert.deepEqual(
        { ...seen, receivedAt: undefined },
        { ...delayed.requests[0], lastUserText: "What's the weather in Oakland?", receivedAt: undefined },
      );
      // Observed on arrival: the reply came at least the 200 ms delay later.
      assert.ok(seen.receivedAt >= sent && seen.receivedAt <= Date.now() - 190, `receivedAt ${seen.receivedAt}, sent ${sent}`);
    } finally {
      await delayed.close();
    }
  });
});
