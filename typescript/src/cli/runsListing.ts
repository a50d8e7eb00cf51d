/**
 * What `timestep runs list|show|pending` read: run state versions
 * (`timestep_run_states`), durable runs (`timestep_durable_runs` and their
 * journal) and stored approval decisions, in one listing.
 */
import { RunStateNotFoundError } from '../errors.js';
import { decisionsFor, type ApprovalDecision } from '../store/approvalDecisions.js';
import type { Queryable } from '../store/database.js';
import type { PendingApproval } from '../store/versionTable.js';

/** run_state: saved with RunStateStore; durable: a durable run's journal. */
export type RunKind = 'run_state' | 'durable';

export const RUN_STATE_STATUSES = ['interrupted', 'checkpoint', 'final'] as const;
export const DURABLE_STATUSES = ['queued', 'running', 'interrupted', 'finished', 'failed'] as const;
export type AnyRunStatus = (typeof RUN_STATE_STATUSES)[number] | (typeof DURABLE_STATUSES)[number];

/** One line of `timestep runs list`. */
export interface RunSummary {
  kind: RunKind;
  runId: string;
  status: AnyRunStatus;
  /** Latest version (run_state), null for a durable run. */
  latestVersion: number | null;
  /** How many versions are stored (run_state), or journal entries (durable). */
  versions: number | null;
  agent: string | null;
  sessionId: string | null;
  updatedAt: string;
  /** Calls of the latest version waiting for a decision that has not been stored yet. */
  pendingApprovals: number;
}

/** A call waiting for a decision, from the latest version of its run or an interrupted durable run. */
export interface PendingCall {
  kind: RunKind;
  runId: string;
  /** The run state version waiting (run_state), null for a durable run. */
  version: number | null;
  sessionId: string | null;
  agent: string;
  tool: string;
  callId: string | null;
  arguments: string | null;
  since: string;
}

export interface VersionSummary {
  version: number;
  status: string;
  encoding: 'full' | 'delta';
  agent: string | null;
  sessionId: string | null;
  createdAt: string;
  sdk: string;
  pendingApprovals: PendingApproval[];
}

export interface JournalSummary {
  entries: number;
  segments: number;
  modelResponses: number;
  toolResults: number;
  toolsInDoubt: number;
  lastEntryAt: string | null;
  /** Every entry, in order: what `runs fork --version N` of a durable run counts. */
  history: JournalEntrySummary[];
}

export interface JournalEntrySummary {
  seq: number;
  segment: number;
  kind: string;
  /** The response's ordinal (model_response) or `<ordinal>:<call id>` (tool entries); null otherwise. */
  key: string | null;
  at: string;
}

/** `timestep runs show`: whatever the store holds under the run id. */
export interface RunDetails {
  runId: string;
  runState: { versions: VersionSummary[]; decisions: ApprovalDecision[] } | null;
  durable: {
    status: (typeof DURABLE_STATUSES)[number];
    agent: string;
    sessionId: string | null;
    createdAt: string;
    updatedAt: string;
    journal: JournalSummary;
  } | null;
}

const iso = (value: Date | string) => new Date(value).toISOString();

// The latest version of every run; UNDECIDED is the pending calls without a stored decision.
const LATEST = `SELECT s.* FROM timestep_run_states s
  JOIN (SELECT run_id, max(version) AS version FROM timestep_run_states GROUP BY run_id) latest
    ON latest.run_id = s.run_id AND latest.version = s.version`;
const UNDECIDED = `NOT EXISTS (SELECT 1 FROM timestep_approval_decisions d
    WHERE d.run_id = s.run_id AND d.call_id = p.item->>'call_id')`;
// The same for a durable run's row r (pending_approvals is set while it is interrupted).
const UNDECIDED_DURABLE = `NOT EXISTS (SELECT 1 FROM timestep_approval_decisions d
    WHERE d.run_id = r.run_id AND d.call_id = p.item->>'call_id')`;

export async function listRuns(db: Queryable, status?: AnyRunStatus): Promise<RunSummary[]> {
  const states = await db.query<{
    run_id: string;
    version: number;
    versions: number;
    status: AnyRunStatus;
    current_agent: string | null;
    session_id: string | null;
    created_at: Date;
    pending: number;
  }>(
    `SELECT s.run_id, s.version, s.status, s.current_agent, s.session_id, s.created_at,
       (SELECT count(*) FROM timestep_run_states v WHERE v.run_id = s.run_id)::int AS versions,
       (SELECT count(*) FROM jsonb_array_elements(s.pending_approvals) AS p(item) WHERE ${UNDECIDED})::int AS pending
     FROM (${LATEST}) s WHERE $1::text IS NULL OR s.status = $1::text`,
    [status ?? null],
  );
  const durable = await db.query<{
    run_id: string;
    status: AnyRunStatus;
    agent: string;
    session_id: string | null;
    updated_at: Date;
    entries: number;
    pending: number;
  }>(
    `SELECT r.run_id, r.status, r.agent, r.session_id, r.updated_at,
       (SELECT count(*) FROM timestep_run_journal j WHERE j.run_id = r.run_id)::int AS entries,
       (SELECT count(*) FROM jsonb_array_elements(r.pending_approvals) AS p(item) WHERE ${UNDECIDED_DURABLE})::int AS pending
     FROM timestep_durable_runs r WHERE $1::text IS NULL OR r.status = $1::text`,
    [status ?? null],
  );
  const runs: RunSummary[] = [
    ...states.map((row) => ({
      kind: 'run_state' as const,
      runId: row.run_id,
      status: row.status,
      latestVersion: row.version,
      versions: row.versions,
      agent: row.current_agent,
      sessionId: row.session_id,
      updatedAt: iso(row.created_at),
      pendingApprovals: row.pending,
    })),
    ...durable.map((row) => ({
      kind: 'durable' as const,
      runId: row.run_id,
      status: row.status,
      latestVersion: null,
      versions: row.entries,
      agent: row.agent,
      sessionId: row.session_id,
      updatedAt: iso(row.updated_at),
      pendingApprovals: row.pending,
    })),
  ];
  // Most recently changed first; ties in a stable order.
  return runs.sort(
    (a, b) => b.updatedAt.localeCompare(a.updatedAt) || a.runId.localeCompare(b.runId) || a.kind.localeCompare(b.kind),
  );
}

