// Drives the Responses and Chat Completions endpoints with the official
// `openai` npm client, JSON and streaming, and checks the wire details the
// client relies on.

import { after, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startModelServer } from '../server.mjs';
import { RED_SQUARE_DATA_URL, importFromTypescript } from './helpers.mjs';

/** @type {import('../server.mjs').Scenario} */
const scenario = {
  name: 'openai-client-test',
  rules: [
    {
      id: 'answer-with-tool-output',
      when: { lastItem: { kind: 'function_call_output', name: 'lookup' } },
      reply: { text: 'Found: {{lastToolOutput}}' },
    },
    {
      id: 'text-and-two-calls',
      when: { lastUserTextContains: 'look up', toolsInclude: 'lookup' },
      reply: {
        text: 'Looking that up.',
        toolCalls: [
          { name: 'lookup', arguments: { query: '{{lastUserText}}', limit: 3 } },
          { name: 'lookup', arguments: { query: 'second' } },
        ],
      },
    },
    { id: 'image', when: { lastUserHasImage: true }, reply: { text: 'An image.' } },
    { id: 'fixed-usage', when: { model: 'usage-model' }, reply: { text: 'ok', usage: { input_tokens: 7, output_tokens: 11 } } },
    { id: 'boom', when: { lastUserTextContains: 'boom' }, reply: { error: { status: 400, message: 'scripted failure', code: 'boom' } } },
    { id: 'echo', reply: { text: 'echo: {{lastUserText}}' } },
  ],
};

const server = await startModelServer({ scenario });
const { default: OpenAI } = await importFromTypescript('openai');
const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'test', maxRetries: 0 });
after(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

const lookupTool = {
  type: 'function',
  name: 'lookup',
  description: 'Looks something up.',
  parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
  strict: false,
};
const chatLookupTool = { type: 'function', function: { name: 'lookup', parameters: lookupTool.parameters } };

describe('Responses API via the openai client', () => {
  test('JSON: text and function calls with deterministic ids and usage', async () => {
    const response = await client.responses.create({
      model: 'gpt-test',
      instructions: 'Be brief.',
      input: 'Please look up cats',
      tools: [lookupTool],
    });
    assert.equal(response.object, 'response');
    assert.equal(response.status, 'completed');
    assert.equal(response.output_text, 'Looking that up.');
    assert.match(response.id, /^resp_[0-9a-f]{48}$/);
    const [message, call1, call2] = response.output;
    assert.equal(message.type, 'message');
    assert.match(message.id, /^msg_[0-9a-f]{48}$/);
    assert.equal(call1.type, 'function_call');
    assert.match(call1.id, /^fc_[0-9a-f]{48}$/);
    assert.match(call1.call_id, /^call_[0-9a-f]{24}$/);
    assert.deepEqual(JSON.parse(call1.arguments), { query: 'Please look up cats', limit: 3 });
    assert.deepEqual(JSON.parse(call2.arguments), { query: 'second' });
    assert.notEqual(call1.call_id, call2.call_id);
    const { input_tokens, output_tokens, total_tokens } = response.usage;
    assert.equal(input_tokens, Math.ceil(('Be brief.'.length + 'Please look up cats'.length) / 4));
    assert.equal(total_tokens, input_tokens + output_tokens);
    assert.deepEqual(response.usage.input_tokens_details, { cached_tokens: 0 });
    assert.deepEqual(response.usage.output_tokens_details, { reasoning_tokens: 0 });

    // Second leg: send the calls and their outputs back as input items.
    const followUp = await client.responses.create({
      model: 'gpt-test',
      input: [
        { role: 'user', content: 'Please look up cats' },
        ...response.output,
        { type: 'function_call_output', call_id: call1.call_id, output: 'three cats' },
      ],
      tools: [lookupTool],
    });
    assert.equal(followUp.output_text, 'Found: three cats');
    assert.deepEqual(
      server.requests.map((r) => r.ruleId),
      ['text-and-two-calls', 'answer-with-tool-output'],
    );
  });

  test('stream: event sequence, sequence numbers and final response', async () => {
    const stream = await client.responses.create({
      model: 'gpt-test',
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'Please look up dogs' }] }],
      tools: [lookupTool],
      stream: true,
    });
    /** @type {any[]} */
    const events = [];
    for await (const event of stream) events.push(event);

    assert.deepEqual(
      events.map((e) => e.sequence_number),
      events.map((_, i) => i),
    );
    const types = events.map((e) => e.type);
    assert.deepEqual(types.slice(0, 4), [
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
    ]);
    assert.equal(types.at(-1), 'response.completed');
    for (const type of [
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
    ]) {
      assert.ok(types.includes(type), `missing ${type}`);
    }
    const text = events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta);
    assert.ok(text.length > 1, 'text arrives in several deltas');
    assert.equal(text.join(''), 'Looking that up.');
    const args = events
      .filter((e) => e.type === 'response.function_call_arguments.delta' && e.output_index === 1)
      .map((e) => e.delta)
      .join('');
    assert.deepEqual(JSON.parse(args), { query: 'Please look up dogs', limit: 3 });

    assert.equal(events[0].response.status, 'in_progress');
    assert.equal(events[0].response.usage, null);
    const completed = events.at(-1).response;
    assert.equal(completed.status, 'completed');
    assert.equal(completed.output.length, 3);
    assert.ok(completed.usage.total_tokens > 0);
    assert.deepEqual(server.requests, [{ api: 'responses', model: 'gpt-test', ruleId: 'text-and-two-calls', stream: true }]);
  });

  test('streamed final response equals the JSON response', async () => {
    const request = { model: 'gpt-test', input: 'Please look up birds', tools: [lookupTool] };
    const json = await client.responses.create(request);
    let completed;
    for await (const event of await client.responses.create({ ...request, stream: true })) {
      if (event.type === 'response.completed') completed = event.response;
    }
    // `output_text` is a convenience the client adds to non-streamed responses.
    const { output_text: _outputText, ...jsonWithoutHelper } = json;
    assert.deepEqual(completed, jsonWithoutHelper);
    // The client's stream helper accepts the event sequence too.
    const helperFinal = await client.responses.stream(request).finalResponse();
    assert.equal(helperFinal.output_text, 'Looking that up.');
    assert.equal(helperFinal.id, json.id);
  });

  test('input_image parts set lastUserHasImage', async () => {
    const response = await client.responses.create({
      model: 'gpt-test',
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'What is this?' },
            { type: 'input_image', image_url: RED_SQUARE_DATA_URL, detail: 'auto' },
          ],
        },
      ],
    });
    assert.equal(response.output_text, 'An image.');
  });

  test('usage override and scripted error reply', async () => {
    const response = await client.responses.create({ model: 'usage-model', input: 'hi' });
    assert.deepEqual(
      [response.usage.input_tokens, response.usage.output_tokens, response.usage.total_tokens],
      [7, 11, 18],
    );
    await assert.rejects(client.responses.create({ model: 'gpt-test', input: 'boom' }), (error) => {
      assert.equal(error.status, 400);
      assert.equal(error.message, '400 scripted failure');
      assert.equal(error.code, 'boom');
      return true;
    });
  });
});

