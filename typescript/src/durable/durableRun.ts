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
import { DatabaseHandle, describeStoreTarget, sameStoreTarget, type StoreOptions, type StoreTarget } from '../store/connect.js';
import type { Database } from '../store/database.js';
import { checkIdentifier } from '../store/identifiers.js';
import { SDK_NAME, SDK_VERSION } from '../store/sdkInfo.js';
import { applyDecisions, decisionsFor } from '../store/approvalDecisions.js';
import { DurableSession, storeTargetOf } from '../session/durableSession.js';
import { DurableRunConflictError, DurableRunMismatchError, DurableRunUnsupportedError } from './errors.js';
import { graphFingerprint } from './graphFingerprint.js';
import {
  RUN_JOURNAL_FORMAT,
  RUN_JOURNAL_VERSION,
  RunJournal,
  type DurablePendingApproval,
  type SegmentStartedBody,
} from './journal.js';
import { journaledAgentGraph, refuseUnjournalableGraph } from './journaledAgentGraph.js';
import { checkReadable } from './journalFormat.js';
import { LeaseRenewal, checkLeaseMs, newLeaseOwner, ownerIsGone, takeLease } from './runLease.js';
import { JournalingModel, JournalingModelProvider } from './journalingModel.js';
import { ReplaySession } from './replaySession.js';
import { endAfterRecorded, streamSegments } from './durableStreamEvents.js';
import { RunReplay } from './runReplay.js';

/** The `durable` option of `runAgent`. */
export interface DurableOptions extends StoreOptions {
  /**
   * Names the run. A new id starts a durable run; a known one resumes it
   * from its journal (same or another process) instead of starting over.
   */
  runId: string;
  /**
   * How long the run's lease lasts, in ms (default 30 000); renewed every
   * third of it while the run executes. A process that dies holds the run
   * at most this long.
   */
  leaseMs?: number;
}

type RunInput = string | AgentInputItem[] | RunState<any, any>;

type SdkRunOptions = Omit<NonStreamRunOptions<any, any>, 'stream' | 'session'>;

interface SegmentPlan {
  segment: number;
  start: SegmentStartedBody;
  /** The segment already ended (finished or interrupted): this execution only replays it. */
  ended: boolean;
  /** It ended waiting for approvals. */
  interrupted: boolean;
  /** This call wrote its `segment_started`: nothing of it is stored yet. */
  startedHere: boolean;
}

/** How this call holds the run's lease. */
interface LeaseHolder {
  owner: string;
  leaseMs: number;
  /** A worker claimed the lease before calling; otherwise the call takes it itself. */
  claimed: boolean;
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
  /** The caller's `maxTurns`: undefined when it passed none. */
  maxTurns: number | null | undefined,
  lease: LeaseHolder,
): Promise<SegmentPlan> {
  const runId = journal.runId;
  const startBody = async (from: RunInput): Promise<SegmentStartedBody> => ({
    format: RUN_JOURNAL_FORMAT,
    version: RUN_JOURNAL_VERSION,
    agent: agent.name,
    input: from instanceof RunState ? null : inputItems(from).map(toResponsesItem),
    state: from instanceof RunState ? stateRecord(from) : null,
    session: await sessionRecord(session),
    max_turns: maxTurns ?? null,
  });

  if (!journal.run) {
    // Empty input means "resume": with no run to resume (a mistyped id, another store), starting
    // one on nothing would only send the session's history to the model again.
    if (isEmptyInput(input)) {
      throw new DurableRunMismatchError(
        `Durable run ${runId} does not exist in this store, so there is nothing to resume; pass the run's input to start it. Nothing was written.`,
        runId,
      );
    }
    const start = await startBody(input);
    const { owner, leaseMs } = lease;
    await journal.create(start.session?.id ?? null, start, { status: 'running', graph: graphFingerprint(agent), owner, leaseMs });
    return { segment: 0, start, ended: false, interrupted: false, startedHere: true };
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
    await holdLease(journal, lease);
    await journal.append(last.segment + 1, 'segment_started', null, start);
    return { segment: last.segment + 1, start, ended: false, interrupted: false, startedHere: true };
  }
  const start = last.body as SegmentStartedBody;
  // Whatever segment it is in, a run is resumed with the input it started with (or []).
  const original = (starts[0].body as SegmentStartedBody).input;
  const given = JSON.parse(JSON.stringify(inputItems(input).map(toResponsesItem)));
  if (!isEmptyInput(input) && !isDeepStrictEqual(given, original)) {
    throw mismatch('the input differs from the one it was started with (pass the same input, or [])');
  }
  // Every execution of a segment (a worker's too) uses the limit it started with, so another
  // limit passed now would be ignored: say so instead.
  if (maxTurns !== undefined && start.max_turns !== null && maxTurns !== start.max_turns) {
    throw mismatch(`it runs with maxTurns ${start.max_turns}, this call passes ${maxTurns} (pass the same limit, or none)`);
  }
  await holdLease(journal, lease);
  const interrupted = ended?.kind === 'segment_ended' && ended.body.outcome === 'interrupted';
  return { segment: last.segment, start, ended: ended !== undefined, interrupted, startedHere: false };
}

