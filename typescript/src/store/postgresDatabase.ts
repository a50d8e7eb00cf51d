import pg from 'pg';
import type { Database, Queryable } from './database.js';
import { StoreUnavailableError } from '../errors.js';
import { redactConnectionString } from './connectionString.js';

type PgQueryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

/** Node's network errors name the host but never the password; keep it that way. */
function unavailable(error: unknown, connectionString: string): unknown {
  const code = (error as { code?: string } | null)?.code ?? '';
  const isConnectionFailure =
    /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|ETIMEDOUT|EPIPE|EHOSTUNREACH|57P0[1-3]|08\d\d\d)$/.test(code) ||
    /Connection terminated|connection timeout|Client has encountered a connection error/i.test(
      (error as Error | null)?.message ?? '',
    );
  if (!isConnectionFailure) return error;
  return new StoreUnavailableError(
    `PostgreSQL at ${redactConnectionString(connectionString)} is unavailable (${code || (error as Error).message}). ` +
      'Check that the server is running and TIMESTEP_DB_URL is right; the next call reconnects.',
    { cause: error },
  );
}

function wrap(target: PgQueryable, connectionString: string): Queryable {
  return {
    async query<Row>(sql: string, params: readonly unknown[] = []) {
      try {
        const result = await target.query(sql, params as unknown[]);
        return result.rows as Row[];
      } catch (error) {
        throw unavailable(error, connectionString);
      }
    },
    async exec(script: string) {
      try {
        await target.query(script);
      } catch (error) {
        throw unavailable(error, connectionString);
      }
    },
  };
}

/** A PostgreSQL server reached through a `pg` connection pool. */
export class PostgresDatabase implements Database {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly inner: Queryable;

  constructor(private readonly connectionString: string) {
    this.pool = new pg.Pool({ connectionString, max: 10, idleTimeoutMillis: 10_000 });
    // An idle connection dropped by the server emits 'error' on the pool; without
    // a listener that would crash the process. The pool discards the client and
    // the next query opens a fresh one, which is how we survive a server restart.
    this.pool.on('error', () => {});
    this.inner = wrap(this.pool, connectionString);
  }

  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]> {
    return this.inner.query<Row>(sql, params);
  }

  exec(script: string): Promise<void> {
    return this.inner.exec(script);
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw unavailable(error, this.connectionString);
    }
    const tx = wrap(client, this.connectionString);
    let broken = false;
    try {
      await tx.exec('BEGIN');
      const result = await work(tx);
      await tx.exec('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true; // the connection itself is gone; do not return it to the pool
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
