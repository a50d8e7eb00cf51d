// Would @electric-sql/pglite-socket serve the embedded store better than our own server?
// (RELIABILITY.md, "The embedded store's server".) Not part of run.sh; it needs the package,
// which is not a dependency:
//
//   mkdir /tmp/ps && (cd /tmp/ps && npm init -y && npm install @electric-sql/pglite-socket@0.2.17)
//   PGLITE_SOCKET_DIR=/tmp/ps node bench/experiments/pglite-socket.mjs
//
// Checks what Timestep needs from a server: two clients connected at once, an 8 MB message,
// and the next client after one sent 'Q' with length -1.
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const scratch = process.env.PGLITE_SOCKET_DIR;
if (!scratch) throw new Error('set PGLITE_SOCKET_DIR to a directory where @electric-sql/pglite-socket is installed');
const fromScratch = createRequire(join(scratch, 'package.json'));
const { PGlite } = fromScratch('@electric-sql/pglite');
const { PGLiteSocketServer } = fromScratch('@electric-sql/pglite-socket');
const pg = createRequire(new URL('../../typescript/package.json', import.meta.url))('pg');

const dir = mkdtempSync(join(tmpdir(), 'pglite-socket-'));
const db = await PGlite.create();
const path = join(dir, '.s.PGSQL.5432');
const server = new PGLiteSocketServer({ db, path });
await server.start();
const client = () => new pg.Client({ host: dir, port: 5432, user: 'postgres', database: 'postgres' });
const within = (promise, ms, label) =>
  Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`${label}: no answer in ${ms} ms`)), ms))]);
const outcome = async (label, work) => {
  try {
    console.log(`${label}: ${await within(work(), 10_000, label)}`);
  } catch (error) {
    console.log(`${label}: ${error.message}`);
  }
};

const first = client();
await first.connect();
await first.query('SELECT 1');
const second = client();
await outcome('a second client while the first stays connected', async () => {
  await second.connect();
  await second.query('SELECT 1');
  return 'served';
});
await first.end();
await outcome('the second client after the first left', async () => (await second.query('SELECT 1'), 'served'));
await second.end().catch(() => {});

const big = client();
await big.connect();
await big.query('CREATE TABLE big (t text)');
await outcome('8 MB insert', async () => {
  const started = performance.now();
  await big.query('INSERT INTO big VALUES ($1)', ['x'.repeat(8e6)]);
  return `${Math.round(performance.now() - started)} ms`;
});
await big.end().catch(() => {});

const raw = connect(path);
await new Promise((resolve) => raw.once('connect', resolve));
const startup = Buffer.from('user\0postgres\0database\0postgres\0\0');
const header = Buffer.alloc(8);
header.writeInt32BE(8 + startup.length, 0);
header.writeInt32BE(196608, 4);
raw.write(Buffer.concat([header, startup]));
await new Promise((resolve) => raw.once('data', resolve));
raw.write(Buffer.from([0x51, 0xff, 0xff, 0xff, 0xff])); // 'Q', length -1
raw.destroy();
const next = client();
await outcome("the next client after one sent 'Q' with length -1", async () => {
  await next.connect();
  await next.query('SELECT 1');
  return 'served';
});
process.exit(0);
