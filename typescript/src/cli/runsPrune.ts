/**
 * `timestep runs prune`: deletes old run state versions by policy. A version
 * is kept when it is its run's latest, when the policy keeps it, or when a
 * kept delta version is rebuilt from it: a delta applies to the version
 * before it, so everything from the nearest full version up to a kept delta
 * stays (spec/state-delta, "Reading"). Every kept version still loads.
 * With `--durable`, also finished durable runs, whole (pruneDurableRuns).
 */
import type { Database, Queryable } from '../store/database.js';

export interface PrunePolicy {
  /** Keep each run's newest `keepLast` versions. */
  keepLast?: number;
  /** Delete only versions saved more than this many seconds ago. */
  olderThanSeconds?: number;
  /** Report what would be deleted, delete nothing. */
  dryRun: boolean;
}

export interface StoredVersion {
  version: number;
  encoding: 'full' | 'delta';
  /** Seconds since it was saved, by the database's clock. */
  ageSeconds: number;
}

export interface PrunedRun {
  runId: string;
  /** Versions deleted (or, in a dry run, that would be). */
  versions: number[];
  /** Versions left. */
  kept: number;
}

/** The versions of one run the policy deletes, oldest first. */
export function prunableVersions(versions: readonly StoredVersion[], policy: PrunePolicy): number[] {
  const ordered = [...versions].sort((a, b) => a.version - b.version);
  const keep = new Set<number>();
  ordered.forEach((stored, index) => {
    const newest = index === ordered.length - 1;
    const keptByCount = policy.keepLast !== undefined && index >= ordered.length - policy.keepLast;
    const young = policy.olderThanSeconds !== undefined && stored.ageSeconds <= policy.olderThanSeconds;
    if (newest || keptByCount || young) keep.add(stored.version);
  });
  // Newest first, so a delta kept because a later one needs it brings in its own base.
  let neededDown = false;
  for (const stored of [...ordered].reverse()) {
    if (neededDown) keep.add(stored.version);
    if (keep.has(stored.version)) neededDown = stored.encoding === 'delta';
  }
  return ordered.filter((stored) => !keep.has(stored.version)).map((stored) => stored.version);
}

// The lock saves of the run take turns on (versionTable.ts), so no save lands while its versions are pruned.
const TAKE_TURNS = 'SELECT pg_advisory_xact_lock(hashtextextended($1, 7405733))';

async function pruneRun(tx: Queryable, runId: string, policy: PrunePolicy): Promise<PrunedRun> {
  await tx.query(TAKE_TURNS, [runId]);
  const rows = await tx.query<{ version: number; state_encoding: 'full' | 'delta'; age_seconds: number }>(
    `SELECT version, state_encoding, extract(epoch FROM now() - created_at)::float8 AS age_seconds
     FROM timestep_run_states WHERE run_id = $1 ORDER BY version`,
    [runId],
  );
  const versions = prunableVersions(
    rows.map((row) => ({ version: row.version, encoding: row.state_encoding, ageSeconds: Number(row.age_seconds) })),
    policy,
  );
  if (versions.length > 0 && !policy.dryRun) {
    await tx.query(
      `DELETE FROM timestep_run_states
       WHERE run_id = $1 AND version IN (SELECT jsonb_array_elements_text($2::jsonb)::int)`,
      [runId, JSON.stringify(versions)],
    );
  }
  return { runId, versions, kept: rows.length - versions.length };
}

/** Prunes every run, each in its own transaction; returns the runs that lost (or would lose) versions. */
export async function pruneRuns(db: Database, policy: PrunePolicy): Promise<PrunedRun[]> {
  const runs = await db.query<{ run_id: string }>('SELECT DISTINCT run_id FROM timestep_run_states ORDER BY run_id');
  const pruned: PrunedRun[] = [];
  for (const { run_id: runId } of runs) {
    const result = await db.transaction((tx) => pruneRun(tx, runId, policy));
    if (result.versions.length > 0) pruned.push(result);
  }
  return pruned;
}

/** A durable run `prune --durable` deleted (or, in a dry run, would delete), with its journal. */
export interface PrunedDurableRun {
  runId: string;
  /** Its journal entries, deleted with it. */
  entries: number;
}

// A durable run is deleted whole: every entry of its journal counts when it is replayed (response ordinals
// span its segments), so none can go alone. Only a finished run nobody holds a live lease on goes; queued,
// running, interrupted and failed runs still have work ahead. Its stored decisions go with it, unless saved
// run state versions share the run id. Its session is left: a conversation can outlive the run.
const FINISHED_BEFORE = `status = 'finished' AND updated_at < now() - $1 * interval '1 second'
   AND (lease_owner IS NULL OR lease_expires_at < now())`;
const JOURNAL_ENTRY_COUNT = '(SELECT count(*) FROM timestep_run_journal j WHERE j.run_id = r.run_id)::int AS entries';

/** Deletes the durable runs that finished more than `olderThanSeconds` ago; returns them. One statement, so one snapshot. */
export async function pruneDurableRuns(db: Database, olderThanSeconds: number, dryRun: boolean): Promise<PrunedDurableRun[]> {
  const rows = await db.query<{ run_id: string; entries: number }>(
    dryRun
      ? `SELECT r.run_id, ${JOURNAL_ENTRY_COUNT} FROM timestep_durable_runs r WHERE ${FINISHED_BEFORE} ORDER BY r.run_id`
      : `WITH r AS (DELETE FROM timestep_durable_runs WHERE ${FINISHED_BEFORE} RETURNING run_id),
              decisions AS (
                DELETE FROM timestep_approval_decisions d USING r
                 WHERE d.run_id = r.run_id AND NOT EXISTS (SELECT 1 FROM timestep_run_states s WHERE s.run_id = r.run_id))
         SELECT r.run_id, ${JOURNAL_ENTRY_COUNT} FROM r ORDER BY r.run_id`,
    [olderThanSeconds],
  );
  return rows.map((row) => ({ runId: row.run_id, entries: row.entries }));
}
