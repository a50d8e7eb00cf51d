// Scenario loading, validation and rule matching.
//
// A scenario is plain JSON so that TypeScript and Python tests (and the demo)
// can share it. Validation is strict on purpose: a misspelt condition would
// otherwise silently match everything and make a test pass for the wrong
// reason.

import { readFileSync } from 'node:fs';
import { hash, makeId, requestChars, tokensForChars } from './shared.mjs';

/** @typedef {import('./shared.mjs').NormalizedRequest} NormalizedRequest */
/** @typedef {import('./shared.mjs').NormalizedItem} NormalizedItem */
/** @typedef {import('./shared.mjs').PlannedReply} PlannedReply */

/**
 * @typedef {object} RuleWhen
 * @property {string} [agent]  substring of the instructions
 * @property {string} [model]  exact model name
 * @property {string} [lastUserTextContains]
 * @property {boolean} [lastUserHasImage]
 * @property {{ kind?: NormalizedItem['kind'], name?: string, textContains?: string }} [lastItem]
 * @property {string} [toolsInclude]
 */

/**
 * @typedef {object} RuleReply
 * @property {string} [text]
 * @property {Array<{ name: string, arguments?: Record<string, unknown> }>} [toolCalls]
 * @property {{ input_tokens?: number, output_tokens?: number }} [usage]
 * @property {number} [delayMs]
 * @property {{ status?: number, message: string, type?: string, code?: string }} [error]
 */

/** @typedef {{ id: string, when?: RuleWhen, reply: RuleReply }} Rule */
/** @typedef {{ name?: string, description?: string, rules: Rule[] }} Scenario */

const WHEN_KEYS = ['agent', 'model', 'lastUserTextContains', 'lastUserHasImage', 'lastItem', 'toolsInclude'];
const LAST_ITEM_KEYS = ['kind', 'name', 'textContains'];
const ITEM_KINDS = ['user', 'assistant', 'function_call', 'function_call_output'];
const REPLY_KEYS = ['text', 'toolCalls', 'usage', 'delayMs', 'error'];
const SCENARIO_KEYS = ['name', 'description', 'rules'];

/**
 * Reads and validates a scenario file.
 * @param {string} path
 * @returns {Scenario}
 */
export function loadScenarioFile(path) {
  const text = readFileSync(path, 'utf8');
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`scenario ${path} is not valid JSON: ${/** @type {Error} */ (error).message}`);
  }
  return validateScenario(parsed, path);
}

/**
 * Throws a descriptive error if the scenario is malformed; returns it otherwise.
 * @param {unknown} scenario
 * @param {string} [source]  shown in error messages
 * @returns {Scenario}
 */
export function validateScenario(scenario, source = 'scenario') {
  const fail = (/** @type {string} */ message) => {
    throw new Error(`${source}: ${message}`);
  };
  if (!isObject(scenario)) fail('must be a JSON object');
  const s = /** @type {Record<string, any>} */ (scenario);
  checkKeys(s, SCENARIO_KEYS, 'scenario', fail);
  if (!Array.isArray(s.rules)) fail('"rules" must be an array');
  const ids = new Set();
  s.rules.forEach((/** @type {any} */ rule, /** @type {number} */ i) => {
    const where = `rules[${i}]`;
    if (!isObject(rule)) fail(`${where} must be an object`);
    checkKeys(rule, ['id', 'when', 'reply'], where, fail);
    if (typeof rule.id !== 'string' || rule.id === '') fail(`${where}.id must be a non-empty string`);
    if (ids.has(rule.id)) fail(`duplicate rule id "${rule.id}"`);
    ids.add(rule.id);
    validateWhen(rule.when ?? {}, `${where} (${rule.id}).when`, fail);
    validateReply(rule.reply, `${where} (${rule.id}).reply`, fail);
  });
  return /** @type {Scenario} */ (s);
}

/**
 * @param {any} when
 * @param {string} where
 * @param {(message: string) => never} fail
 */
function validateWhen(when, where, fail) {
  if (!isObject(when)) fail(`${where} must be an object`);
  checkKeys(when, WHEN_KEYS, where, fail);
  for (const key of ['agent', 'model', 'lastUserTextContains', 'toolsInclude']) {
    if (key in when && typeof when[key] !== 'string') fail(`${where}.${key} must be a string`);
  }
  if ('lastUserHasImage' in when && typeof when.lastUserHasImage !== 'boolean') {
    fail(`${where}.lastUserHasImage must be a boolean`);
  }
  if ('lastItem' in when) {
    const lastItem = when.lastItem;
    if (!isObject(lastItem)) fail(`${where}.lastItem must be an object`);
    checkKeys(lastItem, LAST_ITEM_KEYS, `${where}.lastItem`, fail);
    if ('kind' in lastItem && !ITEM_KINDS.includes(lastItem.kind)) {
      fail(`${where}.lastItem.kind must be one of ${ITEM_KINDS.join(', ')}`);
    }
    for (const key of ['name', 'textContains']) {
      if (key in lastItem && typeof lastItem[key] !== 'string') fail(`${where}.lastItem.${key} must be a string`);
    }
  }
}

