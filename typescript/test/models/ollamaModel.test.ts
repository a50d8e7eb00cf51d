// What OllamaModel sends and returns, checked through a recording proxy in
// front of the scripted server, plus the unreachable-server error.

import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Runner, setTracingDisabled, type ModelRequest, type StreamEvent } from '@openai/agents';
import { startModelServer, type ModelServer } from '../../../testing/model-server/server.mjs';
import { OllamaConnectionError } from '../../src/models/errors.js';
import { MultiModelProvider } from '../../src/models/multiModelProvider.js';
import { OllamaModel } from '../../src/models/ollama/ollamaModel.js';
import { REFERENCE_TURNS, referenceAgents } from '../support/referenceAgents.js';
import { startRecordingProxy, type RecordingProxy } from './support/recordingProxy.js';

setTracingDisabled(true);

const scenario = (name: string) => fileURLToPath(new URL(`../../../spec/scenarios/${name}.json`, import.meta.url));

const WEATHER_TOOL = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city.',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
      additionalProperties: false,
      $schema: 'http://json-schema.org/draft-07/schema#',
    },
  },
} as const;

function request(overrides: Partial<ModelRequest>): ModelRequest {
  return { input: 'hi', modelSettings: {}, tools: [], handoffs: [], outputType: 'text', tracing: false, ...overrides };
}

