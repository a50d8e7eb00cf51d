// OpenAI Chat Completions: `POST /v1/chat/completions`, JSON or SSE chunks.

import { CREATED_AT, makeId, resolveOutputNames, splitFixed, splitWords, textOf } from './shared.mjs';

/** @typedef {import('./shared.mjs').NormalizedRequest} NormalizedRequest */
/** @typedef {import('./shared.mjs').NormalizedItem} NormalizedItem */
/** @typedef {import('./shared.mjs').PlannedReply} PlannedReply */
/** @typedef {import('node:http').ServerResponse} ServerResponse */

/**
 * @param {Record<string, any>} body
 * @returns {NormalizedRequest}
 */
export function normalizeChatRequest(body) {
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
    case 'developer':
      instructions.push(textOf(message.content));
      break;
    case 'user': {
      const parts = Array.isArray(message.content) ? message.content : [];
      items.push({
        kind: 'user',
        text: textOf(message.content),
        hasImage: parts.some((/** @type {any} */ part) => part?.type === 'image_url'),
      });
      break;
    }
    case 'assistant': {
      // An assistant turn may carry text and tool calls at once; text first,
      // as in the Responses API's output order.
      const text = textOf(message.content);
      if (text) items.push({ kind: 'assistant', text });
      for (const call of message.tool_calls ?? []) {
        items.push({
          kind: 'function_call',
          name: String(call.function?.name),
          callId: call.id ?? null,
          arguments: String(call.function?.arguments ?? ''),
        });
      }
      break;
    }
    case 'tool':
      items.push({
        kind: 'function_call_output',
        name: null,
        callId: message.tool_call_id ?? null,
        output: textOf(message.content),
      });
      break;
    default:
      break;
  }
}

/** @param {PlannedReply} reply */
function completionId(reply) {
  return makeId(reply.seed, 'chatcmpl-', 'chat', 0, 29);
}

/** @param {PlannedReply} reply */
function finishReason(reply) {
  return reply.toolCalls.length > 0 ? 'tool_calls' : 'stop';
}

/** @param {PlannedReply} reply */
function usageObject(reply) {
  const { input_tokens, output_tokens } = reply.usage;
  return {
    prompt_tokens: input_tokens,
    completion_tokens: output_tokens,
    total_tokens: input_tokens + output_tokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/**
 * @param {ServerResponse} res
 * @param {{ body: Record<string, any>, reply: PlannedReply }} context
 */
export function sendChatJson(res, { body, reply }) {
  /** @type {Record<string, any>} */
  const message = { role: 'assistant', content: reply.text, refusal: null, annotations: [] };
  if (reply.toolCalls.length > 0) {
    message.tool_calls = reply.toolCalls.map((call) => ({
      id: call.callId,
      type: 'function',
      function: { name: call.name, arguments: call.argumentsJson },
    }));
  }
  const payload = {
    id: completionId(reply),
    object: 'chat.completion',
    created: CREATED_AT,
    model: String(body.model ?? ''),
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(reply) }],
    usage: usageObject(reply),
    service_tier: 'default',
    system_fingerprint: null,
  };
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(payload));
}

/**
 * The `delta` objects of the stream, one per chunk, in the order the real API
 * sends them: role first, then text, then each tool call (header chunk with
 * id and name, followed by argument fragments), then an empty delta carrying
 * the finish reason.
 *
 * @param {PlannedReply} reply
 * @returns {Array<{ delta: Record<string, any>, finish_reason: string | null }>}
 */
function streamDeltas(reply) {
  /** @type {Array<{ delta: Record<string, any>, finish_reason: string | null }>} */
  const deltas = [{ delta: { role: 'assistant', content: '', refusal: null }, finish_reason: null }];
  for (const piece of splitWords(reply.text ?? '')) {
    deltas.push({ delta: { content: piece }, finish_reason: null });
  }
  reply.toolCalls.forEach((call, index) => {
    deltas.push({
      delta: { tool_calls: [{ index, id: call.callId, type: 'function', function: { name: call.name, arguments: '' } }] },
      finish_reason: null,
    });
    for (const piece of splitFixed(call.argumentsJson)) {
      deltas.push({ delta: { tool_calls: [{ index, function: { arguments: piece } }] }, finish_reason: null });
    }
  });
  deltas.push({ delta: {}, finish_reason: finishReason(reply) });
  return deltas;
}

/**
 * @param {ServerResponse} res
 * @param {{ body: Record<string, any>, reply: PlannedReply }} context
 */
export function sendChatStream(res, { body, reply }) {
  const includeUsage = body.stream_options?.include_usage === true;
  const base = {
    id: completionId(reply),
    object: 'chat.completion.chunk',
    created: CREATED_AT,
    model: String(body.model ?? ''),
    service_tier: 'default',
    system_fingerprint: null,
  };
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  const write = (/** @type {unknown} */ chunk) => res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  for (const { delta, finish_reason } of streamDeltas(reply)) {
    // With include_usage the real API sets `usage: null` on every chunk and
    // sends the totals in one extra chunk with no choices.
    write({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason }],
      ...(includeUsage ? { usage: null } : {}),
    });
  }
  if (includeUsage) write({ ...base, choices: [], usage: usageObject(reply) });
  res.end('data: [DONE]\n\n');
}
