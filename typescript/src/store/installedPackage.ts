import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Where an installed dependency lives and which version it is. */
export interface InstalledPackage {
  /** The directory holding its package.json. */
  dir: string;
  version: string;
  /** Path of its entry point, to resolve its own dependencies from. */
  entry: string;
}

/**
 * The installed dependency `name` as resolved from `from` (a file path or URL,
 * default this package). Exports maps often hide package.json, so it is found
 * by walking up from the package's entry point.
 */
export function installedPackage(name: string, from: string = import.meta.url): InstalledPackage {
  const entry = createRequire(from).resolve(name);
  let dir = dirname(entry);
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name: found, version } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version: string };
      if (found === name) return { dir, version, entry };
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the package.json of ${name}`);
    dir = parent;
  }
}

/** The version of the installed dependency `name`. */
export function installedPackageVersion(name: string): string {
  return installedPackage(name).version;
}