/**
 * Takes the run's lease for a direct call, refusing (nothing written) a live
 * lease of another owner unless that owner no longer drives the run (`ownerIsGone`).
 */
async function holdLease(journal: RunJournal, lease: LeaseHolder): Promise<void> {
  if (lease.claimed) return;
  const run = journal.run!;
  const held = run.lease_live && run.lease_owner !== null && run.lease_owner !== lease.owner;
  const stale = held && ownerIsGone(run.lease_owner!, journal.runId) ? run.lease_owner : null;
  if (!(await takeLease(journal.db, journal.runId, lease.owner, lease.leaseMs, stale))) {
    throw new DurableRunConflictError(
      `Durable run ${journal.runId} is being driven by ${run.lease_owner ?? 'another process'} (its lease is live). ` +
        'Let that process finish it, or resume the run once its lease has expired. Nothing was written.',
      journal.runId,
    );
  }
}

/** The calls the state still waits on (decided ones are left out), as stored in `pending_approvals`. */
function pendingApprovalsOf(result: RunResult<any, any> | StreamedRunResult<any, any>): DurablePendingApproval[] {
  if (result.interruptions.length === 0) return [];
  const context = result.state._context;
  return result.interruptions
    .filter((item) => {
      const callId = (item.rawItem as { callId?: string }).callId;
      const toolName = item.toolName ?? item.name ?? '';
      return callId === undefined || context.isToolApproved({ toolName, callId }) === undefined;
    })
    .map((item) => {
      const raw = item.rawItem as { callId?: string; arguments?: string; name?: string };
      return {
        agent: item.agent.name,
        tool: item.toolName ?? raw.name ?? 'unknown',
        call_id: raw.callId ?? null,
        arguments: raw.arguments ?? null,
      };
    });
}

function refuseUnsupportedOptions(options: SdkRunOptions, runId: string): void {
  if (options.previousResponseId || options.conversationId) {
    throw new DurableRunUnsupportedError(
      'Durable runs keep the conversation themselves; previousResponseId and conversationId are not supported.',
      runId,
    );
  }
  // The journal records "no limit given" as null, and a resume that passes none (a worker's)
  // would then run under the SDK's default limit: refuse rather than fail such a run later.
  if (options.maxTurns === null) {
    throw new DurableRunUnsupportedError(
      'A durable run needs a turn limit; maxTurns: null (no limit) is not supported. Pass a number, e.g. maxTurns: 100.',
      runId,
    );
  }
  checkMaxTurns(options.maxTurns);
}

/** A limit the journal records for every execution of the run, so one it cannot run under is refused first. */
function checkMaxTurns(maxTurns: number | null | undefined): void {
  if (maxTurns !== undefined && (maxTurns === null || !Number.isInteger(maxTurns) || maxTurns < 1)) {
    throw new RangeError(`maxTurns must be a whole number of at least 1, got ${String(maxTurns)}. Nothing was written.`);
  }
}

/**
 * Runs (or resumes) the durable run `durable.runId`: every model response
 * and tool result is journaled as it happens, and whatever the journal
 * already holds is replayed instead of being requested or executed again.
 * The call holds the run's lease while it executes (spec/run-journal,
 * "Leases and workers").
 */
