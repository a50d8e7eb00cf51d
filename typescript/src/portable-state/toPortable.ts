import type { AgentInputItem, RunState } from '@openai/agents';
import { SDK_NAME, SDK_VERSION } from '../store/sdkInfo.js';
import { InvalidRunStateError } from '../errors.js';
import { UnportableRunStateError } from './errors.js';
import {
  PORTABLE_RUN_STATE_FORMAT,
  PORTABLE_RUN_STATE_VERSION,
  type PortableApprovalRecord,
  type PortableGeneratedItem,
  type PortableGuardrailResult,
  type PortableInterruption,
  type PortableRunState,
  type PortableStep,
  type PortableTrace,
  type PortableUsage,
} from './portableRunState.js';
import { toResponsesItem, type ResponsesItem } from './responsesItems.js';

type Json = Record<string, any>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** True when `value` survives JSON.stringify/parse unchanged (no classes, functions, NaN…). */
export function isPlainJson(value: unknown, seen: Set<unknown> = new Set()): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'object' || seen.has(value)) return false;
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.every((entry) => isPlainJson(entry, seen));
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) return false;
    return Object.values(value).every((entry) => isPlainJson(entry, seen));
  } finally {
    seen.delete(value);
  }
}

const unportable = (what: string, why: string) =>
  new UnportableRunStateError(
    `This run state cannot be written in the portable format (version ${PORTABLE_RUN_STATE_VERSION}): ${what} ${why} ` +
      'The native state is unaffected and still resumes in the language that saved it.',
  );

function agentName(reference: unknown, where: string): string {
  if (!isObject(reference) || typeof reference.name !== 'string') {
    throw new InvalidRunStateError(`Native run state has no agent name at ${where}.`);
  }
  if (typeof reference.identity === 'string' && reference.identity !== reference.name) {
    throw unportable(`agent "${reference.name}" at ${where}`, 'shares its name with another agent of the graph; portable states name agents, so names must be unique.');
  }
  return reference.name;
}

// ------------------------------------------------------------------- usage

function sumDetails(details: unknown): Record<string, number> | undefined {
  const entries = Array.isArray(details) ? details : isObject(details) ? [details] : [];
  const total: Record<string, number> = {};
  for (const entry of entries) {
    if (!isObject(entry)) continue;
    for (const [key, value] of Object.entries(entry)) {
      if (typeof value === 'number' && Number.isFinite(value)) total[key] = (total[key] ?? 0) + value;
    }
  }
  return Object.keys(total).length > 0 ? total : undefined;
}

function usageToPortable(usage: unknown): PortableUsage {
  const u = isObject(usage) ? usage : {};
  const portable: PortableUsage = {
    requests: u.requests ?? 0,
    input_tokens: u.inputTokens ?? 0,
    output_tokens: u.outputTokens ?? 0,
    total_tokens: u.totalTokens ?? 0,
  };
  const input = sumDetails(u.inputTokensDetails);
  const output = sumDetails(u.outputTokensDetails);
  if (input) portable.input_tokens_details = input;
  if (output) portable.output_tokens_details = output;
  return portable;
}

// ------------------------------------------------------------------- items

const FUNCTION_CALL_TYPES = new Set(['function_call']);

function rawToResponses(rawItem: unknown, where: string): ResponsesItem {
  if (!isObject(rawItem)) throw new InvalidRunStateError(`Native run state has no raw item at ${where}.`);
  return toResponsesItem(rawItem as AgentInputItem);
}

function functionCallToResponses(rawItem: unknown, where: string): ResponsesItem {
  if (!isObject(rawItem) || !FUNCTION_CALL_TYPES.has(rawItem.type)) {
    const type = isObject(rawItem) ? String(rawItem.type) : typeof rawItem;
    throw unportable(`the ${type} at ${where}`, 'is not a function tool call; only function tools (and handoffs) cross between languages.');
  }
  return rawToResponses(rawItem, where);
}

