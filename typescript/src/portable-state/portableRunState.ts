import type { ResponsesItem } from './responsesItems.js';

/**
 * The language-neutral run state, version 1: the TypeScript shape of
 * spec/portable-run-state/schema.json. Field names are snake_case on purpose:
 * the object is written to JSON as is and read by the Python package too.
 */

export const PORTABLE_RUN_STATE_FORMAT = 'timestep.portable-run-state';
export const PORTABLE_RUN_STATE_VERSION = 1;

/** The versions this reader accepts. */
export const SUPPORTED_PORTABLE_RUN_STATE_VERSIONS: readonly number[] = [1];

export type PortableSdk = '@openai/agents' | 'openai-agents';

export interface PortableProducer {
  sdk: PortableSdk;
  sdk_version: string;
  native_schema_version: string;
}

export interface PortableUsage {
  requests: number;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  input_tokens_details?: Record<string, number>;
  output_tokens_details?: Record<string, number>;
}

export interface PortableModelResponse {
  response_id?: string | null;
  output: ResponsesItem[];
  usage: PortableUsage;
}

export type PortableGeneratedItemType =
  | 'message_output'
  | 'tool_call'
  | 'tool_call_output'
  | 'handoff_call'
  | 'handoff_output'
  | 'reasoning'
  | 'tool_approval';

export interface PortableGeneratedItem {
  type: PortableGeneratedItemType;
  /** The agent that produced the item (for handoff_output: the source agent). */
  agent?: string;
  /** handoff_call and handoff_output: the agent handed to. */
  target_agent?: string;
  /** tool_approval: the tool awaiting a decision. */
  tool_name?: string;
  raw: ResponsesItem;
}

export interface PortableInterruption {
  agent: string;
  tool_name: string;
  /** The function_call awaiting approval. */
  raw: ResponsesItem;
}

export type PortableStep =
  | null
  | { type: 'interruption'; interruptions: PortableInterruption[] }
  | { type: 'final_output'; output: unknown }
  | { type: 'run_again' }
  | { type: 'handoff'; new_agent: string };

/**
 * Decisions about one tool. `true`/`false` are sticky ("always approve" /
 * "always reject"); a list holds the call ids decided one by one.
 */
export interface PortableApprovalRecord {
  approved: boolean | string[];
  rejected: boolean | string[];
  /** Rejection message by call id. */
  rejection_messages?: Record<string, string>;
  /** The message of a sticky rejection, used for every later call. */
  sticky_rejection_message?: string;
  /** The agent whose tool the decisions are about; absent: every agent with a tool of this name. */
  agent?: string;
}

export interface PortableGuardrailResult {
  name: string;
  tripwire_triggered: boolean;
  output_info?: unknown;
}

export interface PortableTrace {
  trace_id: string;
  workflow_name?: string | null;
  group_id?: string | null;
  metadata?: Record<string, unknown> | null;
}

export interface PortableRunState {
  format: typeof PORTABLE_RUN_STATE_FORMAT;
  version: 1;
  producer: PortableProducer;
  current_agent: string;
  current_turn: number;
  max_turns?: number | null;
  original_input: string | ResponsesItem[];
  generated_items: PortableGeneratedItem[];
  model_responses: PortableModelResponse[];
  /** Totals over the whole run. */
  usage: PortableUsage;
  step: PortableStep;
  /** Decisions already made, by tool name. */
  approvals: Record<string, PortableApprovalRecord>;
  /** Tools each agent has used, by agent name (drives reset_tool_choice). */
  tool_use_tracker?: Record<string, string[]>;
  input_guardrail_results?: PortableGuardrailResult[];
  output_guardrail_results?: PortableGuardrailResult[];
  trace?: PortableTrace | null;
  /** The user's run context when it is plain JSON; null otherwise. */
  context?: unknown;
}
