/**
 * The benchmark's agent, the scripted model server it talks to, and the two
 * ways of running it that the benchmark compares: the bare SDK run, and a run
 * checkpointed to a RunStateStore after every turn.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import {
  Agent,
  MaxTurnsExceededError,
  OpenAIProvider,
  RunState,
  Runner,
  setTracingDisabled,
  tool,
  type RunResult,
} from '@openai/agents';
import { z } from 'zod';
import { runAgent } from '../../typescript/src/index.js';
import { REPO_ROOT } from './common.js';

setTracingDisabled(true);

export const SCENARIO = `${REPO_ROOT}/bench/scenarios/tool-loop.json`;

/** What the tool counts with. It is the run's context, so it is saved in (and restored from) the RunState. */
export interface LoopContext {
  /** Model calls the run should make: turns - 1 tool calls, then the final answer. */
  turns: number;
  done: number;
}

// A tool result of a realistic size (~350 bytes): a record a real tool would return.
function record(n: number, total: number): string {
  const body = {
    record: n,
    of: total - 1,
    queue: 'invoices-2024',
    status: n % 7 === 0 ? 'flagged' : 'ok',
    amount_cents: (n * 7919) % 100000,
    customer: `customer-${(n * 31) % 997}`,
    notes: 'Checked totals, tax lines and the payment reference against the ledger; nothing unusual found.',
  };
  return JSON.stringify(body) + (n >= total - 1 ? ' DONE' : '');
}

const inspectRecord = tool({
  name: 'inspect_record',
  description: 'Inspects the next record in a queue and returns it.',
  parameters: z.object({ queue: z.string(), mode: z.string() }),
  execute: async (_args, runContext) => {
    const context = runContext!.context as LoopContext;
    context.done += 1;
    return record(context.done, context.turns);
  },
});

/** One agent graph for every run and every state (loaded states bind to it by name). */
export const benchAgent: Agent<any, any> = new Agent<LoopContext>({
  name: 'Bench Worker',
  instructions: 'You are a Bench Worker. Call inspect_record until it reports DONE, then summarise.',
  model: 'gpt-4.1',
  tools: [inspectRecord],
});

export function inputFor(turns: number): string {
  return turns === 1 ? 'Answer directly: is the queue empty?' : 'Inspect every record in the invoices-2024 queue.';
}

/** A runner whose OpenAI client talks to `baseURL` (so several model servers can be used in one process). */
export function runnerFor(baseURL: string): Runner {
  return new Runner({ modelProvider: new OpenAIProvider({ baseURL: `${baseURL}/v1`, apiKey: 'bench-key' }) });
}

/** Bare SDK: one `Runner.run`, no store. */
export async function bareRun(runner: Runner, turns: number): Promise<RunResult<LoopContext, typeof benchAgent>> {
  const result = await runner.run(benchAgent, inputFor(turns), {
    context: { turns, done: 0 },
    maxTurns: turns + 5,
  });
  expectFinished(result, turns);
  return result;
}

/**
 * Timestep's `runAgent`, one model call at a time, with a checkpoint after each.
 *
 * The SDK has no awaited per-turn hook that exposes the RunState, so the run
 * is driven turn by turn with `maxTurns`: `maxTurns = k` stops it (with
 * MaxTurnsExceededError carrying the live state) right before model call k+1;
 * that state is checkpointed, then the run is resumed from the same in-memory
 * state with `maxTurns = k+1`. Every checkpoint is therefore durable before
 * the next model call starts, which is what a crash-safe checkpoint needs.
 * The final state is checkpointed too, so a run of N turns makes N checkpoints.
 *
 * With `checkpoint` null the same loop runs without saving: that isolates the
 * cost of driving the run turn by turn from the cost of the saves.
 */
export async function checkpointedRun(
  runner: Runner,
  turns: number,
  checkpoint: ((state: RunState<LoopContext, typeof benchAgent>, turn: number) => Promise<unknown>) | null,
): Promise<RunResult<LoopContext, typeof benchAgent>> {
  let input: string | RunState<LoopContext, typeof benchAgent> = inputFor(turns);
  for (let turn = 1; ; turn++) {
    try {
      const result = await runAgent(benchAgent, input, null, false, {
        runner,
        maxTurns: turn,
        ...(turn === 1 ? { context: { turns, done: 0 } } : {}),
      });
      expectFinished(result, turns);
      await checkpoint?.(result.state, turn);
      return result;
    } catch (error) {
      if (!(error instanceof MaxTurnsExceededError) || !error.state) throw error;
      const state = error.state as RunState<LoopContext, typeof benchAgent>;
      await checkpoint?.(state, turn);
      input = state;
    }
  }
}

function expectFinished(result: RunResult<LoopContext, any>, turns: number): void {
  const calls = result.rawResponses.length;
  if (typeof result.finalOutput !== 'string' || calls !== turns) {
    throw new Error(`bench run went wrong: ${calls} model calls (expected ${turns}), output ${String(result.finalOutput)}`);
  }
}

/** The scripted model server in its own process (as a real model is not in ours). */
export interface ScriptedServer {
  url: string;
  close(): Promise<void>;
}

export async function startScriptedServer(delayMs: number, scenario: string = SCENARIO): Promise<ScriptedServer> {
  const child: ChildProcess = spawn(
    process.execPath,
    [`${REPO_ROOT}/testing/model-server/server.mjs`, '--scenario', scenario, '--delay-ms', String(delayMs)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (l) => resolve(l));
    child.once('exit', (code) => reject(new Error(`model server exited (${code})`)));
  });
  const { url } = JSON.parse(line) as { url: string };
  return {
    url,
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin!.end(); // the CLI stops when its stdin closes
      child.kill('SIGTERM');
      await exited;
    },
  };
}
