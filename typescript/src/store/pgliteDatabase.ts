import { PGlite } from '@electric-sql/pglite';
import type { Database, Queryable } from './database.js';
import { EmbeddedLock } from './embeddedLock.js';
import { Floor } from './embedded/floor.js';
import { resetSession } from './embedded/sessionReset.js';
import { seedFromTemplate } from './embedded/dataDirTemplate.js';

type PGliteQueryable = Pick<PGlite, 'query' | 'exec'>;

function wrap(target: PGliteQueryable): Queryable {
  return {
    async query<Row>(sql: string, params: readonly unknown[] = []) {
      const result = await target.query<Row>(sql, params as unknown[]);
      return result.rows;
    },
    async exec(script: string) {
      await target.exec(script);
    },
  };
}

/**
 * PostgreSQL arms repeating timers (emscripten turns them into ref'd Node
 * timers) for startup progress reports and for flushing table statistics when
 * idle. Either keeps the Node process alive forever once it has nothing else
 * to do, so a script that opened an existing store never exited. Neither
 * report is used by an embedded single-session database.
 */
const QUIET_TIMERS = ['-c', 'log_startup_progress_interval=0', '-c', 'track_counts=off'];

/** PGlite running inside this process, on a data directory on disk. */
export class PgliteDatabase implements Database {
  readonly kind = 'pglite' as const;
  /** Shared with the socket server, so in-process work and socket clients take turns. */
  readonly floor: Floor;
  private readonly inner: Queryable;

  private constructor(
    /** The PGlite instance, for serving it to other processes over a socket. */
    readonly pglite: PGlite,
    private readonly lock: EmbeddedLock,
    timeoutMs: number,
  ) {
    this.inner = wrap(pglite);
    this.floor = new Floor(() => resetSession(pglite), timeoutMs);
  }

  /**
   * Opens (creating if needed) the data directory, which this process then
   * holds exclusively. `timeoutMs` (0: none) bounds each wait for the floor
   * (`StoreTimeoutError`).
   */
  static async open(dataDir: string, { timeoutMs = 0 }: { timeoutMs?: number } = {}): Promise<PgliteDatabase> {
    const lock = await EmbeddedLock.acquire(`${dataDir}.lock`, `at ${dataDir}`);
    try {
      seedFromTemplate(dataDir);
      const pglite = new PGlite(dataDir, { startParams: [...PGlite.defaultStartParams, ...QUIET_TIMERS] });
      await pglite.waitReady;
      return new PgliteDatabase(pglite, lock, timeoutMs);
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]> {
    return this.floor.run(() => this.inner.query<Row>(sql, params));
  }

  exec(script: string): Promise<void> {
    return this.floor.run(() => this.inner.exec(script));
  }

  // The floor is held for the whole transaction: PGlite has a single session,
  // and a socket client's statement must never land inside our transaction.
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.floor.run(() => this.pglite.transaction((tx) => work(wrap(tx))));
  }

  async close(): Promise<void> {
    try {
      await this.pglite.close();
    } finally {
      this.lock.release();
    }
  }
}
