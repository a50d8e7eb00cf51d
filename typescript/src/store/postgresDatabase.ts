import pg from 'pg';
import type { Database, Queryable } from './database.js';
import { StoreTimeoutError, StoreUnavailableError } from '../errors.js';
import { redactConnectionString } from './connectionString.js';
import { MAX_STORE_TIMEOUT_MS, storeTimeoutMs } from './storeTimeout.js';

const CONNECTION_ERROR_CODES =
  /^(ECONNREFUSED|ECONNRESET|ENOENT|ENOTFOUND|ETIMEDOUT|EPIPE|EHOSTUNREACH|57P0[1-3]|08\d\d\d)$/;
const CONNECTION_ERROR_MESSAGES = /Connection terminated|connection timeout|Client has encountered a connection error/i;

// The pool's and client's own deadlines: waiting for a pooled connection,
// connecting (up to the server's first ReadyForQuery), one statement's answer.
const CLIENT_TIMEOUT_MESSAGES = /^(timeout exceeded when trying to connect|timeout expired|Query read timeout)$|due to connection timeout/;
// The server cancelled a statement at statement_timeout (57014 is also a
// cancel by request, hence the message) or a lock wait at lock_timeout.
const SERVER_TIMEOUT = (error: unknown) => {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  return code === '55P03' || (code === '57014' && /statement timeout/.test(message ?? ''));
};

/**
 * A server that stops answering (a hung or stopped host) would otherwise keep
 * the client waiting forever. The statement limit is enforced by the server
 * itself where it can be (PostgreSQL cancels the statement and the
 * transaction rolls back cleanly); the client's own deadline comes this much
 * later, so it fires only when the server cannot answer at all.
 */
const CLIENT_GRACE_MS = 1_000;

function isTimeout(error: unknown): boolean {
  return SERVER_TIMEOUT(error) || CLIENT_TIMEOUT_MESSAGES.test((error as Error | null)?.message ?? '');
}

function timedOut(error: unknown, connectionString: string, timeoutMs: number, nothingSent: boolean): StoreTimeoutError {
  return new StoreTimeoutError(
    `The database at ${redactConnectionString(connectionString)} did not answer within ${timeoutMs} ms ` +
      `(${(error as Error).message}): the server is stopped or overloaded, or another client holds what this ` +
      'call needs (a lock on the run). Retry, or raise the limit (timeoutMs option or TIMESTEP_STORE_TIMEOUT_MS).',
    { cause: error, nothingSent },
  );
}

function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code ?? '';
  return CONNECTION_ERROR_CODES.test(code) || CONNECTION_ERROR_MESSAGES.test((error as Error | null)?.message ?? '');
}

/** Node's network errors name the host but never the password; keep it that way. */
function unavailable(error: unknown, connectionString: string, nothingSent: boolean): StoreUnavailableError {
  const code = (error as { code?: string } | null)?.code;
  if (code === 'ERR_INVALID_URL') {
    // No cause: Node's URL error carries the whole string, password included.
    return new StoreUnavailableError(
      `The PostgreSQL connection string ${redactConnectionString(connectionString)} is not a valid URL. ` +
        'Percent-encode special characters (: / ? # @ %) in the user name and password, and use a port from 1 to 65535.',
      { nothingSent },
    );
  }
  return new StoreUnavailableError(
    `PostgreSQL at ${redactConnectionString(connectionString)} is unavailable (${code || (error as Error).message}). ` +
      'Check that the server is running and TIMESTEP_DB_URL is right; the next call reconnects.',
    { cause: error, nothingSent },
  );
}

function wrap(client: pg.PoolClient, connectionString: string, timeoutMs: number): Queryable {
  const run = async (sql: string, params?: unknown[]) => {
    try {
      return await client.query(sql, params);
    } catch (error) {
      if (isTimeout(error)) throw timedOut(error, connectionString, timeoutMs, false);
      // EPIPE: the server had closed the connection before this statement was
      // written (e.g. an embedded host that exited while the connection sat
      // idle in the pool), so it never ran and retrying elsewhere is safe.
      const neverArrived = (error as { code?: string } | null)?.code === 'EPIPE';
      throw isConnectionFailure(error) ? unavailable(error, connectionString, neverArrived) : error;
    }
  };
  return {
    async query<Row>(sql: string, params: readonly unknown[] = []) {
      return (await run(sql, params as unknown[])).rows as Row[];
    },
    async exec(script: string) {
      await run(script);
    },
  };
}

