import { lstatSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { InsecureSocketDirectoryError } from '../errors.js';

/**
 * The embedded store's socket directory must be the user's alone. Whoever can
 * create files in it can serve a store of their own there, and every save
 * would then go to them. The default app directory is private, but a data
 * directory given by path (`pglitePath`, `TIMESTEP_HOME`) may sit anywhere, so
 * the socket directory is checked before the store is joined or served:
 * owned by this user, a real directory (not a symlink), no access for group
 * or others (mode 0700); a socket already in it must be this user's too.
 * The same check as `socket_directory.py` in the Python package.
 */

function refuse(path: string, problem: string, fix: string): InsecureSocketDirectoryError {
  return new InsecureSocketDirectoryError(
    `The embedded store's socket directory ${path} ${problem}, so another user could serve a store of ` +
      `their own there and receive what you save. ${fix}`,
    path,
  );
}

function lstatOrNull(path: string) {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Creates the directory of `socketPath` (mode 0700) if missing; throws `InsecureSocketDirectoryError` unless it is private. */
export function checkSocketDirectory(socketPath: string): void {
  if (process.platform === 'win32' || typeof process.geteuid !== 'function') return; // no unix permissions
  const directory = dirname(socketPath);
  const me = process.geteuid();
  try {
    mkdirSync(directory, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error; // checked below, whoever made it
  }
  const info = lstatSync(directory);
  if (!info.isDirectory()) {
    throw refuse(directory, 'is not a directory (a symlink or a file)', `Remove ${directory}; Timestep creates it.`);
  }
  if (info.uid !== me) {
    throw refuse(
      directory,
      `belongs to user id ${info.uid}, not you (${me})`,
      `Remove ${directory} (Timestep creates it again, as yours), or use a data directory of your own.`,
    );
  }
  const mode = info.mode & 0o777;
  if (mode & 0o077) {
    throw refuse(directory, `has mode ${mode.toString(8)}, open to group or others`, `Run \`chmod 700 ${directory}\`.`);
  }
  const socket = lstatOrNull(socketPath);
  if (socket && (!socket.isSocket() || socket.uid !== me)) {
    throw refuse(directory, `holds ${socketPath}, which is not a socket of yours`, `Stop whatever serves it and remove ${socketPath}.`);
  }
}