describe('Chat Completions via the openai client', () => {
  test('JSON: tool calls, finish_reason and usage', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Please look up cats' },
      ],
      tools: [chatLookupTool],
    });
    assert.equal(completion.object, 'chat.completion');
    assert.match(completion.id, /^chatcmpl-[0-9a-f]{29}$/);
    const choice = completion.choices[0];
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.equal(choice.message.content, 'Looking that up.');
    assert.equal(choice.message.tool_calls.length, 2);
    assert.equal(choice.message.tool_calls[0].function.name, 'lookup');
    assert.deepEqual(JSON.parse(choice.message.tool_calls[0].function.arguments), {
      query: 'Please look up cats',
      limit: 3,
    });
    assert.equal(completion.usage.total_tokens, completion.usage.prompt_tokens + completion.usage.completion_tokens);

    const followUp = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [
        { role: 'user', content: 'Please look up cats' },
        choice.message,
        { role: 'tool', tool_call_id: choice.message.tool_calls[0].id, content: 'three cats' },
      ],
      tools: [chatLookupTool],
    });
    assert.equal(followUp.choices[0].message.content, 'Found: three cats');
    assert.equal(followUp.choices[0].finish_reason, 'stop');
  });

  test('stream: deltas, tool call fragments, usage chunk and [DONE]', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'Please look up dogs' }],
      tools: [chatLookupTool],
      stream: true,
      stream_options: { include_usage: true },
    });
    /** @type {any[]} */
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const content = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    assert.equal(content, 'Looking that up.');
    assert.equal(chunks.at(-2).choices[0].finish_reason, 'tool_calls');
    const last = chunks.at(-1);
    assert.deepEqual(last.choices, []);
    assert.ok(last.usage.total_tokens > 0);
    assert.ok(chunks.slice(0, -1).every((c) => c.usage === null));

    // The client's own accumulator rebuilds the full message from the fragments.
    const final = await client.chat.completions
      .stream({ model: 'gpt-test', messages: [{ role: 'user', content: 'Please look up dogs' }], tools: [chatLookupTool] })
      .finalChatCompletion();
    const calls = final.choices[0].message.tool_calls;
    assert.equal(calls.length, 2);
    assert.deepEqual(JSON.parse(calls[1].function.arguments), { query: 'second' });
    assert.equal(calls[0].id, chunks.find((c) => c.choices[0]?.delta.tool_calls)?.choices[0].delta.tool_calls[0].id);
  });

  test('stream without include_usage has no usage chunk', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hello' }],
      stream: true,
    });
    /** @type {any[]} */
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.ok(chunks.every((c) => c.choices.length === 1 && !('usage' in c)));
    assert.equal(chunks.map((c) => c.choices[0].delta.content ?? '').join(''), 'echo: hello');
  });

  test('image_url parts set lastUserHasImage', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: RED_SQUARE_DATA_URL } },
          ],
        },
      ],
    });
    assert.equal(completion.choices[0].message.content, 'An image.');
  });
});
