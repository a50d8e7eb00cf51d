/** `timestep runs fork`: a past version of a run, copied whole as version 1 of a new run. */
import { createHash, randomUUID } from 'node:crypto';
import { InvalidRunStateError, RunStateConflictError, RunStateNotFoundError } from '../errors.js';
import type { Database } from '../store/database.js';
import { checkIdentifier } from '../store/identifiers.js';
import { SDK_NAME } from '../store/sdkInfo.js';
import { applyDeltaDocument } from '../store/stateDelta.js';
import { appendVersion, latestVersion, type PendingApproval, type RunStatus } from '../store/versionTable.js';
import { unknownRun } from './runsListing.js';

interface ChainRow {
  version: number;
  session_id: string | null;
  status: RunStatus;
  current_agent: string | null;
  sdk_name: string;
  sdk_version: string;
  sdk_schema_version: string;
  state_encoding: 'full' | 'delta';
  native_state: string;
  native_sha256: string;
  pending_approvals: PendingApproval[];
  portable_state: unknown;
}

// From the nearest full version at or below $2 up to $2, both forms.
const CHAIN = `SELECT version, session_id, status, current_agent, sdk_name, sdk_version, sdk_schema_version,
    state_encoding, native_state, native_sha256, pending_approvals, portable_state
  FROM timestep_run_states
  WHERE run_id = $1 AND version <= $2 AND version >= (
    SELECT max(version) FROM timestep_run_states WHERE run_id = $1 AND version <= $2 AND state_encoding = 'full')
  ORDER BY version`;

export interface ForkResult {
  runId: string;
  fromRunId: string;
  fromVersion: number;
}

/** Copies version `version` of `runId` as version 1 (a full version) of `newRunId` (default: a new UUID). */
export async function forkRun(db: Database, runId: string, version: number, newRunId?: string): Promise<ForkResult> {
  const target = checkIdentifier('runId', newRunId ?? randomUUID());
  const chain = await db.query<ChainRow>(CHAIN, [runId, version]);
  const row = chain.at(-1);
  if (!row || row.version !== version) {
    if ((await latestVersion(db, runId)) === 0) throw unknownRun(runId);
    throw new RunStateNotFoundError(
      `Run ${runId} has no version ${version}; \`timestep runs show ${runId}\` lists its versions.`,
      runId,
      version,
    );
  }
  const nativeText = rebuildNative(runId, chain);
  const portableText = chain.some((link) => link.portable_state == null)
    ? null
    : JSON.stringify(rebuildJson(chain, (link) => link.portable_state));
  const existing = await latestVersion(db, target);
  if (existing !== 0) {
    throw new RunStateConflictError(
      `Run ${target} already exists (at version ${existing}); pass another id with --as, or none for a new one.`,
      target,
      0,
      existing,
    );
  }
  const full = { encoding: 'full' as const, base: null, nativeText, portableText };
  const values = {
    runId: target,
    sessionId: row.session_id,
    status: row.status,
    currentAgent: row.current_agent,
    sdkName: row.sdk_name,
    sdkVersion: row.sdk_version,
    sdkSchemaVersion: row.sdk_schema_version,
    nativeSha256: row.native_sha256,
    pendingApprovals: JSON.stringify(row.pending_approvals),
  };
  // expectedVersion 0: a run of that id created meanwhile wins and the fork is refused.
  await appendVersion(db, values, full, full, 0);
  return { runId: target, fromRunId: runId, fromVersion: version };
}

function rebuildJson(chain: ChainRow[], valueOf: (row: ChainRow) => unknown): unknown {
  let value = valueOf(chain[0]);
  for (const link of chain.slice(1)) value = applyDeltaDocument(value, valueOf(link), link.version);
  return value;
}

/**
 * The version's native text, byte for byte (its checksum is checked). Only
 * this SDK's serialisation can be rebuilt here; another SDK's delta version
 * must be forked in that language.
 */
function rebuildNative(runId: string, chain: ChainRow[]): string {
  const row = chain.at(-1)!;
  if (chain.length === 1) return row.native_state;
  if (chain.some((link) => link.sdk_name !== SDK_NAME)) {
    throw new InvalidRunStateError(
      `Version ${row.version} of run ${runId} is stored by ${row.sdk_name} as a delta, whose exact text only that ` +
        'SDK rebuilds; fork a full version (`timestep runs show` lists the encodings), or load this version there ' +
        'and save it under a new run id.',
    );
  }
  const text = JSON.stringify(rebuildJson(chain, (link) => JSON.parse(link.native_state) as unknown));
  if (createHash('sha256').update(text).digest('hex') !== row.native_sha256) {
    throw new InvalidRunStateError(
      `Version ${row.version} of run ${runId} is damaged in storage (checksum mismatch); fork an earlier version.`,
    );
  }
  return text;
}
