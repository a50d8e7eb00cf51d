import { createHash, randomBytes } from 'node:crypto';
import { linkSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { hostname } from 'node:os';
import { basename, dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { EmbeddedStoreLockedError } from '../errors.js';

/**
 * PGlite's files are corrupted if two processes open them at once, and PGlite
 * itself does not guard against that. This lock file names the process that
 * holds the data directory; a lock left by a process that no longer exists is
 * detected (pid, start time, zombie state) and taken over, never trusted.
 *
 * Why taking over a dead holder's lock cannot grant it twice
 * ----------------------------------------------------------
 * The lock is the file `path`, created only with link(), which is atomic and
 * fails if the file exists. Creating is safe on its own; *breaking* a dead
 * holder's lock is where a file lock goes wrong. Breaking means "delete the
 * file I read and found dead", but there is no atomic unlink-if-unchanged:
 * between reading the file and deleting (or renaming) it, the holder may
 * release it and a third process may link its own lock in, which is then
 * deleted while that process believes it holds the store. (The previous
 * design lost exactly that race: 171 double grants in 10,817 acquisitions.)
 * Renaming the file aside and putting it back when it turns out live does not
 * help either: while it is aside, a fourth process can link a lock in.
 *
 * So every change to the lock file other than its holder's own release —
 * creating it and breaking a dead one — happens under a guard: a listening
 * unix socket with a name derived from the lock file. Only one process can
 * listen on a name, and the kernel frees the name when that process dies, even
 * by SIGKILL, so the guard itself can never be left stale and never needs
 * breaking. Under the guard:
 *   - nobody else creates or breaks the lock file, so the file only changes by
 *     its holder releasing it (unlinking it);
 *   - therefore the file read is the file deleted: if its holder is verified
 *     dead, deleting it removes that dead lock and nothing else (or finds it
 *     already gone, released in between);
 *   - a live holder's lock is never deleted by anyone but its holder, and a
 *     holder only unlinks its own file, which nobody can have replaced while
 *     it lives.
 * The guard is held only for those few file operations, never while the
 * store is open. Checking a holder cannot mistake a live process for a dead
 * one: `kill(pid, 0)` fails only for a process that does not exist, a zombie
 * has exited, and a different start time means the pid was reused.
 *
 * On Linux the guard lives in the abstract socket namespace (no file at all;
 * shared by the processes of one network namespace, as the unix socket of
 * the store itself is reached by those sharing its file system), on Windows
 * it is a named pipe, freed the same way. Elsewhere (macOS) it is a socket
 * file beside the lock, and one left by a crashed process is removed when
 * nothing accepts on it, which narrows but cannot close the window described
 * above.
 */
export interface LockHolder {
  pid: number;
  host: string;
  /** Linux process start time in clock ticks, to tell a reused pid apart. */
  startTicks: number | null;
  command: string;
  acquiredAt: string;
}

/** How long to wait for another process to finish taking or breaking the lock. */
const GUARD_WAIT_MS = 10_000;

/** Fields after the command name in /proc/<pid>/stat: [0] is the state, [19] the start time. */
function procStat(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and ')', so count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

function processStartTicks(pid: number): number | null {
  const fields = procStat(pid);
  return fields ? Number(fields[19]) : null;
}

/**
 * Whether the process `pid` on this machine is running. A zombie (state Z,
 * or X while being reaped) has exited: its parent just has not collected its
 * exit status yet, and its pid still answers `kill(pid, 0)`.
 */
function isProcessRunning(pid: number, startTicks: number | null = null): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    // EPERM: it exists but belongs to another user.
  }
  const fields = procStat(pid);
  if (fields === null) return true; // no /proc (not Linux): kill(pid, 0) is all we can know
  if (fields[0] === 'Z' || fields[0] === 'X') return false;
  return startTicks === null || Number(fields[19]) === startTicks;
}

function isAlive(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true; // cannot check another machine: assume it is alive
  return isProcessRunning(holder.pid, holder.startTicks);
}

function readHolder(path: string): LockHolder | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    // Any other failure (say, another user's lock) must not pass for "no lock".
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as LockHolder;
    return typeof parsed.pid === 'number' ? parsed : null;
  } catch {
    return null; // not a lock file Timestep wrote: link() never shows a half-written one
  }
}

