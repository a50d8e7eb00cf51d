#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { serveEmbeddedStore } from './dbServe.js';
import { dataDirectory, describeStatus, storeStatus, stopServer } from './dbStatus.js';
import { TimestepError } from '../errors.js';
import { UsageError } from './usageError.js';

const USAGE = `Usage: timestep db <serve|status|stop> [--data-dir DIR] [options]
       timestep runs <list|show|pending|approve|reject|fork|prune> (timestep runs --help)
       timestep worker --agents MODULE [options] (timestep worker --help)

  db serve    Host the embedded store and serve it on a unix socket
              (<data dir>.socket/.s.PGSQL.5432) for other processes.
              Prints one JSON line when ready. --idle-timeout SECONDS
              (a whole number, default 300; 0 = never) ends it when no
              client is connected.
  db status   Who holds the embedded store and whether it is serving
              (--json for machine-readable output).
  db stop     Stop the store's \`timestep db serve\` process.

  --data-dir defaults to <app directory>/pglite (TIMESTEP_HOME or the
  platform's config directory).

  Exit codes: 0 done, 1 failed, 2 bad usage. With --json, errors are one JSON
  line on stderr: {"error":{"type":"…","message":"…"}}.`;

const MAX_IDLE_TIMEOUT_SECONDS = 2 ** 31 - 1;

/** `--idle-timeout SECONDS`: a whole number of seconds, 0 (never) included; 300 when not given. */
function idleTimeoutSeconds(text: string | undefined): number {
  if (text === undefined) return 300;
  if (!/^[0-9]{1,10}$/.test(text) || Number(text) > MAX_IDLE_TIMEOUT_SECONDS) {
    throw new UsageError(
      `--idle-timeout must be a whole number of seconds from 0 (never) to ${MAX_IDLE_TIMEOUT_SECONDS}, got ${JSON.stringify(text)}.`,
    );
  }
  return Number(text);
}

/** An unknown option or a missing option value, as `parseArgs` reports it. */
function isParseError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  try {
    return await dispatch(argv);
  } catch (error) {
    // Our errors already say what to do; anything else is a bug worth a stack.
    const usage = error instanceof UsageError || isParseError(error);
    if (!usage && !(error instanceof TimestepError)) throw error;
    const type = usage ? 'UsageError' : (error as Error).name;
    const { message } = error as Error;
    if (json) console.error(JSON.stringify({ error: { type, message } }));
    else console.error(`timestep: ${message}${usage ? `\n\n${USAGE}` : ''}`);
    return usage ? 2 : 1;
  }
}

async function dispatch(argv: string[]): Promise<number> {
  // Loaded only for `runs` and `worker`: importing the Agents SDK installs its tracing
  // provider's SIGTERM handler, which exits at once and would stop `db serve`
  // from removing its socket and lock.
  if (argv[0] === 'runs') return (await import('./runsCommand.js')).runsCommand(argv.slice(1));
  if (argv[0] === 'worker') return (await import('./workerCommand.js')).workerCommand(argv.slice(1));
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      'idle-timeout': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals.join(' ');
  if (values.help || command === '') {
    console.log(USAGE);
    return 0;
  }
  if (values['idle-timeout'] !== undefined && command !== 'db serve') {
    throw new UsageError(`--idle-timeout applies to \`timestep db serve\` only, not to "${command}".`);
  }
  if (command === 'db status') {
    const status = await storeStatus(dataDirectory(values['data-dir']));
    console.log(values.json ? JSON.stringify(status) : describeStatus(status));
    return 0;
  }
  if (command === 'db stop') {
    console.log(await stopServer(dataDirectory(values['data-dir'])));
    return 0;
  }
  if (command === 'db serve') {
    const idleTimeout = idleTimeoutSeconds(values['idle-timeout']);
    const { ready, stopped } = await serveEmbeddedStore({ dataDir: dataDirectory(values['data-dir']), idleTimeoutSeconds: idleTimeout });
    console.log(JSON.stringify(ready));
    await stopped;
    return 0;
  }
  throw new UsageError(`unknown command "${command}".`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
