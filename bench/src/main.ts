/**
 * Timestep benchmark (issue 7, TypeScript rows). Run through bench/run.sh,
 * which provides BENCH_WORK (scratch directory), TIMESTEP_BENCH_DB_URL and
 * BENCH_RESULTS. See bench/README.md for what each figure measures.
 */
// Production runs compiled JS on plain Node, without source maps; tsx turns them
// on, which makes every Error (the SDK throws thousands while serialising a
// RunState) several times dearer. Measure what production sees.
process.setSourceMapsEnabled(false);
import { fork, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { RunState, type Runner } from '@openai/agents';
import { RunStateStore } from '../../typescript/src/index.js';
import {
  bareRun,
  benchAgent,
  checkpointedRun,
  runnerFor,
  startScriptedServer,
  type LoopContext,
  type ScriptedServer,
} from './agents.js';
import {
  REPO_ROOT,
  machineInfo,
  median,
  now,
  readText,
  shuffled,
  summarise,
  timed,
  writeDurably,
  type Summary,
} from './common.js';
import { renderMarkdown, type Results, type Row, type Target } from './report.js';

type State = RunState<LoopContext, typeof benchAgent>;
type Store = RunStateStore<LoopContext, typeof benchAgent>;

const QUICK = process.argv.includes('--quick');
const WORK = process.env.BENCH_WORK ?? join(REPO_ROOT, 'bench', '.work', 'run');
const DB_URL = process.env.TIMESTEP_BENCH_DB_URL;
const RESULTS_DIR = process.env.BENCH_RESULTS ?? join(REPO_ROOT, 'bench', 'results');
const BENCH_DIR = join(REPO_ROOT, 'bench');
if (!DB_URL) throw new Error('TIMESTEP_BENCH_DB_URL is not set: run the benchmark with bash bench/run.sh');

/** Sizes and repetition counts; --quick keeps the command's shape but makes everything tiny. */
const CONFIG = QUICK
  ? {
      sizes: { small: 1, medium: 5, large: 20 },
      saveLoad: { warmup: { small: 1, medium: 1, large: 1 }, reps: { small: 3, medium: 3, large: 2 } },
      overhead: { turns: 5, delays: [0, 50], warmup: 1, reps: { 0: 2, 50: 2 } as Record<number, number> },
      bytes: { turns: 20 },
      open: { reps: 1 },
      throughput: { concurrency: [1, 4, 16], durationMs: 300, rounds: 1 },
      server: { largeMegabytes: [1], largeReps: 1, fairReps: 5 },
    }
  : {
      sizes: { small: 1, medium: 20, large: 200 },
      saveLoad: { warmup: { small: 3, medium: 3, large: 1 }, reps: { small: 40, medium: 30, large: 8 } },
      overhead: { turns: 20, delays: [0, 50], warmup: 1, reps: { 0: 15, 50: 12 } as Record<number, number> },
      bytes: { turns: 200 },
      open: { reps: 7 },
      throughput: { concurrency: [1, 4, 16], durationMs: 2000, rounds: 5 },
      server: { largeMegabytes: [1, 8, 32], largeReps: 5, fairReps: 40 },
    };
type SizeName = keyof typeof CONFIG.sizes;
const SIZES = Object.keys(CONFIG.sizes) as SizeName[];

const log = (message: string) => process.stderr.write(`[bench ${(now() / 1000).toFixed(1)}s] ${message}\n`);

// ------------------------------------------------------------------ setup

mkdirSync(WORK, { recursive: true });
const HOST_DIR = join(WORK, 'host-app', 'pglite'); // embedded store this process hosts (figures 1, 2, 3, 5)
const STATES_DIR = join(WORK, 'states');
const FILES_DIR = join(WORK, 'files');
mkdirSync(STATES_DIR, { recursive: true });
mkdirSync(FILES_DIR, { recursive: true });

const pgStore = (runId: string): Store => new RunStateStore({ agent: benchAgent, connectionString: DB_URL, runId });
const hostStore = (runId: string): Store => new RunStateStore({ agent: benchAgent, pglitePath: HOST_DIR, runId });

// Keep one store open on each database for the whole run: the process then
// holds the database (and, for PGlite, hosts it) the way a long-lived app
// does, and the short-lived stores below share it instead of reopening it.
const keepers = [hostStore('keeper'), pgStore('keeper')];

async function sql<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: DB_URL });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

