import { randomBytes } from 'node:crypto';
import { Agent, RunContext, RunState, RunToolApprovalItem } from '@openai/agents';
import { buildGraph, requireAgent, requireTool, type AgentGraph, type HandoffEntry } from './agentGraph.js';
import { InvalidRunStateError } from '../errors.js';
import { AgentGraphMismatchError } from './errors.js';
import type {
  PortableApprovalRecord,
  PortableGeneratedItem,
  PortableGuardrailResult,
  PortableRunState,
  PortableUsage,
} from './portableRunState.js';
import { fromResponsesItem, type ResponsesItem } from './responsesItems.js';
import { isPlainJson } from './toPortable.js';
import { parsePortableRunState } from './validate.js';

type Json = Record<string, any>;

/** The native schema this module writes; `RunState.fromString` of @openai/agents 0.20 reads it. */
const NATIVE_SCHEMA_VERSION = '1.22';

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export interface FromPortableOptions<TContext> {
  /**
   * The run context to resume with, replacing the portable one (which is only
   * carried when it is plain JSON). Approval decisions still come from the state.
   */
  context?: TContext;
}

// ------------------------------------------------------------ agent graph

const normaliseToolName = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, '_');

/** This SDK's handoff tool from `source` to `target`. */
function handoffToolName(graph: AgentGraph, source: string, target: string, producerName: string, where: string): string {
  const entry = graph.handoffs.get(source)?.find((h) => h.targetName === target);
  if (!entry) {
    throw new AgentGraphMismatchError(
      `The run state records a handoff from "${source}" to "${target}" (${where}), but "${source}" has no handoff to "${target}" in this agent graph.`,
      source,
      producerName,
    );
  }
  return entry.toolName;
}

/** The handoff of `source` whose tool name matches `producerName` in any SDK's spelling. */
function handoffByProducerName(graph: AgentGraph, source: string, producerName: string): HandoffEntry | undefined {
  const wanted = normaliseToolName(producerName);
  return graph.handoffs
    .get(source)
    ?.find((h) => normaliseToolName(h.toolName) === wanted || `transfer_to_${normaliseToolName(h.targetName)}` === wanted);
}

// ---------------------------------------------------------------- helpers

function usageToNative(usage: PortableUsage): Json {
  const details = (value: unknown) =>
    isObject(value)
      ? [Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'number'))]
      : undefined;
  const native: Json = {
    requests: usage.requests,
    inputTokens: usage.input_tokens,
    outputTokens: usage.output_tokens,
    totalTokens: usage.total_tokens,
  };
  const input = details(usage.input_tokens_details);
  const output = details(usage.output_tokens_details);
  if (input) native.inputTokensDetails = input;
  if (output) native.outputTokensDetails = output;
  return native;
}

const functionStateKey = (toolName: string) => JSON.stringify(['bare', toolName]);

function textOfToolOutput(output: unknown): unknown {
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) {
    const texts = output.filter((part) => isObject(part) && typeof part.text === 'string').map((part) => part.text);
    return texts.length === output.length ? texts.join('') : output;
  }
  return output ?? '';
}

interface Converted {
  native: Json;
  /** Per-call decisions to apply through the public API once the state is loaded. */
  perCall: Array<{ tool: string; callId: string; approve: boolean; message?: string; agent?: string }>;
  /** call id → raw JS function call and owning agent, for applying decisions. */
  calls: Map<string, { raw: Json; agent: string }>;
}

// -------------------------------------------------------------- conversion

