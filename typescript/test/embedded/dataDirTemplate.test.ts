/**
 * The pre-initialised data directory made by `npm run build`: a new store is
 * unpacked from it instead of running initdb, and a bad template never leaves
 * a half-made store behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Agent } from '@openai/agents';
import { RunStateStore } from '../../src/index.js';
import { dataDirTemplatePath, seedFromTemplate } from '../../src/store/embedded/dataDirTemplate.js';
import { expectedMigrationRows, fixturePath, leaseRaw, spawnTsx, succeeded } from '../fixtures/helpers.js';
import { freshAppDirectory } from '../support/environment.js';

test('the build made a template for the installed PGlite', () => {
  assert.ok(existsSync(dataDirTemplatePath()), `${dataDirTemplatePath()} is missing: run npm run build`);
});

test('a new store is unpacked from the template, private, with every migration applied', async () => {
  const dataDir = join(freshAppDirectory(), 'pglite');
  mkdirSync(dirname(dataDir), { recursive: true, mode: 0o700 });
  assert.equal(seedFromTemplate(dataDir), true);
  assert.ok(existsSync(join(dataDir, 'PG_VERSION')));
  assert.equal(statSync(dataDir).mode & 0o777, 0o700);
  assert.equal(statSync(join(dataDir, 'PG_VERSION')).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dirname(dataDir)).filter((name) => name.includes('seeding')), []);

  const lease = await leaseRaw({ pglitePath: dataDir });
  try {
    const rows = await lease.db.query<{ version: number; name: string }>(
      'SELECT version, name FROM timestep_migrations ORDER BY version',
    );
    assert.deepEqual(rows, expectedMigrationRows());
  } finally {
    await lease.release();
  }
});

test('the first store opened in a fresh app directory comes from the template and works', async () => {
  const home = freshAppDirectory();
  const store = new RunStateStore({ agent: new Agent({ name: 'Seeded' }), pglitePath: join(home, 'pglite') });
  try {
    assert.deepEqual(await store.history(), []);
  } finally {
    await store.close();
  }
  // PGlite's initdb would leave its own marks; the template's files are ours (0600).
  assert.equal(statSync(join(home, 'pglite', 'PG_VERSION')).mode & 0o777, 0o600);
});

test('an existing data directory is never touched', () => {
  const dataDir = join(freshAppDirectory(), 'pglite');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, 'mine'), 'keep');
  assert.equal(seedFromTemplate(dataDir), false);
  assert.deepEqual(readdirSync(dataDir), ['mine']);
  assert.equal(readFileSync(join(dataDir, 'mine'), 'utf8'), 'keep');
});

test('a damaged or missing template is skipped and leaves nothing behind', () => {
  const home = freshAppDirectory();
  mkdirSync(home, { recursive: true });
  const dataDir = join(home, 'pglite');
  const truncated = join(home, 'truncated.tar.gz');
  writeFileSync(truncated, readFileSync(dataDirTemplatePath()).subarray(0, 100_000));
  assert.equal(seedFromTemplate(dataDir, truncated), false);
  assert.equal(seedFromTemplate(dataDir, join(home, 'absent.tar.gz')), false);
  assert.deepEqual(readdirSync(home), ['truncated.tar.gz']);
});

test('a process that never closes its store still exits, on a new store and on an existing one', { timeout: 120_000 }, async () => {
  const dataDir = join(freshAppDirectory(), 'pglite');
  for (const round of ['new', 'existing']) {
    const exit = await succeeded(spawnTsx(fixturePath('openWithoutClose.ts'), [dataDir]));
    assert.match(exit.stdout, /"versions":0/, `${round} store`);
  }
});