const servers: ScriptedServer[] = [];
const runners = new Map<number, Runner>();
async function runnerWithDelay(delayMs: number): Promise<Runner> {
  let runner = runners.get(delayMs);
  if (!runner) {
    const server = await startScriptedServer(delayMs);
    servers.push(server);
    runner = runnerFor(server.url);
    runners.set(delayMs, runner);
  }
  return runner;
}

const rows: Row[] = [];
const targets: Target[] = [];
const notes: string[] = [];

function ratio(a: number, b: number): number {
  return a / b;
}

// ------------------------------------------------------- states to store

async function makeStates(): Promise<Record<SizeName, { text: string; state: State }>> {
  const runner = await runnerWithDelay(0);
  const out = {} as Record<SizeName, { text: string; state: State }>;
  for (const size of SIZES) {
    const result = await bareRun(runner, CONFIG.sizes[size]);
    const text = result.state.toString();
    writeFileSync(join(STATES_DIR, `${size}.json`), text);
    // Every variant saves an equal object: one parsed from the same text.
    out[size] = { text, state: await RunState.fromString(benchAgent, text) };
    log(`state ${size}: ${CONFIG.sizes[size]} turns, ${text.length} bytes`);
  }
  return out;
}

// ------------------------------------------------- figure 1: save / load

interface Joiner {
  /** One save+load of the state named `name` (a file in STATES_DIR), timed in the joined process. */
  measure(name: string): Promise<{ save: number; load: number }>;
  close(): Promise<void>;
}

async function startJoiner(names: readonly string[] = SIZES): Promise<Joiner> {
  const child = fork(join(BENCH_DIR, 'src', 'joiner.ts'), [HOST_DIR, STATES_DIR, ...names], {
    cwd: BENCH_DIR,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let pending: ((m: any) => void) | null = null;
  const failed = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`joiner exited with ${code}`))),
  );
  failed.catch(() => {});
  child.on('message', (m) => pending?.(m));
  const next = () => Promise.race([new Promise<any>((resolve) => (pending = resolve)), failed]);
  const ready = await next();
  if (!ready.ready) throw new Error(`joiner: ${JSON.stringify(ready)}`);
  return {
    async measure(name) {
      const reply = next();
      child.send({ size: name });
      const m = await reply;
      if (m.error) throw new Error(`joiner: ${m.error}`);
      return m;
    },
    async close() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send('exit');
      await exited;
    },
  };
}

type Variant = 'file' | 'file-nofsync' | 'host' | 'joined' | 'postgres';
const VARIANT_LABEL: Record<Variant, string> = {
  file: 'baseline: toString + write + fsync / read + fromString',
  'file-nofsync': 'reference: same without fsync',
  host: 'embedded PGlite, in-process (host)',
  joined: 'embedded PGlite, second process through the socket',
  postgres: 'PostgreSQL',
};

