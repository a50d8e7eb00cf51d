import { TimestepError } from '../errors.js';

/** Base class of the errors of durable runs (`runAgent(..., { durable: { runId } })`). */
export class DurableRunError extends TimestepError {
  constructor(
    message: string,
    readonly runId: string,
  ) {
    super(message);
  }
}

/**
 * Another process wrote to the run's journal while this one was running it
 * (two resumers of one run id). This process stopped before executing
 * anything the journal had not accepted; let the other one finish the run.
 */
export class DurableRunConflictError extends DurableRunError {}

/**
 * The call does not fit the journal of the run id: different input, a
 * different session or starting agent, or a `RunState` given while the run
 * is not waiting for approvals. Nothing was written.
 */
export class DurableRunMismatchError extends DurableRunError {}

/**
 * Replaying the journal asked for something the journal did not record at
 * that point (e.g. a model request with a different number of input items):
 * the agent is not deterministic between journaled steps. See the
 * determinism rule in the README. Nothing was written.
 */
export class DurableRunDivergedError extends DurableRunError {}

/**
 * The agent graph uses something durable mode cannot journal yet (MCP
 * servers, local shell/computer/apply-patch tools, server-managed
 * conversations). Nothing was written.
 */
export class DurableRunUnsupportedError extends DurableRunError {}

/**
 * The run's journal cannot be read by this version of Timestep: it was
 * written by a newer one (a journal version above the one this reads), or an
 * entry is not what its kind requires (edited or damaged by hand). Nothing was
 * written; upgrade Timestep, or repair the entry the message names.
 */
export class DurableRunUnreadableError extends DurableRunError {}