export function runDurably(
  agent: Agent<any, any>,
  input: RunInput,
  session: Session | null | undefined,
  stream: boolean,
  options: SdkRunOptions,
  /** The runner the call would use without the durable option; its configuration is kept. */
  runner: Runner,
  durable: DurableOptions,
): Promise<RunResult<any, any> | StreamedRunResult<any, any>> {
  const leaseMs = checkLeaseMs(durable.leaseMs);
  return executeDurably(agent, input, session, stream, options, runner, durable, {
    owner: newLeaseOwner(),
    leaseMs,
    claimed: false,
  });
}

/** `runDurably` for a caller that holds `lease` already or takes it itself (`lease.claimed`). */
export async function executeDurably(
  agent: Agent<any, any>,
  input: RunInput,
  session: Session | null | undefined,
  stream: boolean,
  options: SdkRunOptions,
  runner: Runner,
  durable: DurableOptions,
  lease: LeaseHolder,
): Promise<RunResult<any, any> | StreamedRunResult<any, any>> {
  const runId = checkIdentifier('runId', durable.runId);
  refuseUnsupportedOptions(options, runId);
  refuseUnjournalableGraph(agent, runId);
  const { connectionString, usePglite, pglitePath, timeoutMs } = durable;
  const handle = new DatabaseHandle({ connectionString, usePglite, pglitePath, timeoutMs }, `Durable run ${runId}`);
  let journal: RunJournal | undefined;
  let renewal: LeaseRenewal | undefined;
  const stopRenewing = async () => {
    await renewal?.stop();
    renewal = undefined;
  };
  // This process drives the run until its end is recorded (ownerIsGone): the renewal stops last.
  const failed = async (failedJournal: RunJournal | undefined, error: unknown) => {
    try {
      await markFailed(failedJournal, error, lease.owner);
    } finally {
      await stopRenewing();
    }
  };
  try {
    const db = await handle.get();
    let segmentInput = input;
    // A streamed call replays a segment that ended waiting for approvals without streaming it
    // first: if stored decisions decide every pending call, it streams the continuation instead.
    // Otherwise it replays the segment again, streamed, to return the interruption.
    let streamInterruption = false;
    // Each pass executes one segment; a pass that replays an interrupted segment whose calls
    // are all decided by stored decisions continues with the next segment in the same call.
    for (;;) {
      journal = await RunJournal.open(db, runId);
      checkReadable(journal);
      const plan = await planSegment(journal, agent, segmentInput, session, options.maxTurns, lease);
      lease = { ...lease, claimed: true }; // held from here on, by this call
      renewal ??= new LeaseRenewal(db, runId, lease.owner, lease.leaseMs);
      const streamed = stream && (streamInterruption || !plan.interrupted);
      const replay = new RunReplay(journal, plan.segment, streamed);
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
        // A streamed run's consumer may read the session as the events come, so its writes are awaited.
        ...(session
          ? { session: await ReplaySession.open(session, start.session!.items_before, journal, !streamed, plan.startedHere) }
          : {}),
      };
      const opened = journal;
      const finish = async (result: RunResult<any, any> | StreamedRunResult<any, any>) => {
        const outcome = result.interruptions.length > 0 ? ('interrupted' as const) : ('finished' as const);
        const ending = plan.ended ? null : { segment: plan.segment, outcome };
        try {
          await opened.end(outcome, pendingApprovalsOf(result), lease.owner, ending);
        } finally {
          await stopRenewing();
        }
      };
      const fail = (error: unknown) => failed(opened, error);
      if (streamed) {
        const result = await journaling.run(graph, runInput, { ...runOptions, stream: true });
        streamSegments.set(result, plan.segment);
        // The stream's consumer drives the run; its end is recorded when it comes.
        const recorded = result.completed
          // A stream its consumer cancelled (stopped reading it, or aborted its signal) stopped
          // mid-run: recorded as failed, as an aborted run is, so that a resume continues it.
          .then(() => (result.cancelled ? fail(undefined) : finish(result)), fail)
          .catch(() => undefined) // the consumer sees the run's own error through the stream
          .finally(() => handle.close());
        endAfterRecorded(result, recorded);
        return result;
      }
      const result = await journaling.run(graph, runInput, { ...runOptions, stream: false });
      await opened.flush();
      if (plan.ended && result.interruptions.length > 0 && (await decidedByStore(db, runId, result))) {
        segmentInput = result.state;
        continue;
      }
      if (stream) {
        streamInterruption = true;
        continue;
      }
      await finish(result);
      await handle.close();
      return result;
    }
  } catch (error) {
    // A journal write that failed inside a tool reaches here wrapped by the SDK (UserError,
    // ModelBehaviorError): raise what really stopped the run.
    const failure = journal?.failure ?? error;
    await failed(journal, failure);
    await handle.close();
    throw failure;
  }
}