async function figureSaveLoad(states: Record<SizeName, { text: string; state: State }>) {
  log('figure 1: save and load latency');
  const joiner = await startJoiner();
  const stores = new Map<string, Store>();
  for (const size of SIZES) {
    stores.set(`host-${size}`, hostStore(`bench-saveload-host-${size}-${process.pid}`));
    stores.set(`postgres-${size}`, pgStore(`bench-saveload-pg-${size}-${process.pid}`));
  }
  const samples = new Map<string, { save: number[]; load: number[]; both: number[] }>();
  const variants: Variant[] = ['file', 'file-nofsync', 'host', 'joined', 'postgres'];

  async function once(variant: Variant, size: SizeName): Promise<{ save: number; load: number }> {
    const { state } = states[size];
    switch (variant) {
      case 'file':
      case 'file-nofsync': {
        const path = join(FILES_DIR, `${variant}-${size}.json`);
        const t0 = now();
        if (variant === 'file') await writeDurably(path, state.toString());
        else writeFileSync(path, state.toString());
        const t1 = now();
        await RunState.fromString(benchAgent, await readText(path));
        return { save: t1 - t0, load: now() - t1 };
      }
      case 'joined':
        return joiner.measure(size);
      default: {
        const store = stores.get(`${variant}-${size}`)!;
        const t0 = now();
        await store.save(state);
        const t1 = now();
        await store.load();
        return { save: t1 - t0, load: now() - t1 };
      }
    }
  }

  for (const size of SIZES) {
    const reps = CONFIG.saveLoad.reps[size];
    for (let round = -CONFIG.saveLoad.warmup[size]; round < reps; round++) {
      for (const variant of shuffled(variants)) {
        const { save, load } = await once(variant, size);
        if (round < 0) continue;
        const key = `${variant}/${size}`;
        if (!samples.has(key)) samples.set(key, { save: [], load: [], both: [] });
        const s = samples.get(key)!;
        s.save.push(save);
        s.load.push(load);
        s.both.push(save + load);
      }
    }
    log(`  ${size}: done`);
  }
  await joiner.close();
  for (const store of stores.values()) await store.close();

  for (const size of SIZES) {
    const base = samples.get(`file/${size}`)!;
    for (const variant of variants) {
      const s = samples.get(`${variant}/${size}`)!;
      for (const op of ['save', 'load', 'both'] as const) {
        const value = summarise(s[op]);
        const baseline = summarise(base[op]);
        const id = `saveLoad.${variant}.${size}.${op}`;
        rows.push({
          figure: 1,
          id,
          label: `${size} (${CONFIG.sizes[size]} turn${CONFIG.sizes[size] === 1 ? '' : 's'}, ${fmtBytes(states[size].text.length)}) — ${op === 'both' ? 'save+load' : op} — ${VARIANT_LABEL[variant]}`,
          unit: 'ms',
          value,
          baseline: variant === 'file' ? null : baseline,
          ratio: variant === 'file' ? null : ratio(value.median, baseline.median),
        });
        if (size === 'medium' && op === 'both' && (variant === 'host' || variant === 'joined' || variant === 'postgres')) {
          const limit = variant === 'postgres' ? 2 : 3;
          targets.push({
            id,
            name: `${variant === 'postgres' ? 'PostgreSQL' : `embedded (${variant === 'host' ? 'in-process' : 'socket'})`} save+load of the medium state ≤ ${limit}× file baseline`,
            value: ratio(value.median, baseline.median),
            limit,
            unit: '×',
            pass: ratio(value.median, baseline.median) <= limit,
          });
        }
      }
    }
  }
}

// ------------------------------------- figure 2: per-turn checkpoint overhead

async function figureOverhead() {
  log('figure 2: runAgent with a save after every turn vs bare run()');
  const turns = CONFIG.overhead.turns;
  type V = 'bare' | 'turnByTurn' | 'host' | 'postgres';
  const variants: V[] = ['bare', 'turnByTurn', 'host', 'postgres'];
  const label: Record<V, string> = {
    bare: 'baseline: bare SDK Runner.run, no store',
    turnByTurn: 'runAgent turn by turn (maxTurns = k), no save — cost of driving the run per turn',
    host: 'runAgent turn by turn + RunStateStore.save after every turn, embedded PGlite (in-process)',
    postgres: 'runAgent turn by turn + RunStateStore.save after every turn, PostgreSQL',
  };
  let counter = 0;
  async function once(runner: Runner, variant: V): Promise<{ ms: number; saveMs: number }> {
    if (variant === 'bare') return { ms: await timed(() => bareRun(runner, turns)), saveMs: 0 };
    const store =
      variant === 'host'
        ? hostStore(`bench-overhead-${process.pid}-${counter++}`)
        : variant === 'postgres'
          ? pgStore(`bench-overhead-${process.pid}-${counter++}`)
          : null;
    let saveMs = 0;
    const ms = await timed(() =>
      checkpointedRun(
        runner,
        turns,
        store
          ? async (state) => {
              const t0 = now();
              await store.save(state);
              saveMs += now() - t0;
            }
          : null,
      ),
    );
    await store?.close();
    return { ms, saveMs };
  }

  for (const delay of CONFIG.overhead.delays) {
    const runner = await runnerWithDelay(delay);
    const samples = new Map<V, { ms: number[]; saveMs: number[] }>(variants.map((v) => [v, { ms: [], saveMs: [] }]));
    const reps = CONFIG.overhead.reps[delay];
    for (let round = -CONFIG.overhead.warmup; round < reps; round++) {
      for (const variant of shuffled(variants)) {
        const { ms, saveMs } = await once(runner, variant);
        if (round < 0) continue;
        samples.get(variant)!.ms.push(ms);
        samples.get(variant)!.saveMs.push(saveMs);
      }
    }
    const base = summarise(samples.get('bare')!.ms);
    for (const variant of variants) {
      const value = summarise(samples.get(variant)!.ms);
      const overheadPct = (value.median / base.median - 1) * 100;
      const id = `overhead.${variant}.${delay}ms`;
      rows.push({
        figure: 2,
        id,
        label: `${turns}-turn run, model latency ${delay} ms — ${label[variant]}`,
        unit: 'ms',
        value,
        baseline: variant === 'bare' ? null : base,
        ratio: variant === 'bare' ? null : value.median / base.median,
        extra:
          variant === 'bare'
            ? undefined
            : {
                overheadPct: +overheadPct.toFixed(1),
                ...(variant === 'host' || variant === 'postgres'
                  ? { medianTotalSaveMs: +median(samples.get(variant)!.saveMs).toFixed(1) }
                  : {}),
              },
      });
      if (delay === 50 && (variant === 'host' || variant === 'postgres')) {
        targets.push({
          id,
          name: `runAgent + per-turn checkpoint overhead at 50 ms model latency ≤ 5% (${variant === 'host' ? 'embedded' : 'PostgreSQL'})`,
          value: overheadPct,
          limit: 5,
          unit: '%',
          pass: overheadPct <= 5,
        });
      }
    }
    log(`  ${delay} ms: done`);
  }
}

