import { isUniqueViolation, type Database } from '../store/database.js';
import type { ResponsesItem } from '../portable-state/responsesItems.js';
import { DurableRunConflictError } from './errors.js';

/** Format name and version written into every `segment_started` entry (spec/run-journal). */
export const RUN_JOURNAL_FORMAT = 'timestep.run-journal';
export const RUN_JOURNAL_VERSION = 1;

export type DurableRunStatus = 'queued' | 'running' | 'interrupted' | 'finished' | 'failed';

/** A call an interrupted run waits on, as in `timestep_run_states.pending_approvals`. */
export interface DurablePendingApproval {
  agent: string;
  tool: string;
  call_id: string | null;
  arguments: string | null;
}

/** Starts a segment: from new input (segment 0) or from a RunState carrying approval decisions. */
export interface SegmentStartedBody {
  format: typeof RUN_JOURNAL_FORMAT;
  version: number;
  /** Name of the agent the segment starts with (the run's starting agent for segment 0). */
  agent: string;
  /** The new input, for a segment started from input. */
  input: ResponsesItem[] | null;
  /** The RunState, for a segment started from one. */
  state: { sdk: string; sdk_version: string; native: string; portable: unknown } | null;
  /** The session the run appends to, and how many items it held before this segment. */
  session: { id: string; items_before: number } | null;
  max_turns: number | null;
}

/** The entry's key is the response's ordinal: its position in the run, counting every segment (0, 1, 2, …). */
export interface ModelResponseBody {
  /** How many input items the request had: a replay that differs has diverged. */
  input_items: number;
  /** Absent when the provider gave none. */
  response_id?: string;
  request_id?: string;
  usage: JournalUsage;
  output: ResponsesItem[];
}

/**
 * The SDKs' usage in snake_case, each field absent when it holds what a
 * reader assumes: `requests` 1, `total_tokens` input + output, a details
 * record all zeros.
 */
export interface JournalUsage {
  requests?: number;
  input_tokens: number;
  output_tokens: number;
  total_tokens?: number;
  input_tokens_details?: Record<string, number>;
  output_tokens_details?: Record<string, number>;
}

/**
 * Empty: the entry's key names the call (`<ordinal>:<call id>`), and the
 * tool and its arguments are in the response that asked for it.
 */
export type ToolStartedBody = Record<string, never>;

export interface ToolResultBody {
  /** What the tool returned, as JSON; absent when it returned nothing. */
  output?: unknown;
}

export interface ToolInDoubtBody {
  call_id: string;
  tool: string;
  arguments: string;
}

export interface SegmentEndedBody {
  outcome: 'finished' | 'interrupted';
}

interface Bodies {
  segment_started: SegmentStartedBody;
  model_response: ModelResponseBody;
  tool_started: ToolStartedBody;
  tool_result: ToolResultBody;
  tool_in_doubt: ToolInDoubtBody;
  segment_ended: SegmentEndedBody;
}

export type JournalEntryKind = keyof Bodies;

export type JournalEntry = {
  [K in JournalEntryKind]: { seq: number; segment: number; kind: K; key: string | null; body: Bodies[K] };
}[JournalEntryKind];

export interface DurableRunRow {
  run_id: string;
  session_id: string | null;
  agent: string;
  status: DurableRunStatus;
  graph: string | null;
  lease_owner: string | null;
  /** The lease is held and has not expired (by the store's clock). */
  lease_live: boolean;
  attempts: number;
  pending_approvals: DurablePendingApproval[];
}

/** How a new run's row starts: driven by this process under a lease, or queued for a worker. */
export type NewRunRow = { graph: string } & ({ status: 'running'; owner: string; leaseMs: number } | { status: 'queued' });

