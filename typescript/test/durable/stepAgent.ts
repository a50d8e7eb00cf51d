/**
 * The agent of the durable-run tests (scenario spec/scenarios/durable-twenty-steps.json):
 * it calls `record_step` twenty times, one step per model call. The tool's
 * side effect is a line appended to a file, so a test can count how often
 * each step really ran.
 */
import { appendFileSync } from 'node:fs';
import { Agent, tool, type FunctionTool, type RunStreamEvent } from '@openai/agents';
import { z } from 'zod';
import { idempotent } from '../../src/index.js';

export const STEPS = 20;
export const STEPPER_INPUT = `Record ${STEPS} steps.`;
/** The run makes one model call per step and one for the final answer. */
export const MODEL_CALLS = STEPS + 1;

export interface StepAgentOptions {
  /** File the tool appends `step N` lines to. */
  effectsFile: string;
  /** Called before each step's side effect (the child process reports it to the test). */
  onStep?: (step: number) => void | Promise<void>;
  /** Declare the tool idempotent. */
  idempotent?: boolean;
}

export function stepAgent(options: StepAgentOptions): Agent {
  const recordStep: FunctionTool<any, any, any> = tool({
    name: 'record_step',
    description: 'Records that a step was done.',
    parameters: z.object({ step: z.number().int() }),
    execute: async ({ step }) => {
      await options.onStep?.(step);
      appendFileSync(options.effectsFile, `step ${step}\n`);
      return `step ${step} done`;
    },
  });
  return new Agent({
    name: 'Durable Stepper',
    instructions: 'You are the Durable Stepper. Record each step with record_step.',
    model: 'gpt-4.1',
    tools: [options.idempotent ? idempotent(recordStep) : recordStep],
  });
}

/** How many times each step's side effect ran, from the effects file. */
export function stepCounts(text: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const line of text.split('\n').filter(Boolean)) {
    const step = Number(line.replace('step ', ''));
    counts.set(step, (counts.get(step) ?? 0) + 1);
  }
  return counts;
}

/** A stream event in a few words that do not depend on JSON key order (replayed items come from the store). */
export function eventSummary(event: RunStreamEvent): string {
  if (event.type === 'agent_updated_stream_event') return `agent_updated ${event.agent.name}`;
  if (event.type !== 'run_item_stream_event') return event.type;
  const raw = event.item.rawItem as { callId?: string; arguments?: string; content?: Array<{ text?: string }> };
  const output = 'output' in event.item ? JSON.stringify(event.item.output) : '';
  const text = Array.isArray(raw.content) ? raw.content.map((part) => part.text ?? '').join('') : '';
  return [event.name, event.item.type, raw.callId ?? '', raw.arguments ?? '', output, text].join(' | ');
}
