/**
 * Approval decisions stored beside a run (`timestep_approval_decisions`,
 * spec/migrations/0005): made by `timestep runs approve|reject` in another
 * process, applied by `RunStateStore.load` to the state it returns, so the
 * decision takes effect when the run next resumes. Storing the decision
 * instead of writing a new run state version means the decider never races
 * the run's own writer for the next version (no `expectedVersion` conflict).
 */
import type { RunState } from '@openai/agents';
import { ApprovalAlreadyDecidedError } from '../errors.js';
import { isUniqueViolation, type Queryable } from './database.js';

export type ApprovalDecisionKind = 'approve' | 'reject';

/** One stored decision on one tool call of a run. */
export interface ApprovalDecision {
  runId: string;
  callId: string;
  decision: ApprovalDecisionKind;
  /** Why; for a rejection also the message the model receives. */
  reason: string;
  decidedBy: string;
  decidedAt: Date;
  tool: string;
}

interface DecisionRow {
  run_id: string;
  call_id: string;
  decision: ApprovalDecisionKind;
  reason: string;
  decided_by: string;
  decided_at: Date | string;
  tool: string;
}

function toDecision(row: DecisionRow): ApprovalDecision {
  return {
    runId: row.run_id,
    callId: row.call_id,
    decision: row.decision,
    reason: row.reason,
    decidedBy: row.decided_by,
    decidedAt: new Date(row.decided_at),
    tool: row.tool,
  };
}

/** The run's stored decisions, oldest first. */
export async function decisionsFor(db: Queryable, runId: string): Promise<ApprovalDecision[]> {
  const rows = await db.query<DecisionRow>(
    `SELECT run_id, call_id, decision, reason, decided_by, decided_at, tool
     FROM timestep_approval_decisions WHERE run_id = $1 ORDER BY decided_at, call_id`,
    [runId],
  );
  return rows.map(toDecision);
}

/**
 * Stores a decision once: a second decision on the same call raises
 * `ApprovalAlreadyDecidedError` naming the first, and changes nothing.
 */
export async function recordDecision(
  db: Queryable,
  decision: Omit<ApprovalDecision, 'decidedAt'>,
): Promise<ApprovalDecision> {
  try {
    const [row] = await db.query<DecisionRow>(
      `INSERT INTO timestep_approval_decisions (run_id, call_id, decision, reason, decided_by, tool)
       VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING run_id, call_id, decision, reason, decided_by, decided_at, tool`,
      [decision.runId, decision.callId, decision.decision, decision.reason, decision.decidedBy, decision.tool],
    );
    return toDecision(row);
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const [first] = (await decisionsFor(db, decision.runId)).filter((stored) => stored.callId === decision.callId);
    throw new ApprovalAlreadyDecidedError(
      `Call ${decision.callId} of run ${decision.runId} was already decided` +
        (first ? ` (${first.decision} by ${first.decidedBy} at ${first.decidedAt.toISOString()})` : '') +
        '; a decision is single-use and cannot be changed.',
      decision.runId,
      decision.callId,
    );
  }
}

/**
 * Applies the stored decisions to the state's interruptions that are still
 * undecided in the state itself (a decision the caller already made on the
 * state wins), with the SDK's own approve / reject.
 */
export function applyDecisions(state: RunState<any, any>, decisions: readonly ApprovalDecision[]): void {
  if (decisions.length === 0) return;
  const byCall = new Map(decisions.map((decision) => [decision.callId, decision]));
  for (const item of state.getInterruptions()) {
    const callId = (item.rawItem as { callId?: string }).callId;
    const decision = callId === undefined ? undefined : byCall.get(callId);
    const toolName = item.toolName ?? item.name ?? '';
    if (!decision || state._context.isToolApproved({ toolName, callId: callId! }) !== undefined) continue;
    if (decision.decision === 'approve') state.approve(item);
    else state.reject(item, { message: decision.reason });
  }
}