async function collect(events: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const all: StreamEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

describe('requests', () => {
  let server: ModelServer;
  let proxy: RecordingProxy;
  before(async () => {
    server = await startModelServer({ scenarioPath: scenario('reference-eight-turns') });
    proxy = await startRecordingProxy(server.url);
  });
  after(async () => {
    await proxy.close();
    await server.close();
  });
  beforeEach(() => {
    proxy.requests.length = 0;
  });

  test('model settings become Ollama options; tools, calls and results keep their shape', async () => {
    const { weatherAssistant } = referenceAgents({ model: 'ollama/llama3' });
    const agent = weatherAssistant.clone({
      modelSettings: {
        temperature: 0.25,
        topP: 0.5,
        maxTokens: 64,
        providerData: { keep_alive: '1m', options: { num_ctx: 2048 } },
      },
    });
    const runner = new Runner({ modelProvider: new MultiModelProvider({ ollamaHost: proxy.url }) });
    const result = await runner.run(agent, REFERENCE_TURNS[1]!);
    assert.equal(result.finalOutput, 'The weather in Oakland: sunny, 68°F');

    const [lookup, answer] = proxy.requests.map((r) => r.body);
    assert.equal(proxy.requests.length, 2);
    assert.equal(proxy.requests[0]!.path, '/api/chat');
    assert.equal(lookup.model, 'llama3');
    assert.equal(lookup.stream, false);
    assert.equal(lookup.keep_alive, '1m');
    assert.deepEqual(lookup.options, { temperature: 0.25, top_p: 0.5, num_predict: 64, num_ctx: 2048 });
    assert.deepEqual(lookup.tools, [WEATHER_TOOL]);
    assert.deepEqual(answer.messages, [
      { role: 'system', content: weatherAssistant.instructions },
      { role: 'user', content: "What's the weather in Oakland?" },
      { role: 'assistant', content: '', tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Oakland' } } }] },
      { role: 'tool', tool_name: 'get_weather', content: 'sunny, 68°F' },
    ]);
  });

  test('images go as base64 of their bytes', async () => {
    const { personalAssistant } = referenceAgents({ model: 'ollama/llama3' });
    const runner = new Runner({ modelProvider: new MultiModelProvider({ ollamaHost: proxy.url }) });
    await runner.run(personalAssistant, REFERENCE_TURNS[7]!);
    const dataUrl = (REFERENCE_TURNS[7] as any)[0].content[1].image as string;
    const [, user] = proxy.requests[0]!.body.messages;
    assert.deepEqual(user, {
      role: 'user',
      content: 'What do you see in this image?',
      images: [dataUrl.slice(dataUrl.indexOf(',') + 1)],
    });
  });

  test('structured output becomes format', async () => {
    const schema = { type: 'object' as const, properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false as const };
    const model = new OllamaModel('llama3', { host: proxy.url });
    await model.getResponse(
      request({ input: "What's 2+2?", outputType: { type: 'json_schema', name: 'answer', strict: true, schema } }),
    );
    assert.deepEqual(proxy.requests[0]!.body.format, schema);
  });

  test('an explicit API key is sent to any host; OLLAMA_API_KEY only to ollama.com', async () => {
    const withKey = new Runner({ modelProvider: new MultiModelProvider({ ollamaHost: proxy.url, ollamaApiKey: 'secret' }) });
    const { personalAssistant } = referenceAgents({ model: 'ollama/llama3' });
    await withKey.run(personalAssistant, REFERENCE_TURNS[0]!);
    assert.equal(proxy.requests[0]!.headers.authorization, 'Bearer secret');

    const saved = process.env.OLLAMA_API_KEY;
    process.env.OLLAMA_API_KEY = 'cloud-only';
    try {
      const withoutKey = new Runner({ modelProvider: new MultiModelProvider({ ollamaHost: proxy.url }) });
      await withoutKey.run(personalAssistant, REFERENCE_TURNS[0]!);
      assert.equal(proxy.requests[1]!.headers.authorization, undefined);
    } finally {
      if (saved === undefined) delete process.env.OLLAMA_API_KEY;
      else process.env.OLLAMA_API_KEY = saved;
    }
  });
});

describe('responses', () => {
  let server: ModelServer;
  before(async () => {
    server = await startModelServer({ scenarioPath: scenario('ollama-replies') });
  });
  after(() => server.close());

  const ECHO_OUTPUT = [
    { type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'echo: hi there' }] },
  ];

  test('a whole reply: output and usage', async () => {
    const model = new OllamaModel('llama3', { host: server.url });
    const response = await model.getResponse(request({ input: 'hi there' }));
    assert.deepEqual(response.output, ECHO_OUTPUT);
    const { requests, inputTokens, outputTokens, totalTokens } = response.usage;
    assert.deepEqual({ requests, inputTokens, outputTokens, totalTokens }, { requests: 1, inputTokens: 11, outputTokens: 7, totalTokens: 18 });
    assert.equal(typeof response.responseId, 'string');
  });

  test('a streamed reply: started, raw chunks and text deltas, then done with output and usage', async () => {
    const model = new OllamaModel('llama3', { host: server.url });
    const events = await collect(model.getStreamedResponse(request({ input: 'hi there' })));
    assert.equal(events[0]!.type, 'response_started');
    const done = events.at(-1)!;
    assert.ok(done.type === 'response_done');
    assert.equal(events.filter((e) => e.type === 'response_done').length, 1);
    assert.ok(events.some((e) => e.type === 'model'));
    const deltas = events.flatMap((e) => (e.type === 'output_text_delta' ? [e.delta] : []));
    assert.ok(deltas.length > 1);
    assert.equal(deltas.join(''), 'echo: hi there');
    assert.deepEqual(done.response.output, ECHO_OUTPUT);
    assert.deepEqual(done.response.usage, { requests: 1, inputTokens: 11, outputTokens: 7, totalTokens: 18 });
  });

  for (const stream of [false, true]) {
    test(`tool calls become function_call items with distinct call ids (${stream ? 'streamed' : 'whole'})`, async () => {
      const model = new OllamaModel('llama3', { host: server.url });
      const tools: ModelRequest['tools'] = [
        { type: 'function', name: 'get_weather', description: 'Weather.', parameters: WEATHER_TOOL.function.parameters as any, strict: true },
      ];
      const req = request({ input: 'Weather in Oakland and Berkeley?', tools });
      const output = stream
        ? ((await collect(model.getStreamedResponse(req))).at(-1) as Extract<StreamEvent, { type: 'response_done' }>).response.output
        : (await model.getResponse(req)).output;
      const calls = output.map((item) => {
        assert.ok(item.type === 'function_call', `unexpected ${item.type} item`);
        assert.match(item.callId, /^call_[0-9a-f]{32}$/);
        return { name: item.name, arguments: item.arguments, status: item.status };
      });
      assert.deepEqual(calls, [
        { name: 'get_weather', arguments: '{"city":"Oakland"}', status: 'completed' },
        { name: 'get_weather', arguments: '{"city":"Berkeley"}', status: 'completed' },
      ]);
      const ids = output.map((item) => (item as { callId: string }).callId);
      assert.notEqual(ids[0], ids[1]);
    });
  }
});

describe('an Ollama server that is down', () => {
  let host: string;
  before(async () => {
    // A port that was free a moment ago and has nothing listening on it now.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise((resolve) => probe.close(resolve));
    host = `http://127.0.0.1:${port}`;
  });

  for (const stream of [false, true]) {
    test(`raises OllamaConnectionError naming the host (${stream ? 'streaming' : 'non-streaming'})`, async () => {
      const runner = new Runner({ modelProvider: new MultiModelProvider({ ollamaHost: host }) });
      const { personalAssistant } = referenceAgents({ model: 'ollama/llama3' });
      const running = stream
        ? runner.run(personalAssistant, 'hi', { stream: true }).then(async (result) => {
            for await (const _ of result) {
              // drain
            }
            await result.completed;
          })
        : runner.run(personalAssistant, 'hi');
      await assert.rejects(running, (error: unknown) => {
        assert.ok(error instanceof OllamaConnectionError, `got ${String(error)}`);
        assert.equal(error.host, host);
        assert.ok(error.message.includes(host));
        assert.match(error.message, /ollama serve/);
        assert.match(error.message, /OLLAMA_HOST/);
        return true;
      });
    });
  }
});
