/**
 * `timestep runs prune`: deletes old run state versions by policy. A version
 * is kept when it is its run's latest, when the policy keeps it, or when a
 * kept delta version is rebuilt from it: a delta applies to the version
 * before it, so everything from the nearest full version up to a kept delta
 * stays (spec/state-delta, "Reading"). Every kept version still loads.
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
