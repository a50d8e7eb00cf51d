/**
 * `timestep runs fork` of a durable run: its journal up to entry N, copied as
 * a new durable run that a resume (or a worker) continues from there.
 */
import { randomUUID } from 'node:crypto';
import { RunStateConflictError, RunStateNotFoundError } from '../errors.js';
import { isUniqueViolation, type Database, type Queryable } from '../store/database.js';
import { checkIdentifier } from '../store/identifiers.js';
import { latestVersion } from '../store/versionTable.js';
import type { ForkResult } from './runsFork.js';
import { UsageError } from './usageError.js';

export interface DurableForkResult extends ForkResult {
  /** The fork's own session (a copy of the conversation it continues), or null for a run without one. */
  sessionId: string | null;
}

/**
 * Copies entries 1..`seq` of durable run `runId` as a new durable run
 * (`newRunId`, default a new UUID), queued. Resuming it replays those entries
 * and makes every later model call and tool call live: the journal's rule
 * that a resume re-executes its last segment from the start is what makes a
 * prefix a valid journal. The fork gets its own session, holding the items
 * that segment started with (the resume adds the segment's items again), so
 * the two runs never write one conversation.
 */
export async function forkDurableRun(db: Database, runId: string, seq: number, newRunId?: string): Promise<DurableForkResult> {
  const target = checkIdentifier('runId', newRunId ?? randomUUID());
  return db.transaction(async (tx) => {
    const [entry] = await tx.query<{ kind: string; segment: number; session: { id: string; items_before: number } | null }>(
      `SELECT e.kind, e.segment, s.body -> 'session' AS session
         FROM timestep_run_journal e
         JOIN timestep_run_journal s ON s.run_id = e.run_id AND s.kind = 'segment_started' AND s.segment = e.segment
        WHERE e.run_id = $1 AND e.seq = $2`,
      [runId, seq],
    );
    if (!entry) {
      throw new RunStateNotFoundError(
        `Durable run ${runId} has no journal entry ${seq}; \`timestep runs show ${runId}\` lists its entries.`,
        runId,
        seq,
      );
    }
    if (entry.kind === 'segment_ended') {
      // What follows a segment's end is a new segment started from the caller's RunState, which the store does not have.
      throw new UsageError(
        `Entry ${seq} of durable run ${runId} ends segment ${entry.segment}; fork at entry ${seq - 1} instead: ` +
          'resuming that fork replays the segment and ends it again, with its approvals pending as they were.',
      );
    }
    await refuseTakenId(tx, target);
    const session = entry.session ? await copySessionStart(tx, runId, entry.session) : null;
    try {
      await tx.query(
        `INSERT INTO timestep_durable_runs (run_id, session_id, agent, status, graph, attempts)
         SELECT $2, $3, agent, 'queued', graph, 0 FROM timestep_durable_runs WHERE run_id = $1`,
        [runId, target, session],
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw takenId(target); // created meanwhile
      throw error;
    }
    // Every segment's start names the session; the fork's name its own.
    await tx.query(
      `INSERT INTO timestep_run_journal (run_id, seq, segment, kind, key, body, created_at)
       SELECT $2, seq, segment, kind, key,
              CASE WHEN kind = 'segment_started' AND jsonb_typeof(body -> 'session') = 'object'
                   THEN jsonb_set(body, '{session,id}', to_jsonb($3::text)) ELSE body END,
              created_at
         FROM timestep_run_journal WHERE run_id = $1 AND seq <= $4`,
      [runId, target, session, seq],
    );
    return { runId: target, fromRunId: runId, fromVersion: seq, sessionId: session };
  });
}

/** A new session holding the first `items_before` items of the run's session; returns its id. */
async function copySessionStart(tx: Queryable, runId: string, session: { id: string; items_before: number }): Promise<string> {
  const copy = randomUUID();
  // The identity column numbers the rows in the order the SELECT gives them, so the copy keeps the order.
  const copied = await tx.query(
    `INSERT INTO timestep_session_items (session_id, item, native_sdk, native_item, created_at)
     SELECT $2, item, native_sdk, native_item, created_at FROM timestep_session_items
      WHERE session_id = $1 ORDER BY id LIMIT $3
     RETURNING id`,
    [session.id, copy, session.items_before],
  );
  if (copied.length !== session.items_before) {
    throw new UsageError(
      `Durable run ${runId} started its segment with ${session.items_before} items in session ${session.id}, which now ` +
        `holds ${copied.length}, so the fork's conversation cannot be rebuilt (was the session cleared, or is it not ` +
        'a Timestep DurableSession?). Nothing was written.',
    );
  }
  return copy;
}

/** What the store holds under `runId`: a durable run's row, saved run state versions, both or neither. */
async function storedUnder(q: Queryable, runId: string): Promise<{ durable: boolean; versions: boolean }> {
  const [durable] = await q.query('SELECT 1 FROM timestep_durable_runs WHERE run_id = $1', [runId]);
  return { durable: durable !== undefined, versions: (await latestVersion(q, runId)) !== 0 };
}

/** A durable run with no saved run state versions under its id: `runs fork` forks its journal. */
export async function isDurableRun(db: Queryable, runId: string): Promise<boolean> {
  const stored = await storedUnder(db, runId);
  return stored.durable && !stored.versions;
}

async function refuseTakenId(tx: Queryable, runId: string): Promise<void> {
  const stored = await storedUnder(tx, runId);
  if (stored.durable || stored.versions) throw takenId(runId);
}

function takenId(runId: string): RunStateConflictError {
  return new RunStateConflictError(`Run ${runId} already exists; pass another id with --as, or none for a new one.`, runId, 0, 0);
}