// ------------------------------------------ figure 3: bytes over a long run

async function figureBytes() {
  log(`figure 3: bytes written over a ${CONFIG.bytes.turns}-turn run checkpointed every turn`);
  const turns = CONFIG.bytes.turns;
  const runner = await runnerWithDelay(0);
  for (const backend of ['postgres', 'host'] as const) {
    const runId = `bench-bytes-${backend}-${process.pid}`;
    const store = backend === 'postgres' ? pgStore(runId) : hostStore(runId);
    const query = async <T>(text: string, params: unknown[] = []): Promise<T[]> => {
      if (backend === 'postgres') return sql<T>(text, params);
      // The embedded store is hosted by this process: ask it through the socket like any client.
      const client = new pg.Client({
        connectionString: `postgresql://postgres@localhost:5432/postgres?host=${encodeURIComponent(`${HOST_DIR}.socket`)}`,
      });
      await client.connect();
      try {
        return (await client.query(text, params)).rows as T[];
      } finally {
        await client.end();
      }
    };
    const sizeQuery = `SELECT pg_total_relation_size('timestep_run_states')::bigint AS rel, pg_current_wal_lsn()::text AS lsn`;
    if (backend === 'postgres') await sql('CHECKPOINT');
    const [before] = await query<{ rel: string; lsn: string }>(sizeQuery);
    const saveTimes: number[] = [];
    // The state's own size at a few versions (measured outside the timed save:
    // with deltas, a row's size is no longer the state's).
    const sampled = (k: number) => [1, Math.round(turns / 4), Math.round(turns / 2), Math.round((3 * turns) / 4), turns].includes(k);
    const stateSizeAt: Record<number, number> = {};
    let version = 0;
    const t0 = now();
    let outside = 0;
    await checkpointedRun(runner, turns, async (state) => {
      const s0 = now();
      await store.save(state);
      saveTimes.push(now() - s0);
      version++;
      if (sampled(version)) {
        const m0 = now();
        stateSizeAt[version] = Buffer.byteLength(state.toString());
        outside += now() - m0;
      }
    });
    const wallMs = now() - t0 - outside;
    const [after] = await query<{ rel: string; lsn: string }>(sizeQuery);
    const [wal] = await query<{ bytes: string }>(`SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::bigint AS bytes`, [
      after.lsn,
      before.lsn,
    ]);
    const perVersion = await query<{ version: number; bytes: number; stored: number; portable_stored: number; full: boolean }>(
      `SELECT version, octet_length(native_state) AS bytes, pg_column_size(native_state) AS stored,
              coalesce(pg_column_size(portable_state), 0) AS portable_stored, state_encoding = 'full' AS full
         FROM timestep_run_states WHERE run_id = $1 ORDER BY version`,
      [runId],
    );
    await store.close();
    const n = perVersion.length;
    const finalBytes = stateSizeAt[n];
    const sum = perVersion.reduce((a, r) => a + r.bytes, 0);
    const storedSum = perVersion.reduce((a, r) => a + r.stored, 0);
    const portableStoredSum = perVersion.reduce((a, r) => a + Number(r.portable_stored), 0);
    const relGrowth = Number(after.rel) - Number(before.rel);
    const cumulative = (k: number) => perVersion.slice(0, k).reduce((a, r) => a + r.bytes, 0);
    const half = Math.floor(n / 2);
    const growth = {
      versions: n,
      fullVersions: perVersion.filter((r) => r.full).map((r) => r.version),
      finalStateBytes: finalBytes,
      sumNativeStateBytes: sum,
      sumStoredBytes: storedSum,
      sumPortableStoredBytes: portableStoredSum,
      tableGrowthBytes: relGrowth,
      walBytes: Number(wal.bytes),
      stateBytesPerTurn: Math.round((stateSizeAt[n] - stateSizeAt[1]) / Math.max(1, n - 1)),
      cumulativeDoublingFactor: +(cumulative(n) / cumulative(half)).toFixed(2),
      sizeAtVersion: stateSizeAt,
      cumulativeAtVersion: Object.fromEntries(
        [Math.round(n / 4), Math.round(n / 2), Math.round((3 * n) / 4), n].map((v) => [v, cumulative(v)]),
      ),
      saveMsAtVersion: Object.fromEntries(Object.keys(stateSizeAt).map((v) => [v, +saveTimes[Number(v) - 1].toFixed(1)])),
      runWallMs: Math.round(wallMs),
      totalSaveMs: Math.round(saveTimes.reduce((a, b) => a + b, 0)),
    };
    const label = backend === 'postgres' ? 'PostgreSQL' : 'embedded PGlite';
    const measured: Array<[string, string, number]> = [
      ['tableGrowth', `${label}: growth of pg_total_relation_size(timestep_run_states) (heap + TOAST, compressed, + indexes)`, relGrowth],
      ['wal', `${label}: WAL written (pg_current_wal_lsn difference)`, Number(wal.bytes)],
      ['nativeState', `${label}: sum of octet_length(native_state) over the run's versions (full versions and deltas, uncompressed)`, sum],
      ['portableStored', `${label}: sum of pg_column_size(portable_state) (the portable copy, as stored)`, portableStoredSum],
    ];
    for (const [key, text, bytes] of measured) {
      rows.push({
        figure: 3,
        id: `bytes.${backend}.${key}`,
        label: `${turns}-turn run, ${n} checkpoints — ${text}`,
        unit: 'bytes',
        value: single(bytes),
        baseline: single(finalBytes),
        ratio: bytes / finalBytes,
        extra: key === 'tableGrowth' ? growth : undefined,
      });
    }
    targets.push({
      id: `bytes.${backend}.tableGrowth`,
      name: `${label}: bytes stored over ${turns} turns ≤ 3× final state size (table growth)`,
      value: relGrowth / finalBytes,
      limit: 3,
      unit: '×',
      pass: relGrowth / finalBytes <= 3,
    });
    log(`  ${backend}: ${fmtBytes(relGrowth)} table growth for a ${fmtBytes(finalBytes)} final state`);
  }
}

