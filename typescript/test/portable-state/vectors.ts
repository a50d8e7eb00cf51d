import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  MaxTurnsExceededError,
  Runner,
  setTraceProcessors,
  setTracingDisabled,
  type AgentInputItem,
  type RunState,
} from '@openai/agents';
import { toResponsesItem } from '../../src/portable-state/responsesItems.js';
import type { PortableRunState, PortableTrace } from '../../src/portable-state/portableRunState.js';
import { REPO_ROOT } from '../support/environment.js';
import { normaliseConversation, parseIfJson, type NormalisedItem } from './normalise.js';
import { PERSONAL_ASSISTANT, WEATHER_ASSISTANT, type VectorAgents } from './vectorAgents.js';

/** The golden vector format: spec/portable-run-state/vectors/README.md. */

export const VECTORS_DIR = join(REPO_ROOT, 'spec', 'portable-run-state', 'vectors');
export const AGENT_NAMES = [PERSONAL_ASSISTANT, WEATHER_ASSISTANT];

export interface Decision {
  tool: string;
  call_id: string;
  decision: 'approve' | 'reject';
  always: boolean;
  message?: string;
}

/** How the producer made the native state, so each language can make its own. */
export interface Recipe {
  /** User turns run first, in one session, before `input`. */
  previous_turns: string[];
  /** The run's input: text, or Responses API input items. */
  input: string | Array<Record<string, unknown>>;
  context: Record<string, unknown> | null;
  max_turns: number;
  /** Run configuration of the trace (trace id, group id, workflow name, metadata); null: tracing off. */
  trace: PortableTrace | null;
  /** Decisions made on the interruptions before the state was saved (by index of interruption). */
  decisions_before_saving: Array<{ interruption: number; decision: 'approve' | 'reject'; always: boolean; message?: string }>;
}

export interface Expected {
  final_output: unknown;
  /** Normalised conversation after resuming: original input plus every generated item; null when the run failed. */
  conversation: NormalisedItem[] | null;
  /** Tool calls that actually ran while resuming, in order. */
  tool_runs: Array<{ tool: string; arguments: Record<string, unknown> }>;
  /** Interruptions still pending when the resumed run stopped. */
  interruptions: Array<{ agent: string; tool: string; arguments: unknown }>;
  /** The run's error, when resuming fails as the situation intends. */
  error?: 'max_turns_exceeded';
  /** The trace the finished run's state carries (only when `resume.tracing`). */
  trace?: PortableTrace | null;
}

export interface Vector {
  name: string;
  producer: PortableRunState['producer'];
  situation: string;
  scenario: string;
  recipe: Recipe;
  native: string;
  portable: PortableRunState;
  resume: { decisions: Decision[]; tracing: boolean };
  expected: Expected;
}

export function vectorFiles(language: 'typescript' | 'python'): string[] {
  const dir = join(VECTORS_DIR, language);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => join(dir, file));
}

export function pythonVectorsDirExists(): boolean {
  return existsSync(join(VECTORS_DIR, 'python'));
}

export function readVector(path: string): Vector {
  return JSON.parse(readFileSync(path, 'utf8')) as Vector;
}

function traceOf(json: Record<string, any>): PortableTrace | null {
  const trace = json.trace;
  if (!trace || trace.id === 'no-op') return null;
  return {
    trace_id: trace.id,
    workflow_name: trace.workflow_name ?? null,
    group_id: trace.group_id ?? null,
    metadata: trace.metadata ?? null,
  };
}

/** Runs `fn` with tracing on but nothing exported (no processors). */
export async function withSilentTracing<T>(enabled: boolean, fn: () => Promise<T>): Promise<T> {
  if (!enabled) return fn();
  setTraceProcessors([]);
  setTracingDisabled(false);
  try {
    return await fn();
  } finally {
    setTracingDisabled(true);
  }
}

/**
 * The resume procedure of the README: apply `decisions` to the loaded state,
 * run the starting agent on it, and observe the outcome.
 */
export async function resumeAndObserve(
  load: () => Promise<RunState<any, any>>,
  agents: VectorAgents,
  resume: Vector['resume'],
): Promise<Expected> {
  // Loading happens with tracing on too: the SDK restores a trace only while tracing is enabled.
  return withSilentTracing(resume.tracing, () => resumeLoaded(load, agents, resume));
}

async function resumeLoaded(
  load: () => Promise<RunState<any, any>>,
  agents: VectorAgents,
  resume: Vector['resume'],
): Promise<Expected> {
  const state = await load();
  const pending = state.getInterruptions();
  for (const decision of resume.decisions) {
    const item = pending.find((candidate) => (candidate.rawItem as { callId?: string }).callId === decision.call_id);
    if (!item) throw new Error(`No pending interruption with call id ${decision.call_id} (${decision.tool}).`);
    if (item.name !== decision.tool) throw new Error(`Interruption ${decision.call_id} is for ${item.name}, not ${decision.tool}.`);
    if (decision.decision === 'approve') state.approve(item, { alwaysApprove: decision.always });
    else state.reject(item, { alwaysReject: decision.always, ...(decision.message !== undefined ? { message: decision.message } : {}) });
  }
  const start = agents.toolRuns.length;
  {
    try {
      const result = await new Runner().run(agents.personalAssistant, state);
      const observed: Expected = {
        final_output: result.finalOutput ?? null,
        conversation: normaliseConversation(
          result.history.map((item: AgentInputItem) => toResponsesItem(item)),
          AGENT_NAMES,
        ),
        tool_runs: agents.toolRuns.slice(start),
        interruptions: (result.interruptions ?? []).map((item) => ({
          agent: item.agent.name,
          tool: String(item.name),
          arguments: parseIfJson(String(item.arguments ?? '')),
        })),
      };
      if (resume.tracing) observed.trace = traceOf(result.state.toJSON() as Record<string, any>);
      return observed;
    } catch (error) {
      if (!(error instanceof MaxTurnsExceededError)) throw error;
      return {
        final_output: null,
        conversation: null,
        tool_runs: agents.toolRuns.slice(start),
        interruptions: [],
        error: 'max_turns_exceeded',
      };
    }
  }
}