/**
 * @param {any} reply
 * @param {string} where
 * @param {(message: string) => never} fail
 */
function validateReply(reply, where, fail) {
  if (!isObject(reply)) fail(`${where} must be an object`);
  checkKeys(reply, REPLY_KEYS, where, fail);
  const hasOutput = 'text' in reply || 'toolCalls' in reply;
  if ('error' in reply) {
    if (hasOutput) fail(`${where} cannot have both "error" and "text"/"toolCalls"`);
    const error = reply.error;
    if (!isObject(error) || typeof error.message !== 'string') fail(`${where}.error.message must be a string`);
    if ('status' in error && !(Number.isInteger(error.status) && error.status >= 400 && error.status <= 599)) {
      fail(`${where}.error.status must be an HTTP error status (400-599)`);
    }
  } else if (!hasOutput) {
    fail(`${where} needs "text", "toolCalls" or "error"`);
  }
  if ('text' in reply && typeof reply.text !== 'string') fail(`${where}.text must be a string`);
  if ('toolCalls' in reply) {
    if (!Array.isArray(reply.toolCalls) || reply.toolCalls.length === 0) {
      fail(`${where}.toolCalls must be a non-empty array`);
    }
    reply.toolCalls.forEach((/** @type {any} */ call, /** @type {number} */ i) => {
      if (!isObject(call)) fail(`${where}.toolCalls[${i}] must be an object`);
      checkKeys(call, ['name', 'arguments'], `${where}.toolCalls[${i}]`, fail);
      if (typeof call.name !== 'string' || call.name === '') fail(`${where}.toolCalls[${i}].name must be a string`);
      if ('arguments' in call && !isObject(call.arguments)) fail(`${where}.toolCalls[${i}].arguments must be an object`);
    });
  }
  if ('usage' in reply) {
    if (!isObject(reply.usage)) fail(`${where}.usage must be an object`);
    checkKeys(reply.usage, ['input_tokens', 'output_tokens'], `${where}.usage`, fail);
    for (const [key, value] of Object.entries(reply.usage)) {
      if (!Number.isInteger(value) || value < 0) fail(`${where}.usage.${key} must be a non-negative integer`);
    }
  }
  if ('delayMs' in reply && !(typeof reply.delayMs === 'number' && reply.delayMs >= 0)) {
    fail(`${where}.delayMs must be a non-negative number`);
  }
}

/**
 * @param {Record<string, unknown>} object
 * @param {string[]} allowed
 * @param {string} where
 * @param {(message: string) => never} fail
 */
function checkKeys(object, allowed, where, fail) {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) fail(`${where} has unknown key "${key}" (allowed: ${allowed.join(', ')})`);
  }
}

/** @param {unknown} value @returns {value is Record<string, any>} */
function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Text of the most recent user message ('' when there is none).
 * @param {NormalizedRequest} request
 * @returns {string}
 */
export function lastUserText(request) {
  return lastUserItem(request)?.text ?? '';
}

/**
 * The most recent user item, wherever it is in the conversation.
 * @param {NormalizedRequest} request
 * @returns {Extract<NormalizedItem, { kind: 'user' }> | undefined}
 */
function lastUserItem(request) {
  for (let i = request.items.length - 1; i >= 0; i--) {
    const item = request.items[i];
    if (item.kind === 'user') return item;
  }
  return undefined;
}

/**
 * Output string of the most recent function_call_output item ('' if none).
 * @param {NormalizedRequest} request
 */
function lastToolOutput(request) {
  for (let i = request.items.length - 1; i >= 0; i--) {
    const item = request.items[i];
    if (item.kind === 'function_call_output') return item.output;
  }
  return '';
}

/**
 * The searchable text of an item: what `lastItem.textContains` looks at.
 * @param {NormalizedItem} item
 */
function itemText(item) {
  if (item.kind === 'user' || item.kind === 'assistant') return item.text;
  if (item.kind === 'function_call') return item.arguments;
  return item.output;
}

/**
 * Tool names compare case-insensitively because the SDKs spell generated
 * names differently: the JS Agents SDK names a handoff to "Weather Assistant"
 * `transfer_to_Weather_Assistant`, the Python SDK `transfer_to_weather_assistant`.
 *
 * @param {string} a
 * @param {string} b
 */
