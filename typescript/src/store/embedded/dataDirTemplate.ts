/**
 * A pre-initialised PGlite data directory, shipped with the package.
 *
 * A fresh data directory costs PGlite an initdb inside wasm, several seconds
 * on a small machine. The build runs that initdb once (plus the migrations)
 * and packs the result; the first open of a new store unpacks it instead,
 * which takes a fraction of a second. The template is tied to the PGlite
 * version that made it: with another version installed it is ignored and
 * PGlite runs initdb as before.
 */
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { installedPackageVersion } from '../installedPackage.js';

const TAR_BLOCK = 512;

/** Where the build puts the template for the PGlite version installed (same path from src/ and dist/). */
export function dataDirTemplatePath(): string {
  const packageRoot = fileURLToPath(new URL('../../../', import.meta.url));
  return join(packageRoot, 'embedded-template', `pglite-${installedPackageVersion('@electric-sql/pglite')}.tar.gz`);
}

function isEmptyOrMissing(dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).length === 0;
}

/** Writes `data` to a new private file; trailing zeros become a hole (a WAL segment is mostly zeros). */
function writePrivateFile(path: string, data: Buffer): void {
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end--;
  const fd = openSync(path, 'wx', 0o600);
  try {
    if (end > 0) writeSync(fd, data, 0, end);
    if (end < data.length) ftruncateSync(fd, data.length);
  } finally {
    closeSync(fd);
  }
}

/** Unpacks a ustar archive of plain files and directories into `target`. */
function untar(archive: Buffer, into: string): void {
  const target = normalize(into);
  for (let offset = 0; offset + TAR_BLOCK <= archive.length; ) {
    const header = archive.subarray(offset, offset + TAR_BLOCK);
    if (header.every((byte) => byte === 0)) return;
    const field = (start: number, length: number) =>
      header.subarray(start, start + length).toString('utf8').replace(/\0[\s\S]*$/, '');
    const prefix = field(345, 155);
    const name = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100);
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156] || 0x30);
    const path = normalize(join(target, name));
    if (!path.startsWith(target + sep) && path !== target) throw new Error(`archive entry ${name} leaves the directory`);
    offset += TAR_BLOCK;
    if (type === '5') {
      mkdirSync(path, { recursive: true, mode: 0o700 });
    } else if (type === '0') {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      writePrivateFile(path, archive.subarray(offset, offset + size));
    } else {
      throw new Error(`archive entry ${name} has type ${type}; only files and directories are expected`);
    }
    offset += Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
  }
}

/**
 * Fills a new data directory from the template, if there is one for the
 * installed PGlite and `dataDir` is missing or empty. Returns whether it did.
 * The caller holds the data directory's lock. Unpacking goes to a scratch
 * directory renamed into place, so a crash never leaves a half-made store;
 * an unusable template is skipped (PGlite then runs initdb itself).
 */
export function seedFromTemplate(dataDir: string, template = dataDirTemplatePath()): boolean {
  if (!existsSync(template) || !isEmptyOrMissing(dataDir)) return false;
  const scratch = `${dataDir}.seeding-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  try {
    mkdirSync(scratch, { recursive: true, mode: 0o700 });
    untar(gunzipSync(readFileSync(template)), scratch);
    if (existsSync(dataDir)) rmSync(dataDir, { recursive: true }); // empty, checked above
    renameSync(scratch, dataDir);
    return true;
  } catch {
    rmSync(scratch, { recursive: true, force: true });
    return false;
  }
}
