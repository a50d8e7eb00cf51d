import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { EmbeddedStoreLockedError } from '../errors.js';

/**
 * PGlite's files are corrupted if two processes open them at once, and PGlite
 * itself does not guard against that. This lock file names the process that
 * holds the data directory; a lock left by a process that no longer exists is
 * detected (pid and start time) and taken over, never trusted.
 */
export interface LockHolder {
  pid: number;
  host: string;
  /** Linux process start time in clock ticks, to tell a reused pid apart. */
  startTicks: number | null;
  command: string;
  acquiredAt: string;
}

function processStartTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command name (field 2) may contain spaces, so count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[19]);
  } catch {
    return null;
  }
}

function isAlive(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true; // cannot check another machine: assume it is alive
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const ticks = processStartTicks(holder.pid);
  return holder.startTicks === null || ticks === null || ticks === holder.startTicks;
}

function readHolder(path: string): LockHolder | null {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
    return typeof parsed.pid === 'number' ? parsed : null;
  } catch {
    return null; // missing, or a torn write by a holder that crashed while creating it
  }
}

export function currentHolder(path: string): LockHolder | null {
  const holder = readHolder(path);
  return holder && isAlive(holder) ? holder : null;
}

/** Holds the lock file until `release()`; released on normal process exit too. */
export class EmbeddedLock {
  private released = false;
  private readonly onExit = () => this.release();

  private constructor(readonly path: string) {
    process.once('exit', this.onExit);
  }

  static acquire(path: string, purpose: string): EmbeddedLock {
    const me: LockHolder = {
      pid: process.pid,
      host: hostname(),
      startTicks: processStartTicks(process.pid),
      command: process.argv.slice(1).join(' ').slice(0, 200),
      acquiredAt: new Date().toISOString(),
    };
    // Written to a private file first and linked into place: link() is atomic
    // and fails if the lock exists, so no reader ever sees a half-written lock.
    const draft = `${path}.${process.pid}.draft`;
    writeFileSync(draft, JSON.stringify(me), { mode: 0o600 });
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          linkSync(draft, path);
          return new EmbeddedLock(path);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
        const holder = readHolder(path);
        if (holder && isAlive(holder)) {
          throw new EmbeddedStoreLockedError(
            `The embedded Timestep store ${purpose} is in use by process ${holder.pid} (${holder.command || 'unknown command'}) ` +
              `since ${holder.acquiredAt}. PGlite files must not be open in two processes. Stop that process, ` +
              'or point every process at one PostgreSQL server with TIMESTEP_DB_URL.',
            holder.pid,
            path,
          );
        }
        breakStaleLock(path, holder);
      }
    } finally {
      unlinkSync(draft);
    }
    throw new EmbeddedStoreLockedError(`Could not take the lock ${path}; another process keeps taking it.`, -1, path);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    process.removeListener('exit', this.onExit);
    try {
      unlinkSync(this.path);
    } catch {
      // already gone: nothing to release
    }
  }
}

/**
 * Moves a dead holder's lock aside atomically. If another process replaced it
 * with a live lock in the meantime, that lock is put back untouched.
 */
function breakStaleLock(path: string, stale: LockHolder | null): void {
  const aside = `${path}.stale-${process.pid}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // someone else moved it first; retry from the top
  }
  const moved = readHolder(aside);
  if (moved && stale && moved.pid !== stale.pid && isAlive(moved)) {
    renameSync(aside, path);
    return;
  }
  unlinkSync(aside);
}
