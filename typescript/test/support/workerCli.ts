/** `timestep worker` run from source as a child process, for the tests of the command. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { RunWorkerEvent } from '../../src/index.js';
import { REPO_ROOT } from './environment.js';

const CLI_SOURCE = join(REPO_ROOT, 'typescript/src/cli/main.ts');

export interface WorkerCliExit {
  code: number | null;
  stderr: string;
  /** The events it printed, one JSON line each. */
  events: RunWorkerEvent[];
}

/**
 * Runs `timestep worker --agents <agentsModule> --poll-ms 50` with `env` until
 * it exits, sending it SIGTERM at the first event `stopAt` accepts.
 */
export async function runWorkerCli(
  agentsModule: string,
  env: NodeJS.ProcessEnv,
  stopAt: (event: RunWorkerEvent) => boolean,
): Promise<WorkerCliExit> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_SOURCE, 'worker', '--agents', agentsModule, '--poll-ms', '50'], {
    cwd: join(REPO_ROOT, 'typescript'),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const events: RunWorkerEvent[] = [];
  createInterface({ input: child.stdout! }).on('line', (text) => {
    const event = JSON.parse(text) as RunWorkerEvent;
    events.push(event);
    if (stopAt(event)) child.kill('SIGTERM');
  });
  return { code: await exited, stderr, events };
}
