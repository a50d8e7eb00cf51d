#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { serveEmbeddedStore } from './dbServe.js';
import { dataDirectory, describeStatus, storeStatus, stopServer } from './dbStatus.js';
import { TimestepError } from '../errors.js';

const USAGE = `Usage: timestep db <serve|status|stop> [--data-dir DIR] [options]
       timestep runs <list|show|pending|approve|reject|fork|prune> (timestep runs --help)
       timestep worker --agents MODULE [options] (timestep worker --help)

  db serve    Host the embedded store and serve it on a unix socket
              (<data dir>.socket/.s.PGSQL.5432) for other processes.
              Prints one JSON line when ready. --idle-timeout SECONDS
              (default 300; 0 = never) ends it when no client is connected.
  db status   Who holds the embedded store and whether it is serving
              (--json for machine-readable output).
  db stop     Stop the store's \`timestep db serve\` process.

  --data-dir defaults to <app directory>/pglite (TIMESTEP_HOME or the
  platform's config directory).`;

async function main(argv: string[]): Promise<number> {
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
    const { ready, stopped } = await serveEmbeddedStore({
      dataDir: dataDirectory(values['data-dir']),
      idleTimeoutSeconds: values['idle-timeout'] === undefined ? 300 : Number(values['idle-timeout']),
    });
    console.log(JSON.stringify(ready));
    await stopped;
    return 0;
  }
  console.error(`timestep: unknown command "${command}"\n\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // Our errors already say what to do; anything else is a bug worth a stack.
    console.error(error instanceof TimestepError ? `timestep: ${error.message}` : error);
    process.exit(1);
  },
);
