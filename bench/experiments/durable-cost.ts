/**
 * Where figure 7's durable overhead goes: the same 20-turn run as bench/src/durable.ts, plain and
 * durable interleaved, with the model answering after MODEL_DELAY_MS (0: the added milliseconds per
 * turn are not hidden in model latency; 50: figure 7's setting). It reports how long the run waits
 * on journal appends, what a bare round trip costs right after another one and after 50 ms idle,
 * and on PostgreSQL the statements each variant sent, counted and timed (by wrapping pg's
 * Client.query in this process only). Run under `node --cpu-prof` to see which functions take the CPU.
 *
 *   DB=<postgres url, or empty for embedded PGlite in a scratch dir> ROUNDS=10 MODEL_DELAY_MS=0 \
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
import { RunJournal } from '../../typescript/src/durable/journal.js';
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

// Appends the run waits for (a tool's tool_started, the segment's end): the journal's share of the critical path.
const awaited = { n: 0, ms: 0 };
const append = RunJournal.prototype.append;
RunJournal.prototype.append = async function (this: RunJournal, ...args: Parameters<typeof append>) {
  const start = performance.now();
  try {
    return await append.apply(this, args);
  } finally {
    awaited.n += 1;
    awaited.ms += performance.now() - start;
  }
} as typeof append;

const store: StoreOptions = process.env.DB ? { connectionString: process.env.DB } : { pglitePath: join(mkdtempSync(join(tmpdir(), 'durable-cost-')), 'pglite') };
const rounds = Number(process.env.ROUNDS ?? 10);
const lease = await leaseDatabase(resolveStoreTarget(store));
const server = await startScriptedServer(Number(process.env.MODEL_DELAY_MS ?? 0), `${REPO_ROOT}/spec/scenarios/durable-twenty-steps.json`);
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
console.log(`awaited journal appends: ${(awaited.n / runs).toFixed(1)} per run, ${(awaited.ms / awaited.n).toFixed(2)} ms each`);
for (const [key, { n, ms }] of [...statements].sort((a, b) => b[1].ms - a[1].ms)) {
  console.log(`${(n / runs).toFixed(1).padStart(6)} per run, ${(ms / n).toFixed(2).padStart(6)} ms each  ${key}`);
}

// A round trip right after another one, and one after the process waited as long as the model does:
// the second is what each awaited append pays on a machine whose idle processes and cores sleep.
const roundTrip = async (idleMs: number) => {
  const samples: number[] = [];
  for (let i = 0; i < 40; i++) {
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    samples.push(await timed(() => lease.db.query('SELECT 1')));
  }
  return median(samples).toFixed(2);
};
console.log(`SELECT 1: ${await roundTrip(1)} ms after 1 ms idle, ${await roundTrip(50)} ms after 50 ms idle`);
await server.close();
await lease.release();