function convert(portable: PortableRunState, graph: AgentGraph): Converted {
  // 1. Every agent the state names must exist in the graph.
  requireAgent(graph, portable.current_agent, 'current_agent');
  portable.generated_items.forEach((item, i) => {
    if (item.agent !== undefined) requireAgent(graph, item.agent, `generated_items[${i}].agent`);
    if (item.target_agent !== undefined) requireAgent(graph, item.target_agent, `generated_items[${i}].target_agent`);
  });
  for (const agent of Object.keys(portable.tool_use_tracker ?? {})) requireAgent(graph, agent, 'tool_use_tracker');
  for (const [tool, record] of Object.entries(portable.approvals)) {
    if (record.agent !== undefined) requireAgent(graph, record.agent, `approvals["${tool}"].agent`);
  }
  if (portable.step?.type === 'handoff') requireAgent(graph, portable.step.new_agent, 'step.new_agent');
  const interruptions = portable.step?.type === 'interruption' ? portable.step.interruptions : [];
  interruptions.forEach((interruption, i) => {
    requireAgent(graph, interruption.agent, `step.interruptions[${i}].agent`);
    requireTool(graph, interruption.agent, interruption.tool_name, `step.interruptions[${i}]`);
  });

  // 2. Handoff tools get this SDK's names (found by target agent in the graph).
  const handoffRenames = new Map<string, string>();
  const handoffCallIds = new Set<string>();
  const targetByCallId = new Map<string, string>();
  for (const item of portable.generated_items) {
    if (item.type === 'handoff_output' && item.target_agent !== undefined) {
      targetByCallId.set(String(item.raw.call_id), item.target_agent);
    }
  }
  portable.generated_items.forEach((item, i) => {
    if (item.type !== 'handoff_call' && item.type !== 'handoff_output') return;
    const where = `generated_items[${i}]`;
    const callId = String(item.raw.call_id);
    handoffCallIds.add(callId);
    const source = item.agent ?? portable.current_agent;
    const target = item.target_agent ?? targetByCallId.get(callId);
    const producerName = typeof item.raw.name === 'string' ? item.raw.name : undefined;
    if (item.type === 'handoff_output' || producerName === undefined) {
      if (target !== undefined) handoffToolName(graph, source, target, producerName ?? `handoff to ${target}`, where);
      return;
    }
    const jsName =
      target !== undefined
        ? handoffToolName(graph, source, target, producerName, where)
        : handoffByProducerName(graph, source, producerName)?.toolName;
    if (jsName === undefined) {
      throw new AgentGraphMismatchError(
        `The run state records handoff "${producerName}" of agent "${source}" (${where}), but "${source}" has no matching handoff in this agent graph.`,
        source,
        producerName,
      );
    }
    handoffRenames.set(producerName, jsName);
  });
  const renameCall = (raw: ResponsesItem): ResponsesItem =>
    raw.type === 'function_call' && typeof raw.name === 'string' && handoffCallIds.has(String(raw.call_id))
      ? { ...raw, name: handoffRenames.get(raw.name) ?? raw.name }
      : raw;

  // 3. Call id → tool name, so function_call_output items get their JS name back.
  const toolNames = new Map<string, string>();
  const collect = (raw: ResponsesItem) => {
    if (raw.type === 'function_call' && typeof raw.call_id === 'string' && typeof raw.name === 'string') {
      toolNames.set(raw.call_id, raw.name);
    }
  };
  if (Array.isArray(portable.original_input)) portable.original_input.forEach(collect);
  portable.model_responses.forEach((r) => r.output.map(renameCall).forEach(collect));
  portable.generated_items.forEach((item) => collect(renameCall(item.raw)));
  interruptions.forEach((item) => collect(item.raw));

  const js = (raw: ResponsesItem): Json => fromResponsesItem(raw, toolNames) as unknown as Json;

  // 4. Generated items.
  const calls = new Map<string, { raw: Json; agent: string }>();
  const generatedItems: Json[] = portable.generated_items.map((item, i) =>
    generatedItemToNative(item, i, portable.current_agent, renameCall, js, calls),
  );

  // 5. Where the run stands.
  const modelResponses = portable.model_responses.map((response) => ({
    usage: usageToNative(response.usage),
    output: response.output.map((raw) => js(renameCall(raw))),
    ...(typeof response.response_id === 'string' ? { responseId: response.response_id } : {}),
  }));
  let lastModelResponse: Json | undefined = modelResponses.at(-1);
  const step = portable.step;
  if (step?.type === 'interruption') {
    // The SDK resumes approvals from the last model response; it must hold the pending calls.
    const present = new Set((lastModelResponse?.output ?? []).map((item: Json) => String(item.callId)));
    const missing = step.interruptions.filter((item) => !present.has(String(item.raw.call_id))).map((item) => js(item.raw));
    if (missing.length > 0) {
      lastModelResponse = {
        usage: lastModelResponse?.usage ?? { requests: 0, inputTokens: 0, outputTokens: 0, totalTokens: 0 },
        output: [...(lastModelResponse?.output ?? []), ...missing],
        ...(lastModelResponse?.responseId ? { responseId: lastModelResponse.responseId } : {}),
      };
    }
  }
  let currentStep: Json | undefined;
  let lastProcessedResponse: Json | undefined;
  if (step?.type === 'interruption') {
    currentStep = {
      type: 'next_step_interruption',
      data: {
        interruptions: step.interruptions.map((interruption) => {
          const raw = js(interruption.raw);
          calls.set(String(raw.callId), { raw, agent: interruption.agent });
          return {
            type: 'tool_approval_item',
            rawItem: raw,
            agent: { name: interruption.agent },
            toolName: interruption.tool_name,
          };
        }),
      },
    };
    lastProcessedResponse = processedResponseFor(
      portable,
      graph,
      generatedItems,
      lastModelResponse,
      handoffCallIds,
      currentStep.data.interruptions.map((item: Json) => item.rawItem),
    );
  } else if (step?.type === 'final_output') {
    currentStep = { type: 'next_step_final_output', output: step.output };
  } else if (step?.type === 'run_again') {
    currentStep = { type: 'next_step_run_again' };
  } else if (step?.type === 'handoff') {
    currentStep = { type: 'next_step_handoff', newAgent: { name: step.new_agent } };
  }

  // 6. Sticky decisions go into the state; per-call ones are applied after loading.
  const { functionApprovals, perCall } = approvalsToNative(portable.approvals, graph);

  const finalOutput = step?.type === 'final_output' ? step.output : undefined;
  const context = portable.context;
  const native: Json = {
    $schemaVersion: NATIVE_SCHEMA_VERSION,
    currentTurn: portable.current_turn,
    currentAgent: { name: portable.current_agent },
    originalInput:
      typeof portable.original_input === 'string' ? portable.original_input : portable.original_input.map((raw) => js(raw)),
    modelResponses,
    context: {
      usage: usageToNative(portable.usage),
      approvals: {},
      ...(functionApprovals.length > 0 ? { functionApprovals } : {}),
      approvalInvocations: [],
      context: isObject(context) && isPlainJson(context) ? context : {},
    },
    toolUseTracker: Object.fromEntries(
      Object.entries(portable.tool_use_tracker ?? {}).map(([agent, tools]) => [
        agent,
        tools.map((tool) => handoffRenames.get(tool) ?? handoffByProducerName(graph, agent, tool)?.toolName ?? tool),
      ]),
    ),
    maxTurns: portable.max_turns ?? null,
    noActiveAgentRun: step?.type !== 'interruption',
    inputGuardrailResults: (portable.input_guardrail_results ?? []).map((result) => ({
      guardrail: { type: 'input', name: result.name },
      output: guardrailOutput(result),
    })),
    // Both SDKs only save a started run after its input guardrails passed.
    initialInputGuardrailsCompleted: true,
    outputGuardrailResults: (portable.output_guardrail_results ?? []).map((result) => ({
      guardrail: { type: 'output', name: result.name },
      agentOutput: finalOutput ?? null,
      agent: { name: portable.current_agent },
      output: guardrailOutput(result),
    })),
    toolInputGuardrailResults: [],
    toolOutputGuardrailResults: [],
    currentTurnInProgress: step?.type === 'interruption',
    ...(currentStep ? { currentStep } : {}),
    ...(lastModelResponse ? { lastModelResponse } : {}),
    generatedItems,
    pendingAgentToolRuns: {},
    pendingAgentToolRunAliases: {},
    ...(lastProcessedResponse ? { lastProcessedResponse } : {}),
    // Both SDKs have written every item generated before the pause to the
    // session (when there is one); resuming writes only what follows.
    currentTurnPersistedItemCount: step?.type === 'interruption' ? generatedItems.length : 0,
    completedToolInvocations: [],
    completedToolInvocationEvidence: [],
    ambiguousToolInvocationCallIds: [],
    // The JS SDK restores a run's trace only together with its current agent
    // span, which is process-local and not carried: open a fresh agent span in
    // the carried trace, so the resumed run continues the same trace.
    ...(portable.trace
      ? {
          currentAgentSpan: {
            object: 'trace.span',
            id: `span_${randomBytes(12).toString('hex')}`,
            trace_id: portable.trace.trace_id,
            parent_id: null,
            started_at: new Date().toISOString(),
            ended_at: null,
            error: null,
            span_data: { type: 'agent', name: portable.current_agent },
          },
        }
      : {}),
    trace: portable.trace
      ? {
          object: 'trace',
          id: portable.trace.trace_id,
          workflow_name: portable.trace.workflow_name ?? 'Agent workflow',
          group_id: portable.trace.group_id ?? null,
          metadata: portable.trace.metadata ?? {},
        }
      : null,
  };
  return { native, perCall, calls };
}

