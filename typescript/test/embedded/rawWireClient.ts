/**
 * A PostgreSQL wire-protocol client that sends exactly the bytes a test
 * gives it, well-formed or not, and records what comes back.
 */
import { connect, type Socket } from 'node:net';

export class RawWireClient {
  private received = Buffer.alloc(0);
  private readonly waiters: Array<() => void> = [];
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on('error', () => {}); // a reset by the server is an outcome the tests inspect
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        resolve();
        for (const wake of this.waiters.splice(0)) wake();
      }),
    );
  }

  static async open(path: string): Promise<RawWireClient> {
    const socket = connect(path);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawWireClient(socket);
  }

  /** Opens a connection and completes startup (waits for the first ReadyForQuery). */
  static async started(path: string): Promise<RawWireClient> {
    const client = await RawWireClient.open(path);
    client.send(startupMessage());
    await client.until((messages) => messages.some((message) => message.type === 'Z'));
    return client;
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Backend messages received so far (a trailing partial message is left out). */
  messages(): BackendMessage[] {
    const messages: BackendMessage[] = [];
    let at = 0;
    // A lone 'N' answers an SSLRequest before startup; it has no length.
    if (this.received[0] === 0x4e && this.received.length === 1) return [{ type: 'N', body: Buffer.alloc(0) }];
    while (at + 5 <= this.received.length) {
      const length = this.received.readInt32BE(at + 1);
      if (at + 1 + length > this.received.length) break;
      messages.push({ type: String.fromCharCode(this.received[at]), body: this.received.subarray(at + 5, at + 1 + length) });
      at += 1 + length;
    }
    return messages;
  }

  /** Error responses received, as { code, message, severity }. */
  errors(): Array<{ severity: string; code: string; message: string }> {
    return this.messages()
      .filter((message) => message.type === 'E')
      .map((message) => {
        const fields = new Map<string, string>();
        for (let at = 0; at < message.body.length && message.body[at] !== 0; ) {
          const end = message.body.indexOf(0, at + 1);
          fields.set(String.fromCharCode(message.body[at]), message.body.toString('utf8', at + 1, end));
          at = end + 1;
        }
        return { severity: fields.get('S') ?? '', code: fields.get('C') ?? '', message: fields.get('M') ?? '' };
      });
  }

  /** Resolves once `condition` holds for the messages received, or the connection is closed. */
  async until(condition: (messages: BackendMessage[]) => boolean): Promise<void> {
    for (;;) {
      if (condition(this.messages())) return;
      if (this.socket.destroyed) throw new Error(`connection closed; received ${JSON.stringify(this.messages().map((m) => m.type))}`);
      await new Promise<void>((wake) => this.waiters.push(wake));
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export interface BackendMessage {
  type: string;
  body: Buffer;
}

/** StartupMessage, protocol 3.0, as libpq sends it. */
export function startupMessage(parameters: Record<string, string> = { user: 'postgres', database: 'postgres' }): Buffer {
  const pairs = Object.entries(parameters).flatMap(([key, value]) => [key, value]);
  const body = Buffer.concat([...pairs.map((text) => Buffer.from(`${text}\0`)), Buffer.from([0])]);
  const header = Buffer.alloc(8);
  header.writeInt32BE(8 + body.length, 0);
  header.writeInt32BE(196608, 4);
  return Buffer.concat([header, body]);
}

/** A typed message: type letter, Int32 length (body + 4), body. `length` overrides the declared length. */
export function typedMessage(type: string, body: Buffer = Buffer.alloc(0), length = body.length + 4): Buffer {
  const header = Buffer.alloc(5);
  header[0] = type.charCodeAt(0);
  header.writeInt32BE(length, 1);
  return Buffer.concat([header, body]);
}

export const cstring = (text: string): Buffer => Buffer.from(`${text}\0`);

export const query = (sql: string): Buffer => typedMessage('Q', cstring(sql));

/** Parse of an unnamed statement without parameter types. */
export const parse = (sql: string): Buffer => typedMessage('P', Buffer.concat([cstring(''), cstring(sql), Buffer.from([0, 0])]));

/** Bind of the unnamed statement to the unnamed portal, no parameters. */
export const bind = (): Buffer => typedMessage('B', Buffer.concat([cstring(''), cstring(''), Buffer.from([0, 0, 0, 0, 0, 0])]));

/** Execute of the unnamed portal, all rows. */
export const execute = (): Buffer => typedMessage('E', Buffer.concat([cstring(''), Buffer.from([0, 0, 0, 0])]));

export const flush = (): Buffer => typedMessage('H');
export const sync = (): Buffer => typedMessage('S');