function single(value: number): Summary {
  return { n: 1, median: value, p95: value, min: value, max: value };
}

// ------------------------------------------ figure 4: opening the embedded store

function runChild(args: string[]): Promise<{ wallMs: number; importMs: number; openMs: number; closeMs?: number }> {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const child = spawn(process.execPath, ['--import', 'tsx', join(BENCH_DIR, 'src', 'openChild.ts'), ...args], {
      cwd: BENCH_DIR,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.once('exit', (code) => {
      const wallMs = now() - t0;
      if (code !== 0) return reject(new Error(`open child ${args.join(' ')} exited ${code}: ${out}`));
      resolve({ wallMs, ...JSON.parse(out.trim().split('\n').at(-1)!) });
    });
  });
}

async function figureOpen(states: Record<SizeName, { text: string }>) {
  log('figure 4: opening the embedded store in a fresh process');
  const warmDir = join(WORK, 'warm-app', 'pglite');
  const smallFile = join(FILES_DIR, 'open-small.json');
  await writeDurably(smallFile, states.small.text);
  type V = 'first' | 'warm' | 'join' | 'postgres' | 'file';
  const variants: V[] = ['first', 'warm', 'join', 'postgres', 'file'];
  const label: Record<V, string> = {
    first: 'embedded, first use in a fresh app directory (unpack the pre-initialised data directory, start PGlite, migration check)',
    warm: 'embedded, warm (existing directory, no other process): lock, start PGlite, migrate check, serve socket',
    join: 'embedded, joining a live host through its socket',
    postgres: 'reference: PostgreSQL store (connect + migrate check)',
    file: 'baseline: file checkpointer (read + parse the small state)',
  };
  let fresh = 0;
  async function once(variant: V) {
    switch (variant) {
      case 'first': {
        const dir = join(WORK, `first-${fresh++}`);
        const r = await runChild(['pglite', join(dir, 'pglite')]);
        rmSync(dir, { recursive: true, force: true });
        return r;
      }
      case 'warm':
        return runChild(['pglite', warmDir]);
      case 'join':
        return runChild(['pglite', HOST_DIR]);
      case 'postgres':
        return runChild(['postgres', DB_URL!]);
      case 'file':
        return runChild(['file', smallFile]);
    }
  }
  const samples = new Map<V, { open: number[]; wall: number[]; import: number[]; close: number[] }>(
    variants.map((v) => [v, { open: [], wall: [], import: [], close: [] }]),
  );
  const record = (variant: V, r: Awaited<ReturnType<typeof runChild>>) => {
    const s = samples.get(variant)!;
    s.open.push(r.openMs);
    s.wall.push(r.wallMs);
    s.import.push(r.importMs);
    if (r.closeMs !== undefined) s.close.push(r.closeMs);
  };
  if (!QUICK) await runChild(['file', smallFile]); // warm tsx's transform cache (not recorded)
  // The first first-use measurement creates the directory the warm opens then reuse.
  record('first', await runChild(['pglite', warmDir]));
  for (let round = 0; round < CONFIG.open.reps; round++) {
    for (const variant of shuffled(variants)) {
      if (variant === 'first' && round === CONFIG.open.reps - 1) continue; // already have one extra
      record(variant, await once(variant));
    }
  }
  const base = summarise(samples.get('file')!.open);
  for (const variant of variants) {
    const s = samples.get(variant)!;
    const value = summarise(s.open);
    const id = `open.${variant}`;
    rows.push({
      figure: 4,
      id,
      label: label[variant],
      unit: 'ms',
      value,
      baseline: variant === 'file' ? null : base,
      ratio: variant === 'file' ? null : value.median / base.median,
      extra: {
        processWallMedianMs: Math.round(median(s.wall)),
        importMedianMs: Math.round(median(s.import)),
        ...(s.close.length ? { closeMedianMs: Math.round(median(s.close)) } : {}),
      },
    });
  }
  const first = summarise(samples.get('first')!.open);
  const warm = summarise(samples.get('warm')!.open);
  targets.push({ id: 'open.warm', name: 'warm open of the embedded store ≤ 300 ms', value: warm.median, limit: 300, unit: 'ms', pass: warm.median <= 300 });
  targets.push({ id: 'open.first', name: 'first-ever open of the embedded store ≤ 1.5 s', value: first.median, limit: 1500, unit: 'ms', pass: first.median <= 1500 });
}

