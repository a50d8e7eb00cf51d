// Ollama native chat API: `POST /api/chat`, JSON when `stream: false`,
// otherwise NDJSON (Ollama streams by default when `stream` is absent).

import { CREATED_AT_ISO, resolveOutputNames, splitWords, textOf } from './shared.mjs';

/** @typedef {import('./shared.mjs').NormalizedRequest} NormalizedRequest */
/** @typedef {import('./shared.mjs').NormalizedItem} NormalizedItem */
/** @typedef {import('./shared.mjs').PlannedReply} PlannedReply */
/** @typedef {import('node:http').ServerResponse} ServerResponse */

/** Version reported by `GET /api/version`; recent enough for tool calling. */
export const OLLAMA_VERSION = '0.12.0';

/**
 * @param {Record<string, any>} body
 * @returns {NormalizedRequest}
 */
export function normalizeOllamaRequest(body) {
  /** @type {string[]} */
  const instructions = [];
  /** @type {NormalizedItem[]} */
  const items = [];
  for (const message of body.messages ?? []) {
    normalizeMessage(message, instructions, items);
  }
  resolveOutputNames(items);
  return {
    model: String(body.model ?? ''),
    instructions: instructions.join('\n\n'),
    items,
    tools: (body.tools ?? []).map((/** @type {any} */ tool) => String(tool.function?.name ?? tool.type)),
  };
}

/**
 * @param {any} message
 * @param {string[]} instructions
 * @param {NormalizedItem[]} items
 */
function normalizeMessage(message, instructions, items) {
  switch (message.role) {
    case 'system':
      instructions.push(textOf(message.content));
      break;
    case 'user':
      items.push({
        kind: 'user',
        text: textOf(message.content),
        hasImage: Array.isArray(message.images) && message.images.length > 0,
      });
      break;
    case 'assistant': {
      const text = textOf(message.content);
      if (text) items.push({ kind: 'assistant', text });
      for (const call of message.tool_calls ?? []) {
        const args = call.function?.arguments;
        items.push({
          kind: 'function_call',
          name: String(call.function?.name),
          // Ollama tool calls have no ids; accept one if a client sends it anyway.
          callId: call.id ?? null,
          arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}),
        });
      }
      break;
    }
    case 'tool':
      items.push({
        kind: 'function_call_output',
        name: message.tool_name ?? null,
        callId: message.tool_call_id ?? null,
        output: textOf(message.content),
      });
      break;
    default:
      break;
  }
}

/**
 * Fields of the final (`done: true`) message. Durations are in nanoseconds
 * and derived from the scripted delay so they stay deterministic.
 *
 * @param {PlannedReply} reply
 * @param {number} delayMs
 */
function doneFields(reply, delayMs) {
  const total = Math.round(delayMs * 1e6);
  return {
    done_reason: 'stop',
    done: true,
    total_duration: total,
    load_duration: 0,
    prompt_eval_count: reply.usage.input_tokens,
    prompt_eval_duration: 0,
    eval_count: reply.usage.output_tokens,
    eval_duration: total,
  };
}

/** @param {PlannedReply} reply */
function toolCallsField(reply) {
  return reply.toolCalls.map((call) => ({ function: { name: call.name, arguments: call.arguments } }));
}

/**
 * @param {ServerResponse} res
 * @param {{ body: Record<string, any>, reply: PlannedReply, delayMs: number }} context
 */
export function sendOllamaJson(res, { body, reply, delayMs }) {
  /** @type {Record<string, any>} */
  const message = { role: 'assistant', content: reply.text ?? '' };
  if (reply.toolCalls.length > 0) message.tool_calls = toolCallsField(reply);
  const payload = { model: String(body.model ?? ''), created_at: CREATED_AT_ISO, message, ...doneFields(reply, delayMs) };
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(payload));
}

/**
 * Streams word pieces, then (like Ollama) all tool calls in one chunk, then
 * an empty `done: true` chunk with the counters.
 *
 * @param {ServerResponse} res
 * @param {{ body: Record<string, any>, reply: PlannedReply, delayMs: number }} context
 */
export function sendOllamaStream(res, { body, reply, delayMs }) {
  const base = { model: String(body.model ?? ''), created_at: CREATED_AT_ISO };
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  const write = (/** @type {unknown} */ line) => res.write(`${JSON.stringify(line)}\n`);
  for (const piece of splitWords(reply.text ?? '')) {
    write({ ...base, message: { role: 'assistant', content: piece }, done: false });
  }
  if (reply.toolCalls.length > 0) {
    write({ ...base, message: { role: 'assistant', content: '', tool_calls: toolCallsField(reply) }, done: false });
  }
  write({ ...base, message: { role: 'assistant', content: '' }, ...doneFields(reply, delayMs) });
  res.end();
}
