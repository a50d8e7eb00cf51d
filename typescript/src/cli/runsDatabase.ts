import { leaseDatabase, resolveStoreTarget, type DatabaseLease } from '../store/connect.js';
import { redactConnectionString } from '../store/connectionString.js';

/** The store `timestep runs` works on, and how to name it without its password. */
export interface RunsDatabase extends DatabaseLease {
  /** `postgresql://user:***@host/db` or `embedded store <data dir>`. */
  readonly where: string;
}

/**
 * The same store every Timestep process without options uses: `--data-dir`
 * (an embedded store), else `TIMESTEP_DB_URL`, else the embedded store in the
 * app directory.
 */
export async function openRunsDatabase(dataDir?: string): Promise<RunsDatabase> {
  const target = resolveStoreTarget(dataDir === undefined ? {} : { pglitePath: dataDir });
  const where =
    target.kind === 'postgres' ? redactConnectionString(target.connectionString) : `embedded store ${target.dataDir}`;
  const lease = await leaseDatabase(target);
  return { db: lease.db, release: () => lease.release(), where };
}
