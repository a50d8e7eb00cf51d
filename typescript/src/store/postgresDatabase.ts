import pg from 'pg';
import type { Database, Queryable } from './database.js';
import { StoreUnavailableError } from '../errors.js';
import { redactConnectionString } from './connectionString.js';

const CONNECTION_ERROR_CODES =
  /^(ECONNREFUSED|ECONNRESET|ENOENT|ENOTFOUND|ETIMEDOUT|EPIPE|EHOSTUNREACH|57P0[1-3]|08\d\d\d)$/;
const CONNECTION_ERROR_MESSAGES = /Connection terminated|connection timeout|Client has encountered a connection error/i;

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

function wrap(client: pg.PoolClient, connectionString: string): Queryable {
  const run = async (sql: string, params?: unknown[]) => {
    try {
      return await client.query(sql, params);
    } catch (error) {
      throw isConnectionFailure(error) ? unavailable(error, connectionString, false) : error;
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

/** A PostgreSQL server reached through a `pg` connection pool. */
export class PostgresDatabase implements Database {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;

  constructor(private readonly connectionString: string) {
    // allowExitOnIdle: an open store must not keep a finished script alive.
    this.pool = new pg.Pool({ connectionString, max: 10, idleTimeoutMillis: 10_000, allowExitOnIdle: true });
    // An idle connection dropped by the server emits 'error' on the pool; without
    // a listener that would crash the process. The pool discards the client and
    // the next query opens a fresh one, which is how we survive a server restart.
    this.pool.on('error', () => {});
  }

  /** Runs `work` on one pooled connection; a connection that failed is discarded, not reused. */
  private async withClient<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw unavailable(error, this.connectionString, true);
    }
    // A connection that breaks while checked out emits 'error' besides failing
    // the pending query; unheard, that event would crash the process.
    const ignoreBrokenConnection = () => {};
    client.on('error', ignoreBrokenConnection);
    let broken = false;
    try {
      return await work(wrap(client, this.connectionString));
    } catch (error) {
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
    await this.pool.end();
  }
}