export function currentHolder(path: string): LockHolder | null {
  const holder = readHolder(path);
  return holder && isAlive(holder) ? holder : null;
}

/**
 * The guard's name: the same for every path that reaches the same lock file
 * (symlinked directories included), so it is derived from the directory's
 * device and inode rather than from the path as written.
 */
function guardAddress(path: string): { address: string; isFile: boolean } {
  const directory = statSync(dirname(path));
  const key = `${directory.dev}:${directory.ino}/${basename(path)}`;
  const name = `timestep-lock-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
  if (process.platform === 'linux') return { address: `\0${name}`, isFile: false };
  if (process.platform === 'win32') return { address: `\\\\.\\pipe\\${name}`, isFile: false };
  return { address: `${path}.guard`, isFile: true };
}

function listen(server: Server, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(address, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function acceptsConnections(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(address);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/** Holds the guard of the lock file at `path` while `work` runs (see the comment at the top). */
async function underGuard<T>(path: string, purpose: string, work: () => T): Promise<T> {
  const { address, isFile } = guardAddress(path);
  const giveUpAt = Date.now() + GUARD_WAIT_MS;
  for (;;) {
    const server = createServer();
    try {
      await listen(server, address);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      if (isFile && !(await acceptsConnections(address))) {
        // A socket file left by a process that crashed while holding the guard.
        try {
          unlinkSync(address);
        } catch {
          // removed by another process already
        }
        continue;
      }
      if (Date.now() > giveUpAt) {
        throw new EmbeddedStoreLockedError(
          `Could not take the lock of the embedded Timestep store ${purpose} within ${GUARD_WAIT_MS / 1000} s: ` +
            'another process kept it busy while taking it. Try again.',
          -1,
          path,
        );
      }
      await delay(1 + Math.random() * 4); // held for a few file operations only
      continue;
    }
    try {
      return work();
    } finally {
      server.close();
    }
  }
}

/** Holds the lock file until `release()`; released on normal process exit too. */
export class EmbeddedLock {
  private released = false;
  private readonly onExit = () => this.release();

  private constructor(readonly path: string) {
    process.once('exit', this.onExit);
  }

  /** Takes the lock at `path`, or throws `EmbeddedStoreLockedError` naming the live holder. */
  static async acquire(path: string, purpose: string): Promise<EmbeddedLock> {
    const me: LockHolder = {
      pid: process.pid,
      host: hostname(),
      startTicks: processStartTicks(process.pid),
      command: process.argv.slice(1).join(' ').slice(0, 200),
      acquiredAt: new Date().toISOString(),
    };
    // Written to a private file first and linked into place: link() is atomic
    // and fails if the lock exists, so no reader ever sees a half-written lock.
    const draft = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.draft`;
    writeFileSync(draft, JSON.stringify(me), { mode: 0o600 });
    try {
      return await underGuard(path, purpose, () => {
        if (tryLink(draft, path)) return new EmbeddedLock(path);
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
        // Its holder is dead (or it was released since the link failed):
        // under the guard this is still the file just read.
        try {
          unlinkSync(path);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
        if (tryLink(draft, path)) return new EmbeddedLock(path);
        // Only a process without the guard (an older Timestep) can get here.
        throw new EmbeddedStoreLockedError(`Could not take the lock ${path}; another process took it.`, -1, path);
      });
    } finally {
      unlinkSync(draft);
    }
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

function tryLink(draft: string, path: string): boolean {
  try {
    linkSync(draft, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return false;
  }
}
