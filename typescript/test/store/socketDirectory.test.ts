import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { DurableSession, InsecureSocketDirectoryError } from '../../src/index.js';
import { freshAppDirectory } from '../support/environment.js';

test('a socket directory open to group or others is refused before anything connects, and works once it is private', async () => {
  const dataDir = join(freshAppDirectory(), 'pglite');
  mkdirSync(`${dataDir}.socket`, { mode: 0o755 });
  chmodSync(`${dataDir}.socket`, 0o755); // whatever the umask
  const session = new DurableSession({ pglitePath: dataDir, sessionId: 'guarded' });
  try {
    await assert.rejects(session.getItems(), (error: unknown) => {
      assert.ok(error instanceof InsecureSocketDirectoryError);
      assert.equal(error.path, `${dataDir}.socket`);
      assert.match(error.message, /has mode 755, open to group or others.*chmod 700/);
      return true;
    });
    assert.equal(existsSync(dataDir), false, 'nothing was opened or created');

    chmodSync(`${dataDir}.socket`, 0o700);
    await session.addItems([{ role: 'user', content: 'private now' }]);
    assert.equal((await session.getItems()).length, 1);
  } finally {
    await session.close();
  }
});

test('a socket directory that is a symlink is refused', async () => {
  const home = freshAppDirectory();
  const elsewhere = join(home, 'elsewhere');
  mkdirSync(elsewhere, { mode: 0o700 });
  symlinkSync(elsewhere, join(home, 'pglite.socket'));
  const session = new DurableSession({ pglitePath: join(home, 'pglite'), sessionId: 'guarded' });
  try {
    await assert.rejects(session.getItems(), /socket directory .*pglite\.socket is not a directory \(a symlink or a file\)/);
  } finally {
    await session.close();
  }
});
