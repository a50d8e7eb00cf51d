import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { appDirectory } from '../store/appDirectory.js';
import { redactConnectionString } from '../store/connectionString.js';
import { socketAccepts, socketPathFor } from '../store/embedded/embeddedDatabase.js';
import { currentHolder, type LockHolder } from '../store/embeddedLock.js';

/** What `timestep db status` reports about one embedded store. */
export interface StoreStatus {
  dataDir: string;
  socket: string;
  /** The process holding the store's files, if any is alive. */
  holder: LockHolder | null;
  /** Whether the holder is a `timestep db serve` process (and not an application hosting in-process). */
  holderIsServer: boolean;
  /** Whether the socket accepts connections right now. */
  serving: boolean;
  /** Set when TIMESTEP_DB_URL sends processes without explicit options to PostgreSQL instead (password hidden). */
  databaseUrl: string | null;
}

export function dataDirectory(option?: string): string {
  return resolve(option ?? join(appDirectory(), 'pglite'));
}

export async function storeStatus(dataDir: string): Promise<StoreStatus> {
  const holder = currentHolder(`${dataDir}.lock`);
  const socket = socketPathFor(dataDir);
  return {
    dataDir,
    socket,
    holder,
    holderIsServer: holder !== null && / db serve\b/.test(` ${holder.command}`),
    serving: await socketAccepts(socket),
    databaseUrl: process.env.TIMESTEP_DB_URL ? redactConnectionString(process.env.TIMESTEP_DB_URL) : null,
  };
}

export function describeStatus(status: StoreStatus): string {
  const lines = [`embedded store: ${status.dataDir}`];
  if (!status.holder) lines.push('state: closed (no process holds it; the next client opens it)');
  else {
    const role = status.holderIsServer ? 'timestep db serve' : 'an application hosting it in-process';
    lines.push(`state: held by process ${status.holder.pid} (${role}) since ${status.holder.acquiredAt}`);
    lines.push(`socket: ${status.socket} (${status.serving ? 'accepting connections' : 'not accepting connections'})`);
  }
  if (status.databaseUrl) lines.push(`note: TIMESTEP_DB_URL is set, so processes without options use ${status.databaseUrl}`);
  return lines.join('\n');
}

/**
 * Stops the `timestep db serve` process of a data directory (SIGTERM, then
 * waits for it to let go). An application hosting the store in-process is
 * never signalled: stopping it would stop that application.
 */
export async function stopServer(dataDir: string, waitMs = 10_000): Promise<string> {
  const status = await storeStatus(dataDir);
  if (!status.holder) return `No process holds ${dataDir}; nothing to stop.`;
  if (!status.holderIsServer) {
    return (
      `${dataDir} is hosted in-process by application process ${status.holder.pid}, not by timestep db serve; ` +
      'stop that application to release it.'
    );
  }
  process.kill(status.holder.pid, 'SIGTERM');
  const giveUpAt = Date.now() + waitMs;
  while (currentHolder(`${dataDir}.lock`)?.pid === status.holder.pid) {
    if (Date.now() > giveUpAt) return `Process ${status.holder.pid} did not stop within ${waitMs / 1000} s.`;
    await delay(50);
  }
  return `Stopped timestep db serve (process ${status.holder.pid}).`;
}
