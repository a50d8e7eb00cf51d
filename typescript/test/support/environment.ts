import { setTracingDisabled } from '@openai/agents';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startModelServer, type ModelServer } from '../../../testing/model-server/server.mjs';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export function scenarioPath(name: string): string {
  return join(REPO_ROOT, 'spec', 'scenarios', `${name}.json`);
}

/**
 * Starts the scripted model server and points the OpenAI client at it the way
 * a user would: OPENAI_BASE_URL and OPENAI_API_KEY. Call once per test file,
 * before the first run (the SDK reads the settings when it builds its client).
 */
export async function useScriptedOpenAI(scenario: string): Promise<ModelServer> {
  setTracingDisabled(true);
  const server = await startModelServer({ scenarioPath: scenarioPath(scenario) });
  process.env.OPENAI_BASE_URL = `${server.url}/v1`;
  process.env.OPENAI_API_KEY = 'test-key';
  return server;
}

/** A fresh, private app directory, so tests never touch the user's store. */
export function freshAppDirectory(): string {
  return mkdtempSync(join(tmpdir(), 'timestep-test-'));
}

/**
 * The PostgreSQL server of the test run. Missing configuration is a failure,
 * not a skip: CI always provides one (.ci/run starts it).
 */
export function testDatabaseUrl(): string {
  const url = process.env.TIMESTEP_TEST_DB_URL;
  if (!url) throw new Error('TIMESTEP_TEST_DB_URL is not set; run the tests through scripts/test.sh, which starts PostgreSQL.');
  return url;
}

/**
 * Store options for each backend the suites run against: one embedded store
 * per test file (opening a fresh PGlite costs seconds) and the test server.
 */
export function backends(): Array<{ name: string; options: { connectionString?: string; pglitePath?: string } }> {
  return [
    { name: 'pglite', options: { pglitePath: join(freshAppDirectory(), 'pglite') } },
    { name: 'postgres', options: { connectionString: testDatabaseUrl() } },
  ];
}

/**
 * Runs a TypeScript script as `node --import tsx` (node itself, not the tsx
 * wrapper, so a signal reaches the process doing the work); stdout is piped.
 */
export function spawnScript(script: string, args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: join(REPO_ROOT, 'typescript'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}
