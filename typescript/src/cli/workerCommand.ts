/**
 * `timestep worker --agents MODULE`: a RunWorker in its own process. It
 * claims durable runs of the agents MODULE exports (submitted with
 * `submitRun`, or left behind by a process that died) and resumes them; one
 * JSON line per event on stdout. SIGTERM / SIGINT stop it gracefully: no new
 * claims, the runs in flight finish, exit 0.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Agent, Runner } from '@openai/agents';
import { RunWorker } from '../worker/runWorker.js';

const USAGE = `Usage: timestep worker --agents MODULE [--concurrency N] [--lease-ms N] [--poll-ms N]
                       [--max-attempts N] [--data-dir DIR]

  Claims and resumes durable runs whose agent graph MODULE has.
  MODULE (a .js/.mjs file; .ts when run under tsx) exports \`agents\` (Agent[])
  or a default Agent[], and optionally \`runner\` (a Runner; default: runAgent's,
  whose MultiModelProvider sends ollama/... models to Ollama).

  --concurrency N    runs executed at once (default 1)
  --lease-ms N       lease length in ms (default 30000)
  --poll-ms N        wait between looks for work when idle (default 1000)
  --max-attempts N   retry failed runs while attempted fewer times (default 3)
  --data-dir DIR     an embedded store; else TIMESTEP_DB_URL, else the
                     embedded store in the app directory.

  SIGTERM / SIGINT: stop claiming, finish the runs in flight, exit 0.`;

/** Bad command line or agents module: exit 2 with the message. */
class WorkerUsageError extends Error {}

function positiveInteger(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9][0-9]{0,9}$/.test(text) || Number(text) > 2 ** 31 - 1) {
    throw new WorkerUsageError(`${name} must be a whole number from 1 to ${2 ** 31 - 1}, got ${JSON.stringify(text)}.`);
  }
  return Number(text);
}

async function loadAgents(path: string): Promise<{ agents: Agent<any, any>[]; runner?: Runner }> {
  let loaded: Record<string, unknown>;
  try {
    loaded = await import(pathToFileURL(resolve(path)).href);
  } catch (error) {
    throw new WorkerUsageError(`Cannot load agents module ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const agents = loaded.agents ?? loaded.default;
  if (!Array.isArray(agents) || agents.length === 0 || !agents.every((agent) => agent instanceof Agent)) {
    throw new WorkerUsageError(
      `Agents module ${path} must export \`agents\` (or a default export): a non-empty array of Agents ` +
        '(from the same @openai/agents as Timestep).',
    );
  }
  const { runner } = loaded;
  if (runner !== undefined && !(runner instanceof Runner)) {
    throw new WorkerUsageError(`Agents module ${path} exports \`runner\`, which is not a Runner.`);
  }
  return { agents, runner };
}

export async function workerCommand(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        agents: { type: 'string' },
        concurrency: { type: 'string' },
        'lease-ms': { type: 'string' },
        'poll-ms': { type: 'string' },
        'max-attempts': { type: 'string' },
        'data-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    if (positionals.length > 0) throw new WorkerUsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    if (!values.agents) throw new WorkerUsageError('--agents MODULE is required.');
    const options = {
      concurrency: positiveInteger('--concurrency', values.concurrency),
      leaseMs: positiveInteger('--lease-ms', values['lease-ms']),
      pollMs: positiveInteger('--poll-ms', values['poll-ms']),
      maxAttempts: positiveInteger('--max-attempts', values['max-attempts']),
      ...(values['data-dir'] === undefined ? {} : { pglitePath: values['data-dir'] }),
    };
    const { agents, runner } = await loadAgents(values.agents);
    const worker = new RunWorker({ agents, runner, ...options });
    const stop = new AbortController();
    // Our own listeners also keep the Agents SDK's tracing provider from exiting the process
    // on SIGTERM (it exits only when no other listener is registered).
    const onSignal = () => stop.abort();
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    try {
      await worker.run(stop.signal);
    } finally {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
    return 0;
  } catch (error) {
    if (error instanceof WorkerUsageError || error instanceof RangeError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`timestep worker: ${(error as Error).message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
}
