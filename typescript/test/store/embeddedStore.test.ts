import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { Agent } from '@openai/agents';
import {
  DurableSession,
  EmbeddedStoreLockedError,
  RunStateStore,
  UnusableDataDirectoryError,
  appDirectory,
  resolveStoreTarget,
} from '../../src/index.js';
import { leaseDatabase } from '../../src/store/connect.js';
import { freshAppDirectory } from '../support/environment.js';
import {
  childEnv,
  createScratchDatabase,
  deadPid,
  expectedMigrationRows,
  fixturePath,
  leaseRaw,
  spawnTsx,
  succeeded,
  withClient,
} from '../fixtures/helpers.js';

const agent = new Agent({ name: 'Embedded Store Test' });
const STORE_CHILD = fixturePath('storeChild.ts');

const modeOf = (path: string) => statSync(path).mode & 0o777;
const lockFileOf = (dataDir: string) => `${dataDir}.lock`;

/** Sets environment variables for the duration of `work`, then restores them. */
async function withEnv<T>(vars: Record<string, string | undefined>, work: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((key) => [key, process.env[key]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(vars);
  try {
    return await work();
  } finally {
    apply(saved);
  }
}

/** Opens a store on `pglitePath`, checks it works, closes it. */
async function openAndUse(pglitePath: string): Promise<void> {
  const store = new RunStateStore({ agent, pglitePath });
  try {
    assert.deepEqual(await store.history(), []);
  } finally {
    await store.close();
  }
}

describe('where the embedded store lives', () => {
  test('the app directory is created private (0700) under TIMESTEP_HOME', async () => {
    const home = join(freshAppDirectory(), 'not', 'yet', 'there');
    assert.equal(existsSync(home), false);
    await withEnv({ TIMESTEP_HOME: home, TIMESTEP_DB_URL: undefined }, async () => {
      const store = new RunStateStore({ agent });
      await store.history();
      assert.equal(modeOf(home), 0o700);
      assert.ok(existsSync(join(home, 'pglite', 'PG_VERSION')), 'the store is <app directory>/pglite');
      await store.close();
    });
    assert.equal(existsSync(lockFileOf(join(home, 'pglite'))), false, 'close() releases the lock');
  });

  test('a TIMESTEP_HOME that is a file, or one too long for the store socket, is UnusableDataDirectoryError; nothing is created', async () => {
    const file = join(freshAppDirectory(), 'a-file');
    writeFileSync(file, 'not a directory');
    await withEnv({ TIMESTEP_HOME: file, TIMESTEP_DB_URL: undefined }, async () => {
      const session = new DurableSession();
      await assert.rejects(session.getItems(), (error: unknown) =>
        error instanceof UnusableDataDirectoryError && error.path === file && /is a file, not a directory/.test(error.message),
      );
      await session.close();
    });
    assert.equal(readFileSync(file, 'utf8'), 'not a directory');

    // <home>/pglite.socket/.s.PGSQL.5432 over the kernel's limit on a socket path (107 bytes on Linux).
    const long = join(freshAppDirectory(), 'x'.repeat(100));
    await withEnv({ TIMESTEP_HOME: long, TIMESTEP_DB_URL: undefined }, async () => {
      const store = new RunStateStore({ agent });
      await assert.rejects(store.history(), (error: unknown) =>
        error instanceof UnusableDataDirectoryError && /bytes long; a socket's may be at most 10[37]/.test(error.message),
      );
      await store.close();
    });
    assert.equal(existsSync(join(long, 'pglite')), false, 'no store was created where it could not be served');
  });

  test('resolveStoreTarget: connectionString > TIMESTEP_DB_URL > PGlite; usePglite and pglitePath override the env', () => {
    const url = 'postgresql://explicit@db.example/app';
    const envUrl = 'postgresql://from-env@db.example/app';
    const home = '/srv/timestep-home';
    const env = { TIMESTEP_DB_URL: envUrl, TIMESTEP_HOME: home };
    assert.deepEqual(resolveStoreTarget({ connectionString: url }, env), { kind: 'postgres', connectionString: url });
    assert.deepEqual(resolveStoreTarget({ connectionString: url, usePglite: true }, env), {
      kind: 'postgres',
      connectionString: url,
    });
    assert.deepEqual(resolveStoreTarget({}, env), { kind: 'postgres', connectionString: envUrl });
    assert.deepEqual(resolveStoreTarget({ usePglite: true }, env), { kind: 'pglite', dataDir: join(home, 'pglite') });
    assert.deepEqual(resolveStoreTarget({ pglitePath: 'relative/db' }, env), {
      kind: 'pglite',
      dataDir: resolve('relative/db'),
    });
    assert.deepEqual(resolveStoreTarget({}, { TIMESTEP_HOME: home }), { kind: 'pglite', dataDir: join(home, 'pglite') });
    assert.deepEqual(resolveStoreTarget({}, { XDG_CONFIG_HOME: '/xdg' }), {
      kind: 'pglite',
      dataDir: process.platform === 'linux' ? '/xdg/timestep/pglite' : join(appDirectory({}), 'pglite'),
    });
  });

  test('appDirectory per platform, TIMESTEP_HOME first', () => {
    const home = homedir();
    const cases: Array<[NodeJS.ProcessEnv, NodeJS.Platform, string]> = [
      [{ TIMESTEP_HOME: '/th' }, 'linux', '/th'],
      [{ TIMESTEP_HOME: '/th', XDG_CONFIG_HOME: '/xdg' }, 'darwin', '/th'],
      [{ TIMESTEP_HOME: '/th', APPDATA: '/appdata' }, 'win32', '/th'],
      [{ XDG_CONFIG_HOME: '/xdg' }, 'linux', join('/xdg', 'timestep')],
      [{}, 'linux', join(home, '.config', 'timestep')],
      [{ XDG_CONFIG_HOME: '/xdg' }, 'darwin', join(home, 'Library', 'Application Support', 'timestep')],
      [{ APPDATA: '/appdata' }, 'win32', join('/appdata', 'timestep')],
      [{}, 'win32', join(home, 'AppData', 'Roaming', 'timestep')],
    ];
    for (const [env, platform, expected] of cases) {
      assert.equal(appDirectory(env, platform), expected, `${platform} ${JSON.stringify(env)}`);
    }
  });
});

describe('one PGlite per data directory in a process', () => {
  test('a store and a session on one directory share it; closing one keeps the other working', async () => {
    const pglitePath = join(freshAppDirectory(), 'pglite');
    const target = resolveStoreTarget({ pglitePath });
    const [first, second] = await Promise.all([leaseDatabase(target), leaseDatabase(target)]);
    assert.equal(first.db, second.db, 'the same database object');
    await first.release();
    await second.release();

    const store = new RunStateStore({ agent, pglitePath });
    const session = new DurableSession({ pglitePath });
    await store.history();
    await session.addItems([{ role: 'user', content: 'hello' }]);
    await store.close();
    await session.addItems([{ role: 'user', content: 'still here' }]);
    assert.deepEqual(
      (await session.getItems()).map((item) => (item as { content: string }).content),
      ['hello', 'still here'],
    );
    assert.ok(existsSync(lockFileOf(pglitePath)), 'the session still holds it');
    await session.close();
    assert.equal(existsSync(lockFileOf(pglitePath)), false, 'the last close releases the directory');
  });
});

describe('migrations', () => {
  const migrationRows = async (options: { pglitePath?: string; connectionString?: string }) => {
    const lease = await leaseRaw(options);
    try {
      return await lease.db.query<{ version: number; name: string; applied_at: Date }>(
        'SELECT version, name, applied_at FROM timestep_migrations ORDER BY version',
      );
    } finally {
      await lease.release();
    }
  };

  test('are recorded once and not re-applied when the embedded store is reopened', async () => {
    const pglitePath = join(freshAppDirectory(), 'pglite');
    await openAndUse(pglitePath);
    const first = await migrationRows({ pglitePath });
    assert.deepEqual(
      first.map(({ version, name }) => ({ version, name })),
      expectedMigrationRows(),
    );
    assert.equal(existsSync(lockFileOf(pglitePath)), false, 'closed in between');
    await openAndUse(pglitePath);
    assert.deepEqual(await migrationRows({ pglitePath }), first, 'same rows, same applied_at');
  });

  test('two processes migrating one fresh PostgreSQL database at the same moment both succeed', async () => {
    const database = await createScratchDatabase();
    try {
      const children = [0, 1].map(() => spawnTsx(STORE_CHILD, ['migrate', database.url], childEnv({})));
      await Promise.all(children.map((child) => child.line(/"ready"/)));
      for (const child of children) child.send('go');
      await Promise.all(children.map(succeeded));
      for (const child of children) assert.match((await child.exited).stdout, /"migrated"/);

      const rows = await withClient(database.url, (client) =>
        client.query('SELECT version, name FROM timestep_migrations ORDER BY version'),
      );
      assert.deepEqual(rows.rows, expectedMigrationRows());
      // Reopening (here, in this process) applies nothing again.
      const before = await withClient(database.url, (client) => client.query('SELECT applied_at FROM timestep_migrations'));
      const store = new RunStateStore({ agent, connectionString: database.url });
      await store.history();
      await store.close();
      const after = await withClient(database.url, (client) => client.query('SELECT applied_at FROM timestep_migrations'));
      assert.deepEqual(after.rows, before.rows);
    } finally {
      await database.drop();
    }
  });
});

describe('one embedded store, several processes', () => {
  test('a second process joins the store the first one hosts, and takes over when the host exits', async () => {
    const pglitePath = join(freshAppDirectory(), 'pglite');
    const sessionId = 'shared-conversation';
    const host = spawnTsx(STORE_CHILD, ['host', pglitePath, sessionId], childEnv({}));
    const session = new DurableSession({ pglitePath, sessionId });
    try {
      await host.line(/"hosting"/);
      assert.deepEqual(await contentsOf(session), ['from the host'], 'joined through the socket');
      await session.addItems([{ role: 'user', content: 'from the guest' }]);
      assert.equal(lockHolder(pglitePath), host.pid, 'the files stay with the host');

      host.process.stdin!.end();
      await succeeded(host);
      assert.deepEqual(await contentsOf(session), ['from the host', 'from the guest'], 'the next call finds a new host');
      assert.equal(lockHolder(pglitePath), process.pid, 'this process hosts it now');
    } finally {
      host.process.stdin!.end();
      await host.exited;
      await session.close();
    }
    assert.equal(existsSync(lockFileOf(pglitePath)), false);
  });

  test('a live holder that does not serve the store is EmbeddedStoreLockedError naming it and saying what to do', async () => {
    const pglitePath = join(freshAppDirectory(), 'pglite');
    const holder = spawnTsx(STORE_CHILD, ['lock-only', pglitePath], childEnv({}));
    try {
      await holder.line(/"locked"/);
      const store = new RunStateStore({ agent, pglitePath });
      const error = await store.history().catch((e: unknown) => e);
      await store.close();
      assert.ok(error instanceof EmbeddedStoreLockedError, String(error));
      assert.equal(error.holderPid, holder.pid);
      assert.equal(error.lockPath, lockFileOf(pglitePath));
      assert.match(error.message, new RegExp(`process ${holder.pid}\\b`));
      assert.match(error.message, /Stop that process/);
      assert.match(error.message, /TIMESTEP_DB_URL/);
    } finally {
      holder.process.stdin!.end();
      await succeeded(holder);
    }
    await openAndUse(pglitePath); // free again once the holder is gone
  });

  test('a stale lock file of a dead process does not block', async () => {
    const pglitePath = join(freshAppDirectory(), 'pglite');
    await openAndUse(pglitePath);
    writeFileSync(
      lockFileOf(pglitePath),
      JSON.stringify({ pid: deadPid(), host: hostname(), startTicks: null, command: 'crashed', acquiredAt: new Date().toISOString() }),
    );
    const store = new RunStateStore({ agent, pglitePath });
    await store.history();
    assert.equal(lockHolder(pglitePath), process.pid, 'taken over');
    await store.close();
    assert.equal(existsSync(lockFileOf(pglitePath)), false);
  });

  test('a lock file with garbage content does not block', async () => {
    const pglitePath = join(freshAppDirectory(), 'pglite');
    await openAndUse(pglitePath);
    writeFileSync(lockFileOf(pglitePath), '{"pid": not json at all');
    await openAndUse(pglitePath);
    writeFileSync(lockFileOf(pglitePath), JSON.stringify({ pid: 'twelve' }));
    await openAndUse(pglitePath);
    assert.equal(existsSync(lockFileOf(pglitePath)), false);
  });
});

function lockHolder(pglitePath: string): number {
  return (JSON.parse(readFileSync(lockFileOf(pglitePath), 'utf8')) as { pid: number }).pid;
}

async function contentsOf(session: DurableSession): Promise<unknown[]> {
  return (await session.getItems()).map((item) => (item as { content: unknown }).content);
}
