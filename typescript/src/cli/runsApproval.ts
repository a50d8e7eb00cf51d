/**
 * `timestep runs approve|reject`: stores a single-use decision on a call the
 * run's latest version (or an interrupted durable run) is waiting on;
 * `RunStateStore.load` (or the durable run's next resume) applies it when
 * the run is next loaded (see store/approvalDecisions.ts for why nothing is
 * written into the run's versions).
 */
import { ApprovalAlreadyDecidedError, ApprovalNotFoundError } from '../errors.js';
import {
  decisionsFor,
  recordDecision,
  type ApprovalDecision,
  type ApprovalDecisionKind,
} from '../store/approvalDecisions.js';
import type { Queryable } from '../store/database.js';
import type { PendingApproval } from '../store/versionTable.js';
import { unknownRun } from './runsListing.js';

export interface DecisionRequest {
  runId: string;
  callId: string;
  decision: ApprovalDecisionKind;
  reason: string;
  decidedBy: string;
}

/**
 * The calls the run waits on: its latest saved version's, or, for a durable
 * run, those its row keeps while interrupted (a worker or a resume with `[]`
 * applies the decision).
 */
async function waitingCalls(db: Queryable, runId: string): Promise<{ what: string; calls: PendingApproval[] }> {
  const [latest] = await db.query<{ version: number; pending_approvals: PendingApproval[] }>(
    'SELECT version, pending_approvals FROM timestep_run_states WHERE run_id = $1 ORDER BY version DESC LIMIT 1',
    [runId],
  );
  if (latest) return { what: `Version ${latest.version} (the latest) of run ${runId}`, calls: latest.pending_approvals };
  const [durable] = await db.query<{ status: string; pending_approvals: PendingApproval[] }>(
    'SELECT status, pending_approvals FROM timestep_durable_runs WHERE run_id = $1',
    [runId],
  );
  if (!durable) throw unknownRun(runId);
  const interrupted = durable.status === 'interrupted';
  return { what: `Durable run ${runId} (${durable.status})`, calls: interrupted ? durable.pending_approvals : [] };
}

export async function decide(db: Queryable, request: DecisionRequest): Promise<ApprovalDecision> {
  const { runId, callId } = request;
  const waiting = await waitingCalls(db, runId);
  const earlier = (await decisionsFor(db, runId)).find((stored) => stored.callId === callId);
  if (earlier) {
    throw new ApprovalAlreadyDecidedError(
      `Call ${callId} of run ${runId} was already decided (${earlier.decision} by ${earlier.decidedBy} at ` +
        `${earlier.decidedAt.toISOString()}); a decision is single-use and cannot be changed.`,
      runId,
      callId,
    );
  }
  const pending = waiting.calls.find((approval) => approval.call_id === callId);
  if (!pending) {
    const ids = waiting.calls.map((approval) => approval.call_id).filter((id) => id !== null);
    throw new ApprovalNotFoundError(
      `${waiting.what} is not waiting on call ${JSON.stringify(callId)}; ` +
        (ids.length > 0 ? `it waits on ${ids.join(', ')}.` : 'it waits on no call.') +
        ' `timestep runs pending` lists the calls waiting.',
      runId,
      callId,
    );
  }
  // A concurrent decision on the same call loses on the primary key (ApprovalAlreadyDecidedError).
  return recordDecision(db, { ...request, tool: pending.tool });
}