// ------------------------------------------ figure 5: throughput

async function figureThroughput(states: Record<SizeName, { state: State }>) {
  log('figure 5: checkpoints per second with concurrent runs');
  const state = states.medium.state;
  type B = 'file' | 'postgres' | 'host';
  const backends: B[] = ['file', 'postgres', 'host'];
  const label: Record<B, string> = {
    file: 'baseline: file checkpoints (toString + write + fsync, one file per run)',
    postgres: 'PostgreSQL (one RunStateStore per run, one pg pool of 10 per process)',
    host: 'reference: embedded PGlite, in-process host',
  };
  let seq = 0;
  async function round(backend: B, concurrency: number) {
    const tag = `${process.pid}-${seq++}`;
    const stores =
      backend === 'file'
        ? []
        : Array.from({ length: concurrency }, (_, i) =>
            backend === 'postgres' ? pgStore(`bench-tp-${tag}-${i}`) : hostStore(`bench-tp-${tag}-${i}`),
          );
    // one warm-up checkpoint per run, outside the timing
    await Promise.all(
      Array.from({ length: concurrency }, (_, i) =>
        backend === 'file' ? writeDurably(join(FILES_DIR, `tp-${i}.json`), state.toString()) : stores[i].save(state),
      ),
    );
    const latencies: number[] = [];
    const deadline = now() + CONFIG.throughput.durationMs;
    const t0 = now();
    await Promise.all(
      Array.from({ length: concurrency }, async (_, i) => {
        while (now() < deadline) {
          const s0 = now();
          if (backend === 'file') await writeDurably(join(FILES_DIR, `tp-${i}.json`), state.toString());
          else await stores[i].save(state);
          latencies.push(now() - s0);
        }
      }),
    );
    const elapsed = now() - t0;
    for (const store of stores) await store.close();
    return { perSecond: (latencies.length * 1000) / elapsed, latencies };
  }
  const samples = new Map<string, { perSecond: number[]; latencies: number[] }>();
  for (let r = 0; r < CONFIG.throughput.rounds; r++) {
    const combos = backends.flatMap((b) => CONFIG.throughput.concurrency.map((c) => [b, c] as const));
    for (const [backend, concurrency] of shuffled(combos)) {
      const result = await round(backend, concurrency);
      const key = `${backend}/${concurrency}`;
      if (!samples.has(key)) samples.set(key, { perSecond: [], latencies: [] });
      samples.get(key)!.perSecond.push(result.perSecond);
      samples.get(key)!.latencies.push(...result.latencies);
    }
  }
  for (const concurrency of CONFIG.throughput.concurrency) {
    const base = samples.get(`file/${concurrency}`)!;
    for (const backend of backends) {
      const s = samples.get(`${backend}/${concurrency}`)!;
      const value = summarise(s.perSecond);
      const baseline = summarise(base.perSecond);
      // For a rate the bad tail is the low end: report the 5th percentile as "p95".
      const low = (v: Summary, xs: number[]) => ({ ...v, p95: [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil(xs.length * 0.05) - 1)] });
      rows.push({
        figure: 5,
        id: `throughput.${backend}.${concurrency}`,
        label: `${concurrency} concurrent run${concurrency > 1 ? 's' : ''}, medium state (${fmtBytes(state.toString().length)}) — ${label[backend]}`,
        unit: 'checkpoints/s',
        value: low(value, s.perSecond),
        baseline: backend === 'file' ? null : low(baseline, base.perSecond),
        ratio: backend === 'file' ? null : value.median / baseline.median,
        extra: { latencyMs: roundSummary(summarise(s.latencies)) },
      });
    }
  }
}

