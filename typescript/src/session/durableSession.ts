import { randomUUID } from 'node:crypto';
import type { AgentInputItem, Session } from '@openai/agents';
import {
  fromResponsesItem,
  toResponsesItem,
  toolNamesByCallId,
  type ResponsesItem,
} from '../portable-state/responsesItems.js';
import { DatabaseHandle, type StoreOptions, type StoreTarget } from '../store/connect.js';
import { checkIdentifier } from '../store/identifiers.js';
import { SDK_NAME } from '../store/sdkInfo.js';
import { storableJson } from '../store/storableValue.js';
import { UnstorableValueError } from '../errors.js';

export interface DurableSessionOptions extends StoreOptions {
  /** Continues an existing conversation; a new random id otherwise. */
  sessionId?: string;
}

interface ItemRow {
  item: ResponsesItem;
  native_sdk: string | null;
  native_item: AgentInputItem | null;
}

/** The item as JSON text, checked to be storable (the converted Responses item derives from it). */
function itemJson(item: AgentInputItem, path: string): string {
  try {
    return storableJson(item, path);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    throw new UnstorableValueError(`${path} cannot be written as JSON (${error.message}). Nothing was written.`, path);
  }
}

/** Throws `TypeError` for what is not an array of input items, which a run could not read back. */
function checkItems(items: unknown): void {
  if (!Array.isArray(items)) {
    throw new TypeError(`addItems(items): items must be an array of input items, got ${items === null ? 'null' : typeof items}. Nothing was written.`);
  }
  items.forEach((item: unknown, index) => {
    const kind = typeof item === 'object' && item !== null && !Array.isArray(item) ? ((item as { type?: unknown; role?: unknown }).type ?? (item as { role?: unknown }).role) : undefined;
    if (typeof kind !== 'string') {
      throw new TypeError(
        `addItems(items): item ${index} is not an input item (an object with a 'type' or 'role'): ${String(JSON.stringify(item)).slice(0, 80)}. Nothing was written.`,
      );
    }
  });
}

// The database handle of each session, for storeTargetOf (not a member: it stays off the public class).
const handles = new WeakMap<DurableSession, DatabaseHandle>();

/** The store `session` keeps its items in: `submitRun` needs it to be the run's, which a worker reopens it in. */
export function storeTargetOf(session: DurableSession): StoreTarget {
  return handles.get(session)!.target();
}

/**
 * The SDK's `Session` (conversation history) kept in the Timestep store, so a
 * conversation survives restarts and is shared with other processes and with
 * Python, which reads the same rows.
 */
export class DurableSession implements Session {
  private readonly sessionId: string;
  private readonly db: DatabaseHandle;

  constructor(options: DurableSessionOptions = {}) {
    this.sessionId = checkIdentifier('sessionId', options.sessionId ?? randomUUID());
    const { connectionString, usePglite, pglitePath, timeoutMs } = options;
    this.db = new DatabaseHandle({ connectionString, usePglite, pglitePath, timeoutMs }, `DurableSession ${this.sessionId}`);
    handles.set(this, this.db);
  }



  async getSessionId(): Promise<string> {
    return this.sessionId;
  }

  /** The conversation in order; with `limit`, only its most recent `limit` items. */
  async getItems(limit?: number): Promise<AgentInputItem[]> {
    if (limit !== undefined && !Number.isSafeInteger(limit)) {
      throw new RangeError(`getItems(limit): limit must be a whole number of items (or omitted for all), got ${limit}.`);
    }
    const db = await this.db.get(); // first: a closed session refuses every call, even one that reads nothing
    if (limit !== undefined && limit <= 0) return [];
    const rows = await db.query<ItemRow>(
      `SELECT item, native_sdk, native_item FROM (
         SELECT id, item, native_sdk, native_item FROM timestep_session_items
         WHERE session_id = $1 ORDER BY id DESC LIMIT $2
       ) AS recent ORDER BY id`,
      [this.sessionId, limit ?? null],
    );
    return this.toAgentItems(rows);
  }