export interface PostgresDatabaseOptions {
  /** Longest wait for a connection or for one statement's answer; see `storeTimeoutMs`. */
  timeoutMs?: number;
  /**
   * Also have the server cancel a statement (a lock wait included) at the
   * limit, with `statement_timeout`. For a real PostgreSQL server; the
   * embedded store's host answers for itself.
   */
  serverTimeouts?: boolean;
}

/** A PostgreSQL server reached through a `pg` connection pool. */
export class PostgresDatabase implements Database {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly timeoutMs: number;
  /** Calls not settled yet: `close` lets them finish, since the pool never serves a call still waiting for a connection once it is ending. */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly connectionString: string,
    options: PostgresDatabaseOptions = {},
  ) {
    const timeoutMs = storeTimeoutMs(options.timeoutMs);
    this.timeoutMs = timeoutMs;
    this.pool = new pg.Pool({
      connectionString,
      max: 10,
      idleTimeoutMillis: 10_000,
      // An open store must not keep a finished script alive.
      allowExitOnIdle: true,
      connectionTimeoutMillis: timeoutMs,
      ...(options.serverTimeouts
        ? { statement_timeout: timeoutMs, query_timeout: Math.min(timeoutMs + CLIENT_GRACE_MS, MAX_STORE_TIMEOUT_MS) }
        : { query_timeout: timeoutMs }),
    });
    // An idle connection dropped by the server emits 'error' on the pool; without
    // a listener that would crash the process. The pool discards the client and
    // the next query opens a fresh one, which is how we survive a server restart.
    this.pool.on('error', () => {});
  }

  /** Runs `work` on one pooled connection; a connection that failed is discarded, not reused. */
  private withClient<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const call = this.onClient(work);
    this.inFlight.add(call);
    const settled = () => this.inFlight.delete(call);
    call.then(settled, settled);
    return call;
  }

  private async onClient<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      if (isTimeout(error)) throw timedOut(error, this.connectionString, this.timeoutMs, true);
      throw unavailable(error, this.connectionString, true);
    }
    // A connection that breaks while checked out emits 'error' besides failing
    // the pending query; unheard, that event would crash the process.
    const ignoreBrokenConnection = () => {};
    client.on('error', ignoreBrokenConnection);
    let broken = false;
    try {
      return await work(wrap(client, this.connectionString, this.timeoutMs));
    } catch (error) {
      // A timed-out statement may still be running, or its answer still on
      // the way: that connection cannot be reused (StoreTimeoutError is one).
      broken = error instanceof StoreUnavailableError;
      throw error;
    } finally {
      client.off('error', ignoreBrokenConnection);
      client.release(broken);
    }
  }

  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]> {
    return this.withClient((tx) => tx.query<Row>(sql, params));
  }

  exec(script: string): Promise<void> {
    return this.withClient((tx) => tx.exec(script));
  }

  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.withClient(async (tx) => {
      await tx.exec('BEGIN');
      try {
        const result = await work(tx);
        await tx.exec('COMMIT');
        return result;
      } catch (error) {
        if (!(error instanceof StoreUnavailableError)) await tx.exec('ROLLBACK');
        throw error;
      }
    });
  }

  async close(): Promise<void> {
    // Each call is bounded by the store's limit, so this wait is too.
    while (this.inFlight.size > 0) await Promise.allSettled(this.inFlight);
    // Ending a connection waits for the server to hang up, which a stopped
    // server never does: give up waiting at the limit (the sockets close
    // when it continues or exits).
    let giveUp: NodeJS.Timeout | undefined;
    await Promise.race([
      this.pool.end(),
      new Promise<void>((resolve) => {
        giveUp = setTimeout(resolve, this.timeoutMs);
        giveUp.unref();
      }),
    ]);
    clearTimeout(giveUp);
  }
}
