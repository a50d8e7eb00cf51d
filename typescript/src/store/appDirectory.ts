import { mkdirSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

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

/** Creates `path` (and parents) private to the user if it does not exist yet. */
export function ensurePrivateDirectory(path: string): string {
  if (!existsSync(path)) mkdirSync(path, { recursive: true, mode: 0o700 });
  return path;
}
