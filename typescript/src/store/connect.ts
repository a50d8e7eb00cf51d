import { dirname, join, resolve } from 'node:path';
import { appDirectory, ensurePrivateDirectory } from './appDirectory.js';
import type { Database } from './database.js';
import { migrate } from './migrations.js';
import { EmbeddedDatabase, socketPathFor } from './embedded/embeddedDatabase.js';
import { PostgresDatabase } from './postgresDatabase.js';
import { checkSocketDirectory } from './socketDirectory.js';
import { redactConnectionString } from './connectionString.js';
import { storeTimeoutMs } from './storeTimeout.js';
import { StoreClosedError } from '../errors.js';

/** How a store or session finds its database. */
export interface StoreOptions {
  /** PostgreSQL URL. Wins over everything else. */
  connectionString?: string;
  /** `true` forces the embedded store even when `TIMESTEP_DB_URL` is set. */
  usePglite?: boolean;
  /** Data directory of the embedded store; defaults to `<app directory>/pglite`. */
  pglitePath?: string;
  /**
   * Longest wait on the store, in ms: connecting, waiting for the embedded
   * store's host or for a turn at it, each statement (a lock wait included).
   * Past it a call fails with `StoreTimeoutError`. Defaults to
   * `TIMESTEP_STORE_TIMEOUT_MS`, else 30 000.
   */
  timeoutMs?: number;
}

export type StoreTarget =
  | { kind: 'postgres'; connectionString: string }
  | { kind: 'pglite'; dataDir: string };

/** Explicit option > `TIMESTEP_DB_URL` > embedded PGlite in the app directory. */
export function resolveStoreTarget(options: StoreOptions = {}, env: NodeJS.ProcessEnv = process.env): StoreTarget {
  if (options.connectionString) return { kind: 'postgres', connectionString: options.connectionString };
  const fromEnv = env.TIMESTEP_DB_URL;
  if (fromEnv && options.usePglite !== true && !options.pglitePath) {
    return { kind: 'postgres', connectionString: fromEnv };
  }
  return { kind: 'pglite', dataDir: resolve(options.pglitePath ?? join(appDirectory(env), 'pglite')) };
}

/** Where `target` is, for messages: a connection string's password is left out. */
export function describeStoreTarget(target: StoreTarget): string {
  return target.kind === 'postgres'
    ? `PostgreSQL at ${redactConnectionString(target.connectionString)}`
    : `the embedded store at ${target.dataDir}`;
}

export function sameStoreTarget(a: StoreTarget, b: StoreTarget): boolean {
  return a.kind === 'postgres'
    ? b.kind === 'postgres' && a.connectionString === b.connectionString
    : b.kind === 'pglite' && a.dataDir === b.dataDir;
}

/** A reference to a database shared by every store and session of this process. */
export interface DatabaseLease {
  readonly db: Database;
  release(): Promise<void>;
}

interface OpenDatabase {
  ready: Promise<Database>;
  leases: number;
}

// One database per target per process: every RunStateStore and session on the
// same app directory shares one PGlite instance (and one pool per server URL).
const open = new Map<string, OpenDatabase>();

// Stores with different limits get databases of their own: a limit is a
// property of the connections (statement_timeout), not of one call.
function keyOf(target: StoreTarget, timeoutMs: number): string {
  const where = target.kind === 'postgres' ? `postgres:${target.connectionString}` : `pglite:${target.dataDir}`;
  return `${timeoutMs}:${where}`;
}

async function openDatabase(target: StoreTarget, timeoutMs: number): Promise<Database> {
  if (target.kind === 'pglite') {
    // Before anything connects to the socket or creates it.
    ensurePrivateDirectory(dirname(target.dataDir));
    checkSocketDirectory(socketPathFor(target.dataDir));
    return new EmbeddedDatabase(target.dataDir, { timeoutMs }).ready();
  }
  const db = new PostgresDatabase(target.connectionString, { timeoutMs, serverTimeouts: true });
  try {
    await migrate(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}

/** `timeoutMs` defaults to `TIMESTEP_STORE_TIMEOUT_MS`, else 30 000 (see `StoreOptions.timeoutMs`). */
export async function leaseDatabase(target: StoreTarget, timeoutMs: number = storeTimeoutMs()): Promise<DatabaseLease> {
  const key = keyOf(target, timeoutMs);
  let entry = open.get(key);
  if (!entry) {
    entry = { ready: openDatabase(target, timeoutMs), leases: 0 };
    open.set(key, entry);
    entry.ready.catch(() => open.delete(key)); // a failed open is retried by the next caller
  }
  entry.leases++;
  const current = entry;
  let db: Database;
  try {
    db = await current.ready;
  } catch (error) {
    current.leases--;
    throw error;
  }
  let released = false;
  return {
    db,
    async release() {
      if (released) return;
      released = true;
      if (--current.leases === 0 && open.get(key) === current) {
        open.delete(key);
        await db.close();
      }
    },
  };
}

/**
 * The database of one store or session: leased on first use (so constructors
 * stay synchronous), retried after a failed open, released by `close()`.
 */
export class DatabaseHandle {
  private lease: Promise<DatabaseLease> | null = null;
  private closed = false;
  private readonly timeoutMs: number;

  // An ES private field, unlike a TypeScript `private` one, is left out of
  // console.log / util.inspect and JSON.stringify: it may hold a password.
  readonly #options: StoreOptions;

  constructor(
    options: StoreOptions,
    /** Names the owner in errors, e.g. "RunStateStore for run 42". */
    private readonly owner: string,
  ) {
    this.#options = options;
    this.timeoutMs = storeTimeoutMs(options.timeoutMs); // a bad limit fails here, not at first use
  }

  /** The database this handle opens, as the environment names it now. */
  target(): StoreTarget {
    return resolveStoreTarget(this.#options);
  }

  async get(): Promise<Database> {
    if (this.closed) throw new StoreClosedError(`${this.owner} is closed; create a new one.`);
    this.lease ??= leaseDatabase(resolveStoreTarget(this.#options), this.timeoutMs);
    try {
      return (await this.lease).db;
    } catch (error) {
      this.lease = null;
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const lease = this.lease;
    this.lease = null;
    if (lease) await (await lease.catch(() => null))?.release();
  }
}
