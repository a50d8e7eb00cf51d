#!/usr/bin/env node
// Scripted, deterministic, OpenAI/Ollama-compatible model server for tests
// and the offline demo.
//
// Clients reach it only through their ordinary settings
// (OPENAI_BASE_URL=<url>/v1, Ollama host <url>), so the code under test runs
// exactly as it would against a real provider. Replies come from a scenario
// file (see spec/scenarios/README.md). No npm dependencies, by design: the
// Python tests start it with a bare `node`.
//
// Library:  const server = await startModelServer({ scenarioPath }); … await server.close();
// CLI:      node testing/model-server/server.mjs --scenario spec/scenarios/echo.json [--port N]
//           [--host H] [--delay-ms N]   → prints {"url":"http://127.0.0.1:PORT"} once listening.

import { createServer } from 'node:http';
import { fstatSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { findRule, lastUserText, loadScenarioFile, planReply, summarizeRequest, validateScenario } from './scenario.mjs';
import { normalizeResponsesRequest, sendResponsesJson, sendResponsesStream } from './openai-responses.mjs';
import { normalizeChatRequest, sendChatJson, sendChatStream } from './chat-completions.mjs';
import {
  OLLAMA_VERSION,
  normalizeOllamaRequest,
  sendOllamaJson,
  sendOllamaStream,
} from './ollama-chat.mjs';
import { CREATED_AT_ISO } from './shared.mjs';

/** @typedef {import('./scenario.mjs').Scenario} Scenario */
/** @typedef {import('./shared.mjs').NormalizedRequest} NormalizedRequest */
/** @typedef {import('./shared.mjs').PlannedReply} PlannedReply */
/** @typedef {import('node:http').IncomingMessage} IncomingMessage */
/** @typedef {import('node:http').ServerResponse} ServerResponse */

/** @typedef {'responses' | 'chat.completions' | 'ollama.chat'} ApiName */

/**
 * @typedef {object} RequestLogEntry
 * @property {ApiName} api
 * @property {string} model
 * @property {string | null} ruleId  null when no rule matched
 * @property {boolean} stream
 */

/** @typedef {RequestLogEntry & { lastUserText: string, receivedAt: number }} ObservedRequest */

/**
 * @typedef {object} ApiHandler
 * @property {ApiName} api
 * @property {(body: Record<string, any>) => NormalizedRequest} normalize
 * @property {(body: Record<string, any>) => boolean} isStream
 * @property {(res: ServerResponse, context: { body: Record<string, any>, reply: PlannedReply, delayMs: number }) => void} sendJson
 * @property {(res: ServerResponse, context: { body: Record<string, any>, reply: PlannedReply, delayMs: number }) => void} sendStream
 * @property {'openai' | 'ollama'} errorStyle
 */

/** @type {Record<string, ApiHandler>} */
const MODEL_APIS = {
  'POST /v1/responses': {
    api: 'responses',
    normalize: normalizeResponsesRequest,
    isStream: (body) => body.stream === true,
    sendJson: sendResponsesJson,
    sendStream: sendResponsesStream,
    errorStyle: 'openai',
  },
  'POST /v1/chat/completions': {
    api: 'chat.completions',
    normalize: normalizeChatRequest,
    isStream: (body) => body.stream === true,
    sendJson: sendChatJson,
    sendStream: sendChatStream,
    errorStyle: 'openai',
  },
  'POST /api/chat': {
    api: 'ollama.chat',
    normalize: normalizeOllamaRequest,
    // Ollama streams unless told otherwise.
    isStream: (body) => body.stream !== false,
    sendJson: sendOllamaJson,
    sendStream: sendOllamaStream,
    errorStyle: 'ollama',
  },
};

/**
 * Starts the server.
 *
 * @param {object} options
 * @param {Scenario} [options.scenario]  an in-memory scenario, or
 * @param {string} [options.scenarioPath]  the path of a scenario JSON file
 * @param {string} [options.host]
 * @param {number} [options.port]  0 picks a free port
 * @param {number} [options.delayMs]  default latency for rules without their own delayMs
 * @param {(observed: ObservedRequest) => void} [options.onRequest]  called as each model request arrives
 * @returns {Promise<{ url: string, requests: RequestLogEntry[], close: () => Promise<void> }>}
 */
export async function startModelServer({ scenario, scenarioPath, host = '127.0.0.1', port = 0, delayMs = 0, onRequest } = {}) {
  const loaded = loadScenario(scenario, scenarioPath);
  /** @type {RequestLogEntry[]} */
  const requests = [];
  // Aborted on close() so pending `delayMs` timers don't keep the process alive.
  const shutdown = new AbortController();
  const state = { scenario: loaded, requests, defaultDelayMs: delayMs, signal: shutdown.signal, onRequest };

  const server = createServer((req, res) => {
    handleRequest(req, res, state).catch((error) => {
      if (shutdown.signal.aborted) return;
      sendError(res, 'openai', 500, `scripted model server crashed: ${error?.stack ?? error}`, 'server_error');
    });
  });
  await new Promise((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(port, host, () => resolveListen(undefined));
  });

  /** @type {Promise<void> | undefined} */
  let closing;
  return {
    url: serverUrl(server),
    requests,
    close() {
      closing ??= new Promise((resolveClose) => {
        shutdown.abort();
        server.close(() => resolveClose());
        // Keep-alive sockets would otherwise hold close() open until they time out.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/**
 * @param {Scenario | undefined} scenario
 * @param {string | undefined} scenarioPath
 * @returns {Scenario}
 */
function loadScenario(scenario, scenarioPath) {
  if (scenario && scenarioPath) throw new Error('pass either scenario or scenarioPath, not both');
  if (scenario) return validateScenario(scenario, scenario.name ?? 'scenario');
  if (scenarioPath) return loadScenarioFile(scenarioPath);
  throw new Error('startModelServer needs a scenario or a scenarioPath');
}

/**
 * `http://host:port` without a trailing slash. Wildcard binds are reported as
 * 127.0.0.1 because that is what a local client should connect to.
 *
 * @param {import('node:http').Server} server
 */
function serverUrl(server) {
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  let host = address.address;
  if (host === '0.0.0.0' || host === '::') host = '127.0.0.1';
  if (host.includes(':')) host = `[${host}]`;
  return `http://${host}:${address.port}`;
}

/**
 * @param {IncomingMessage} req
 * @param {ServerResponse} res
 * @param {{ scenario: Scenario, requests: RequestLogEntry[], defaultDelayMs: number, signal: AbortSignal, onRequest?: (observed: ObservedRequest) => void }} state
 */
async function handleRequest(req, res, state) {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const route = `${req.method} ${path}`;

  const handler = MODEL_APIS[route];
  if (handler) return handleModelRequest(handler, req, res, state);

  switch (route) {
    case 'GET /__scripted/requests':
      return sendJson(res, 200, state.requests);
    case 'POST /__scripted/reset':
      // Cleared in place: callers of startModelServer hold this same array.
      state.requests.length = 0;
      return sendJson(res, 200, { ok: true });
    case 'GET /api/tags':
      return sendJson(res, 200, { models: scenarioModels(state.scenario).map(ollamaModelEntry) });
    case 'GET /api/version':
      return sendJson(res, 200, { version: OLLAMA_VERSION });
    case 'GET /':
    case 'HEAD /':
      // Same answer as a real Ollama; handy as a readiness probe.
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      return res.end('Ollama is running');
    default:
      return sendError(res, 'openai', 404, `scripted model server has no route ${route}`, 'invalid_request_error');
  }
}

/**
 * Normalises, matches, logs, waits the scripted delay and replies.
 *
 * @param {ApiHandler} handler
 * @param {IncomingMessage} req
 * @param {ServerResponse} res
 * @param {{ scenario: Scenario, requests: RequestLogEntry[], defaultDelayMs: number, signal: AbortSignal, onRequest?: (observed: ObservedRequest) => void }} state
 */
async function handleModelRequest(handler, req, res, state) {
  let body;
  try {
    body = JSON.parse(await readBody(req));
  } catch {
    return sendError(res, handler.errorStyle, 400, 'request body is not valid JSON', 'invalid_request_error');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return sendError(res, handler.errorStyle, 400, 'request body must be a JSON object', 'invalid_request_error');
  }

  const request = handler.normalize(body);
  const stream = handler.isStream(body);
  const rule = findRule(state.scenario, request);
  const entry = { api: handler.api, model: request.model, ruleId: rule?.id ?? null, stream };
  state.requests.push(entry);
  state.onRequest?.({ ...entry, lastUserText: lastUserText(request), receivedAt: Date.now() });

  if (!rule) {
    const message = `no scripted rule matched: ${summarizeRequest(request)}`;
    return sendError(res, handler.errorStyle, 400, message, 'invalid_request_error');
  }

  const delayMs = rule.reply.delayMs ?? state.defaultDelayMs;
  if (delayMs > 0) {
    try {
      await sleep(delayMs, undefined, { signal: state.signal });
    } catch {
      return; // server closing; the socket is being destroyed anyway
    }
  }

  const { error } = rule.reply;
  if (error) {
    const status = error.status ?? 500;
    const type = error.type ?? (status >= 500 ? 'server_error' : 'invalid_request_error');
    return sendError(res, handler.errorStyle, status, error.message, type, error.code);
  }

  const reply = planReply(rule, request);
  const context = { body, reply, delayMs };
  if (stream) handler.sendStream(res, context);
  else handler.sendJson(res, context);
}

/**
 * @param {IncomingMessage} req
 * @returns {Promise<string>}
 */
async function readBody(req) {
  /** @type {Buffer[]} */
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * @param {ServerResponse} res
 * @param {number} status
 * @param {unknown} payload
 */
function sendJson(res, status, payload) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(payload));
}

/**
 * Errors in the shape each client family knows how to surface: OpenAI clients
 * read `error.message`; Ollama clients read `error` as a plain string.
 *
 * @param {ServerResponse} res
 * @param {'openai' | 'ollama'} style
 * @param {number} status
 * @param {string} message
 * @param {string} type
 * @param {string} [code]
 */
function sendError(res, style, status, message, type, code) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const payload =
    style === 'ollama' ? { error: message } : { error: { message, type, param: null, code: code ?? null } };
  sendJson(res, status, payload);
}

/**
 * Model names the scenario mentions, for `/api/tags`.
 * @param {Scenario} scenario
 */
function scenarioModels(scenario) {
  const names = scenario.rules.map((rule) => rule.when?.model).filter((name) => typeof name === 'string');
  return [...new Set(names)];
}

/** @param {string} name */
function ollamaModelEntry(name) {
  return {
    name,
    model: name,
    modified_at: CREATED_AT_ISO,
    size: 0,
    digest: '0'.repeat(64),
    details: { format: 'gguf', family: 'scripted', families: ['scripted'], parameter_size: '0B', quantization_level: 'none' },
  };
}

// ---------------------------------------------------------------------------
// CLI

/**
 * @param {string[]} argv
 * @returns {{ scenarioPath: string, host: string, port: number, delayMs: number }}
 */
function parseArgs(argv) {
  const options = { scenarioPath: '', host: '127.0.0.1', port: 0, delayMs: 0 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    const needValue = () => {
      if (value === undefined) throw new Error(`${flag} needs a value`);
      i++;
      return value;
    };
    if (flag === '--scenario') options.scenarioPath = needValue();
    else if (flag === '--host') options.host = needValue();
    else if (flag === '--port') options.port = toNumber(flag, needValue());
    else if (flag === '--delay-ms') options.delayMs = toNumber(flag, needValue());
    else throw new Error(`unknown argument ${flag}`);
  }
  if (!options.scenarioPath) throw new Error('--scenario <path> is required');
  return options;
}

/** @param {string} flag @param {string} value */
function toNumber(flag, value) {
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) throw new Error(`${flag} must be a non-negative number`);
  return number;
}

/**
 * True when stdin is a pipe or socket, i.e. a parent process holds the other
 * end. Only then does "stdin closed" mean "parent is gone"; a TTY or
 * /dev/null (e.g. `node server.mjs … &` from a shell) must not stop the server.
 */
function stdinIsPipe() {
  try {
    const stat = fstatSync(0);
    return stat.isFIFO() || stat.isSocket();
  } catch {
    return false;
  }
}

async function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(
      `${/** @type {Error} */ (error).message}\n` +
        'usage: node server.mjs --scenario <file.json> [--port N] [--host H] [--delay-ms N]\n',
    );
    process.exit(2);
  }
  const server = await startModelServer({ ...options, scenarioPath: resolve(options.scenarioPath) });

  // Install the shutdown hooks before announcing the url: a parent may signal
  // us as soon as it has read that line.
  const stop = () => server.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  if (stdinIsPipe()) {
    process.stdin.on('end', stop);
    process.stdin.on('close', stop);
    process.stdin.resume();
  }

  // The one line parents wait for; nothing else is ever written to stdout.
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error) => {
    // Startup errors (bad scenario, port in use) are user errors: the message says it all.
    process.stderr.write(`model-server: ${error?.message ?? error}\n`);
    process.exit(1);
  });
}