function roundSummary(s: Summary) {
  return { n: s.n, median: +s.median.toFixed(2), p95: +s.p95.toFixed(2) };
}

function fmtBytes(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

// ------------------------------------------- figure 6: the embedded store's socket server

/** A RunState of about `megabytes` MB: the small state with a payload of records in its context. */
function largeStateText(smallText: string, megabytes: number): string {
  const json = JSON.parse(smallText);
  const record = (index: number) => ({ index, note: `record ${index} of a large application context`, tags: ['a', 'b', 'c'] });
  const perRecord = JSON.stringify(record(100000)).length + 1;
  json.context.context.payload = Array.from({ length: Math.round((megabytes * 1e6) / perRecord) }, (_, index) => record(index));
  return JSON.stringify(json);
}

async function figureServer(states: Record<SizeName, { text: string; state: State }>) {
  log('figure 6: the embedded store\'s socket server: large states, fair turns');
  const large = CONFIG.server.largeMegabytes.map((megabytes) => {
    const name = `large-${megabytes}MB`;
    const text = largeStateText(states.small.text, megabytes);
    writeFileSync(join(STATES_DIR, `${name}.json`), text);
    return { name, megabytes, text };
  });
  const joiner = await startJoiner([...large.map((state) => state.name), 'small']);

  // Large states: a second process through the socket vs PostgreSQL, interleaved.
  for (const { name, megabytes, text } of large) {
    const state = (await RunState.fromString(benchAgent, text)) as State;
    const pgLarge = pgStore(`bench-${name}-${process.pid}`);
    const samples = { joined: [] as number[], postgres: [] as number[] };
    for (let round = -1; round < CONFIG.server.largeReps; round++) {
      for (const variant of shuffled(['joined', 'postgres'] as const)) {
        let ms: number;
        if (variant === 'joined') {
          const { save, load } = await joiner.measure(name);
          ms = save + load;
        } else {
          const t0 = now();
          await pgLarge.save(state);
          await pgLarge.load();
          ms = now() - t0;
        }
        if (round >= 0) samples[variant].push(ms);
      }
    }
    await pgLarge.close();
    const value = summarise(samples.joined);
    const baseline = summarise(samples.postgres);
    const id = `server.large.${megabytes}MB.both`;
    rows.push({
      figure: 6,
      id,
      label: `${fmtBytes(text.length)} state — save+load — second process through the socket (baseline: PostgreSQL)`,
      unit: 'ms',
      value,
      baseline,
      ratio: ratio(value.median, baseline.median),
    });
    targets.push({
      id,
      name: `embedded (socket) save+load of a ${megabytes} MB state ≤ 3× PostgreSQL`,
      value: ratio(value.median, baseline.median),
      limit: 3,
      unit: '×',
      pass: ratio(value.median, baseline.median) <= 3,
    });
    log(`  ${name}: done`);
  }

  // Fair turns: the joined process's save+load of the small state while this
  // process (the host) saves the medium state back to back, vs while it is idle.
  const idle: number[] = [];
  const busy: number[] = [];
  for (let round = 0; round < CONFIG.server.fairReps; round++) {
    const { save, load } = await joiner.measure('small');
    idle.push(save + load);
  }
  const host = hostStore(`bench-busy-host-${process.pid}`);
  let hostSaves = 0;
  let hostBusy = true;
  const hostLoop = (async () => {
    while (hostBusy) {
      await host.save(states.medium.state);
      hostSaves++;
    }
  })();
  for (let round = 0; round < CONFIG.server.fairReps; round++) {
    const { save, load } = await joiner.measure('small');
    busy.push(save + load);
  }
  hostBusy = false;
  await hostLoop;
  await host.close();
  await joiner.close();
  const value = summarise(busy);
  const baseline = summarise(idle);
  rows.push({
    figure: 6,
    id: 'server.fairTurns.joined.small.both',
    label: `second process's save+load of the small state while the host saves the medium state back to back (baseline: host idle)`,
    unit: 'ms',
    value,
    baseline,
    ratio: ratio(value.median, baseline.median),
    extra: { hostSaves, joinedSaves: busy.length },
  });
  log(`  fair turns: host saved ${hostSaves} times while the joined process saved ${busy.length} times`);
}

// ------------------------------------------------------------------ main

async function main() {
  const started = now();
  const [{ version: postgresVersion }] = await sql<{ version: string }>("SELECT current_setting('server_version') AS version");
  const [{ fsync, synchronous_commit }] = await sql<{ fsync: string; synchronous_commit: string }>(
    `SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS synchronous_commit`,
  );
  notes.push(`PostgreSQL: a throwaway cluster with default settings unless TIMESTEP_BENCH_DB_URL was given; here fsync=${fsync}, synchronous_commit=${synchronous_commit}, on the same disk as the baseline's files.`);
  notes.push(
    'Embedded PGlite (0.5.14, Node filesystem) issues no fsync/fdatasync at all (checked with strace while writing this benchmark: 0 calls over 10 commits): ' +
      'its commits survive a process crash but not a power loss or kernel crash, while the file baseline and PostgreSQL do fsync. ' +
      'The "same without fsync" reference row shows what the baseline costs on equal terms.',
  );
  notes.push(
    'Source maps are off in the benchmark processes (they run TypeScript through tsx, which turns them on): with them on, every Error costs more, ' +
      'and @openai/agents 0.20.0 creates thousands of them inside RunState.toJSON/fromString (see README, "What the numbers show").',
  );
  // Open both databases before any timing (PGlite's first open runs initdb: overlap it with making the states).
  const [states] = await Promise.all([makeStates(), ...keepers.map((keeper) => keeper.history())]);

  // --quick is a smoke test whose numbers are not read: there figure 4's child
  // processes (two initdbs' worth of CPU) run alongside the other figures so that
  // the command stays well under a minute. A full run measures one thing at a time.
  const opening = QUICK ? figureOpen(states) : null;
  await figureSaveLoad(states);
  await figureOverhead();
  await figureBytes();
  if (opening) await opening;
  else await figureOpen(states);
  await figureThroughput(states);
  await figureServer(states);

  for (const keeper of keepers) await keeper.close();
  for (const server of servers) await server.close();

  const results: Results = {
    schema: 1,
    quick: QUICK,
    machine: machineInfo(postgresVersion),
    config: CONFIG,
    durationSeconds: Math.round((now() - started) / 1000),
    targets,
    rows,
    notes,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const markdown = renderMarkdown(results, RESULTS_DIR); // also fills the rows' Python slots
  writeFileSync(join(RESULTS_DIR, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(RESULTS_DIR, 'latest.md'), markdown);
  log(`wrote ${join(RESULTS_DIR, 'latest.md')} and latest.json`);
  for (const t of targets) log(`  ${t.pass ? 'PASS' : 'MISS'}  ${t.name}: ${t.value.toFixed(t.unit === 'ms' ? 0 : 2)} ${t.unit}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