function guardrailOutput(result: PortableGuardrailResult): Json {
  return { tripwireTriggered: result.tripwire_triggered, outputInfo: result.output_info ?? null };
}

function generatedItemToNative(
  item: PortableGeneratedItem,
  index: number,
  currentAgent: string,
  renameCall: (raw: ResponsesItem) => ResponsesItem,
  js: (raw: ResponsesItem) => Json,
  calls: Map<string, { raw: Json; agent: string }>,
): Json {
  const agent = { name: item.agent ?? currentAgent };
  const where = `generated_items[${index}]`;
  const expect = (type: string) => {
    if (item.raw.type !== type) {
      throw new InvalidRunStateError(`Portable run state is malformed: ${where} is a ${item.type} whose raw item is not a ${type}.`);
    }
  };
  switch (item.type) {
    case 'message_output':
      return { type: 'message_output_item', rawItem: js({ type: 'message', ...item.raw }), agent };
    case 'reasoning':
      return { type: 'reasoning_item', rawItem: js(item.raw), agent };
    case 'tool_call': {
      expect('function_call');
      const rawItem = js(item.raw);
      calls.set(String(rawItem.callId), { raw: rawItem, agent: agent.name });
      return { type: 'tool_call_item', rawItem, agent };
    }
    case 'tool_call_output': {
      expect('function_call_output');
      const rawItem = js(item.raw);
      return { type: 'tool_call_output_item', rawItem, agent, output: textOfToolOutput(item.raw.output) };
    }
    case 'handoff_call':
      expect('function_call');
      return { type: 'handoff_call_item', rawItem: js(renameCall(item.raw)), agent };
    case 'handoff_output':
      expect('function_call_output');
      return {
        type: 'handoff_output_item',
        rawItem: js(item.raw),
        sourceAgent: agent,
        targetAgent: { name: item.target_agent ?? currentAgent },
      };
    case 'tool_approval': {
      expect('function_call');
      const rawItem = js(item.raw);
      const toolName = item.tool_name ?? String(rawItem.name);
      return {
        type: 'tool_approval_item',
        rawItem,
        agent,
        toolName,
        functionToolStateKey: functionStateKey(toolName),
      };
    }
  }
}

