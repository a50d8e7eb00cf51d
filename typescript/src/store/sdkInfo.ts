import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Name and installed version of the SDK whose native state this package writes. */
export const SDK_NAME = '@openai/agents';

// The package's exports map hides package.json, so find it next to the entry point.
function installedVersion(): string {
  const entry = createRequire(import.meta.url).resolve('@openai/agents-core');
  const manifest = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

export const SDK_VERSION = installedVersion();