/** An INSERT of `entries`, their values added to `params` (whose `$1` is the run id). */
function insertEntries(entries: readonly JournalEntry[], params: unknown[]): string {
  const rows = entries.map(({ seq, segment, kind, key, body }) => {
    params.push(seq, segment, kind, key, JSON.stringify(body));
    const at = params.length - 4;
    return `($1, $${at}, $${at + 1}, $${at + 2}, $${at + 3}, $${at + 4}::jsonb)`;
  });
  return `INSERT INTO timestep_run_journal (run_id, seq, segment, kind, key, body) VALUES ${rows.join(', ')}`;
}

/**
 * One run's journal in the store: its entries as read when the run was
 * opened, and appends. Entries are numbered `seq = last + 1` when appended,
 * so a second writer collides, and written in order by one queue (tools of
 * one turn may run in parallel); entries waiting in the queue are written
 * together, in one INSERT.
 */
export class RunJournal {
  private lastSeq: number;
  /** Appended, numbered, not yet sent to the store. */
  private unwritten: JournalEntry[] = [];
  private tail: Promise<unknown> = Promise.resolve();
  /**
   * What stopped the journal: a conflict (kept because the SDK may wrap what
   * a tool raised in a UserError before the caller sees it) or a write done
   * in the background. Every later write fails with it.
   */
  failure: unknown = null;

  private constructor(
    readonly db: Database,
    readonly runId: string,
    readonly run: DurableRunRow | null,
    readonly entries: readonly JournalEntry[],
  ) {
    this.lastSeq = entries.at(-1)?.seq ?? 0;
  }

  static async open(db: Database, runId: string): Promise<RunJournal> {
    const [run] = await db.query<DurableRunRow>(
      `SELECT run_id, session_id, agent, status, graph, lease_owner, attempts, pending_approvals,
              (lease_owner IS NOT NULL AND lease_expires_at >= now()) AS lease_live
         FROM timestep_durable_runs WHERE run_id = $1`,
      [runId],
    );
    if (!run) return new RunJournal(db, runId, null, []); // entries exist only with their run's row
    const entries = await db.query<JournalEntry>(
      'SELECT seq, segment, kind, key, body FROM timestep_run_journal WHERE run_id = $1 ORDER BY seq',
      [runId],
    );
    return new RunJournal(db, runId, run, entries);
  }

  /** Creates the run's row (first segment of a new run) and appends its first entry, atomically. */
  async create(sessionId: string | null, body: SegmentStartedBody, row: NewRunRow): Promise<void> {
    await this.serialised(async () => {
      const leased = row.status === 'running';
      try {
        // One statement, so one round trip: it is atomic like a transaction of two INSERTs.
        await this.db.query(
          `WITH run AS (
             INSERT INTO timestep_durable_runs
               (run_id, session_id, agent, status, graph, lease_owner, lease_expires_at, attempts)
             VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $6::text IS NULL THEN NULL ELSE now() + $7 * interval '1 millisecond' END, $8)
             RETURNING run_id)
           INSERT INTO timestep_run_journal (run_id, seq, segment, kind, key, body)
           SELECT run_id, 1, 0, 'segment_started', NULL, $9::jsonb FROM run`,
          [this.runId, sessionId, body.agent, row.status, row.graph, leased ? row.owner : null, leased ? row.leaseMs : 0, leased ? 1 : 0, JSON.stringify(body)],
        );
      } catch (error) {
        throw this.conflictOr(error);
      }
      this.lastSeq = 1;
    });
  }

  /** Appends one entry after every entry appended before; resolves once all of them are stored. */
  append<K extends JournalEntryKind>(segment: number, kind: K, key: string | null, body: Bodies[K]): Promise<void> {
    this.appendUnstored(segment, kind, key, body);
    return this.flush();
  }