/** What the SDK needs to run the approved calls of the interrupted model response. */
function processedResponseFor(
  portable: PortableRunState,
  graph: AgentGraph,
  generatedItems: Json[],
  lastModelResponse: Json | undefined,
  handoffCallIds: Set<string>,
  interruptions: Json[],
): Json {
  const output: Json[] = lastModelResponse?.output ?? [];
  const calls = output.filter((item) => item.type === 'function_call' && !handoffCallIds.has(String(item.callId)));
  // The calls awaiting approval must be runnable even if a writer left them out of the last response.
  for (const interruption of interruptions) {
    if (!calls.some((call) => String(call.callId) === String(interruption.callId))) calls.push(interruption);
  }
  const callIds = new Set(calls.map((call) => String(call.callId)));
  const answered = new Set(
    generatedItems.filter((item) => item.type === 'tool_call_output_item').map((item) => String(item.rawItem.callId)),
  );
  calls.forEach((call) => {
    if (!answered.has(String(call.callId))) {
      requireTool(graph, portable.current_agent, String(call.name), `the pending call ${String(call.callId)} of the last model response`);
    }
  });
  return {
    newItems: generatedItems.filter(
      (item) => item.type === 'tool_call_item' && callIds.has(String(item.rawItem.callId)),
    ),
    toolsUsed: output.filter((item) => item.type === 'function_call').map((item) => String(item.name)),
    handoffs: [],
    functions: calls.map((call) => ({
      toolCall: call,
      tool: { type: 'function', name: call.name },
      mcpToolBinding: null,
    })),
    functionToolsNotFound: [],
    computerActions: [],
    shellActions: [],
    applyPatchActions: [],
    mcpApprovalRequests: [],
  };
}

