// OpenAI Responses API: `POST /v1/responses`, JSON or SSE.
//
// The event sequence and object shapes mirror what api.openai.com sends, since
// the Agents SDKs read the final `response` object from `response.completed`
// while UIs and stream consumers look at the individual delta events.

import { CREATED_AT, makeId, resolveOutputNames, splitFixed, splitWords, textOf } from './shared.mjs';

/** @typedef {import('./shared.mjs').NormalizedRequest} NormalizedRequest */
/** @typedef {import('./shared.mjs').NormalizedItem} NormalizedItem */
/** @typedef {import('./shared.mjs').PlannedReply} PlannedReply */
/** @typedef {import('node:http').ServerResponse} ServerResponse */

/**
 * @param {Record<string, any>} body  the parsed request body
 * @returns {NormalizedRequest}
 */
export function normalizeResponsesRequest(body) {
  /** @type {string[]} */
  const instructions = typeof body.instructions === 'string' && body.instructions ? [body.instructions] : [];
  /** @type {NormalizedItem[]} */
  const items = [];
  const input = typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : body.input ?? [];
  for (const entry of input) {
    normalizeInputItem(entry, instructions, items);
  }
  resolveOutputNames(items);
  return {
    model: String(body.model ?? ''),
    instructions: instructions.join('\n\n'),
    items,
    tools: (body.tools ?? []).map((/** @type {any} */ tool) => String(tool.name ?? tool.type)),
  };
}

/**
 * Adds one Responses input item to `items` (or to `instructions` for
 * system/developer messages). Reasoning items and hosted-tool items carry
 * nothing a scenario can match on, so they are dropped.
 *
 * @param {any} entry
 * @param {string[]} instructions
 * @param {NormalizedItem[]} items
 */
function normalizeInputItem(entry, instructions, items) {
  const type = entry.type ?? 'message';
  if (type === 'message') {
    if (entry.role === 'system' || entry.role === 'developer') {
      instructions.push(textOf(entry.content));
    } else if (entry.role === 'user') {
      const parts = Array.isArray(entry.content) ? entry.content : [];
      items.push({
        kind: 'user',
        text: textOf(entry.content),
        hasImage: parts.some((/** @type {any} */ part) => part?.type === 'input_image'),
      });
    } else if (entry.role === 'assistant') {
      items.push({ kind: 'assistant', text: textOf(entry.content) });
    }
  } else if (type === 'function_call') {
    items.push({
      kind: 'function_call',
      name: String(entry.name),
      callId: entry.call_id ?? null,
      arguments: String(entry.arguments ?? ''),
    });
  } else if (type === 'function_call_output') {
    items.push({
      kind: 'function_call_output',
      name: null,
      callId: entry.call_id ?? null,
      output: textOf(entry.output),
    });
  }
}

/**
 * Builds the final output items of the response.
 * @param {PlannedReply} reply
 */
function outputItems(reply) {
  /** @type {any[]} */
  const output = [];
  if (reply.text !== null) {
    output.push({
      id: makeId(reply.seed, 'msg_', 'message', 0, 48),
      type: 'message',
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text: reply.text, annotations: [], logprobs: [] }],
    });
  }
  for (const call of reply.toolCalls) {
    output.push({
      id: call.itemId,
      type: 'function_call',
      status: 'completed',
      arguments: call.argumentsJson,
      call_id: call.callId,
      name: call.name,
    });
  }
  return output;
}

/**
 * The full `response` object. While streaming it is sent three times
 * (created, in_progress, completed) with different status/output/usage.
 *
 * @param {Record<string, any>} body
 * @param {PlannedReply} reply
 * @param {'in_progress' | 'completed'} status
 */
function responseObject(body, reply, status) {
  const done = status === 'completed';
  const { input_tokens, output_tokens } = reply.usage;
  return {
    id: makeId(reply.seed, 'resp_', 'response', 0, 48),
    object: 'response',
    created_at: CREATED_AT,
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model: String(body.model ?? ''),
    output: done ? outputItems(reply) : [],
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    store: body.store ?? true,
    temperature: body.temperature ?? 1,
    text: body.text ?? { format: { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [],
    top_p: body.top_p ?? 1,
    truncation: body.truncation ?? 'disabled',
    usage: done
      ? {
          input_tokens,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: input_tokens + output_tokens,
        }
      : null,
    user: null,
    metadata: body.metadata ?? {},
  };
}

/**
 * @param {ServerResponse} res
 * @param {{ body: Record<string, any>, reply: PlannedReply }} context
 */
export function sendResponsesJson(res, { body, reply }) {
  const payload = JSON.stringify(responseObject(body, reply, 'completed'));
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(payload);
}

/**
 * The SSE event list for a reply, in the order the real API emits them.
 *
 * @param {Record<string, any>} body
 * @param {PlannedReply} reply
 * @returns {Array<Record<string, any>>}  events without sequence numbers
 */
function responsesEvents(body, reply) {
  const final = outputItems(reply);
  /** @type {Array<Record<string, any>>} */
  const events = [
    { type: 'response.created', response: responseObject(body, reply, 'in_progress') },
    { type: 'response.in_progress', response: responseObject(body, reply, 'in_progress') },
  ];
  final.forEach((item, outputIndex) => {
    if (item.type === 'message') events.push(...messageEvents(item, outputIndex));
    else events.push(...functionCallEvents(item, outputIndex));
  });
  events.push({ type: 'response.completed', response: responseObject(body, reply, 'completed') });
  return events;
}

/**
 * @param {any} item  a completed message output item
 * @param {number} outputIndex
 */
function messageEvents(item, outputIndex) {
  const part = item.content[0];
  const at = { item_id: item.id, output_index: outputIndex, content_index: 0 };
  return [
    { type: 'response.output_item.added', output_index: outputIndex, item: { ...item, status: 'in_progress', content: [] } },
    { type: 'response.content_part.added', ...at, part: { ...part, text: '' } },
    ...splitWords(part.text).map((delta) => ({ type: 'response.output_text.delta', ...at, delta, logprobs: [] })),
    { type: 'response.output_text.done', ...at, text: part.text, logprobs: [] },
    { type: 'response.content_part.done', ...at, part },
    { type: 'response.output_item.done', output_index: outputIndex, item },
  ];
}

/**
 * @param {any} item  a completed function_call output item
 * @param {number} outputIndex
 */
function functionCallEvents(item, outputIndex) {
  const at = { item_id: item.id, output_index: outputIndex };
  return [
    {
      type: 'response.output_item.added',
      output_index: outputIndex,
      item: { ...item, status: 'in_progress', arguments: '' },
    },
    ...splitFixed(item.arguments).map((delta) => ({ type: 'response.function_call_arguments.delta', ...at, delta })),
    { type: 'response.function_call_arguments.done', ...at, name: item.name, arguments: item.arguments },
    { type: 'response.output_item.done', output_index: outputIndex, item },
  ];
}

/**
 * @param {ServerResponse} res
 * @param {{ body: Record<string, any>, reply: PlannedReply }} context
 */
export function sendResponsesStream(res, { body, reply }) {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  responsesEvents(body, reply).forEach((event, sequenceNumber) => {
    // `sequence_number` goes right after `type`, matching the real API's field order.
    const { type, ...rest } = event;
    const data = JSON.stringify({ type, sequence_number: sequenceNumber, ...rest });
    res.write(`event: ${type}\ndata: ${data}\n\n`);
  });
  res.end();
}
