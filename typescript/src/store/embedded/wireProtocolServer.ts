import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import { FloorWithdrawnError, type Floor } from './floor.js';
import {
  CANCEL_REQUEST,
  errorResponse,
  FrontendMessageReader,
  GSSENC_REQUEST,
  MAX_MESSAGE_BYTES,
  ProtocolViolation,
  SSL_REQUEST,
  TERMINATE,
} from './frontendMessages.js';
import { TRANSACTION_IDLE, transactionStatus } from './sessionReset.js';

export interface WireProtocolOptions {
  /**
   * Longest a client may hold the floor without sending its next message or
   * reading the replies it has (inside a transaction, or an unfinished
   * extended query) before it is disconnected and its transaction rolled
   * back. 0: no limit.
   */
  idleTimeoutMs: number;
  /** Largest message a client may send (default `MAX_MESSAGE_BYTES`). */
  maxMessageBytes?: number;
}

export interface WireProtocolServer {
  readonly path: string;
  /** Clients connected right now. */
  clientCount(): number;
  close(): Promise<void>;
}

/**
 * Serves one PGlite instance over the PostgreSQL wire protocol on a unix
 * socket (mode 0600). Whole, checked messages (see `frontendMessages.ts`) are
 * handed to PGlite as they are; ReadyForQuery tells when a client's
 * transaction is over and the floor can pass to the next one.
 *
 * One misbehaving client never holds up the others: a protocol violation
 * gets an ErrorResponse and the connection is closed; a client that holds
 * the floor idle is cut off after `idleTimeoutMs`; whatever a departing
 * client left unfinished is rolled back and its session reset. Memory per
 * client is bounded: a connection reads nothing more while one of its
 * messages is being answered or its replies are not being read.
 */
export async function serveWireProtocol(
  pglite: PGlite,
  floor: Floor,
  path: string,
  options: WireProtocolOptions,
): Promise<WireProtocolServer> {
  const clients = new Set<Socket>();
  const server: Server = createServer((socket) => {
    socket.unref(); // see server.unref() below
    clients.add(socket);
    socket.once('close', () => clients.delete(socket));
    new Connection(socket, pglite, floor, options).start();
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

/** How long a closing connection's last message (an ErrorResponse) may take to reach a client that reads slowly. */
const FAREWELL_GRACE_MS = 1000;

class Connection {
  private readonly reader: FrontendMessageReader;
  /** The loop answering this client's messages, while it runs. */
  private serving: Promise<void> | null = null;
  /** Bytes arrived while the loop was running: it may have missed a message. */
  private arrivedWhileServing = false;
  private closed = false;
  private left: Promise<void> | null = null;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly socket: Socket,
    private readonly pglite: PGlite,
    private readonly floor: Floor,
    private readonly options: WireProtocolOptions,
  ) {
    this.reader = new FrontendMessageReader(options.maxMessageBytes ?? MAX_MESSAGE_BYTES);
  }

  start(): void {
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => {
      this.reader.push(chunk);
      this.armIdleTimer(); // bytes arriving are progress
      this.serve();
    });
    this.socket.on('drain', () => this.armIdleTimer());
    this.socket.on('error', () => this.socket.destroy());
    this.socket.on('close', () => void this.leave());
  }

  /** Answers every whole message received, one at a time, unless already doing so. */
  private serve(): void {
    if (this.closed) return;
    if (this.serving) {
      this.arrivedWhileServing = true;
      return;
    }
    this.arrivedWhileServing = false;
    this.serving = this.answerAll()
      .catch((error: unknown) => this.fail(error))
      .finally(() => {
        this.serving = null;
        if (this.arrivedWhileServing) this.serve();
        else this.armIdleTimer();
      });
  }

  private async answerAll(): Promise<void> {
    for (let message = this.reader.next(); message && !this.closed; message = this.reader.next()) {
      // Backpressure: read nothing more until this message is answered and the
      // client has taken the reply, so a client that sends without reading
      // cannot make the host buffer without bound.
      this.socket.pause();
      this.disarmIdleTimer();
      await this.answer(message);
      if (this.socket.writableNeedDrain && !this.closed) {
        this.armIdleTimer();
        await new Promise<void>((resolve) => {
          const done = () => {
            this.socket.off('drain', done);
            this.socket.off('close', done);
            resolve();
          };
          this.socket.on('drain', done);
          this.socket.on('close', done);
        });
      }
    }
    if (!this.closed) this.socket.resume();
  }

  private async answer(message: Buffer): Promise<void> {
    if (!this.reader.startupDone) {
      const code = message.readInt32BE(4);
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
        this.socket.write('N'); // no encryption on a private unix socket
        return;
      }
      if (code === CANCEL_REQUEST) {
        this.closeConnection(); // cancellation is not supported; the query runs to its end
        return;
      }
      this.reader.startupDone = true;
    } else if (message[0] === TERMINATE) {
      this.closeConnection();
      return;
    }
    await this.floor.acquire(this, this);
    if (this.closed) return; // gone while waiting; leave() gives the floor back
    const reply = await this.pglite.runExclusive(() => this.pglite.execProtocolRaw(message));
    if (!this.closed) this.socket.write(reply);
    if (transactionStatus(reply) === TRANSACTION_IDLE) this.floor.release(this);
  }

  /** Ends the connection after a protocol violation or an unexpected failure. */
  private fail(error: unknown): void {
    if (error instanceof FloorWithdrawnError) return; // already closing
    if (error instanceof ProtocolViolation) {
      this.closeConnection(errorResponse('FATAL', error.code, error.message));
    } else {
      const reason = error instanceof Error ? error.message : String(error);
      this.closeConnection(errorResponse('FATAL', 'XX000', `embedded store server: ${reason}`));
    }
  }

  private closeConnection(farewell?: Buffer): void {
    if (this.closed) return;
    if (farewell) this.socket.end(farewell);
    else this.socket.end();
    // A client that reads nothing must not keep the connection (and its reply) alive.
    setTimeout(() => this.socket.destroy(), FAREWELL_GRACE_MS).unref();
    void this.leave();
  }

  /** The client is gone: once its message in progress is answered, undo what it left open. */
  private leave(): Promise<void> {
    this.left ??= (async () => {
      this.closed = true;
      this.disarmIdleTimer();
      this.floor.leaveLine(this);
      await this.serving;
      // If the reset fails, the floor still passes on and the next handover retries the reset.
      await this.floor.withdraw(this).catch(() => {});
    })();
    return this.left;
  }

  /** Holding the floor between messages is allowed for `idleTimeoutMs` at a time. */
  private armIdleTimer(): void {
    this.disarmIdleTimer();
    if (this.closed || this.options.idleTimeoutMs <= 0 || !this.floor.holds(this)) return;
    if (this.serving && !this.socket.writableNeedDrain) return; // answering: not idle
    this.idleTimer = setTimeout(() => {
      this.closeConnection(
        errorResponse(
          'FATAL',
          '25P03',
          `terminating connection: it held the embedded store for more than ${this.options.idleTimeoutMs} ms ` +
            'without sending its next message or reading its replies, inside a transaction or an unfinished ' +
            'extended query; the transaction was rolled back (limit: timeoutMs option or TIMESTEP_STORE_TIMEOUT_MS)',
        ),
      );
    }, this.options.idleTimeoutMs);
    this.idleTimer.unref();
  }

  private disarmIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }
}
