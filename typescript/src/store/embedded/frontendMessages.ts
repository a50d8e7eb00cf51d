/**
 * Framing and checking of what a PostgreSQL client sends (the "frontend"
 * messages of the wire protocol), before any of it reaches PGlite. PGlite's
 * backend trusts its input: a length that does not match the bytes, a message
 * type it does not know, or a second protocol error inside one call makes it
 * loop or end its session for good. So only whole, well-formed messages of
 * the types a client may send after startup are ever handed to it.
 */

/**
 * The largest message a client may send: 256 MiB. PostgreSQL allows 1 GB;
 * the embedded store holds each message in memory once here and several
 * times inside PGlite's 32-bit WebAssembly heap (the message, the text datum,
 * its JSONB form, the compressed row), so 1 GB messages could exhaust that
 * heap and take the store down for everyone. 256 MiB is still 8 times the
 * largest state the benchmark saves (32 MB, whose INSERT carries the state
 * about twice).
 */
export const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

/** PostgreSQL's own limit for startup packets (MAX_STARTUP_PACKET_LENGTH). */
const MAX_STARTUP_BYTES = 10_000;

// Codes a client may put in its first, untyped message.
export const PROTOCOL_3_0 = 196608;
export const SSL_REQUEST = 80877103;
export const GSSENC_REQUEST = 80877104;
export const CANCEL_REQUEST = 80877102;
const STARTUP_CODES = new Set([PROTOCOL_3_0, SSL_REQUEST, GSSENC_REQUEST, CANCEL_REQUEST]);

export const TERMINATE = 0x58; // 'X'

/**
 * Message types a client may send once started: Bind, Close, CopyData,
 * CopyDone, CopyFail, Describe, Execute, Flush, FunctionCall, Parse, Query,
 * Sync (and Terminate, which the server handles itself). Anything else makes
 * PostgreSQL end the session, which PGlite cannot survive.
 */
const CLIENT_MESSAGE_TYPES = new Set([...'BCdcfDEHFPQSX'].map((letter) => letter.charCodeAt(0)));

/** The client broke the protocol; `code` is the SQLSTATE to report. */
export class ProtocolViolation extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/**
 * Cuts the byte stream of one connection into messages. Each message is
 * copied once, into a buffer of its declared size, however many chunks it
 * arrives in (joining chunks by concatenation made an 8 MB save take seconds).
 */
export class FrontendMessageReader {
  private readonly chunks: Buffer[] = [];
  private queuedBytes = 0;
  private partial: { message: Buffer; filled: number } | null = null;
  /** False until the startup message has been read: the first messages carry no type byte. */
  startupDone = false;

  constructor(private readonly maxMessageBytes: number = MAX_MESSAGE_BYTES) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.queuedBytes += chunk.length;
  }

  /** Bytes received and not yet returned as part of a message. */
  get bufferedBytes(): number {
    return this.queuedBytes + (this.partial?.filled ?? 0);
  }

  /** The next whole message, or null until more bytes arrive; throws `ProtocolViolation`. */
  next(): Buffer | null {
    if (!this.partial) {
      const size = this.startupDone ? this.typedSize() : this.startupSize();
      if (size === null) return null;
      this.partial = { message: Buffer.allocUnsafe(size), filled: 0 };
    }
    const { message } = this.partial;
    while (this.partial.filled < message.length && this.chunks.length > 0) {
      const chunk = this.chunks[0];
      const take = Math.min(chunk.length, message.length - this.partial.filled);
      chunk.copy(message, this.partial.filled, 0, take);
      this.partial.filled += take;
      this.queuedBytes -= take;
      if (take === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(take);
    }
    if (this.partial.filled < message.length) return null;
    this.partial = null;
    return message;
  }

  private startupSize(): number | null {
    const header = this.peek(8);
    if (!header) return null;
    const length = header.readInt32BE(0);
    const code = header.readInt32BE(4);
    if (length < 8 || length > MAX_STARTUP_BYTES) {
      throw new ProtocolViolation(`invalid length of startup packet (${length} bytes)`, '08P01');
    }
    if (!STARTUP_CODES.has(code)) {
      throw new ProtocolViolation(
        `unsupported frontend protocol ${code >>> 16}.${code & 0xffff}: the embedded store speaks protocol 3.0`,
        '0A000',
      );
    }
    return length;
  }

  private typedSize(): number | null {
    const header = this.peek(5);
    if (!header) return null;
    const type = header[0];
    const length = header.readInt32BE(1);
    if (!CLIENT_MESSAGE_TYPES.has(type)) {
      throw new ProtocolViolation(`invalid frontend message type ${type}`, '08P01');
    }
    if (length < 4) throw new ProtocolViolation(`invalid message length ${length}`, '08P01');
    if (length > this.maxMessageBytes) {
      throw new ProtocolViolation(
        `message of ${length} bytes exceeds the embedded store's limit of ${this.maxMessageBytes} bytes; ` +
          'store smaller values, or use PostgreSQL (TIMESTEP_DB_URL) for larger ones',
        '54000',
      );
    }
    return 1 + length;
  }

  /** The first `count` buffered bytes (possibly spanning chunks), or null if fewer have arrived. */
  private peek(count: number): Buffer | null {
    if (this.queuedBytes < count) return null;
    if (this.chunks[0].length >= count) return this.chunks[0];
    return Buffer.concat(this.chunks, count);
  }
}

/** An ErrorResponse message ('E') with severity, SQLSTATE and message fields. */
export function errorResponse(severity: 'ERROR' | 'FATAL', code: string, message: string): Buffer {
  const fields = Buffer.concat([
    field('S', severity),
    field('V', severity),
    field('C', code),
    field('M', message),
    Buffer.from([0]),
  ]);
  const header = Buffer.alloc(5);
  header[0] = 0x45; // 'E'
  header.writeInt32BE(4 + fields.length, 1);
  return Buffer.concat([header, fields]);
}

function field(type: string, value: string): Buffer {
  return Buffer.concat([Buffer.from(type, 'ascii'), Buffer.from(value, 'utf8'), Buffer.from([0])]);
}