function approvalsToNative(approvals: Record<string, PortableApprovalRecord>, graph: AgentGraph) {
  const byAgent = new Map<string, Record<string, Json>>();
  const perCall: Converted['perCall'] = [];
  for (const [tool, record] of Object.entries(approvals)) {
    const sticky = record.approved === true || record.rejected === true;
    if (sticky) {
      const owners = record.agent !== undefined
        ? [record.agent]
        : [...graph.functionTools].filter(([, tools]) => tools.has(tool)).map(([agent]) => agent);
      const nativeRecord: Json = {
        approved: record.approved === true ? true : [],
        rejected: record.rejected === true ? true : [],
      };
      if (record.rejected === true) {
        nativeRecord.approved = false;
        if (record.rejection_messages && Object.keys(record.rejection_messages).length > 0) {
          nativeRecord.messages = { ...record.rejection_messages };
        }
        if (record.sticky_rejection_message !== undefined) nativeRecord.stickyRejectMessage = record.sticky_rejection_message;
      }
      for (const owner of owners) {
        const records = byAgent.get(owner) ?? {};
        records[functionStateKey(tool)] = nativeRecord;
        byAgent.set(owner, records);
      }
    }
    if (Array.isArray(record.approved)) {
      for (const callId of record.approved) perCall.push({ tool, callId, approve: true, agent: record.agent });
    }
    if (Array.isArray(record.rejected)) {
      for (const callId of record.rejected) {
        perCall.push({ tool, callId, approve: false, message: record.rejection_messages?.[callId], agent: record.agent });
      }
    }
  }
  const functionApprovals = [...byAgent].map(([agentIdentity, records]) => ({ agentIdentity, approvals: records }));
  return { functionApprovals, perCall };
}

// -------------------------------------------------- completion bookkeeping

/** JSON with every object's keys sorted, the way the SDK writes fingerprints. */
function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_key, current: unknown) =>
    isObject(current)
      ? Object.fromEntries(Object.entries(current).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : current,
  );
}

/**
 * The SDK refuses a state whose record of completed tool calls disagrees with
 * its items, and records them by a fingerprint of the call (its normalised
 * arguments, caller and tool identity) that only the SDK computes. Ask it:
 * approving a call in a scratch state binds, and serialises, its fingerprint.
 * Approval keys must be function-tool identities, so handoff calls are
 * fingerprinted as a function tool and their tool identity swapped afterwards.
 */
async function fingerprintsOf(
  graph: AgentGraph,
  requests: Array<{ agent: string; callId: string; toolName: string; raw: Json }>,
): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  const byAgent = new Map<string, typeof requests>();
  for (const request of requests) byAgent.set(request.agent, [...(byAgent.get(request.agent) ?? []), request]);
  for (const [agentName, group] of byAgent) {
    const agent = graph.agents.get(agentName)!;
    const scratch = new RunState(new RunContext({}), '', graph.root, null);
    for (const request of group) {
      const name = String(request.raw.name);
      scratch.approve(new RunToolApprovalItem(request.raw as any, agent, name, functionStateKey(name)));
    }
    const json = scratch.toJSON() as unknown as Json;
    const toolNames = new Map(group.map((request) => [request.callId, request.toolName]));
    for (const entry of json.context.approvalInvocations ?? []) {
      if (entry.agentIdentity !== agentName) continue;
      for (const [callId, fingerprint] of Object.entries(entry.invocations as Record<string, string>)) {
        const parsed = JSON.parse(fingerprint) as Json;
        parsed.toolName = toolNames.get(callId);
        result.set(`${agentName}\u0000${callId}`, stableStringify(parsed));
      }
    }
  }
  return result;
}