  /**
   * Appends one entry without waiting for the store: it is written with the
   * next write (`append`, `flush`, `afterStored`). For an entry nothing
   * outside the run has acted on yet, whose loss in a crash costs only a
   * request made again; what does act on it (a tool's side effect, a session
   * write) waits for a write first.
   */
  appendUnstored<K extends JournalEntryKind>(segment: number, kind: K, key: string | null, body: Bodies[K]): void {
    this.unwritten.push({ seq: ++this.lastSeq, segment, kind, key, body } as JournalEntry);
  }

  /** Resolves once every entry appended so far, and the work queued before, is stored. */
  flush(): Promise<void> {
    return this.serialised(() => this.writeUnwritten());
  }

  /**
   * Runs `work` once every entry appended so far is stored, in order with
   * the journal's writes, without waiting for it: if it fails, the next
   * write fails with its error.
   */
  afterStored(work: () => Promise<void>): void {
    // Only the entries appended so far: a later one (say a tool's tool_started,
    // appended while this waits) must not be stored by a step whose work then
    // fails, as if its tool had run.
    const upto = this.lastSeq;
    this.serialised(async () => {
      await this.writeUnwritten(upto);
      await work();
    }).catch((error: unknown) => {
      this.failure ??= error;
    });
  }

  /** Starts writing every entry appended so far, without waiting for it (as `afterStored`). */
  flushInBackground(): void {
    this.afterStored(async () => {});
  }

  /** Writes the waiting entries (those numbered up to `upto`), in one INSERT. */
  private async writeUnwritten(upto = Infinity): Promise<void> {
    const entries = this.takeUnwritten(upto);
    if (entries.length === 0) return;
    const params: unknown[] = [this.runId];
    await this.writing(() => this.db.query(insertEntries(entries, params), params));
  }

  /** The waiting entries numbered up to `upto`, taken off the queue; throws what stopped the journal. */
  private takeUnwritten(upto = Infinity): JournalEntry[] {
    if (this.failure !== null) throw this.failure;
    const entries = this.unwritten.filter((entry) => entry.seq <= upto);
    this.unwritten = this.unwritten.slice(entries.length);
    return entries;
  }

  private async writing(write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (error) {
      // The entries are lost and their numbers taken: nothing may be written after them.
      throw (this.failure = this.conflictOr(error));
    }
  }

  /**
   * Records how the run ended and releases `owner`'s lease, once the work
   * queued before is done. `ending` appends the segment's `segment_ended`
   * (after every waiting entry); the entries and the run's row are written in
   * one statement. Only the lease holder changes the row: a process whose lease
   * another one has taken since, or a call refused before it took the lease,
   * leaves the run as it is.
   */
  async end(
    status: 'interrupted' | 'finished' | 'failed',
    pending: readonly DurablePendingApproval[],
    owner: string,
    ending: { segment: number; outcome: SegmentEndedBody['outcome'] } | null = null,
  ): Promise<void> {
    if (ending) this.appendUnstored(ending.segment, 'segment_ended', null, { outcome: ending.outcome });
    await this.serialised(async () => {
      const entries = status === 'failed' ? [] : this.takeUnwritten();
      const params: unknown[] = [this.runId, status, JSON.stringify(pending), owner];
      const update = `UPDATE timestep_durable_runs
            SET status = $2, pending_approvals = $3::jsonb, lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
          WHERE run_id = $1 AND lease_owner = $4`;
      if (entries.length === 0) {
        await this.db.query(update, params);
      } else {
        // A data-modifying WITH runs whether or not the UPDATE matches: the entries are stored as an append would.
        await this.writing(() => this.db.query(`WITH appended AS (${insertEntries(entries, params)}) ${update}`, params));
      }
    });
  }

  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const next = this.tail.then(work);
    this.tail = next.catch(() => undefined);
    return next;
  }

  private conflictOr(error: unknown): unknown {
    if (!isUniqueViolation(error)) return error;
    return new DurableRunConflictError(
      `Another process is running durable run ${this.runId} (its journal changed under this one). ` +
        'Let that process finish it, or resume the run again once it has stopped.',
      this.runId,
    );
  }
}
