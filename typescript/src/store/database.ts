/**
 * The one database interface the store is written against. Each driver gets a
 * small adapter (PGlite in-process, `pg` for PostgreSQL); nothing above this
 * layer knows which one it talks to.
 */

/** Something SQL can be sent to: the database itself or an open transaction. */
export interface Queryable {
  /** Runs one parameterised statement and returns its rows. */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a script of several statements without parameters (migrations only). */
  exec(script: string): Promise<void>;
}

export interface Database extends Queryable {
  /** Which driver is underneath, for error messages and diagnostics. */
  readonly kind: 'pglite' | 'postgres';
  /** Runs `work` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Whether `error` is PostgreSQL's unique_violation (SQLSTATE 23505). Both
 * drivers report the SQLSTATE as `code`, so a writer that lost a race for a
 * key can tell that apart from a real failure.
 */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '23505';
}
