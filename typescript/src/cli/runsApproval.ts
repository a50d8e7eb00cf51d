/**
 * `timestep runs approve|reject`: stores a single-use decision on a call the
 * run's latest version is waiting on; `RunStateStore.load` applies it when
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

export async function decide(db: Queryable, request: DecisionRequest): Promise<ApprovalDecision> {
  const { runId, callId } = request;
  const [latest] = await db.query<{ version: number; pending_approvals: PendingApproval[] }>(
    'SELECT version, pending_approvals FROM timestep_run_states WHERE run_id = $1 ORDER BY version DESC LIMIT 1',
    [runId],
  );
  if (!latest) {
    const [durable] = await db.query('SELECT 1 FROM timestep_durable_runs WHERE run_id = $1', [runId]);
    if (durable) {
      throw new ApprovalNotFoundError(
        `Run ${runId} is a durable run with no saved run state; decide its approvals on the RunState ` +
          'runAgent returned and resume it with that state.',
        runId,
        callId,
      );
    }
    throw unknownRun(runId);
  }
  const earlier = (await decisionsFor(db, runId)).find((stored) => stored.callId === callId);
  if (earlier) {
    throw new ApprovalAlreadyDecidedError(
      `Call ${callId} of run ${runId} was already decided (${earlier.decision} by ${earlier.decidedBy} at ` +
        `${earlier.decidedAt.toISOString()}); a decision is single-use and cannot be changed.`,
      runId,
      callId,
    );
  }
  const pending = latest.pending_approvals.find((approval) => approval.call_id === callId);
  if (!pending) {
    const waiting = latest.pending_approvals.map((approval) => approval.call_id).filter((id) => id !== null);
    throw new ApprovalNotFoundError(
      `Version ${latest.version} (the latest) of run ${runId} is not waiting on call ${JSON.stringify(callId)}; ` +
        (waiting.length > 0 ? `it waits on ${waiting.join(', ')}.` : 'it waits on no call.') +
        ' `timestep runs pending` lists the calls waiting.',
      runId,
      callId,
    );
  }
  // A concurrent decision on the same call loses on the primary key (ApprovalAlreadyDecidedError).
  return recordDecision(db, { ...request, tool: pending.tool });
}
