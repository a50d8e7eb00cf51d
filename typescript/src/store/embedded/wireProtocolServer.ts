import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import type { Floor } from './floor.js';

// Untyped startup-phase requests (length, code) a client may send first.
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const TERMINATE = 0x58; // 'X'
const READY_FOR_QUERY = 0x5a; // 'Z'
const IDLE = 0x49; // 'I': not inside a transaction block

export interface WireProtocolServer {
  readonly path: string;
  /** Clients connected right now. */
  clientCount(): number;
  close(): Promise<void>;
}

/**
 * Serves one PGlite instance over the PostgreSQL wire protocol on a unix
 * socket (mode 0600). Messages are handed to PGlite as they are; the only
 * protocol knowledge here is framing and watching ReadyForQuery to know when
 * a client's transaction is over and the floor can pass to the next one.
 */
export async function serveWireProtocol(pglite: PGlite, floor: Floor, path: string): Promise<WireProtocolServer> {
  const clients = new Set<Socket>();
  const server: Server = createServer((socket) => {
    socket.unref(); // see server.unref() below
    clients.add(socket);
    socket.once('close', () => clients.delete(socket));
    new Connection(socket, pglite, floor).start();
  });
  rmSync(path, { force: true }); // callers hold the store's lock, so this is a dead server's leftover
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(path, 0o600);
  // Serving others must not keep this process alive once its own work is done;
  // when it exits, the clients move to the next host.
  server.unref();
  return {
    path,
    clientCount: () => clients.size,
    close: async () => {
      for (const socket of clients) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(path, { force: true });
    },
  };
}

class Connection {
  private buffered = Buffer.alloc(0);
  private startupDone = false;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly pglite: PGlite,
    private readonly floor: Floor,
  ) {}

  start(): void {
    this.socket.setNoDelay(true);
    this.socket.on('data', (data) => {
      this.buffered = Buffer.concat([this.buffered, data]);
      // Messages of one client are handled strictly in order.
      this.chain = this.chain
        .then(() => this.drain())
        .catch(() => {
          this.socket.destroy(); // a broken client; the others carry on
        });
    });
    this.socket.on('error', () => this.socket.destroy());
    this.socket.on('close', () => {
      this.closed = true;
      this.chain = this.chain.then(() => this.abandon());
    });
  }

  private nextMessage(): Buffer | null {
    if (!this.startupDone) {
      if (this.buffered.length < 4) return null;
      const length = this.buffered.readInt32BE(0);
      if (this.buffered.length < length) return null;
      const message = this.buffered.subarray(0, length);
      this.buffered = this.buffered.subarray(length);
      return message;
    }
    if (this.buffered.length < 5) return null;
    const length = 1 + this.buffered.readInt32BE(1);
    if (this.buffered.length < length) return null;
    const message = this.buffered.subarray(0, length);
    this.buffered = this.buffered.subarray(length);
    return message;
  }

  private async drain(): Promise<void> {
    for (let message = this.nextMessage(); message && !this.closed; message = this.nextMessage()) {
      if (!this.startupDone) {
        const code = message.readInt32BE(4);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          this.socket.write('N'); // no encryption on a private unix socket
          continue;
        }
        if (code === CANCEL_REQUEST) {
          this.socket.end(); // cancellation is not supported; the query runs to its end
          return;
        }
        this.startupDone = true;
      } else if (message[0] === TERMINATE) {
        this.socket.end();
        return;
      }
      await this.floor.acquire(this);
      const reply = await this.pglite.runExclusive(() => this.pglite.execProtocolRaw(new Uint8Array(message)));
      if (!this.closed) this.socket.write(reply);
      if (endsIdle(reply)) this.floor.release(this);
    }
  }

  /** A client that vanished mid-transaction must not leave PGlite inside it. */
  private async abandon(): Promise<void> {
    if (!this.floor.holds(this)) return;
    try {
      // exec() takes PGlite's own mutex; the floor (held) keeps everyone else out.
      if (this.pglite.isInTransaction()) await this.pglite.exec('ROLLBACK');
    } finally {
      this.floor.release(this);
    }
  }
}

/** True when the reply's last ReadyForQuery says the session is idle. */
function endsIdle(reply: Uint8Array): boolean {
  let status: number | null = null;
  for (let at = 0; at + 5 <= reply.length; ) {
    const length = ((reply[at + 1] << 24) | (reply[at + 2] << 16) | (reply[at + 3] << 8) | reply[at + 4]) >>> 0;
    if (reply[at] === READY_FOR_QUERY) status = reply[at + 5];
    at += 1 + length;
  }
  return status === IDLE;
}