/**
 * Applies the decisions `timestep runs approve|reject` stored for the run to
 * the calls the result's state waits on; true when none is left undecided.
 */
async function decidedByStore(
  db: Database,
  runId: string,
  result: RunResult<any, any>,
): Promise<boolean> {
  applyDecisions(result.state, await decisionsFor(db, runId));
  return pendingApprovalsOf(result).length === 0;
}

/** Records that the run stopped with an error (releasing the lease), unless another process owns it now. */
async function markFailed(
  journal: RunJournal | undefined,
  error: unknown,
  owner: string,
): Promise<void> {
  if (!journal) return;
  // Another process drives the run now. (Any other error ends the run only if this call holds
  // its lease, which `end` checks: a call refused before taking it changes nothing.)
  if (error instanceof DurableRunConflictError) return;
  try {
    await journal.end('failed', [], owner);
  } catch {
    // The original error matters more; the lease expires on its own and a resumer retries the run.
  }
}

/**
 * A worker reopens a submitted run's session by id in the run's store; in
 * another store it would find another conversation (or none) and add the
 * run's items there.
 */
function refuseSessionOfAnotherStore(session: DurableSession, runStore: StoreTarget, runId: string): void {
  const sessionStore = storeTargetOf(session);
  if (!sameStoreTarget(sessionStore, runStore)) {
    throw new DurableRunMismatchError(
      `Durable run ${runId} would run in ${describeStoreTarget(runStore)}, but its DurableSession keeps its items in ` +
        `${describeStoreTarget(sessionStore)}; a worker reopens the session in the run's store. Give the session and the ` +
        'run the same store options. Nothing was written.',
      runId,
    );
  }
}

/**
 * Submits a durable run for a worker (`RunWorker`, `timestep worker`): writes
 * its row (`queued`, no lease) and first journal entry, and executes nothing.
 * The session, if any, must be a Timestep `DurableSession` in the same store,
 * so the worker can reopen it by id.
 */
export async function submitRun(
  agent: Agent<any, any>,
  input: string | AgentInputItem[],
  session: Session | null | undefined,
  durable: DurableOptions,
  /** `maxTurns`: the turn limit every execution of the run uses (the SDK's default otherwise). */
  options: { maxTurns?: number } = {},
): Promise<void> {
  const runId = checkIdentifier('runId', durable.runId);
  const { maxTurns } = options;
  checkMaxTurns(maxTurns);
  refuseUnjournalableGraph(agent, runId);
  if (session && !(session instanceof DurableSession)) {
    throw new DurableRunUnsupportedError(
      `A submitted run is resumed by a worker, which reopens its session by id as a Timestep DurableSession; ` +
        `${session.constructor.name} cannot be reopened that way. Pass a DurableSession (in the run's store) or no session. ` +
        'Nothing was written.',
      runId,
    );
  }
  if (isEmptyInput(input)) {
    throw new DurableRunMismatchError(`Durable run ${runId} cannot be submitted without input. Nothing was written.`, runId);
  }
  const { connectionString, usePglite, pglitePath, timeoutMs } = durable;
  const handle = new DatabaseHandle({ connectionString, usePglite, pglitePath, timeoutMs }, `Durable run ${runId}`);
  if (session) refuseSessionOfAnotherStore(session, handle.target(), runId);
  try {
    const journal = await RunJournal.open(await handle.get(), runId);
    if (journal.run) {
      throw new DurableRunConflictError(
        `Durable run ${runId} exists already (status ${journal.run.status}); submit a new run id. Nothing was written.`,
        runId,
      );
    }
    const start: SegmentStartedBody = {
      format: RUN_JOURNAL_FORMAT,
      version: RUN_JOURNAL_VERSION,
      agent: agent.name,
      input: inputItems(input).map(toResponsesItem),
      state: null,
      session: await sessionRecord(session),
      max_turns: maxTurns ?? null,
    };
    await journal.create(start.session?.id ?? null, start, { status: 'queued', graph: graphFingerprint(agent) });
  } finally {
    await handle.close();
  }
}
