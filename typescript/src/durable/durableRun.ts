import { isDeepStrictEqual } from 'node:util';
import {
  RunState,
  Runner,
  type Agent,
  type AgentInputItem,
  type NonStreamRunOptions,
  type RunResult,
  type Session,
  type StreamedRunResult,
} from '@openai/agents';
import { fromResponsesItem, toResponsesItem, toolNamesByCallId } from '../portable-state/responsesItems.js';
import { fromPortableRunState } from '../portable-state/fromPortable.js';
import { toPortableRunState } from '../portable-state/toPortable.js';
import { DatabaseHandle, type StoreOptions } from '../store/connect.js';
import { checkIdentifier } from '../store/identifiers.js';
import { SDK_NAME, SDK_VERSION } from '../store/sdkInfo.js';
import { DurableRunConflictError, DurableRunMismatchError, DurableRunUnsupportedError } from './errors.js';
import { RUN_JOURNAL_FORMAT, RUN_JOURNAL_VERSION, RunJournal, type SegmentStartedBody } from './journal.js';
import { journaledAgentGraph } from './journaledAgentGraph.js';
import { JournalingModel, JournalingModelProvider } from './journalingModel.js';
import { ReplaySession } from './replaySession.js';
import { RunReplay } from './runReplay.js';

/** The `durable` option of `runAgent`. */
export interface DurableOptions extends StoreOptions {
  /**
   * Names the run. A new id starts a durable run; a known one resumes it
   * from its journal (same or another process) instead of starting over.
   */
  runId: string;
}

type RunInput = string | AgentInputItem[] | RunState<any, any>;

type SdkRunOptions = Omit<NonStreamRunOptions<any, any>, 'stream' | 'session'>;

interface SegmentPlan {
  segment: number;
  start: SegmentStartedBody;
  /** The segment already ended (finished or interrupted): this execution only replays it. */
  ended: boolean;
}

const isEmptyInput = (input: RunInput) => input === '' || (Array.isArray(input) && input.length === 0);

// The SDK's own reading of a string input (toAgentInputList), so a durable run sends what a plain run sends.
const inputItems = (input: string | AgentInputItem[]): AgentInputItem[] =>
  typeof input === 'string' ? [{ type: 'message', role: 'user', content: input } as AgentInputItem] : input;

function stateRecord(state: RunState<any, any>): SegmentStartedBody['state'] {
  let portable: unknown = null;
  try {
    portable = toPortableRunState(state);
  } catch {
    // Not portable (e.g. hosted MCP approvals): this segment resumes only in this SDK.
  }
  return { sdk: SDK_NAME, sdk_version: SDK_VERSION, native: state.toString(), portable };
}

/** The RunState a segment starts from: natively when this SDK wrote it, else from its portable form (spec/run-journal). */
async function segmentState(
  state: NonNullable<SegmentStartedBody['state']>,
  graph: Agent<any, any>,
  runId: string,
): Promise<RunState<any, any>> {
  if (state.sdk === SDK_NAME) return RunState.fromString(graph, state.native);
  if (state.portable !== null) return fromPortableRunState(state.portable, graph);
  throw new DurableRunUnsupportedError(
    `Durable run ${runId} continues from a RunState of ${state.sdk} that has no portable form; resume it with ${state.sdk}.`,
    runId,
  );
}

async function sessionRecord(session: Session | null | undefined): Promise<SegmentStartedBody['session']> {
  return session ? { id: await session.getSessionId(), items_before: (await session.getItems()).length } : null;
}

/**
 * Decides which segment this call executes, writing its `segment_started`
 * entry when it starts one. Refuses (before writing anything) a call that
 * does not fit the journal.
 */
