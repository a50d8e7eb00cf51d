/**
 * The rows of `timestep_run_states`: appending a version and reading the
 * chain of rows a version is rebuilt from (spec/state-delta, "Storing" and
 * "Reading"). RunStateStore decides what goes in a row; this module only
 * knows how rows are written and read.
 */
import { RunStateConflictError } from '../errors.js';
import { isUniqueViolation, type Database, type Queryable } from './database.js';

/** interrupted: waiting for approvals; checkpoint: mid-run; final: the run finished. */
export type RunStatus = 'interrupted' | 'checkpoint' | 'final';

/** A tool call waiting for a human decision, as stored in `pending_approvals`. */
export interface PendingApproval {
  agent: string;
  tool: string;
  call_id: string | null;
  arguments: string | null;
}

export interface VersionRow {
  run_id: string;
  version: number;
  session_id: string | null;
  status: RunStatus;
  current_agent: string | null;
  created_at: Date;
  sdk_name: string;
  sdk_version: string;
  sdk_schema_version: string;
  pending_approvals: PendingApproval[];
  state_encoding?: 'full' | 'delta';
  native_state?: string | null;
  native_sha256?: string;
  portable_state?: unknown;
}

/** A version's state as it goes into its row: whole, or a delta on version `base` (checksum `baseSha256`). */
export interface EncodedState {
  encoding: 'full' | 'delta';
  base: number | null;
  baseSha256?: string;
  nativeText: string;
  portableText: string | null;
}

/** Everything else in a version's row. */
export interface VersionValues {
  runId: string;
  sessionId: string | null;
  status: RunStatus;
  currentAgent: string | null;
  sdkName: string;
  sdkVersion: string;
  sdkSchemaVersion: string;
  /** SHA-256 of the whole native text, whatever the encoding. */
  nativeSha256: string;
  /** `PendingApproval[]` as JSON text. */
  pendingApprovals: string;
}

export const METADATA_COLUMNS =
  'run_id, version, session_id, status, current_agent, created_at, sdk_name, sdk_version, sdk_schema_version, pending_approvals';

const CHAIN_METADATA_COLUMNS = METADATA_COLUMNS.split(', ')
  .map((column) => `s.${column}`)
  .join(', ');

// Every row from the nearest full version at or below the one asked for
// ($3, or the latest) up to it: a delta row is rebuilt from its predecessors.
// Only the form the reader will use is transferred: the native state of its
// own SDK's rows, the portable state of the other SDK's ($1 is its SDK's name).
const READ_CHAIN = `WITH target AS (
    SELECT max(version) AS version FROM timestep_run_states WHERE run_id = $2 AND ($3::int IS NULL OR version = $3::int)
  ), chain_start AS (
    SELECT max(s.version) AS version FROM timestep_run_states s, target
    WHERE s.run_id = $2 AND s.version <= target.version AND s.state_encoding = 'full'
  )
  SELECT ${CHAIN_METADATA_COLUMNS}, s.state_encoding, s.native_sha256,
    CASE WHEN s.sdk_name = $1 THEN s.native_state END AS native_state,
    CASE WHEN s.sdk_name = $1 THEN NULL ELSE s.portable_state END AS portable_state
  FROM timestep_run_states s, target, chain_start
  WHERE s.run_id = $2 AND s.version BETWEEN chain_start.version AND target.version
  ORDER BY s.version`;

// One statement, so a save is usually one round trip and one commit. $13 is
// the latest version the row must follow (a delta's base, or the caller's
// expectedVersion; NULL appends after whatever is latest); $14 is the checksum
// that base must have, so a delta never lands on a version some other writer
// made with the same number (after a clear()). Two saves racing for one
// version: the primary key lets one in. The statement inserts nothing while
// another save of the run holds the run's lock (TAKE_TURNS), so a save that
// lost a race is not overtaken forever.
const INSERT_VERSION = `INSERT INTO timestep_run_states
    (run_id, version, session_id, status, current_agent, sdk_name, sdk_version, sdk_schema_version,
     native_state, native_sha256, pending_approvals, portable_state, state_encoding)
  SELECT $1, run.latest + 1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::jsonb, $12
  FROM (SELECT coalesce(max(version), 0)::int AS latest FROM timestep_run_states WHERE run_id = $1) AS run
  WHERE ($13::int IS NULL OR run.latest = $13::int)
    AND ($14::text IS NULL OR EXISTS (
      SELECT 1 FROM timestep_run_states base
      WHERE base.run_id = $1 AND base.version = run.latest AND base.native_sha256 = $14::text))
    AND pg_try_advisory_xact_lock(hashtextextended($1, 7405733))
  RETURNING ${METADATA_COLUMNS}`;