function generatedItemToPortable(item: Json, index: number, handoffTargets: Map<string, string>): PortableGeneratedItem {
  const where = `generatedItems[${index}]`;
  switch (item.type) {
    case 'message_output_item':
      return { type: 'message_output', agent: agentName(item.agent, where), raw: rawToResponses(item.rawItem, where) };
    case 'reasoning_item':
      return { type: 'reasoning', agent: agentName(item.agent, where), raw: rawToResponses(item.rawItem, where) };
    case 'tool_call_item':
      return { type: 'tool_call', agent: agentName(item.agent, where), raw: functionCallToResponses(item.rawItem, where) };
    case 'tool_call_output_item': {
      if (!isObject(item.rawItem) || item.rawItem.type !== 'function_call_result') {
        throw unportable(`the ${String(item.rawItem?.type)} at ${where}`, 'is not a function tool result.');
      }
      return { type: 'tool_call_output', agent: agentName(item.agent, where), raw: rawToResponses(item.rawItem, where) };
    }
    case 'handoff_call_item': {
      const portable: PortableGeneratedItem = {
        type: 'handoff_call',
        agent: agentName(item.agent, where),
        raw: functionCallToResponses(item.rawItem, where),
      };
      const target = handoffTargets.get(String(item.rawItem.callId));
      if (target !== undefined) portable.target_agent = target;
      return portable;
    }
    case 'handoff_output_item':
      return {
        type: 'handoff_output',
        agent: agentName(item.sourceAgent, `${where}.sourceAgent`),
        target_agent: agentName(item.targetAgent, `${where}.targetAgent`),
        raw: rawToResponses(item.rawItem, where),
      };
    case 'tool_approval_item':
      return {
        type: 'tool_approval',
        agent: agentName(item.agent, where),
        tool_name: typeof item.toolName === 'string' ? item.toolName : String(item.rawItem?.name),
        raw: functionCallToResponses(item.rawItem, where),
      };
    default:
      throw unportable(`the ${String(item.type)} at ${where}`, 'has no portable equivalent.');
  }
}

function interruptionToPortable(item: unknown, index: number): PortableInterruption {
  const where = `currentStep.data.interruptions[${index}]`;
  if (!isObject(item)) throw new InvalidRunStateError(`Native run state has a malformed interruption at ${where}.`);
  const raw = functionCallToResponses(item.rawItem, where);
  return {
    agent: agentName(item.agent, where),
    tool_name: typeof item.toolName === 'string' ? item.toolName : String(raw.name),
    raw,
  };
}

function stepToPortable(step: unknown): PortableStep {
  if (!isObject(step)) return null;
  switch (step.type) {
    case 'next_step_interruption': {
      const interruptions = Array.isArray(step.data?.interruptions) ? step.data.interruptions : [];
      if (interruptions.length === 0) return null;
      return { type: 'interruption', interruptions: interruptions.map(interruptionToPortable) };
    }
    case 'next_step_final_output':
      return { type: 'final_output', output: step.output };
    case 'next_step_run_again':
      return { type: 'run_again' };
    case 'next_step_handoff':
      return { type: 'handoff', new_agent: agentName(step.newAgent, 'currentStep.newAgent') };
    default:
      throw unportable(`the current step "${String(step.type)}"`, 'is unknown.');
  }
}

// --------------------------------------------------------------- approvals

/** `["bare","get_weather"]` → `get_weather`. */
function toolNameOfStateKey(key: string): string {
  if (!key.startsWith('[')) return key;
  try {
    const parts = JSON.parse(key) as unknown;
    if (Array.isArray(parts) && parts.length === 2 && (parts[0] === 'bare' || parts[0] === 'deferred_top_level')) {
      return String(parts[1]);
    }
  } catch {
    // fall through
  }
  throw unportable(`the approval for tool ${key}`, 'belongs to a namespaced tool; v1 keys decisions by plain tool name.');
}

function unionIds(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])];
}

function mergeDecision(current: boolean | string[], incoming: boolean | string[]): boolean | string[] {
  if (current === true || incoming === true) return true;
  if (Array.isArray(current) && Array.isArray(incoming)) return unionIds(current, incoming);
  if (Array.isArray(current)) return current;
  if (Array.isArray(incoming)) return incoming;
  return false;
}

