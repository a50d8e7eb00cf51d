/**
 * Where figure 7's durable overhead goes: the same 20-turn run as bench/src/durable.ts with the model
 * answering at once (0 ms), plain and durable interleaved, so the added milliseconds per turn are not
 * hidden in model latency. On PostgreSQL it also counts and times the statements each variant sent
 * (by wrapping pg's Client.query in this process only). Run under `node --cpu-prof` to see which
 * functions take the CPU.
 *
 *   DB=<postgres url, or empty for embedded PGlite in a scratch dir> ROUNDS=10 \
 *     cd bench && node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx experiments/durable-cost.ts
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomUUID } from 'node:crypto';
import { Agent, tool } from '@openai/agents';
import pg from 'pg';
import { z } from 'zod';
import { DurableSession, runAgent } from '../../typescript/src/index.js';
import { leaseDatabase, resolveStoreTarget, type StoreOptions } from '../../typescript/src/store/connect.js';
import { REPO_ROOT, median, shuffled, timed } from '../src/common.js';
import { runnerFor, startScriptedServer } from '../src/agents.js';

process.setSourceMapsEnabled?.(false);

const stepper = new Agent({
  name: 'Durable Stepper',
  instructions: 'You are the Durable Stepper. Record each step with record_step.',
  model: 'gpt-4.1',
  tools: [
    tool({
      name: 'record_step',
      description: 'Records that a step was done.',
      parameters: z.object({ step: z.number().int() }),
      execute: async ({ step }) => `step ${step} done`,
    }),
  ],
});

// Statement counts and times by variant: which round trips the durable run adds.
let variant = 'setup';
const statements = new Map<string, { n: number; ms: number }>();
const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
(pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (this: pg.Client, ...args: unknown[]) {
  const sql = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: string } | undefined)?.text ?? '?');
  const key = `${variant}: ${sql.replace(/\s+/g, ' ').slice(0, 60)}`;
  const start = performance.now();
  const result = query.apply(this, args);
  if (result instanceof Promise) {
    result.then(
      () => {
        const entry = statements.get(key) ?? { n: 0, ms: 0 };
        entry.n += 1;
        entry.ms += performance.now() - start;
        statements.set(key, entry);
      },
      () => undefined,
    );
  }
  return result;
};

const store: StoreOptions = process.env.DB ? { connectionString: process.env.DB } : { pglitePath: join(mkdtempSync(join(tmpdir(), 'durable-cost-')), 'pglite') };
const rounds = Number(process.env.ROUNDS ?? 10);
const lease = await leaseDatabase(resolveStoreTarget(store));
const server = await startScriptedServer(0, `${REPO_ROOT}/spec/scenarios/durable-twenty-steps.json`);
const runner = runnerFor(server.url);
const times = { plain: [] as number[], durable: [] as number[] };
for (let round = -2; round < rounds; round++) {
  for (const current of shuffled(['plain', 'durable'] as const)) {
    variant = current;
    const session = new DurableSession(store);
    const durable = current === 'durable' ? { durable: { runId: `cost-${randomUUID()}`, ...store } } : {};
    const ms = await timed(() => runAgent(stepper, 'Record 20 steps.', session, false, { runner, maxTurns: 30, ...durable }));
    await session.close();
    if (round >= 0) times[current].push(ms / 21);
  }
}
const plain = median(times.plain);
const durable = median(times.durable);
console.log(`${store.connectionString ? 'postgres' : 'embedded'}: per turn plain ${plain.toFixed(2)} ms, durable ${durable.toFixed(2)} ms, added ${(durable - plain).toFixed(2)} ms`);
const runs = rounds + 2;
for (const [key, { n, ms }] of [...statements].sort((a, b) => b[1].ms - a[1].ms)) {
  console.log(`${(n / runs).toFixed(1).padStart(6)} per run, ${(ms / n).toFixed(2).padStart(6)} ms each  ${key}`);
}
await server.close();
await lease.release();
