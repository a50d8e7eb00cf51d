import { createHash, randomUUID } from 'node:crypto';
import { RunContext, RunState, type Agent } from '@openai/agents';
import { InvalidRunStateError, RunStateNotFoundError } from '../errors.js';
import { DatabaseHandle, type StoreOptions } from './connect.js';
import type { Queryable } from './database.js';
import { checkIdentifier } from './identifiers.js';
import {
  METADATA_COLUMNS,
  appendVersion,
  readChain,
  versionExists,
  type EncodedState,
  type PendingApproval,
  type RunStatus,
  type VersionRow,
} from './versionTable.js';
import { applyDecisions, decisionsFor } from './approvalDecisions.js';
import { applyDelta, applyDeltaDocument, deltaDocument, diff } from './stateDelta.js';
import { SDK_NAME, SDK_VERSION, anotherSdkCopyError } from './sdkInfo.js';
import { storableJson } from './storableValue.js';
import { buildGraph, requireAgent } from '../portable-state/agentGraph.js';
import { UnportableRunStateError } from '../portable-state/errors.js';
import { fromPortableRunState } from '../portable-state/fromPortable.js';
import type { PortableRunState } from '../portable-state/portableRunState.js';
import { nativeJsonToPortable } from '../portable-state/toPortable.js';

export type { PendingApproval, RunStatus };

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

/**
 * The longest run of delta versions between full ones (spec/state-delta): a
 * state saved again and again with small changes would otherwise make loading
 * read thousands of rows before its deltas reach twice the full version's size.
 */
const MAX_DELTAS = 32;

/** What this store last saved, so the next version can be stored as a delta on it. */
interface LastSaved {
  version: number;
  sha256: string;
  /** JSON.parse of the native text stored (exactly what a reader rebuilds). */
  native: unknown;
  portable: unknown | null;
  /** UTF-8 bytes of the native text of the latest full version, and of the deltas saved since. */
  fullBytes: number;
  chainBytes: number;
  /** Delta versions saved since the latest full version. */
  deltas: number;
}

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

/**
 * The interruptions still waiting for a decision. approve() and reject()
 * record the decision in the state's context and leave the interruption in
 * place until the run resumes, so decided calls are left out.
 */
function pendingApprovalsOf(json: NativeStateJson, state: RunState<any, any>): PendingApproval[] {
  if (json.currentStep?.type !== 'next_step_interruption') return [];
  return (json.currentStep.data?.interruptions ?? [])
    .filter((item) => {
      const toolName = item.toolName ?? item.rawItem?.name;
      const callId = item.rawItem?.callId;
      return !toolName || !callId || state._context.isToolApproved({ toolName, callId }) === undefined;
    })
    .map((item) => ({
      agent: item.agent?.name ?? 'unknown',
      tool: item.toolName ?? item.rawItem?.name ?? 'unknown',
      call_id: item.rawItem?.callId ?? null,
      arguments: item.rawItem?.arguments ?? null,
    }));
}

const STATUSES: readonly RunStatus[] = ['interrupted', 'checkpoint', 'final'];

/** Versions are PostgreSQL integers. */
const MAX_VERSION = 2 ** 31 - 1;

/** A version number argument must be a whole number the table can hold. */
function checkVersion(name: string, value: unknown, lowest: number, advice: string): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < lowest || value > MAX_VERSION) {
    const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
    throw new InvalidRunStateError(`${name} must be a whole number from ${lowest} to ${MAX_VERSION}${advice}, got ${shown}.`);
  }
}

function checkSaveOptions(options: SaveOptions): void {
  if (options.status !== undefined && !STATUSES.includes(options.status)) {
    throw new InvalidRunStateError(
      `status must be one of ${STATUSES.map((status) => `'${status}'`).join(', ')} or undefined (derived from the state), ` +
        `got ${JSON.stringify(options.status) ?? String(options.status)}.`,
    );
  }
  if (options.expectedVersion !== undefined) {
    checkVersion('expectedVersion', options.expectedVersion, 0, " (0 for the run's first save)");
  }
}

// Anything in JSON text that may decode to an unstorable string (JSON.parse
// never gives NaN or infinity); a hit is confirmed by walking the value.
const SUSPECT_TEXT = /\\u0000|\\u[dD][89a-fA-F]|[\0\uD800-\uDFFF]/;

/** The portable form, or null when the state holds something it cannot carry. */
function portableOrNull(json: NativeStateJson): PortableRunState | null {
  try {
    return nativeJsonToPortable(json);
  } catch (error) {
    if (error instanceof UnportableRunStateError) return null;
    throw error;
  }
}

/**
 * `state.toJSON()`, without the cost of stack traces: @openai/agents 0.20.0
 * throws and catches an error per earlier item for every completed tool call
 * while serialising, and capturing their stacks is most of its time. It runs
 * synchronously, so no other code sees the lowered limit. If it really fails,
 * it runs again with stack traces so the error can be diagnosed.
 */
function toJsonWithoutStackTraces(state: RunState<any, any>): unknown {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return state.toJSON();
  } catch {
    // Reported below, with its stack.
  } finally {
    Error.stackTraceLimit = limit;
  }
  return state.toJSON();
}

