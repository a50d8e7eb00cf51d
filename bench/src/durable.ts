/**
 * Figure 7, durable mode (TypeScript): per-turn overhead of
 * `runAgent(…, { durable: { runId } })` against the same run without it, at
 * 50 ms model latency, on embedded PGlite and PostgreSQL; the time to resume a
 * finished run (everything replayed from the journal); and the journal's bytes
 * per turn against the items the turn added to the session.
 *
 *   tsx bench/src/durable.ts [--quick]   (bench/run.sh runs it; env: TIMESTEP_BENCH_DB_URL, BENCH_WORK, BENCH_RESULTS)
 *
 * Writes <BENCH_RESULTS>/durable-latest.json (shape: src/durableResults.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Agent, tool, type Runner } from '@openai/agents';
import { z } from 'zod';
import { DurableSession, runAgent } from '../../typescript/src/index.js';
import { leaseDatabase, resolveStoreTarget, type StoreOptions } from '../../typescript/src/store/connect.js';
import { REPO_ROOT, machineInfo, shuffled, timed } from './common.js';
import { runnerFor, startScriptedServer } from './agents.js';
import { bytesRow, overheadRow, type DurableResults, type ItemSize, type JournalRowSize } from './durableResults.js';

// Source maps off, as in production (see main.ts and the README's Method).
process.setSourceMapsEnabled?.(false);

const QUICK = process.argv.includes('--quick');
const DELAY_MS = 50;
const WARMUP = QUICK ? 0 : 2;
const ROUNDS = QUICK ? 1 : 20;
const SCENARIO = `${REPO_ROOT}/spec/scenarios/durable-twenty-steps.json`;
const INPUT = 'Record 20 steps.';
const MODEL_CALLS = 21; // 20 tool calls, one per model call, then the answer
const FINAL = 'All 20 steps are recorded.';

const log = (message: string) => console.error(`[bench durable] ${message}`);

/** The agent of the scenario: `record_step` twenty times (no side effect beyond its result). */
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

async function run(runner: Runner, store: StoreOptions, session: DurableSession, runId: string | null): Promise<void> {
  const result = await runAgent(stepper, INPUT, session, false, {
    runner,
    maxTurns: 30,
    ...(runId ? { durable: { runId, ...store } } : {}),
  });
  if (result.finalOutput !== FINAL) throw new Error(`bench durable run went wrong: ${String(result.finalOutput)}`);
}