async function planSegment(
  journal: RunJournal,
  agent: Agent<any, any>,
  input: RunInput,
  session: Session | null | undefined,
  maxTurns: number | null,
): Promise<SegmentPlan> {
  const runId = journal.runId;
  const startBody = async (from: RunInput): Promise<SegmentStartedBody> => ({
    format: RUN_JOURNAL_FORMAT,
    version: RUN_JOURNAL_VERSION,
    agent: agent.name,
    input: from instanceof RunState ? null : inputItems(from).map(toResponsesItem),
    state: from instanceof RunState ? stateRecord(from) : null,
    session: await sessionRecord(session),
    max_turns: maxTurns,
  });

  if (!journal.run) {
    const start = await startBody(input);
    await journal.create(start.session?.id ?? null, start);
    return { segment: 0, start, ended: false };
  }

  const mismatch = (what: string) =>
    new DurableRunMismatchError(`Cannot resume durable run ${runId}: ${what}. Nothing was written.`, runId);
  if (journal.run.agent !== agent.name) {
    throw mismatch(`it started with agent ${journal.run.agent}, this call passes ${agent.name}`);
  }
  const sessionId = session ? await session.getSessionId() : null;
  if (journal.run.session_id !== sessionId) {
    throw mismatch(`it runs in session ${journal.run.session_id ?? '(none)'}, this call passes ${sessionId ?? '(none)'}`);
  }
  const starts = journal.entries.filter((entry) => entry.kind === 'segment_started');
  const last = starts.at(-1)!;
  const ended = journal.entries.find((entry) => entry.kind === 'segment_ended' && entry.segment === last.segment);

  if (input instanceof RunState) {
    if (ended?.kind !== 'segment_ended' || ended.body.outcome !== 'interrupted') {
      throw mismatch(
        'a RunState continues a durable run only when the run is waiting for approvals; ' +
          'to resume it after a crash, pass the original input or []',
      );
    }
    const start = await startBody(input);
    await journal.append(last.segment + 1, 'segment_started', null, start);
    return { segment: last.segment + 1, start, ended: false };
  }
  const start = last.body as SegmentStartedBody;
  // Whatever segment it is in, a run is resumed with the input it started with (or []).
  const original = (starts[0].body as SegmentStartedBody).input;
  const given = JSON.parse(JSON.stringify(inputItems(input).map(toResponsesItem)));
  if (!isEmptyInput(input) && !isDeepStrictEqual(given, original)) {
    throw mismatch('the input differs from the one it was started with (pass the same input, or [])');
  }
  return { segment: last.segment, start, ended: ended !== undefined };
}

function refuseServerManagedConversation(options: SdkRunOptions, runId: string): void {
  if (options.previousResponseId || options.conversationId) {
    throw new DurableRunUnsupportedError(
      'Durable runs keep the conversation themselves; previousResponseId and conversationId are not supported.',
      runId,
    );
  }
}

/**
 * Runs (or resumes) the durable run `durable.runId`: every model response
 * and tool result is journaled as it happens, and whatever the journal
 * already holds is replayed instead of being requested or executed again.
 */
export async function runDurably(
  agent: Agent<any, any>,
  input: RunInput,
  session: Session | null | undefined,
  stream: boolean,
  options: SdkRunOptions,
  /** The runner the call would use without the durable option; its configuration is kept. */
  runner: Runner,
  durable: DurableOptions,
): Promise<RunResult<any, any> | StreamedRunResult<any, any>> {
  const runId = checkIdentifier('runId', durable.runId);
  refuseServerManagedConversation(options, runId);
  const { connectionString, usePglite, pglitePath, timeoutMs } = durable;
  const handle = new DatabaseHandle({ connectionString, usePglite, pglitePath, timeoutMs }, `Durable run ${runId}`);
  let journal: RunJournal | undefined;
  try {
    journal = await RunJournal.open(await handle.get(), runId);
    const plan = await planSegment(journal, agent, input, session, options.maxTurns ?? null);
    const replay = new RunReplay(journal, plan.segment);
    const graph = journaledAgentGraph(agent, replay);
    const { config } = runner;
    const journaling = new Runner({
      ...config,
      modelProvider: new JournalingModelProvider(config.modelProvider, replay),
      ...(typeof config.model === 'object' ? { model: new JournalingModel(config.model, replay) } : {}),
    });
    const { start } = plan;
    const runInput = start.state
      ? await segmentState(start.state, graph, runId)
      : start.input!.map((item) => fromResponsesItem(item, toolNamesByCallId(start.input!)));
    const runOptions = {
      ...options,
      ...(start.max_turns !== null ? { maxTurns: start.max_turns } : {}),
      ...(session ? { session: await ReplaySession.open(session, start.session!.items_before) } : {}),
    };
    const finish = async (result: RunResult<any, any> | StreamedRunResult<any, any>) => {
      const outcome = result.interruptions.length > 0 ? 'interrupted' : 'finished';
      if (!plan.ended) await journal!.append(plan.segment, 'segment_ended', null, { outcome });
      await journal!.setStatus(outcome);
    };
    if (!stream) {
      const result = await journaling.run(graph, runInput, { ...runOptions, stream: false });
      await finish(result);
      await handle.close();
      return result;
    }
    const result = await journaling.run(graph, runInput, { ...runOptions, stream: true });
    // The stream's consumer drives the run; its end is recorded when it comes.
    void result.completed
      .then(
        () => finish(result),
        (error: unknown) => markFailed(journal, error),
      )
      .catch(() => undefined) // the consumer sees the run's own error through the stream
      .finally(() => handle.close());
    return result;
  } catch (error) {
    await markFailed(journal, error);
    await handle.close();
    throw error;
  }
}

/** Records that the run stopped with an error, unless another process owns it now. */
async function markFailed(journal: RunJournal | undefined, error: unknown): Promise<void> {
  if (!journal) return;
  if (error instanceof DurableRunConflictError || error instanceof DurableRunMismatchError) return;
  try {
    await journal.setStatus('failed');
  } catch {
    // The original error matters more; the status stays 'running', which a resumer treats the same way.
  }
}
