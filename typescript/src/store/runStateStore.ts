import { createHash, randomUUID } from 'node:crypto';
import { RunContext, RunState, type Agent } from '@openai/agents';
import {
  InvalidRunStateError,
  RunStateConflictError,
  RunStateNotFoundError,
} from '../errors.js';
import { DatabaseHandle, type StoreOptions } from './connect.js';
import { checkIdentifier } from './identifiers.js';
import { SDK_NAME, SDK_VERSION } from './sdkInfo.js';
import { buildGraph, requireAgent } from '../portable-state/agentGraph.js';
import { UnportableRunStateError } from '../portable-state/errors.js';
import { fromPortableRunState } from '../portable-state/fromPortable.js';
import type { PortableRunState } from '../portable-state/portableRunState.js';
import { nativeJsonToPortable } from '../portable-state/toPortable.js';

/** interrupted: waiting for approvals; checkpoint: mid-run; final: the run finished. */
export type RunStatus = 'interrupted' | 'checkpoint' | 'final';

/** A tool call waiting for a human decision, as stored in `pending_approvals`. */
export interface PendingApproval {
  agent: string;
  tool: string;
  call_id: string | null;
  arguments: string | null;
}

/** What the store knows about one saved version, without the state itself. */
export interface RunStateVersion {
  runId: string;
  version: number;
  sessionId: string | null;
  status: RunStatus;
  currentAgent: string | null;
  createdAt: Date;
  sdkName: string;
  sdkVersion: string;
  sdkSchemaVersion: string;
  pendingApprovals: PendingApproval[];
}

export interface RunStateStoreOptions<TAgent extends Agent<any, any>> extends StoreOptions {
  /** The starting agent of the run; loaded states are bound to its agent graph. */
  agent: TAgent;
  /** Identifies the run; defaults to `sessionId`, else a new random id (see `runId`). */
  runId?: string;
  /** The conversation the run belongs to, recorded with every version. */
  sessionId?: string;
}

export interface SaveOptions {
  /** Overrides the status derived from the state. */
  status?: RunStatus;
  /**
   * The version this save replaces (0 for the first save). If the store holds
   * another latest version, nothing is written and `RunStateConflictError` is thrown.
   */
  expectedVersion?: number;
}

export interface LoadOptions<TContext> {
  /** A past version to load instead of the latest. */
  version?: number;
  /** Replaces the serialised context, e.g. to restore objects that are not JSON. */
  context?: TContext;
}

interface Row {
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
  native_state?: string;
  native_sha256?: string;
  portable_state?: unknown;
}

const METADATA_COLUMNS =
  'run_id, version, session_id, status, current_agent, created_at, sdk_name, sdk_version, sdk_schema_version, pending_approvals';

// The portable form is only needed for rows the other SDK wrote; skip
// transferring and parsing it for our own ($1 is this SDK's name).
const LOAD_COLUMNS = `SELECT ${METADATA_COLUMNS}, native_state, native_sha256,
  CASE WHEN sdk_name = $1 THEN NULL ELSE portable_state END AS portable_state
  FROM timestep_run_states`;

/** The parts of the SDK's native JSON the store reads (the SDK owns the rest). */
interface NativeStateJson {
  $schemaVersion?: string;
  currentAgent?: { name?: string };
  currentStep?: {
    type?: string;
    data?: {
      interruptions?: Array<{
        agent?: { name?: string };
        toolName?: string;
        rawItem?: { name?: string; callId?: string; arguments?: string };
      }>;
    };
  };
  generatedItems?: Array<{ agent?: { name?: string }; sourceAgent?: { name?: string }; targetAgent?: { name?: string } }>;
}

function statusOf(json: NativeStateJson): RunStatus {
  switch (json.currentStep?.type) {
    case 'next_step_interruption':
      return 'interrupted';
    case 'next_step_final_output':
      return 'final';
    default:
      return 'checkpoint';
  }
}

function pendingApprovalsOf(json: NativeStateJson): PendingApproval[] {
  if (json.currentStep?.type !== 'next_step_interruption') return [];
  return (json.currentStep.data?.interruptions ?? []).map((item) => ({
    agent: item.agent?.name ?? 'unknown',
    tool: item.toolName ?? item.rawItem?.name ?? 'unknown',
    call_id: item.rawItem?.callId ?? null,
    arguments: item.rawItem?.arguments ?? null,
  }));
}

