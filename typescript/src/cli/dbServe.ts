import {
  HostedStore,
  SOCKET_PORT,
  socketDirectoryFor,
  socketPathFor,
} from '../store/embedded/embeddedDatabase.js';
import { storeTimeoutMs } from '../store/storeTimeout.js';

export interface ServeOptions {
  /** Embedded data directory (absolute). */
  dataDir: string;
  /** Exit after this many seconds without any client connected (0: never). */
  idleTimeoutSeconds?: number;
  /**
   * Longest a client may hold the store idle inside a transaction before it is
   * disconnected (ms); defaults to `TIMESTEP_STORE_TIMEOUT_MS`, else 30 s.
   */
  timeoutMs?: number;
}

/** What `timestep db serve` prints once it accepts connections. */
export interface ServerReady {
  socket: string;
  /** The socket's directory: libpq-style clients pass it as `host`. */
  host: string;
  port: number;
  pid: number;
}

/**
 * Hosts the embedded store in this process until it has been idle (no
 * client connected) for the idle timeout, or until SIGTERM / SIGINT.
 */
export async function serveEmbeddedStore(options: ServeOptions): Promise<{ ready: ServerReady; stopped: Promise<void> }> {
  const { dataDir } = options;
  const store = await HostedStore.open(dataDir, { timeoutMs: storeTimeoutMs(options.timeoutMs) });

  let resolveStopped: () => void;
  const stopped = new Promise<void>((done) => (resolveStopped = done));
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(idleCheck);
    await store.close();
    resolveStopped();
  };

  let lastBusy = Date.now();
  const idleMs = (options.idleTimeoutSeconds ?? 0) * 1000;
  const idleCheck = setInterval(() => {
    if (store.clientCount() > 0) lastBusy = Date.now();
    else if (idleMs > 0 && Date.now() - lastBusy >= idleMs) void stop();
  }, Math.min(1000, Math.max(100, idleMs / 4)));
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());

  const ready = { socket: socketPathFor(dataDir), host: socketDirectoryFor(dataDir), port: SOCKET_PORT, pid: process.pid };
  return { ready, stopped };
}
