// Types for server.mjs, so TypeScript tests can `import { startModelServer }
// from '…/testing/model-server/server.mjs'` with full type checking.

/** Which wire format a request used. */
export type ApiName = 'responses' | 'chat.completions' | 'ollama.chat';

/** One entry of the request log (`server.requests`, `GET /__scripted/requests`). */
export interface RequestLogEntry {
  api: ApiName;
  model: string;
  /** Id of the rule that answered, or null when no rule matched (HTTP 400). */
  ruleId: string | null;
  stream: boolean;
}

/** What `onRequest` sees of each model request, as it arrives (before any scripted delay). */
export interface ObservedRequest extends RequestLogEntry {
  /** Text of the most recent user message ('' when there is none). */
  lastUserText: string;
  /** Arrival time, milliseconds since the epoch (Date.now()). */
  receivedAt: number;
}

export type ItemKind = 'user' | 'assistant' | 'function_call' | 'function_call_output';

/** Conditions of a rule; all optional and ANDed. See spec/scenarios/README.md. */
export interface RuleWhen {
  /** Substring of the system/developer instructions. */
  agent?: string;
  /** Exact model name. */
  model?: string;
  /** Substring of the most recent user message. */
  lastUserTextContains?: string;
  lastUserHasImage?: boolean;
  /** Conditions on the final item of the conversation. */
  lastItem?: { kind?: ItemKind; name?: string; textContains?: string };
  /** A tool with this name is offered (case-insensitive). */
  toolsInclude?: string;
}

export interface RuleReply {
  /** May contain {{lastToolOutput}} and {{lastUserText}}. */
  text?: string;
  toolCalls?: Array<{ name: string; arguments?: Record<string, unknown> }>;
  usage?: { input_tokens?: number; output_tokens?: number };
  /** Wait this long before answering (simulated model latency). */
  delayMs?: number;
  /** Answer with an HTTP error instead (status defaults to 500). */
  error?: { status?: number; message: string; type?: string; code?: string };
}

export interface Rule {
  id: string;
  when?: RuleWhen;
  reply: RuleReply;
}

export interface Scenario {
  name?: string;
  description?: string;
  rules: Rule[];
}

export interface StartModelServerOptions {
  /** An in-memory scenario; give this or `scenarioPath`. */
  scenario?: Scenario;
  /** Path of a scenario JSON file, e.g. spec/scenarios/echo.json. */
  scenarioPath?: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** Latency for rules that don't set their own `delayMs`. Default 0. */
  delayMs?: number;
  /** Called as each model request arrives, e.g. to tell apart the runs of many concurrent clients. */
  onRequest?: (observed: ObservedRequest) => void;
}

export interface ModelServer {
  /** `http://127.0.0.1:PORT`, no trailing slash. OpenAI base URL is `${url}/v1`. */
  url: string;
  /** Live request log; cleared in place by `POST /__scripted/reset`. */
  requests: RequestLogEntry[];
  /** Stops listening and drops open connections. Idempotent. */
  close(): Promise<void>;
}

export function startModelServer(options: StartModelServerOptions): Promise<ModelServer>;