  private async toAgentItems(rows: ItemRow[]): Promise<AgentInputItem[]> {
    const foreign = rows.filter((row) => row.native_sdk !== SDK_NAME || row.native_item === null);
    if (foreign.length === 0) return rows.map((row) => row.native_item!);
    const toolNames = toolNamesByCallId(rows.map((row) => row.item));
    await this.addToolNamesFromEarlierCalls(foreign, toolNames);
    return rows.map((row) =>
      row.native_sdk === SDK_NAME && row.native_item !== null ? row.native_item : fromResponsesItem(row.item, toolNames),
    );
  }

  // A tool output written by another language names only its call id; the
  // call itself may lie before the requested window.
  private async addToolNamesFromEarlierCalls(rows: ItemRow[], toolNames: Map<string, string>) {
    const missing = rows
      .map((row) => row.item)
      .filter((item) => item.type === 'function_call_output' && !toolNames.has(String(item.call_id)))
      .map((item) => String(item.call_id));
    if (missing.length === 0) return;
    const db = await this.db.get();
    const calls = await db.query<{ item: ResponsesItem }>(
      `SELECT item FROM timestep_session_items
       WHERE session_id = $1 AND item->>'type' = 'function_call' AND item->>'call_id' = ANY($2::text[])`,
      [this.sessionId, missing],
    );
    for (const [callId, name] of toolNamesByCallId(calls.map((row) => row.item))) toolNames.set(callId, name);
  }

  /**
   * Appends `items` in order, all or none. An item holding a value the store
   * cannot keep (a NUL character, a lone surrogate, NaN or infinity) is
   * `UnstorableValueError`, its `path` naming the value, e.g. `$.items[3].output`.
   */
  async addItems(items: AgentInputItem[]): Promise<void> {
    checkItems(items);
    const db = await this.db.get(); // first: a closed session refuses every call, even one that adds nothing
    if (items.length === 0) return;
    const params: unknown[] = [this.sessionId, SDK_NAME];
    const rows = items.map((item, index) => {
      const native = itemJson(item, `$.items[${index}]`);
      params.push(JSON.stringify(toResponsesItem(item)), native);
      return `($1, $${params.length - 1}::jsonb, $2, $${params.length}::jsonb)`;
    });
    await db.query(
      `INSERT INTO timestep_session_items (session_id, item, native_sdk, native_item) VALUES ${rows.join(', ')}`,
      params,
    );
  }

  /**
   * Removes and returns the most recent item, e.g. to drop a turn a guardrail
   * rejected. Concurrent pops each get a different item, none is lost.
   */
  async popItem(): Promise<AgentInputItem | undefined> {
    const db = await this.db.get();
    // One statement that locks the row it picks. Under READ COMMITTED a pop
    // that finds the newest row locked waits; if the other pop deleted it, the
    // row lock is skipped and LIMIT takes the next newest instead (a plain
    // max(id) would delete nothing and return undefined). Waiting rather than
    // SKIP LOCKED keeps the order exact when a row is locked for another reason.
    const rows = await db.query<ItemRow>(
      `DELETE FROM timestep_session_items
       WHERE id = (
         SELECT id FROM timestep_session_items WHERE session_id = $1
         ORDER BY id DESC LIMIT 1 FOR UPDATE
       )
       RETURNING item, native_sdk, native_item`,
      [this.sessionId],
    );
    return rows.length === 0 ? undefined : (await this.toAgentItems(rows))[0];
  }

  async clearSession(): Promise<void> {
    const db = await this.db.get();
    await db.query('DELETE FROM timestep_session_items WHERE session_id = $1', [this.sessionId]);
  }

  /** Releases the database. Further calls throw `StoreClosedError`. */
  close(): Promise<void> {
    return this.db.close();
  }

}
