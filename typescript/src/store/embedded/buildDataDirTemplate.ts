/**
 * Build step (`npm run build`): makes the pre-initialised data directory that
 * `seedFromTemplate` unpacks — PGlite's initdb plus every migration, packed
 * with PGlite's own dump for the PGlite version installed.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { migrate } from '../migrations.js';
import { PgliteDatabase } from '../pgliteDatabase.js';
import { dataDirTemplatePath } from './dataDirTemplate.js';

const target = dataDirTemplatePath();
// The old template goes first, so this one comes from PGlite's own initdb.
rmSync(target, { force: true });
const scratch = mkdtempSync(join(tmpdir(), 'timestep-template-'));
try {
  const db = await PgliteDatabase.open(join(scratch, 'pgdata'));
  try {
    await migrate(db);
    const archive = Buffer.from(await (await db.pglite.dumpDataDir('gzip')).arrayBuffer());
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(`${target}.tmp`, archive);
    renameSync(`${target}.tmp`, target);
    console.log(`wrote ${target} (${(archive.length / 1e6).toFixed(1)} MB)`);
  } finally {
    await db.close();
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