function approvalRecordToPortable(record: unknown, agent: string | undefined): PortableApprovalRecord {
  const r = isObject(record) ? record : {};
  const decision = (value: unknown): boolean | string[] =>
    typeof value === 'boolean' ? value : Array.isArray(value) ? value.map(String) : [];
  const portable: PortableApprovalRecord = { approved: decision(r.approved), rejected: decision(r.rejected) };
  if (isObject(r.messages) && Object.keys(r.messages).length > 0) {
    portable.rejection_messages = Object.fromEntries(Object.entries(r.messages).map(([k, v]) => [k, String(v)]));
  }
  if (typeof r.stickyRejectMessage === 'string') portable.sticky_rejection_message = r.stickyRejectMessage;
  if (agent !== undefined) portable.agent = agent;
  return portable;
}

function addApproval(target: Record<string, PortableApprovalRecord>, tool: string, incoming: PortableApprovalRecord): void {
  const current = target[tool];
  if (!current) {
    target[tool] = incoming;
    return;
  }
  const merged: PortableApprovalRecord = {
    approved: mergeDecision(current.approved, incoming.approved),
    rejected: mergeDecision(current.rejected, incoming.rejected),
  };
  const messages = { ...current.rejection_messages, ...incoming.rejection_messages };
  if (Object.keys(messages).length > 0) merged.rejection_messages = messages;
  const sticky = incoming.sticky_rejection_message ?? current.sticky_rejection_message;
  if (sticky !== undefined) merged.sticky_rejection_message = sticky;
  if (current.agent !== undefined && current.agent === incoming.agent) merged.agent = current.agent;
  target[tool] = merged;
}

function approvalsToPortable(context: Json): Record<string, PortableApprovalRecord> {
  const approvals: Record<string, PortableApprovalRecord> = {};
  if (isObject(context.hostedMcpApprovals) && Object.keys(context.hostedMcpApprovals).length > 0) {
    throw unportable('hosted MCP approval decisions', 'have no portable equivalent.');
  }
  for (const entry of Array.isArray(context.functionApprovals) ? context.functionApprovals : []) {
    const agent = String(entry.agentIdentity);
    for (const [key, record] of Object.entries(isObject(entry.approvals) ? entry.approvals : {})) {
      addApproval(approvals, toolNameOfStateKey(key), approvalRecordToPortable(record, agent));
    }
  }
  for (const source of [context.legacyFunctionApprovals, context.approvals]) {
    for (const [key, record] of Object.entries(isObject(source) ? source : {})) {
      addApproval(approvals, toolNameOfStateKey(key), approvalRecordToPortable(record, undefined));
    }
  }
  return approvals;
}

// -------------------------------------------------------------- guardrails

function guardrailResultsToPortable(results: unknown): PortableGuardrailResult[] {
  return (Array.isArray(results) ? results : []).map((result: Json) => {
    const portable: PortableGuardrailResult = {
      name: String(result.guardrail?.name),
      tripwire_triggered: Boolean(result.output?.tripwireTriggered),
    };
    if (result.output && 'outputInfo' in result.output && result.output.outputInfo !== undefined) {
      portable.output_info = result.output.outputInfo;
    }
    return portable;
  });
}

function traceToPortable(trace: unknown): PortableTrace | null {
  // With tracing disabled the SDK records a no-op trace; there is nothing to carry.
  if (!isObject(trace) || typeof trace.id !== 'string' || trace.id === 'no-op') return null;
  return {
    trace_id: trace.id,
    workflow_name: typeof trace.workflow_name === 'string' ? trace.workflow_name : null,
    group_id: typeof trace.group_id === 'string' ? trace.group_id : null,
    metadata: isObject(trace.metadata) ? trace.metadata : null,
  };
}

// -------------------------------------------------------------------- main

function requireEmpty(value: unknown, what: string, why: string): void {
  const empty =
    value === undefined ||
    value === null ||
    (Array.isArray(value) && value.length === 0) ||
    (isObject(value) && Object.keys(value).length === 0);
  if (!empty) throw unportable(what, why);
}

/**
 * The portable form of a JS SDK native run state: `state.toJSON()` (or its
 * parsed string). Throws `UnportableRunStateError` when the state holds
 * something version 1 cannot express.
 */
