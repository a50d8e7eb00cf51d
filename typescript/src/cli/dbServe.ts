import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { appDirectory, ensurePrivateDirectory } from '../store/appDirectory.js';
import { migrate } from '../store/migrations.js';
import { PgliteDatabase } from '../store/pgliteDatabase.js';

export interface ServeOptions {
  /** Embedded data directory; defaults to `<app directory>/pglite`. */
  dataDir?: string;
  /** Exit after this many seconds without any client connected (0: never). */
  idleTimeoutSeconds?: number;
}

/** What `timestep db serve` prints once it accepts connections. */
export interface ServerReady {
  socket: string;
  /** The socket's directory: libpq-style clients pass it as `host`. */
  host: string;
  port: number;
  pid: number;
}

// libpq clients find a server's socket as <host dir>/.s.PGSQL.<port>.
const SOCKET_PORT = 5432;

export function socketDirectoryFor(dataDir: string): string {
  return `${dataDir}.socket`;
}

/**
 * Holds the embedded store in this process and serves it over the PostgreSQL
 * wire protocol on a unix socket, so other processes (Python, other Node
 * processes) share it without ever opening the PGlite files themselves.
 */
export async function serveEmbeddedStore(options: ServeOptions = {}): Promise<{ ready: ServerReady; stopped: Promise<void> }> {
  const dataDir = resolve(options.dataDir ?? join(appDirectory(), 'pglite'));
  ensurePrivateDirectory(resolve(dataDir, '..'));
  const db = await PgliteDatabase.open(dataDir);
  await migrate(db);

  const host = socketDirectoryFor(dataDir);
  mkdirSync(host, { recursive: true, mode: 0o700 });
  const socket = join(host, `.s.PGSQL.${SOCKET_PORT}`);
  // We hold the data directory's lock, so a socket file here is left over from
  // a server that died; it cannot belong to a live one.
  rmSync(socket, { force: true });

  const server = new PGLiteSocketServer({ db: db.pglite, path: socket, maxConnections: 64 });
  await server.start();
  chmodSync(socket, 0o600);

  let resolveStopped: () => void;
  const stopped = new Promise<void>((done) => (resolveStopped = done));
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(idleCheck);
    await server.stop();
    await db.close();
    rmSync(socket, { force: true });
    resolveStopped();
  };

  let lastBusy = Date.now();
  const idleMs = (options.idleTimeoutSeconds ?? 0) * 1000;
  const idleCheck = setInterval(() => {
    if (server.getStats().activeConnections > 0) lastBusy = Date.now();
    else if (idleMs > 0 && Date.now() - lastBusy >= idleMs) void stop();
  }, 1000);
  idleCheck.unref();
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());

  return { ready: { socket, host, port: SOCKET_PORT, pid: process.pid }, stopped };
}