function sameToolName(a, b) {
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * The spelling of `name` the client offered, so a scenario written with one
 * SDK's spelling calls the right tool in the other (see sameToolName).
 *
 * @param {string} name
 * @param {string[]} offered
 */
function offeredToolName(name, offered) {
  return offered.includes(name) ? name : offered.find((tool) => sameToolName(tool, name)) ?? name;
}

/**
 * True when every condition of `when` holds (conditions are ANDed; an empty
 * `when` matches everything).
 *
 * @param {RuleWhen} when
 * @param {NormalizedRequest} request
 */
export function ruleMatches(when, request) {
  if (when.agent !== undefined && !request.instructions.includes(when.agent)) return false;
  if (when.model !== undefined && request.model !== when.model) return false;
  const { toolsInclude } = when;
  if (toolsInclude !== undefined && !request.tools.some((tool) => sameToolName(tool, toolsInclude))) return false;

  const lastUser = lastUserItem(request);
  if (when.lastUserTextContains !== undefined && !lastUser?.text.includes(when.lastUserTextContains)) return false;
  if (when.lastUserHasImage !== undefined && (lastUser?.hasImage ?? false) !== when.lastUserHasImage) return false;

  if (when.lastItem !== undefined) {
    const last = request.items.at(-1);
    if (!last) return false;
    const { kind, name, textContains } = when.lastItem;
    if (kind !== undefined && last.kind !== kind) return false;
    if (name !== undefined && !('name' in last && last.name !== null && sameToolName(last.name, name))) return false;
    if (textContains !== undefined && !itemText(last).includes(textContains)) return false;
  }
  return true;
}

/**
 * First rule whose conditions hold, or undefined.
 * @param {Scenario} scenario
 * @param {NormalizedRequest} request
 */
export function findRule(scenario, request) {
  return scenario.rules.find((rule) => ruleMatches(rule.when ?? {}, request));
}

/**
 * Replaces `{{lastToolOutput}}` and `{{lastUserText}}` in a string.
 * @param {string} text
 * @param {NormalizedRequest} request
 */
function applyTemplate(text, request) {
  return text
    .replaceAll('{{lastToolOutput}}', lastToolOutput(request))
    .replaceAll('{{lastUserText}}', lastUserText(request));
}

/**
 * Applies templates to every string inside tool-call arguments.
 * @param {unknown} value
 * @param {NormalizedRequest} request
 * @returns {any}
 */
function applyTemplateDeep(value, request) {
  if (typeof value === 'string') return applyTemplate(value, request);
  if (Array.isArray(value)) return value.map((v) => applyTemplateDeep(v, request));
  if (isObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, applyTemplateDeep(v, request)]));
  }
  return value;
}

/**
 * Resolves a non-error rule reply into everything the wire formats need:
 * final text, tool calls with ids, and usage.
 *
 * @param {Rule} rule
 * @param {NormalizedRequest} request
 * @returns {PlannedReply}
 */
export function planReply(rule, request) {
  // The seed covers the whole normalised request plus the rule id, so ids
  // differ between turns but repeat exactly when a run is repeated.
  const seed = hash(JSON.stringify(request), rule.id);
  const text = rule.reply.text === undefined ? null : applyTemplate(rule.reply.text, request);
  const toolCalls = (rule.reply.toolCalls ?? []).map((call, index) => {
    const args = applyTemplateDeep(call.arguments ?? {}, request);
    return {
      name: offeredToolName(call.name, request.tools),
      arguments: args,
      argumentsJson: JSON.stringify(args),
      callId: makeId(seed, 'call_', 'call', index, 24),
      itemId: makeId(seed, 'fc_', 'function_call', index, 48),
    };
  });
  const outputChars =
    (text ?? '').length + toolCalls.reduce((sum, call) => sum + call.name.length + call.argumentsJson.length, 0);
  return {
    ruleId: rule.id,
    seed,
    text,
    toolCalls,
    usage: {
      input_tokens: rule.reply.usage?.input_tokens ?? tokensForChars(requestChars(request)),
      output_tokens: rule.reply.usage?.output_tokens ?? tokensForChars(outputChars),
    },
  };
}

/**
 * One-line description of a normalised request for "no rule matched" errors:
 * enough to see which condition failed without dumping the whole history.
 *
 * @param {NormalizedRequest} request
 */
export function summarizeRequest(request) {
  const clip = (/** @type {string} */ s, n = 60) => {
    const flat = s.replace(/\s+/g, ' ').trim();
    return JSON.stringify(flat.length > n ? `${flat.slice(0, n)}…` : flat);
  };
  const last = request.items.at(-1);
  const lastUser = lastUserItem(request);
  const lastDesc = !last
    ? 'none'
    : `${last.kind}${'name' in last && last.name ? `(${last.name})` : ''} ${clip(itemText(last), 40)}`;
  return [
    `model=${JSON.stringify(request.model)}`,
    `instructions=${clip(request.instructions)}`,
    `lastUserText=${lastUser ? clip(lastUser.text) : 'none'}${lastUser?.hasImage ? ' +image' : ''}`,
    `lastItem=${lastDesc}`,
    `items=${request.items.length}`,
    `tools=[${request.tools.join(',')}]`,
  ].join('; ');
}