export function nativeJsonToPortable(native: unknown): PortableRunState {
  const json = typeof native === 'string' ? (JSON.parse(native) as unknown) : native;
  if (!isObject(json) || typeof json.$schemaVersion !== 'string') {
    throw new InvalidRunStateError('Not a native @openai/agents run state: $schemaVersion is missing.');
  }
  requireEmpty(json.pendingInput, 'input added to the paused run (pendingInput)', 'has no portable field.');
  requireEmpty(json.pendingAgentToolRuns, 'a paused nested agent-as-tool run', 'has no portable equivalent.');
  requireEmpty(json.sandbox, 'sandbox session state', 'is specific to the JS SDK.');
  requireEmpty(json.pendingSessionWrite, 'an unfinished session write', 'must complete in the SDK that started it.');
  requireEmpty(json.conversationId, 'a server-managed conversation (conversationId)', 'has no portable field in version 1.');
  requireEmpty(json.previousResponseId, 'a server-managed conversation (previousResponseId)', 'has no portable field in version 1.');
  requireEmpty(json.context?.toolInput, 'agent-as-tool input (context.toolInput)', 'has no portable field.');
  if (json.currentTurn > 0 && json.initialInputGuardrailsCompleted === false) {
    throw unportable('a run whose initial input guardrails never completed', 'cannot be resumed by either SDK.');
  }

  const generated: Json[] = Array.isArray(json.generatedItems) ? json.generatedItems : [];
  const handoffTargets = new Map<string, string>();
  for (const item of generated) {
    if (item.type === 'handoff_output_item' && isObject(item.rawItem) && isObject(item.targetAgent)) {
      handoffTargets.set(String(item.rawItem.callId), String(item.targetAgent.name));
    }
  }
  for (const entry of Array.isArray(json.lastProcessedResponse?.handoffs) ? json.lastProcessedResponse.handoffs : []) {
    const callId = entry?.toolCall?.callId;
    const target = entry?.targetAgent?.name ?? entry?.handoff?.agentName;
    if (typeof callId === 'string' && typeof target === 'string' && !handoffTargets.has(callId)) {
      handoffTargets.set(callId, target);
    }
  }

  const contextValue = json.context?.context;
  const portable: PortableRunState = {
    format: PORTABLE_RUN_STATE_FORMAT,
    version: PORTABLE_RUN_STATE_VERSION,
    producer: { sdk: SDK_NAME, sdk_version: SDK_VERSION, native_schema_version: json.$schemaVersion },
    current_agent: agentName(json.currentAgent, 'currentAgent'),
    current_turn: json.currentTurn,
    max_turns: json.maxTurns ?? null,
    original_input:
      typeof json.originalInput === 'string'
        ? json.originalInput
        : (json.originalInput as unknown[]).map((item, i) => rawToResponses(item, `originalInput[${i}]`)),
    generated_items: generated.map((item, i) => generatedItemToPortable(item, i, handoffTargets)),
    model_responses: (json.modelResponses as Json[]).map((response, i) => ({
      response_id: typeof response.responseId === 'string' ? response.responseId : null,
      output: (response.output as unknown[]).map((item, j) => rawToResponses(item, `modelResponses[${i}].output[${j}]`)),
      usage: usageToPortable(response.usage),
    })),
    usage: usageToPortable(json.context?.usage),
    step: stepToPortable(json.currentStep),
    approvals: approvalsToPortable(isObject(json.context) ? json.context : {}),
    tool_use_tracker: Object.fromEntries(
      Object.entries(isObject(json.toolUseTracker) ? json.toolUseTracker : {}).map(([agent, tools]) => [
        agent,
        (tools as unknown[]).map(String),
      ]),
    ),
    input_guardrail_results: guardrailResultsToPortable(json.inputGuardrailResults),
    output_guardrail_results: guardrailResultsToPortable(json.outputGuardrailResults),
    trace: traceToPortable(json.trace),
    context: isPlainJson(contextValue) ? structuredClone(contextValue) : null,
  };
  return portable;
}

/** The portable form of a live JS SDK `RunState` (see `nativeJsonToPortable`). */
export function toPortableRunState(state: RunState<any, any>): PortableRunState {
  return nativeJsonToPortable(state.toJSON());
}
