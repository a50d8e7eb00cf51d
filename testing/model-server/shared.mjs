// Shared types and helpers for the scripted model server.
//
// Everything that ends up in a response body must be a pure function of the
// request and the matched rule, so that two identical runs produce
// byte-identical responses. That is why ids come from hashes and timestamps
// are a fixed constant instead of Date.now().

import { createHash } from 'node:crypto';

/**
 * One entry of a normalised conversation. Every wire format (Responses, Chat
 * Completions, Ollama) is reduced to this shape before rules are matched, so a
 * scenario works unchanged whichever API the client speaks.
 *
 * @typedef {(
 *   | { kind: 'user', text: string, hasImage: boolean }
 *   | { kind: 'assistant', text: string }
 *   | { kind: 'function_call', name: string, callId: string | null, arguments: string }
 *   | { kind: 'function_call_output', name: string | null, callId: string | null, output: string }
 * )} NormalizedItem
 */

/**
 * @typedef {object} NormalizedRequest
 * @property {string} model
 * @property {string} instructions  system/developer text, joined with blank lines
 * @property {NormalizedItem[]} items
 * @property {string[]} tools  names of the tools offered to the model
 */

/**
 * A tool call the server is about to emit, with its deterministic ids.
 *
 * @typedef {object} PlannedToolCall
 * @property {string} name
 * @property {Record<string, unknown>} arguments
 * @property {string} argumentsJson  compact JSON, exactly what goes on the wire
 * @property {string} callId  `call_…`, shared by all wire formats
 * @property {string} itemId  `fc_…`, only used by the Responses API
 */

/**
 * What the matched rule wants the server to answer, fully resolved
 * (templates applied, ids and usage computed). Wire-format modules only
 * serialise this; they make no decisions of their own.
 *
 * @typedef {object} PlannedReply
 * @property {string} ruleId
 * @property {string} seed  hash of (normalised request, rule id); root of every id
 * @property {string | null} text
 * @property {PlannedToolCall[]} toolCalls
 * @property {{ input_tokens: number, output_tokens: number }} usage
 */

/** Fixed `created` timestamp (seconds): 2023-11-14T22:13:20Z. */
export const CREATED_AT = 1_700_000_000;

/** The same instant as an ISO string, for Ollama's `created_at`. */
export const CREATED_AT_ISO = new Date(CREATED_AT * 1000).toISOString();

/**
 * Hex digest of the given parts; the building block for every id.
 * @param {...string} parts
 */
export function hash(...parts) {
  const h = createHash('sha256');
  for (const part of parts) h.update(part).update('\u0000');
  return h.digest('hex');
}

/**
 * A deterministic id such as `msg_3f…`. `label` and `index` keep ids of
 * different outputs of the same reply apart.
 *
 * @param {string} seed
 * @param {string} prefix  e.g. 'resp_', 'msg_', 'call_'
 * @param {string} label
 * @param {number} index
 * @param {number} length  number of hex characters after the prefix
 */
export function makeId(seed, prefix, label, index, length) {
  return prefix + hash(seed, label, String(index)).slice(0, length);
}

/**
 * Rough token estimate (4 characters per token), deterministic by design.
 * @param {number} chars
 */
export function tokensForChars(chars) {
  return Math.ceil(chars / 4);
}

/**
 * Number of characters of "prompt" in a normalised request.
 * @param {NormalizedRequest} request
 */
export function requestChars(request) {
  let chars = request.instructions.length;
  for (const item of request.items) {
    if (item.kind === 'user' || item.kind === 'assistant') chars += item.text.length;
    else if (item.kind === 'function_call') chars += item.name.length + item.arguments.length;
    else chars += item.output.length;
  }
  return chars;
}

/**
 * Splits text into word-sized pieces (whitespace stays attached to the word
 * before it) so streamed deltas look like real token streams and clients
 * have to reassemble several deltas. Joining the pieces gives back `text`.
 *
 * @param {string} text
 * @returns {string[]}
 */
export function splitWords(text) {
  return text.match(/\s+|\S+\s*/g) ?? [];
}

/**
 * Splits a string into fixed-size pieces; used for tool-call argument deltas,
 * which have no whitespace to split on.
 *
 * @param {string} text
 * @param {number} size
 */
export function splitFixed(text, size = 8) {
  /** @type {string[]} */
  const pieces = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces;
}

/**
 * Fills in `name` on function_call_output items from the call they answer.
 * Responses and Chat Completions link them by call id; Ollama usually sends
 * `tool_name` (already set) or nothing, in which case the oldest unanswered
 * call is assumed, which is how Ollama itself pairs them.
 *
 * @param {NormalizedItem[]} items  modified in place
 */
export function resolveOutputNames(items) {
  /** @type {Array<Extract<NormalizedItem, { kind: 'function_call' }>>} */
  const unanswered = [];
  for (const item of items) {
    if (item.kind === 'function_call') {
      unanswered.push(item);
      continue;
    }
    if (item.kind !== 'function_call_output') continue;
    const callId = item.callId;
    const name = item.name;
    // Prefer the call id; fall back to the tool name; then to call order.
    let index = callId ? findLastIndex(unanswered, (call) => call.callId === callId) : -1;
    if (index === -1 && name) index = unanswered.findIndex((call) => call.name === name);
    if (index === -1 && !callId && !name) index = 0;
    const call = unanswered[index];
    if (!call) continue;
    item.name = name ?? call.name;
    unanswered.splice(index, 1);
  }
}

/**
 * @template T
 * @param {T[]} array
 * @param {(value: T) => boolean} predicate
 */
function findLastIndex(array, predicate) {
  for (let i = array.length - 1; i >= 0; i--) if (predicate(array[i])) return i;
  return -1;
}

/**
 * Text of a content value that may be a plain string or an array of typed
 * parts (`input_text`, `output_text`, `text`, …). Non-text parts are skipped.
 *
 * @param {unknown} content
 * @returns {string}
 */
export function textOf(content) {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => {
      if (typeof part === 'string') return part;
      if (part && typeof part.text === 'string') return part.text;
      if (part && typeof part.refusal === 'string') return part.refusal;
      return null;
    })
    .filter((text) => text !== null)
    .join('\n');
}
