/**
 * Framing of what clients send to the embedded store's server: messages come
 * out whole and byte-exact however the stream is cut into chunks, and bad
 * headers are refused before anything is buffered for them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrontendMessageReader, ProtocolViolation } from '../../src/store/embedded/frontendMessages.js';
import { parse, query, startupMessage, sync, typedMessage } from './rawWireClient.js';

function readAll(reader: FrontendMessageReader, stream: Buffer, cuts: number[]): Buffer[] {
  const messages: Buffer[] = [];
  let from = 0;
  for (const to of [...cuts, stream.length]) {
    reader.push(stream.subarray(from, to));
    from = to;
    for (let message = reader.next(); message; message = reader.next()) {
      messages.push(message);
      if (!reader.startupDone) reader.startupDone = true; // as the server does after the startup message
    }
  }
  return messages;
}

test('messages come out whole and exact whatever the chunking: 1-byte chunks, headers split, a 3 MB message in 64 kB chunks', () => {
  const big = query(`SELECT '${'x'.repeat(3_000_000)}'`);
  const expected = [startupMessage(), parse('SELECT $1'), sync(), big, query('SELECT 1'), sync()];
  const stream = Buffer.concat(expected);
  const oneByte = Array.from({ length: 200 }, (_, index) => index + 1); // the first 200 bytes one at a time
  const sixtyFourK = Array.from({ length: Math.floor(stream.length / 65_536) }, (_, index) => 201 + index * 65_536);
  const messages = readAll(new FrontendMessageReader(), stream, [...oneByte, ...sixtyFourK]);
  assert.equal(messages.length, expected.length);
  messages.forEach((message, index) => assert.ok(message.equals(expected[index]), `message ${index} is byte-exact`));
});

test('bad headers are protocol violations with the SQLSTATE to report, before their body is awaited', () => {
  const started = () => {
    const reader = new FrontendMessageReader(1024);
    reader.startupDone = true;
    return reader;
  };
  const cases: Array<[string, FrontendMessageReader, Buffer, string]> = [
    ['startup length -1', new FrontendMessageReader(), Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 3, 0, 0]), '08P01'],
    ['startup length over 10000', new FrontendMessageReader(), Buffer.from([0, 0, 0x27, 0x11, 0, 3, 0, 0]), '08P01'],
    ['protocol 2.0', new FrontendMessageReader(), Buffer.from([0, 0, 0, 8, 0, 2, 0, 0]), '0A000'],
    ['unknown type', started(), typedMessage('y'), '08P01'],
    ['password message after startup', started(), typedMessage('p', Buffer.from('secret\0')), '08P01'],
    ['length -1', started(), typedMessage('Q', Buffer.alloc(0), -1), '08P01'],
    ['length 3', started(), typedMessage('Q', Buffer.alloc(0), 3), '08P01'],
    ['over the limit', started(), typedMessage('Q', Buffer.alloc(0), 1025), '54000'],
  ];
  for (const [name, reader, bytes, code] of cases) {
    reader.push(bytes);
    assert.throws(
      () => reader.next(),
      (error: unknown) => error instanceof ProtocolViolation && error.code === code,
      name,
    );
  }
});