/**
 * Every call waiting for a decision, across all runs: from each run's latest
 * version, and from each interrupted durable run.
 */
export async function pendingCalls(db: Queryable): Promise<PendingCall[]> {
  const rows = await db.query<{
    kind: RunKind;
    run_id: string;
    version: number | null;
    session_id: string | null;
    created_at: Date;
    item: PendingApproval;
  }>(
    `SELECT * FROM (
       SELECT 'run_state' AS kind, s.run_id, s.version, s.session_id, s.created_at, p.item, p.position
         FROM (${LATEST}) s CROSS JOIN LATERAL jsonb_array_elements(s.pending_approvals) WITH ORDINALITY AS p(item, position)
        WHERE ${UNDECIDED}
       UNION ALL
       SELECT 'durable', r.run_id, NULL, r.session_id, r.updated_at, p.item, p.position
         FROM timestep_durable_runs r
              CROSS JOIN LATERAL jsonb_array_elements(r.pending_approvals) WITH ORDINALITY AS p(item, position)
        WHERE r.status = 'interrupted' AND ${UNDECIDED_DURABLE}
     ) calls
     ORDER BY created_at, run_id, position`,
  );
  return rows.map((row) => ({
    kind: row.kind,
    runId: row.run_id,
    version: row.version,
    sessionId: row.session_id,
    agent: row.item.agent,
    tool: row.item.tool,
    callId: row.item.call_id,
    arguments: row.item.arguments,
    since: iso(row.created_at),
  }));
}

export async function runDetails(db: Queryable, runId: string): Promise<RunDetails> {
  const versions = await db.query<{
    version: number;
    status: string;
    state_encoding: 'full' | 'delta';
    current_agent: string | null;
    session_id: string | null;
    created_at: Date;
    sdk_name: string;
    sdk_version: string;
    pending_approvals: PendingApproval[];
  }>(
    `SELECT version, status, state_encoding, current_agent, session_id, created_at, sdk_name, sdk_version, pending_approvals
     FROM timestep_run_states WHERE run_id = $1 ORDER BY version`,
    [runId],
  );
  const [durable] = await db.query<{
    status: (typeof DURABLE_STATUSES)[number];
    agent: string;
    session_id: string | null;
    created_at: Date;
    updated_at: Date;
  }>('SELECT status, agent, session_id, created_at, updated_at FROM timestep_durable_runs WHERE run_id = $1', [runId]);
  if (versions.length === 0 && !durable) throw unknownRun(runId);
  return {
    runId,
    runState:
      versions.length === 0
        ? null
        : {
            versions: versions.map((row) => ({
              version: row.version,
              status: row.status,
              encoding: row.state_encoding,
              agent: row.current_agent,
              sessionId: row.session_id,
              createdAt: iso(row.created_at),
              sdk: `${row.sdk_name} ${row.sdk_version}`,
              pendingApprovals: row.pending_approvals,
            })),
            decisions: await decisionsFor(db, runId),
          },
    durable: durable
      ? {
          status: durable.status,
          agent: durable.agent,
          sessionId: durable.session_id,
          createdAt: iso(durable.created_at),
          updatedAt: iso(durable.updated_at),
          journal: await journalSummary(db, runId),
        }
      : null,
  };
}

async function journalSummary(db: Queryable, runId: string): Promise<JournalSummary> {
  const rows = await db.query<{ seq: number; segment: number; kind: string; key: string | null; created_at: Date }>(
    'SELECT seq, segment, kind, key, created_at FROM timestep_run_journal WHERE run_id = $1 ORDER BY seq',
    [runId],
  );
  const count = (kind: string) => rows.filter((row) => row.kind === kind).length;
  const lastAt = rows.reduce<Date | null>((last, row) => (last === null || row.created_at > last ? row.created_at : last), null);
  return {
    entries: rows.length,
    segments: count('segment_started'),
    modelResponses: count('model_response'),
    toolResults: count('tool_result'),
    toolsInDoubt: count('tool_in_doubt'),
    lastEntryAt: lastAt === null ? null : iso(lastAt),
    history: rows.map((row) => ({ seq: row.seq, segment: row.segment, kind: row.kind, key: row.key, at: iso(row.created_at) })),
  };
}

export function unknownRun(runId: string): RunStateNotFoundError {
  return new RunStateNotFoundError(
    `The store has no run ${JSON.stringify(runId)}; \`timestep runs list\` shows the runs it has.`,
    runId,
  );
}