async function addCompletionRecords(native: Json, graph: AgentGraph): Promise<void> {
  const items: Json[] = native.generatedItems;
  const pending = new Map<string, { index: number; raw: Json; toolName: string }>();
  const pairs: Array<{ agent: string; callId: string; toolName: string; raw: Json; callIndex: number; outputIndex: number }> = [];
  const ambiguous = new Map<string, Set<string>>();
  const markAmbiguous = (agent: string, callId: string) => {
    ambiguous.set(agent, (ambiguous.get(agent) ?? new Set()).add(callId));
  };
  items.forEach((item, index) => {
    const callId = String(item.rawItem?.callId);
    if (item.type === 'tool_call_item' || item.type === 'handoff_call_item') {
      const agent = item.agent.name;
      const toolName =
        item.type === 'handoff_call_item' ? `handoff:${item.rawItem.name}` : functionStateKey(String(item.rawItem.name));
      const key = `${agent}\u0000${callId}`;
      const previous = pending.get(key);
      if (previous && previous.raw.arguments !== item.rawItem.arguments) markAmbiguous(agent, callId);
      pending.set(key, { index, raw: item.rawItem, toolName });
    } else if (item.type === 'tool_call_output_item' || item.type === 'handoff_output_item') {
      const agent = item.type === 'handoff_output_item' ? item.sourceAgent.name : item.agent.name;
      const key = `${agent}\u0000${callId}`;
      const call = pending.get(key);
      if (!call || call.raw.name !== item.rawItem.name) {
        markAmbiguous(agent, callId);
        return;
      }
      pending.delete(key);
      pairs.push({ agent, callId, toolName: call.toolName, raw: call.raw, callIndex: call.index, outputIndex: index });
    }
  });
  const completedPairs = pairs.filter((pair) => !ambiguous.get(pair.agent)?.has(pair.callId));
  const fingerprints = await fingerprintsOf(graph, completedPairs);
  const completed = new Map<string, Record<string, string>>();
  const evidence = new Map<string, Record<string, Json>>();
  for (const pair of completedPairs) {
    const fingerprint = fingerprints.get(`${pair.agent}\u0000${pair.callId}`);
    if (fingerprint === undefined) continue;
    completed.set(pair.agent, { ...completed.get(pair.agent), [pair.callId]: fingerprint });
    evidence.set(pair.agent, {
      ...evidence.get(pair.agent),
      [pair.callId]: { fingerprint, items: [{ generatedItemIndex: pair.callIndex }, { generatedItemIndex: pair.outputIndex }] },
    });
  }
  native.completedToolInvocations = [...completed].map(([agentIdentity, invocations]) => ({ agentIdentity, invocations }));
  native.completedToolInvocationEvidence = [...evidence].map(([agentIdentity, invocations]) => ({ agentIdentity, invocations }));
  native.ambiguousToolInvocationCallIds = [...ambiguous].map(([agentIdentity, callIds]) => ({
    agentIdentity,
    callIds: [...callIds].sort(),
  }));
}

// -------------------------------------------------------------------- main

/**
 * Builds a live JS SDK `RunState` from a portable run state (object or JSON
 * text), bound to the agent graph of `startingAgent`.
 *
 * Throws `UnsupportedRunStateVersionError` for an unknown `version`,
 * `AgentGraphMismatchError` when the state names an agent, tool or handoff the
 * graph lacks, and `InvalidRunStateError` when the state is malformed.
 */
export async function fromPortableRunState<TContext = any, TAgent extends Agent<any, any> = Agent<any, any>>(
  portable: unknown,
  startingAgent: TAgent,
  options: FromPortableOptions<TContext> = {},
): Promise<RunState<TContext, TAgent>> {
  const state = parsePortableRunState(portable);
  const graph = buildGraph(startingAgent);
  const { native, perCall, calls } = convert(state, graph);
  await addCompletionRecords(native, graph);

  const text = JSON.stringify(native);
  let runState: RunState<TContext, TAgent>;
  try {
    runState =
      options.context === undefined
        ? await RunState.fromString<TContext, TAgent>(startingAgent, text)
        : await RunState.fromStringWithContext<TContext, TAgent>(startingAgent, text, new RunContext(options.context));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidRunStateError(
      `The portable run state (made by ${state.producer.sdk} ${state.producer.sdk_version}) could not be rebuilt as a ` +
        `@openai/agents run state: ${reason}`,
      { cause: error },
    );
  }

  // Per-call decisions, through the SDK's own API so it binds them to their calls.
  const pendingByCallId = new Map(
    runState.getInterruptions().map((item) => [String((item.rawItem as { callId?: string }).callId), item]),
  );
  for (const decision of perCall) {
    const item =
      pendingByCallId.get(decision.callId) ??
      (() => {
        const call = calls.get(decision.callId);
        if (!call) return undefined;
        const agent = graph.agents.get(decision.agent ?? call.agent) ?? graph.agents.get(call.agent)!;
        return new RunToolApprovalItem(call.raw as any, agent, decision.tool);
      })();
    if (!item) continue; // a decision about a call this state no longer holds
    if (decision.approve) runState.approve(item);
    else runState.reject(item, decision.message === undefined ? {} : { message: decision.message });
  }
  return runState;
}

/** The native @openai/agents JSON text of a portable run state (what `state.toString()` gives). */
export async function portableToNativeJson(portable: unknown, startingAgent: Agent<any, any>): Promise<string> {
  return (await fromPortableRunState(portable, startingAgent)).toString();
}

