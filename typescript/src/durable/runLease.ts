/**
 * The lease of a durable run (spec/run-journal, "Leases and workers"): who
 * drives the run and until when. The holder renews it every third of its
 * length; a process killed with `kill -9` stops renewing, so the run becomes
 * free once the lease expires.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Queryable } from '../store/database.js';

export const DEFAULT_LEASE_MS = 30_000;

/** `<hostname>/<pid>/<random hex>`, the same form in both languages. */
export function newLeaseOwner(): string {
  return `${hostname()}/${process.pid}/${randomBytes(8).toString('hex')}`;
}

/** Leases this process renews, as `<run id> <owner>`: the runs it is driving now. */
const drivenHere = new Set<string>();
const drivenKey = (runId: string, owner: string) => `${runId} ${owner}`;

/**
 * The owner of `runId`'s lease no longer drives it, so the lease is stale
 * even if not expired: a process of this host that no longer exists (what a
 * caller resuming right after a crash sees), or this process when it renews
 * no such lease (a call that ended while the store was away, unable to
 * release it).
 */
export function ownerIsGone(owner: string, runId: string): boolean {
  const [host, pidText] = owner.split('/');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return !drivenHere.has(drivenKey(runId, owner));
  try {
    process.kill(pid, 0); // signal 0 only checks that the process exists
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export function checkLeaseMs(leaseMs: number | undefined, name = 'leaseMs'): number {
  const value = leaseMs ?? DEFAULT_LEASE_MS;
  if (!Number.isInteger(value) || value < 30 || value > 24 * 3600 * 1000) {
    throw new RangeError(`${name} must be a whole number of milliseconds from 30 to 86400000, got ${String(leaseMs)}.`);
  }
  return value;
}

/**
 * Takes the lease of an existing run for `owner` (`attempts + 1`, status
 * running) when nobody holds it, it expired, or it is held by `staleOwner`
 * (a dead local process). False when another owner holds it: nothing changed.
 */
export async function takeLease(
  db: Queryable,
  runId: string,
  owner: string,
  leaseMs: number,
  staleOwner: string | null,
): Promise<boolean> {
  const rows = await db.query(
    `UPDATE timestep_durable_runs
        SET status = 'running', lease_owner = $2, lease_expires_at = now() + $3 * interval '1 millisecond',
            attempts = attempts + 1, updated_at = now()
      WHERE run_id = $1
        AND (lease_owner IS NULL OR lease_expires_at < now() OR lease_owner = $4)
      RETURNING run_id`,
    [runId, owner, leaseMs, staleOwner],
  );
  return rows.length === 1;
}

/** Renews `owner`'s lease every `leaseMs / 3` until stopped. */
export class LeaseRenewal {
  private readonly timer: NodeJS.Timeout;
  private renewing: Promise<unknown> = Promise.resolve();
  private readonly key: string;

  constructor(db: Queryable, runId: string, owner: string, leaseMs: number) {
    this.key = drivenKey(runId, owner);
    drivenHere.add(this.key);
    this.timer = setInterval(() => {
      this.renewing = db
        .query(
          `UPDATE timestep_durable_runs SET lease_expires_at = now() + $3 * interval '1 millisecond'
            WHERE run_id = $1 AND lease_owner = $2`,
          [runId, owner, leaseMs],
        )
        // A renewal that fails (store briefly away) is retried at the next tick; if the lease
        // expires meanwhile, the journal's primary key still stops a second writer.
        .catch(() => undefined);
    }, Math.floor(leaseMs / 3));
    this.timer.unref(); // never keeps a process alive on its own
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    drivenHere.delete(this.key);
    await this.renewing;
  }
}