/** The portable form, or null when the state holds something it cannot carry. */
function portableOrNull(json: NativeStateJson): PortableRunState | null {
  try {
    return nativeJsonToPortable(json);
  } catch (error) {
    if (error instanceof UnportableRunStateError) return null;
    throw error;
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function toVersion(row: Row): RunStateVersion {
  return {
    runId: row.run_id,
    version: row.version,
    sessionId: row.session_id,
    status: row.status,
    currentAgent: row.current_agent,
    createdAt: new Date(row.created_at),
    sdkName: row.sdk_name,
    sdkVersion: row.sdk_version,
    sdkSchemaVersion: row.sdk_schema_version,
    pendingApprovals: row.pending_approvals,
  };
}

/**
 * Saves the versions of one run and loads them back as live `RunState`s.
 *
 * Every `save` appends a version; nothing is overwritten, so any past version
 * can be loaded. The database is chosen by `connectionString`, then
 * `TIMESTEP_DB_URL`, then the embedded PGlite store in the app directory.
 */
export class RunStateStore<TContext = unknown, TAgent extends Agent<any, any> = Agent<any, any>> {
  /** The run this store reads and writes. */
  readonly runId: string;
  readonly sessionId: string | null;
  private readonly agent: TAgent;
  private readonly db: DatabaseHandle;

  constructor(options: RunStateStoreOptions<TAgent>) {
    if (!options || !options.agent) {
      throw new TypeError('RunStateStore needs { agent }: the starting agent that loaded states are bound to.');
    }
    this.agent = options.agent;
    this.sessionId = options.sessionId === undefined ? null : checkIdentifier('sessionId', options.sessionId);
    this.runId = checkIdentifier('runId', options.runId ?? options.sessionId ?? randomUUID());
    const { connectionString, usePglite, pglitePath } = options;
    this.db = new DatabaseHandle({ connectionString, usePglite, pglitePath }, `RunStateStore for run ${this.runId}`);
  }



  /**
   * Appends `state` as the run's next version and returns what was recorded.
   * Accepts a `RunState` or the string of `state.toString()`.
   */
  async save(state: RunState<TContext, TAgent> | string, options: SaveOptions = {}): Promise<RunStateVersion> {
    const { text, json } = await this.serialise(state);
    const portable = portableOrNull(json);
    const db = await this.db.get();
    const row = await db.transaction(async (tx) => {
      // Saves of one run take turns, so versions are gap-free and a stale
      // expectedVersion is caught instead of silently forking history.
      await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 7405733))', [this.runId]);
      const [{ latest }] = await tx.query<{ latest: number }>(
        'SELECT coalesce(max(version), 0)::int AS latest FROM timestep_run_states WHERE run_id = $1',
        [this.runId],
      );
      if (options.expectedVersion !== undefined && options.expectedVersion !== latest) {
        throw new RunStateConflictError(
          `Run ${this.runId} is at version ${latest}, not ${options.expectedVersion}: another writer saved it first. ` +
            'Load the latest version and decide again.',
          this.runId,
          options.expectedVersion,
          latest,
        );
      }
      const [inserted] = await tx.query<Row>(
        `INSERT INTO timestep_run_states
           (run_id, version, session_id, status, current_agent, sdk_name, sdk_version, sdk_schema_version,
            native_state, native_sha256, pending_approvals, portable_state)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12::jsonb)
         RETURNING ${METADATA_COLUMNS}`,
        [
          this.runId,
          latest + 1,
          this.sessionId,
          options.status ?? statusOf(json),
          json.currentAgent?.name ?? null,
          SDK_NAME,
          SDK_VERSION,
          json.$schemaVersion ?? 'unknown',
          text,
          sha256(text),
          JSON.stringify(pendingApprovalsOf(json)),
          portable === null ? null : JSON.stringify(portable),
        ],
      );
      return inserted;
    });
    return toVersion(row);
  }

  private async serialise(state: RunState<TContext, TAgent> | string) {
    if (state instanceof RunState) {
      const json = state.toJSON() as unknown as NativeStateJson;
      // Cheap check instead of a full reparse: the state must name only agents
      // of this store's graph, or load() could never bind it.
      this.requireKnownAgents(json);
      return { text: JSON.stringify(json), json };
    }
    if (typeof state === 'string') {
      // A string is unchecked input: parse it the way load() will, so nothing
      // unloadable is stored.
      await this.parse(state, 'save');
      return { text: state, json: JSON.parse(state) as NativeStateJson };
    }
    throw new InvalidRunStateError(
      `save() takes a RunState (e.g. result.state) or its toString(); got ${state === null ? 'null' : typeof state}.`,
    );
  }

  private requireKnownAgents(json: NativeStateJson): void {
    const graph = buildGraph(this.agent);
    if (json.currentAgent?.name) requireAgent(graph, json.currentAgent.name, 'currentAgent');
    json.generatedItems?.forEach((item, i) => {
      for (const reference of [item.agent, item.sourceAgent, item.targetAgent]) {
        if (reference?.name) requireAgent(graph, reference.name, `generatedItems[${i}]`);
      }
    });
  }

  private async parse(text: string, during: 'save' | 'load', context?: TContext): Promise<RunState<TContext, TAgent>> {
    try {
      return context === undefined
        ? await RunState.fromString<TContext, TAgent>(this.agent, text)
        : await RunState.fromStringWithContext<TContext, TAgent>(this.agent, text, new RunContext(context));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new InvalidRunStateError(
        `Cannot ${during} run state for run ${this.runId}: ${reason} ` +
          `(check that it is a ${SDK_NAME} RunState and that agent "${this.agent.name}" is the run's starting agent).`,
        { cause: error },
      );
    }
  }

  /** Loads the latest version (or `version`) as a live `RunState` bound to the agent. */
  async load(options: LoadOptions<TContext> = {}): Promise<RunState<TContext, TAgent>> {
    const db = await this.db.get();
    const rows =
      options.version === undefined
        ? await db.query<Row>(`${LOAD_COLUMNS} WHERE run_id = $2 ORDER BY version DESC LIMIT 1`, [SDK_NAME, this.runId])
        : await db.query<Row>(`${LOAD_COLUMNS} WHERE run_id = $2 AND version = $3`, [
            SDK_NAME,
            this.runId,
            options.version,
          ]);
    const row = rows[0];
    if (!row) {
      throw new RunStateNotFoundError(
        options.version === undefined
          ? `No saved state for run ${this.runId}. Save one first with store.save(result.state).`
          : `Run ${this.runId} has no version ${options.version}; store.history() lists the saved versions.`,
        this.runId,
        options.version,
      );
    }
    if (row.sdk_name !== SDK_NAME) {
      if (row.portable_state == null) {
        throw new InvalidRunStateError(
          `Version ${row.version} of run ${this.runId} was saved by ${row.sdk_name} ${row.sdk_version} without a ` +
            'portable form (it holds something the portable format cannot carry); resume it in that SDK.',
        );
      }
      // Saved by the other language: build this SDK's state from the portable form.
      // Its typed errors (unknown version, agent or tool missing) pass through as they are.
      return fromPortableRunState<TContext, TAgent>(row.portable_state, this.agent, { context: options.context });
    }
    if (sha256(row.native_state!) !== row.native_sha256) {
      throw new InvalidRunStateError(
        `Version ${row.version} of run ${this.runId} is damaged in storage (checksum mismatch); load an earlier version.`,
      );
    }
    return this.parse(row.native_state!, 'load', options.context);
  }

  /** Every saved version of the run, oldest first. */
  async history(): Promise<RunStateVersion[]> {
    const db = await this.db.get();
    const rows = await db.query<Row>(
      `SELECT ${METADATA_COLUMNS} FROM timestep_run_states WHERE run_id = $1 ORDER BY version`,
      [this.runId],
    );
    return rows.map(toVersion);
  }

  /** Deletes every saved version of this run and returns how many there were. */
  async clear(): Promise<number> {
    const db = await this.db.get();
    const rows = await db.query('DELETE FROM timestep_run_states WHERE run_id = $1 RETURNING version', [this.runId]);
    return rows.length;
  }

  /** Releases the database. Further calls throw `StoreClosedError`. */
  close(): Promise<void> {
    return this.db.close();
  }

}
