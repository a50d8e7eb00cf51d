/**
 * Experiment behind the README's recommendations for figure 2 (not part of run.sh):
 * a 20-turn run at a given model latency, checkpointed every turn four ways,
 * interleaved with the bare SDK run:
 *   storeSave       RunStateStore.save (the product as it is)
 *   fullNoReparse   the same row written by one autocommitted INSERT, nothing re-parsed
 *   delta           incremental: only the items and model responses new since the last checkpoint
 *   deltaPipelined  delta, with the INSERT overlapping the next model call (awaited before the next checkpoint)
 * The delta variants read the SDK's private fields: they emulate a design, they are not one.
 *
 *   DB=postgresql://… typescript/node_modules/.bin/tsx bench/experiments/checkpoint-fixes.ts [delayMs]
 */
process.setSourceMapsEnabled(false);
import { createHash } from 'node:crypto';
import pg from 'pg';
import { RunStateStore } from '../../typescript/src/index.js';
import { bareRun, benchAgent, checkpointedRun, runnerFor, startScriptedServer, type LoopContext } from '../src/agents.js';
import { median, shuffled, timed } from '../src/common.js';

const delay = Number(process.argv[2] ?? 50);
const turns = 20;
const dbUrl = process.env.DB;
if (!dbUrl) throw new Error('set DB to a PostgreSQL URL');
const server = await startScriptedServer(delay);
const runner = runnerFor(server.url);
const pool = new pg.Pool({ connectionString: dbUrl, max: 2 });
await pool.query('CREATE TABLE IF NOT EXISTS bench_delta (run_id text, version int, items text, PRIMARY KEY (run_id, version))');
const keeper = new RunStateStore({ agent: benchAgent, connectionString: dbUrl, runId: 'keeper' });
await keeper.history();
let n = 0;
const newRunId = () => `fx-${process.pid}-${n++}`;

function deltaOf(cursor: { items: number; responses: number }, state: any): string {
  const newItems = state._generatedItems.slice(cursor.items).map((item: any) => item.toJSON());
  const newResponses = state._modelResponses.slice(cursor.responses);
  cursor.items = state._generatedItems.length;
  cursor.responses = state._modelResponses.length;
  return JSON.stringify({ turn: state._currentTurn, newItems, newResponses });
}

const variants: Record<string, () => Promise<unknown>> = {
  bare: () => bareRun(runner, turns),
  storeSave: async () => {
    const store = new RunStateStore<LoopContext, typeof benchAgent>({ agent: benchAgent, connectionString: dbUrl, runId: newRunId() });
    await checkpointedRun(runner, turns, (state) => store.save(state));
    await store.close();
  },
  fullNoReparse: async () => {
    const id = newRunId();
    let version = 0;
    await checkpointedRun(runner, turns, async (state) => {
      const text = JSON.stringify(state.toJSON());
      await pool.query(
        `INSERT INTO timestep_run_states (run_id, version, status, sdk_name, sdk_version, sdk_schema_version, native_state, native_sha256)
         VALUES ($1, $2, 'checkpoint', '@openai/agents', '0.20.0', 'x', $3, $4)`,
        [id, ++version, text, createHash('sha256').update(text).digest('hex')],
      );
    });
  },
  delta: async () => {
    const id = newRunId();
    const cursor = { items: 0, responses: 0 };
    let version = 0;
    await checkpointedRun(runner, turns, async (state) => {
      await pool.query('INSERT INTO bench_delta VALUES ($1, $2, $3)', [id, ++version, deltaOf(cursor, state)]);
    });
  },
  deltaPipelined: async () => {
    const id = newRunId();
    const cursor = { items: 0, responses: 0 };
    let version = 0;
    let pending: Promise<unknown> = Promise.resolve();
    await checkpointedRun(runner, turns, async (state) => {
      await pending;
      pending = pool.query('INSERT INTO bench_delta VALUES ($1, $2, $3)', [id, ++version, deltaOf(cursor, state)]);
    });
    await pending;
  },
};

const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (let round = 0; round < 11; round++) {
  for (const name of shuffled(Object.keys(variants))) {
    const ms = await timed(variants[name]);
    if (round > 0) samples[name].push(ms); // round 0 is warm-up
  }
}
const base = median(samples.bare);
for (const [name, xs] of Object.entries(samples)) {
  console.log(`${delay} ms  ${name.padEnd(15)} ${median(xs).toFixed(0)} ms  ${((median(xs) / base - 1) * 100).toFixed(1)}%`);
}
await pool.query('DROP TABLE bench_delta');
await pool.end();
await keeper.close();
await server.close();
