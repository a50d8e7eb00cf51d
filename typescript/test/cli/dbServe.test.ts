import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DurableSession } from '../../src/index.js';
import { freshAppDirectory } from '../support/environment.js';
import {
  PACKAGE_ROOT,
  childEnv,
  expectedMigrationRows,
  spawnTsx,
  succeeded,
  withClient,
  type Child,
} from '../fixtures/helpers.js';

const MAIN = join(PACKAGE_ROOT, 'src', 'cli', 'main.ts');

interface Ready {
  socket: string;
  host: string;
  port: number;
  pid: number;
}

/** `timestep db serve` on a data directory; resolves once it printed its ready line. */
async function serve(dataDir: string, idleTimeoutSeconds: number): Promise<{ server: Child; ready: Ready }> {
  const server = spawnTsx(MAIN, ['db', 'serve', '--data-dir', dataDir, '--idle-timeout', String(idleTimeoutSeconds)], childEnv({}));
  const ready = await server.json<Ready>(/^\{.*"socket"/);
  return { server, ready };
}

/** A `pg` client on the server's socket, the way any PostgreSQL client connects. */
function socketClient<T>(ready: Ready, work: Parameters<typeof withClient<T>>[1]): Promise<T> {
  return withClient({ host: ready.host, port: ready.port, user: 'postgres', database: 'postgres' }, work);
}

const modeOf = (path: string) => statSync(path).mode & 0o777;

function assertCleanedUp(dataDir: string, ready: Ready) {
  assert.equal(existsSync(ready.socket), false, 'socket removed');
  assert.equal(existsSync(`${dataDir}.lock`), false, 'lock released');
}

describe('timestep db serve', () => {
  test('prints the ready line and serves the migrated store on a private socket; SIGTERM stops it cleanly', async () => {
    const dataDir = join(freshAppDirectory(), 'pglite');
    const { server, ready } = await serve(dataDir, 0);
    try {
      assert.deepEqual(ready, {
        socket: join(`${dataDir}.socket`, '.s.PGSQL.5432'),
        host: `${dataDir}.socket`,
        port: 5432,
        pid: server.pid,
      });
      assert.ok(statSync(ready.socket).isSocket());
      assert.equal(modeOf(ready.socket), 0o600);
      assert.equal(modeOf(dirname(ready.socket)), 0o700);

      const tables = await socketClient(ready, async (client) => {
        const migrations = await client.query('SELECT version, name FROM timestep_migrations ORDER BY version');
        const names = await client.query(
          `SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'timestep_%' ORDER BY table_name`,
        );
        return { migrations: migrations.rows, names: names.rows.map((row) => row.table_name) };
      });
      assert.deepEqual(tables.migrations, expectedMigrationRows());
      for (const table of ['timestep_migrations', 'timestep_run_states', 'timestep_session_items']) {
        assert.ok(tables.names.includes(table), `${table} exists`);
      }
    } finally {
      server.process.kill('SIGTERM');
    }
    const exit = await succeeded(server);
    assert.equal(exit.signal, null);
    assertCleanedUp(dataDir, ready);
  });

  test('a store opened in another process on the same directory joins the server instead of opening the files', async () => {
    const dataDir = join(freshAppDirectory(), 'pglite');
    const { server, ready } = await serve(dataDir, 0);
    try {
      const session = new DurableSession({ pglitePath: dataDir, sessionId: 'beside-the-server' });
      await session.addItems([{ role: 'user', content: 'through the socket' }]);
      await session.close();
      const rows = await socketClient(ready, (client) =>
        client.query(`SELECT item->>'content' AS content FROM timestep_session_items WHERE session_id = 'beside-the-server'`),
      );
      assert.deepEqual(rows.rows, [{ content: 'through the socket' }]);
      assert.equal(server.process.exitCode, null, 'the server still holds the store');
    } finally {
      server.process.kill('SIGTERM');
    }
    await succeeded(server);
    assertCleanedUp(dataDir, ready);
  });

  test('exits by itself after the idle timeout with no clients, removing its socket and lock', async () => {
    const dataDir = join(freshAppDirectory(), 'pglite');
    const { server, ready } = await serve(dataDir, 1);
    const exit = await succeeded(server);
    assert.equal(exit.signal, null);
    assertCleanedUp(dataDir, ready);
  });

  test('a socket and lock left by a killed server do not stop a new one', async () => {
    const dataDir = join(freshAppDirectory(), 'pglite');
    const first = await serve(dataDir, 0);
    first.server.process.kill('SIGKILL');
    assert.equal((await first.server.exited).signal, 'SIGKILL');
    assert.ok(existsSync(first.ready.socket), 'a stale socket file is left behind');
    assert.ok(existsSync(`${dataDir}.lock`), 'and a stale lock');

    const { server, ready } = await serve(dataDir, 0);
    try {
      const migrations = await socketClient(ready, (client) =>
        client.query('SELECT version, name FROM timestep_migrations ORDER BY version'),
      );
      assert.deepEqual(migrations.rows, expectedMigrationRows());
    } finally {
      server.process.kill('SIGTERM');
    }
    await succeeded(server);
    assertCleanedUp(dataDir, ready);
  });
});
