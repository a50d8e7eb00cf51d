#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { serveEmbeddedStore } from './dbServe.js';
import { TimestepError } from '../errors.js';

const USAGE = `Usage: timestep db serve [--data-dir DIR] [--idle-timeout SECONDS]

  db serve   Hold the embedded store and serve it on a unix socket
             (<data dir>.socket/.s.PGSQL.5432) for other processes.
             Prints one JSON line when ready.`;

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      'idle-timeout': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals.join(' ');
  if (values.help || command === '') {
    console.log(USAGE);
    return 0;
  }
  if (command === 'db serve') {
    const { ready, stopped } = await serveEmbeddedStore({
      dataDir: values['data-dir'],
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