/** The value of a chain's last version: its first (full) row's value with every delta applied in turn. */
function rebuild(chain: VersionRow[], valueOf: (row: VersionRow) => unknown): unknown {
  let value = valueOf(chain[0]);
  for (const link of chain.slice(1)) {
    value = applyDeltaDocument(value, valueOf(link), link.version);
  }
  return value;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function toVersion(row: VersionRow): RunStateVersion {
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
  private lastSaved: LastSaved | undefined;

  constructor(options: RunStateStoreOptions<TAgent>) {
    if (!options || !options.agent) {
      throw new TypeError('RunStateStore needs { agent }: the starting agent that loaded states are bound to.');
    }
    this.agent = options.agent;
    this.sessionId = options.sessionId === undefined ? null : checkIdentifier('sessionId', options.sessionId);
    this.runId = checkIdentifier('runId', options.runId ?? options.sessionId ?? randomUUID());
    const { connectionString, usePglite, pglitePath, timeoutMs } = options;
    this.db = new DatabaseHandle({ connectionString, usePglite, pglitePath, timeoutMs }, `RunStateStore for run ${this.runId}`);
  }

  /**
   * Appends `state` as the run's next version and returns what was recorded.
   * Accepts a `RunState` or the string of `state.toString()`. The state's
   * context may be any subtype of the store's (a run started without a
   * context has `RunState<undefined>`, which a `RunStateStore<unknown>` takes).
   */
  async save<TStateContext extends TContext>(
    state: RunState<TStateContext, TAgent> | string,
    options: SaveOptions = {},
  ): Promise<RunStateVersion> {
    checkSaveOptions(options);
    const last = this.lastSaved;
    // Whatever happens, the run may move on: unless this save succeeds, the next one is a full version.
    this.lastSaved = undefined;
    const { text, json, live } = await this.serialise(state);
    const portable = portableOrNull(json);
    const portableText = portable === null ? null : JSON.stringify(portable);
    const saved = {
      sha256: sha256(text),
      native: JSON.parse(text) as unknown,
      portable: portableText === null ? null : (JSON.parse(portableText) as unknown),
    };
    const values = {
      runId: this.runId,
      sessionId: this.sessionId,
      status: options.status ?? statusOf(json),
      currentAgent: json.currentAgent?.name ?? null,
      sdkName: SDK_NAME,
      sdkVersion: SDK_VERSION,
      sdkSchemaVersion: json.$schemaVersion ?? 'unknown',
      nativeSha256: saved.sha256,
      pendingApprovals: JSON.stringify(pendingApprovalsOf(json, live)),
    };
    const full: EncodedState = { encoding: 'full', base: null, nativeText: text, portableText };
    const encoded = (last && this.asDelta(last, saved, text, options.expectedVersion)) ?? full;
    const db = await this.db.get();
    const { row: inserted, stored } = await appendVersion(db, values, encoded, full, options.expectedVersion ?? null);
    const textBytes = Buffer.byteLength(text);
    this.lastSaved = {
      ...saved,
      version: inserted.version,
      fullBytes: stored.encoding === 'full' ? textBytes : last!.fullBytes,
      chainBytes: stored.encoding === 'full' ? 0 : last!.chainBytes + Buffer.byteLength(stored.nativeText),
      deltas: stored.encoding === 'full' ? 0 : last!.deltas + 1,
    };
    return toVersion(inserted);
  }

  /**
   * The version as a delta on what this store saved last, when that is the
   * base a reader will rebuild from and the delta is worth it (spec/state-delta).
   */
  private asDelta(
    last: LastSaved,
    saved: Pick<LastSaved, 'native' | 'portable'>,
    text: string,
    expectedVersion: number | undefined,
  ): EncodedState | undefined {
    if (expectedVersion !== undefined && expectedVersion !== last.version) return undefined;
    if (saved.portable !== null && last.portable === null) return undefined;
    if (last.deltas >= MAX_DELTAS) return undefined;
    const nativeOps = diff(last.native, saved.native);
    const nativeText = JSON.stringify(deltaDocument(last.version, nativeOps));
    if (last.chainBytes + Buffer.byteLength(nativeText) >= 2 * last.fullBytes) return undefined;
    // The reader serialises the rebuilt value; it must give back these exact bytes.
    if (JSON.stringify(applyDelta(last.native, nativeOps)) !== text) return undefined;
    const portableText =
      saved.portable === null ? null : JSON.stringify(deltaDocument(last.version, diff(last.portable, saved.portable)));
    return { encoding: 'delta', base: last.version, baseSha256: last.sha256, nativeText, portableText };
  }

  /**
   * The state's JSON text and value, and the live state; a state the store
   * cannot keep is refused here, before anything is written.
   */
  private async serialise(state: unknown) {
    if (state instanceof RunState) {
      const json = toJsonWithoutStackTraces(state) as unknown as NativeStateJson;
      // Cheap check instead of a full reparse: the state must name only agents
      // of this store's graph, or load() could never bind it.
      this.requireKnownAgents(json);
      return { text: this.storableText(json), json, live: state as RunState<any, any> };
    }
    if (typeof state === 'string') {
      // A string is unchecked input: parse it the way load() will, so nothing
      // unloadable is stored.
      const live = await this.parse(state, 'save');
      const json = JSON.parse(state) as NativeStateJson;
      if (SUSPECT_TEXT.test(state)) storableJson(json, '$.state');
      return { text: state, json, live: live as RunState<any, any> };
    }
    const anotherCopy = anotherSdkCopyError(state);
    if (anotherCopy) throw anotherCopy;
    throw new InvalidRunStateError(
      `save() takes a RunState (e.g. result.state) or its toString(); got ${state === null ? 'null' : typeof state}.`,
    );
  }

  /** JSON.stringify of the state, or why it cannot be stored (`UnstorableValueError`, `InvalidRunStateError`). */
  private storableText(json: NativeStateJson): string {
    try {
      return storableJson(json, '$.state');
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
      throw new InvalidRunStateError(
        `Cannot save run state for run ${this.runId}: it cannot be written as JSON (${error.message}). ` +
          'Keep the run context JSON-compatible (no cycles, BigInt or class instances that need their prototype), ' +
          'and give such objects back with load({ context }).',
        { cause: error },
      );
    }
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
    if (options.version !== undefined) checkVersion('version', options.version, 1, ' (store.history() lists them)');
    const db = await this.db.get();
    const chain = await readChain(db, SDK_NAME, this.runId, options.version);
    const row = chain.at(-1);
    if (!row) {
      await this.requireNoVersion(db, options.version);
      throw new RunStateNotFoundError(
        options.version === undefined
          ? `No saved state for run ${this.runId}. Save one first with store.save(result.state).`
          : `Run ${this.runId} has no version ${options.version}; store.history() lists the saved versions.`,
        this.runId,
        options.version,
      );
    }
    if (chain.some((link) => link.sdk_name !== row.sdk_name)) {
      throw new InvalidRunStateError(
        `Version ${row.version} of run ${this.runId} is stored as a delta on a version another SDK saved; ` +
          'the run is damaged in storage. Load an earlier version.',
      );
    }
    if (row.sdk_name !== SDK_NAME) {
      if (chain.some((link) => link.portable_state == null)) {
        throw new InvalidRunStateError(
          `Version ${row.version} of run ${this.runId} was saved by ${row.sdk_name} ${row.sdk_version} without a ` +
            'portable form (it holds something the portable format cannot carry); resume it in that SDK.',
        );
      }
      // Saved by the other language: build this SDK's state from the portable form.
      // Its typed errors (unknown version, agent or tool missing) pass through as they are.
      const portable = rebuild(chain, (link) => link.portable_state);
      const state = await fromPortableRunState<TContext, TAgent>(portable, this.agent, { context: options.context });
      return this.withStoredDecisions(db, state);
    }
    const text =
      chain.length === 1
        ? row.native_state!
        : JSON.stringify(rebuild(chain, (link) => this.parseStored(link.native_state!, link.version)));
    if (sha256(text) !== row.native_sha256) {
      throw new InvalidRunStateError(
        `Version ${row.version} of run ${this.runId} is damaged in storage (checksum mismatch); load an earlier version.`,
      );
    }
    return this.withStoredDecisions(db, await this.parse(text, 'load', options.context));
  }

  /** The state with the decisions `timestep runs approve|reject` stored for its pending calls applied. */
  private async withStoredDecisions(
    db: Queryable,
    state: RunState<TContext, TAgent>,
  ): Promise<RunState<TContext, TAgent>> {
    if (state.getInterruptions().length > 0) applyDecisions(state, await decisionsFor(db, this.runId));
    return state;
  }

  private parseStored(text: string, version: number): unknown {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new InvalidRunStateError(
        `Version ${version} of run ${this.runId} is damaged in storage (not valid JSON); load an earlier version.`,
        { cause: error },
      );
    }
  }

  /** No chain for a version that exists means no full version precedes it. */
  private async requireNoVersion(db: Queryable, version: number | undefined): Promise<void> {
    if (await versionExists(db, this.runId, version)) {
      throw new InvalidRunStateError(
        `${version === undefined ? 'The latest version' : `Version ${version}`} of run ${this.runId} is stored as a ` +
          'delta with no full version before it; the run is damaged in storage. Save the run again.',
      );
    }
  }

  /** Every saved version of the run, oldest first. */
  async history(): Promise<RunStateVersion[]> {
    const db = await this.db.get();
    const rows = await db.query<VersionRow>(
      `SELECT ${METADATA_COLUMNS} FROM timestep_run_states WHERE run_id = $1 ORDER BY version`,
      [this.runId],
    );
    return rows.map(toVersion);
  }

  /** Deletes every saved version of this run and returns how many there were. */
  async clear(): Promise<number> {
    const db = await this.db.get();
    this.lastSaved = undefined;
    const rows = await db.query('DELETE FROM timestep_run_states WHERE run_id = $1 RETURNING version', [this.runId]);
    return rows.length;
  }

  /** Releases the database. Further calls throw `StoreClosedError`. */
  close(): Promise<void> {
    return this.db.close();
  }
}
