import {
  Runner,
  type Agent,
  type AgentInputItem,
  type ModelProvider,
  type NonStreamRunOptions,
  type RunResult,
  RunState,
  type Session,
  type StreamedRunResult,
} from '@openai/agents';
import { MultiModelProvider } from '../models/multiModelProvider.js';
import { runDurably, type DurableOptions } from '../durable/durableRun.js';

/** Everything `Runner.run` accepts, plus the runner (or model provider) to use. */
export type RunAgentOptions<TContext = undefined, TAgent extends Agent<any, any> = Agent<any, any>> = Omit<
  NonStreamRunOptions<TContext, TAgent>,
  'stream' | 'session'
> & {
  /** Runs on this runner instead of Timestep's default one. */
  runner?: Runner;
  /** Builds a runner with this model provider (ignored when `runner` is given). */
  modelProvider?: ModelProvider;
  /** Journals the run under `runId` so it resumes after a crash (README "Durable runs"). */
  durable?: DurableOptions;
};

export type RunAgentInput<TContext, TAgent extends Agent<any, any>> =
  | string
  | AgentInputItem[]
  | RunState<TContext, TAgent>;

let sharedRunner: Runner | undefined;

/**
 * The runner of a call that names none (`runAgent`, `RunWorker`): model names
 * with a prefix (`ollama/llama3`) choose their backend through `MultiModelProvider`.
 */
export function defaultRunner(): Runner {
  sharedRunner ??= new Runner({ modelProvider: new MultiModelProvider() });
  return sharedRunner;
}

function runnerFor(options: { runner?: Runner; modelProvider?: ModelProvider }): Runner {
  if (options.runner) return options.runner;
  if (options.modelProvider) return new Runner({ modelProvider: options.modelProvider });
  return defaultRunner();
}

/**
 * Runs `agent` on `input` (new input, or a `RunState` to resume) with the
 * conversation kept in `session`. Returns the SDK's own result: a `RunResult`,
 * or a `StreamedRunResult` when `stream` is true. SDK errors propagate as
 * thrown, with their types.
 */
export function runAgent<TAgent extends Agent<any, any>, TContext = undefined>(
  agent: TAgent,
  input: RunAgentInput<TContext, TAgent>,
  session?: Session | null,
  stream?: false,
  options?: RunAgentOptions<TContext, TAgent>,
): Promise<RunResult<TContext, TAgent>>;
export function runAgent<TAgent extends Agent<any, any>, TContext = undefined>(
  agent: TAgent,
  input: RunAgentInput<TContext, TAgent>,
  session: Session | null | undefined,
  stream: true,
  options?: RunAgentOptions<TContext, TAgent>,
): Promise<StreamedRunResult<TContext, TAgent>>;
export function runAgent<TAgent extends Agent<any, any>, TContext = undefined>(
  agent: TAgent,
  input: RunAgentInput<TContext, TAgent>,
  session: Session | null | undefined,
  stream: boolean,
  options?: RunAgentOptions<TContext, TAgent>,
): Promise<RunResult<TContext, TAgent> | StreamedRunResult<TContext, TAgent>>;
export function runAgent<TAgent extends Agent<any, any>, TContext = undefined>(
  agent: TAgent,
  input: RunAgentInput<TContext, TAgent>,
  session?: Session | null,
  stream = false,
  options: RunAgentOptions<TContext, TAgent> = {},
): Promise<RunResult<TContext, TAgent> | StreamedRunResult<TContext, TAgent>> {
  if (typeof input !== 'string' && !Array.isArray(input) && !(input instanceof RunState)) {
    return Promise.reject(
      new TypeError(`runAgent(input): input must be a string, an array of input items or a RunState, got ${input === null ? 'null' : typeof input}.`),
    );
  }
  const { runner, modelProvider, durable, ...runOptions } = options;
  const selected = runnerFor({ runner, modelProvider });
  if (durable) return runDurably(agent, input, session, stream, runOptions, selected, durable);
  const withSession = session ? { ...runOptions, session } : runOptions;
  return stream
    ? selected.run(agent, input, { ...withSession, stream: true })
    : selected.run(agent, input, { ...withSession, stream: false });
}