async function main(): Promise<void> {
  const started = Date.now();
  const dbUrl = process.env.TIMESTEP_BENCH_DB_URL;
  if (!dbUrl) throw new Error('TIMESTEP_BENCH_DB_URL is not set (bench/run.sh provides one)');
  const work = process.env.BENCH_WORK ?? join('/tmp', `timestep-bench-durable-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const results = process.env.BENCH_RESULTS ?? join(REPO_ROOT, 'bench', 'results');
  const stores: Array<{ name: 'embedded' | 'postgres'; options: StoreOptions }> = [
    { name: 'embedded', options: { pglitePath: join(work, 'durable-pglite') } },
    { name: 'postgres', options: { connectionString: dbUrl } },
  ];
  // Held for the whole benchmark: the embedded store stays open in this process (as in a long-lived
  // app), so no run pays PGlite's start; also used to read the journal's sizes.
  const leases = await Promise.all(stores.map((s) => leaseDatabase(resolveStoreTarget(s.options))));
  const server = await startScriptedServer(DELAY_MS, SCENARIO);
  const runner = runnerFor(server.url);
  const postgresVersion = (await leases[1].db.query<{ v: string }>("SELECT current_setting('server_version') AS v"))[0]?.v ?? null;
  try {
    const samples = stores.map(() => ({ plain: [] as number[], durable: [] as number[], replay: [] as number[] }));
    const lastRun = stores.map(() => ({ runId: '', sessionId: '' }));
    for (let round = -WARMUP; round < ROUNDS; round++) {
      for (const [index, store] of shuffled([...stores.entries()])) {
        for (const variant of shuffled(['plain', 'durable'] as const)) {
          const session = new DurableSession(store.options);
          const runId = variant === 'durable' ? `bench-durable-${randomUUID()}` : null;
          const elapsed = await timed(() => run(runner, store.options, session, runId));
          let replay = NaN;
          // Resuming the finished run right after it: the whole run is answered from its journal.
          if (runId) replay = await timed(() => run(runner, store.options, session, runId));
          await session.close();
          if (round < 0) continue;
          samples[index][variant].push(elapsed);
          if (runId) {
            samples[index].replay.push(replay);
            lastRun[index] = { runId, sessionId: await session.getSessionId() };
          }
        }
      }
      log(`round ${round + 1}/${ROUNDS} done`);
    }

    // Reference for reading the overhead: one committed transaction that writes WAL (txid_current() takes a
    // transaction id, so its commit is flushed, as a journal append's is), round trip included: back to back,
    // and after the idle wait of a turn's model call, as the turn's awaited append comes.
    const commits: Array<{ commitMs: number[]; commitAfterIdleMs: number[] }> = [];
    for (const lease of leases) {
      const warm: number[] = [];
      const afterIdle: number[] = [];
      for (let i = 0; i < (QUICK ? 5 : 100); i++) {
        warm.push(await timed(() => lease.db.query('SELECT txid_current()')));
        await new Promise((resolve) => setTimeout(resolve, DELAY_MS));
        afterIdle.push(await timed(() => lease.db.query('SELECT txid_current()')));
      }
      commits.push({ commitMs: warm, commitAfterIdleMs: afterIdle });
    }
    const overhead = stores.map((s, i) => ({ store: s.name, modelCalls: MODEL_CALLS, samples: samples[i], ...commits[i] }));
    const bytes: DurableResults['bytes'] = [];
    for (const [i, s] of stores.entries()) {
      const db = leases[i].db;
      const journal = (
        await db.query<{ kind: string; key: string | null; text: number; stored: number }>(
          `SELECT kind, key, octet_length(body::text)::int AS text, pg_column_size(body)::int AS stored
             FROM timestep_run_journal WHERE run_id = $1 ORDER BY seq`,
          [lastRun[i].runId],
        )
      ).map((r): JournalRowSize => ({ kind: r.kind, key: r.key, text: Number(r.text), stored: Number(r.stored) }));
      const itemRows = await db.query<{ type: string | null; call_id: string | null; text: number; stored: number; native: number | null }>(
        `SELECT item->>'type' AS type, item->>'call_id' AS call_id, octet_length(item::text)::int AS text,
                pg_column_size(item)::int AS stored, octet_length(native_item::text)::int AS native
           FROM timestep_session_items WHERE session_id = $1 ORDER BY id`,
        [lastRun[i].sessionId],
      );
      const items = itemRows.map((r): ItemSize => ({ type: r.type ?? 'message', callId: r.call_id, text: Number(r.text), stored: Number(r.stored) }));
      const native = itemRows.reduce((a, r) => a + Number(r.native ?? 0), 0);
      bytes.push({ store: s.name, journal, items, nativeItemText: native });
    }

    const out: DurableResults = {
      schema: 1,
      language: 'typescript',
      quick: QUICK,
      machine: machineInfo(postgresVersion),
      config: { modelDelayMs: DELAY_MS, modelCalls: MODEL_CALLS, warmupRounds: WARMUP, rounds: ROUNDS },
      durationSeconds: Math.round((Date.now() - started) / 1000),
      overhead,
      bytes,
      notes: [
        'Embedded PGlite is hosted by the benchmark process (opened once, before the first round); PostgreSQL is TIMESTEP_BENCH_DB_URL.',
        'The machine is shared (2 cores, other test runs going on): compare the paired spread with the overhead before reading a few percent.',
      ],
    };
    mkdirSync(results, { recursive: true });
    writeFileSync(join(results, 'durable-latest.json'), `${JSON.stringify(out, null, 2)}\n`);
    for (const o of overhead.map((raw) => overheadRow(raw.store, raw.modelCalls, raw.samples))) {
      log(`${o.store}: plain ${(o.plain.median / MODEL_CALLS).toFixed(2)} ms/turn, durable ${(o.durable.median / MODEL_CALLS).toFixed(2)} ms/turn, overhead ${o.overheadPct.toFixed(1)}%, replay ${o.replay.median.toFixed(0)} ms`);
    }
    for (const b of bytes.map((raw) => bytesRow(raw.store, raw.journal, raw.items, raw.nativeItemText))) log(`${b.store}: journal/items per turn ${b.medianTurnRatio.toFixed(2)}x (all-in ${b.allInRatio.toFixed(2)}x)`);
  } finally {
    await server.close();
    await Promise.all(leases.map((l) => l.release()));
  }
}

await main();
