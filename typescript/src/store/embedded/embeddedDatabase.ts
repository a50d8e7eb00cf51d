import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { EmbeddedStoreLockedError, StoreTimeoutError, StoreUnavailableError, UnusableDataDirectoryError } from '../../errors.js';
import { ensurePrivateDirectory } from '../appDirectory.js';
import type { Database, Queryable } from '../database.js';
import { migrate } from '../migrations.js';
import { PgliteDatabase } from '../pgliteDatabase.js';
import { PostgresDatabase } from '../postgresDatabase.js';
import { DEFAULT_STORE_TIMEOUT_MS } from '../storeTimeout.js';
import { serveWireProtocol, type WireProtocolServer } from './wireProtocolServer.js';

/**
 * The embedded store shared by every process on one data directory.
 *
 * PGlite's files may be open in one process only. That process (the host)
 * runs PGlite in-process, which is the fastest path, and serves it on a unix
 * socket beside the data directory. Every other process (TypeScript or
 * Python) joins through that socket with an ordinary PostgreSQL client. When
 * the host goes away, the next process that needs the store becomes the host.
 */

// libpq-style clients find a server's socket as <host dir>/.s.PGSQL.<port>.
export const SOCKET_PORT = 5432;

export function socketDirectoryFor(dataDir: string): string {
  return `${dataDir}.socket`;
}

// The longest path a unix socket can have (sun_path less its NUL). Longer ones are cut short
// by the kernel, so the store would listen on, or a client connect to, some other path.
const MAX_SOCKET_PATH_BYTES = process.platform === 'linux' ? 107 : 103;

/** The store's socket; `UnusableDataDirectoryError` when the data directory's path makes it too long. */
export function socketPathFor(dataDir: string): string {
  const path = join(socketDirectoryFor(dataDir), `.s.PGSQL.${SOCKET_PORT}`);
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new UnusableDataDirectoryError(
      `The embedded store at ${dataDir} is served on the unix socket ${path}, whose path is ${bytes} bytes long; ` +
        `a socket's may be at most ${MAX_SOCKET_PATH_BYTES}. Use a data directory with a shorter path (TIMESTEP_HOME or pglitePath).`,
      dataDir,
    );
  }
  return path;
}

/** The embedded store opened in this process and served to the others. */
export class HostedStore implements Database {
  readonly kind = 'pglite' as const;

  private constructor(
    private readonly db: PgliteDatabase,
    private readonly server: WireProtocolServer,
  ) {}

  /**
   * Takes the data directory's lock (or throws `EmbeddedStoreLockedError`), migrates, serves.
   * `timeoutMs` bounds how long a socket client may hold the store idle and how long an
   * in-process caller waits for its turn.
   */
  static async open(dataDir: string, { timeoutMs = DEFAULT_STORE_TIMEOUT_MS }: { timeoutMs?: number } = {}): Promise<HostedStore> {
    ensurePrivateDirectory(dirname(dataDir));
    const db = await PgliteDatabase.open(dataDir, { timeoutMs });
    try {
      await migrate(db);
      mkdirSync(socketDirectoryFor(dataDir), { recursive: true, mode: 0o700 });
      const server = await serveWireProtocol(db.pglite, db.floor, socketPathFor(dataDir), { idleTimeoutMs: timeoutMs });
      return new HostedStore(db, server);
    } catch (error) {
      await db.close();
      throw error;
    }
  }

  /** Processes connected through the socket right now. */
  clientCount(): number {
    return this.server.clientCount();
  }

  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]> {
    return this.db.query<Row>(sql, params);
  }

  exec(script: string): Promise<void> {
    return this.db.exec(script);
  }

  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /**
   * Stops serving between transactions: waiting for the floor means no client
   * is cut off in the middle of one. Clients then reconnect to the next host.
   */
  async close(): Promise<void> {
    try {
      await this.db.floor.run(() => this.server.close()).catch(async (error: unknown) => {
        if (!(error instanceof StoreTimeoutError)) throw error;
        // A client kept the store busy past the limit: cut it off; its transaction never commits.
        await this.server.close();
      });
    } finally {
      await this.db.close();
    }
  }
}

/** Whether something accepts connections on the unix socket at `path` right now. */
export function socketAccepts(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/** The host could not be reached before anything was sent, so retrying elsewhere is safe. */
function isUnreachable(error: unknown): boolean {
  // A host that timed out is there but not answering: looking again would only wait again.
  return error instanceof StoreUnavailableError && error.nothingSent && !(error instanceof StoreTimeoutError);
}

async function joinOrHost(dataDir: string, timeoutMs: number): Promise<Database> {
  const socket = socketPathFor(dataDir);
  // How long to wait for a live host that has not started serving yet: the store's limit.
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    if (await socketAccepts(socket)) {
      const host = encodeURIComponent(socketDirectoryFor(dataDir));
      const joined = new PostgresDatabase(`postgresql://postgres@localhost:${SOCKET_PORT}/postgres?host=${host}`, { timeoutMs });
      try {
        await migrate(joined); // a newer client may bring migrations the host lacks
        return joined;
      } catch (error) {
        await joined.close();
        if (!isUnreachable(error)) throw error; // the host left between probe and connect: look again
        continue;
      }
    }
    try {
      return await HostedStore.open(dataDir, { timeoutMs });
    } catch (error) {
      if (!(error instanceof EmbeddedStoreLockedError) || Date.now() > giveUpAt) throw error;
    }
    // The lock's holder is alive but not serving yet; it will be shortly.
    await delay(100);
  }
}

/** The embedded store as this process sees it: hosting it or joined to its host. */
export class EmbeddedDatabase implements Database {
  readonly kind = 'pglite' as const;
  private current: Promise<Database> | null = null;

  /** `timeoutMs`: see `HostedStore.open`. */
  constructor(
    readonly dataDir: string,
    private readonly options: { timeoutMs?: number } = {},
  ) {}

  private connection(): Promise<Database> {
    if (!this.current) {
      const attempt = joinOrHost(this.dataDir, this.options.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS);
      this.current = attempt;
      attempt.catch(() => {
        if (this.current === attempt) this.current = null;
      });
    }
    return this.current;
  }

  /** Opens (or joins) the store now rather than on first use. */
  async ready(): Promise<this> {
    await this.connection();
    return this;
  }

  private async using<T>(operation: (db: Database) => Promise<T>): Promise<T> {
    const pending = this.connection();
    const db = await pending;
    try {
      return await operation(db);
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      // The host exited or is exiting: forget it, so this call (if nothing was
      // sent) or the next one finds the new host or becomes it.
      if (this.current === pending) this.current = null;
      await db.close().catch(() => {});
      if (!isUnreachable(error)) throw error;
      return operation(await this.connection());
    }
  }

  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]> {
    return this.using((db) => db.query<Row>(sql, params));
  }

  exec(script: string): Promise<void> {
    return this.using((db) => db.exec(script));
  }

  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.using((db) => db.transaction(work));
  }

  async close(): Promise<void> {
    const current = this.current;
    this.current = null;
    if (current) await (await current.catch(() => null))?.close();
  }
}
