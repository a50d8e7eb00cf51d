import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UnusableDataDirectoryError } from '../errors.js';

/**
 * Where Timestep keeps its embedded store: `TIMESTEP_HOME` if set, otherwise
 * the platform's per-user configuration directory.
 */
export function appDirectory(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.TIMESTEP_HOME) return env.TIMESTEP_HOME;
  if (platform === 'win32') return join(env.APPDATA || join(homedir(), 'AppData', 'Roaming'), 'timestep');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'timestep');
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'timestep');
}

/**
 * Creates `path` (and parents) private to the user if it does not exist yet;
 * `UnusableDataDirectoryError` when it cannot (a file is in the way, no permission).
 */
export function ensurePrivateDirectory(path: string): string {
  try {
    mkdirSync(path, { recursive: true, mode: 0o700 }); // recursive: a directory already there is fine
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    const problem = code === 'EEXIST' ? 'it is a file, not a directory' : message;
    throw new UnusableDataDirectoryError(
      `The embedded store's directory ${path} cannot be used: ${problem}. Point TIMESTEP_HOME (or pglitePath) ` +
        'at a directory you can create and write, or set TIMESTEP_DB_URL to use PostgreSQL.',
      path,
    );
  }
  return path;
}