// Saves that found the run busy or moved on take turns on this lock; under it
// a statement sees every version saved before it, so it goes through.
const TAKE_TURNS = 'SELECT pg_advisory_xact_lock(hashtextextended($1, 7405733))';

/** Turns taken before giving up, when writers that do not take turns keep saving the next version first. */
const SAVE_ATTEMPTS = 10;

/** Rolls back a turn whose insert lost a race to a writer that does not take turns. */
class Raced extends Error {}

/**
 * Appends the version, or says why not: 'moved' when the run is not at the
 * version required (a delta's base, or `expected`) or another save of it is
 * under way, 'raced' when a concurrent save took the version first.
 */
async function insertVersion(
  db: Queryable,
  values: VersionValues,
  state: EncodedState,
  expected: number | null,
): Promise<VersionRow | 'moved' | 'raced'> {
  try {
    const [inserted] = await db.query<VersionRow>(INSERT_VERSION, [
      values.runId,
      values.sessionId,
      values.status,
      values.currentAgent,
      values.sdkName,
      values.sdkVersion,
      values.sdkSchemaVersion,
      state.nativeText,
      values.nativeSha256,
      values.pendingApprovals,
      state.portableText,
      state.encoding,
      state.base ?? expected,
      state.baseSha256 ?? null,
    ]);
    return inserted ?? 'moved';
  } catch (error) {
    if (isUniqueViolation(error)) return 'raced';
    throw error;
  }
}

export async function latestVersion(db: Queryable, runId: string): Promise<number> {
  const [{ latest }] = await db.query<{ latest: number }>(
    'SELECT coalesce(max(version), 0)::int AS latest FROM timestep_run_states WHERE run_id = $1',
    [runId],
  );
  return latest;
}

async function conflict(db: Queryable, runId: string, expected: number): Promise<RunStateConflictError> {
  const latest = await latestVersion(db, runId);
  return new RunStateConflictError(
    `Run ${runId} is at version ${latest}, not ${expected}: another writer saved it first. ` +
      'Load the latest version and decide again.',
    runId,
    expected,
    latest,
  );
}

/**
 * Appends the run's next version: as `state` if the run is where it requires
 * (its delta base, or `expected`), else — without `expected` — whole, as
 * `full`. With `expected` and the run at another version, nothing is written
 * and `RunStateConflictError` is thrown. Returns the row and how it was stored.
 */
export async function appendVersion(
  db: Database,
  values: VersionValues,
  state: EncodedState,
  full: EncodedState,
  expected: number | null,
): Promise<{ row: VersionRow; stored: EncodedState }> {
  let stored = state;
  // Usually one statement; otherwise take turns with the run's other saves.
  let attempt = await insertVersion(db, values, stored, expected);
  for (let turn = 0; typeof attempt === 'string' && turn < SAVE_ATTEMPTS; turn++) {
    if (attempt === 'raced') {
      if (expected !== null) throw await conflict(db, values.runId, expected);
      stored = full;
    }
    attempt = await db
      .transaction(async (tx) => {
        await tx.query(TAKE_TURNS, [values.runId]);
        let locked = await insertVersion(tx, values, stored, expected);
        if (locked === 'moved' && expected === null && stored !== full) {
          stored = full; // the run moved on from the delta's base
          locked = await insertVersion(tx, values, full, null);
        }
        if (locked === 'moved' && expected !== null) throw await conflict(tx, values.runId, expected);
        // A unique violation aborted the transaction: roll it back, then go again.
        if (typeof locked === 'string') throw new Raced();
        return locked;
      })
      .catch((error: unknown) => {
        if (error instanceof Raced) return 'raced' as const;
        throw error;
      });
  }
  if (typeof attempt === 'string') {
    const latest = await latestVersion(db, values.runId);
    throw new RunStateConflictError(
      `Run ${values.runId} could not be saved: other writers took its next version ${SAVE_ATTEMPTS} times ` +
        `(it is at version ${latest}). Save again.`,
      values.runId,
      latest,
      latest,
    );
  }
  return { row: attempt, stored };
}

/** The rows version `version` (or the latest) is rebuilt from, oldest first; none if it does not exist. */
export function readChain(db: Queryable, readerSdk: string, runId: string, version?: number): Promise<VersionRow[]> {
  return db.query<VersionRow>(READ_CHAIN, [readerSdk, runId, version ?? null]);
}

/** Whether the run has version `version` (or any version). */
export async function versionExists(db: Queryable, runId: string, version?: number): Promise<boolean> {
  const rows = await db.query(
    'SELECT 1 FROM timestep_run_states WHERE run_id = $1 AND ($2::int IS NULL OR version = $2::int) LIMIT 1',
    [runId, version ?? null],
  );
  return rows.length > 0;
}
