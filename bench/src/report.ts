/**
 * Results: the JSON shape (bench/results/latest.json) and its Markdown
 * rendering (latest.md). Python figures are slots: a Python benchmark writes
 * bench/results/python-latest.json as `{ machine?, rows: Row[], targets: Target[] }`
 * with the same row and target ids, and its numbers fill the Python columns.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Summary } from './common.js';
import { durableSection, durableTargets } from './durableResults.js';

export interface Row {
  figure: 1 | 2 | 3 | 4 | 5 | 6;
  /** Stable id, shared with the Python rows, e.g. saveLoad.host.medium.both. */
  id: string;
  label: string;
  unit: string;
  value: Summary;
  /** The baseline measured in the same run, interleaved (null for the baseline row itself). */
  baseline: Summary | null;
  /** value.median / baseline.median */
  ratio: number | null;
  extra?: Record<string, unknown>;
  /** Slot for the Python figure of the same id; filled from python-latest.json when present. */
  python?: { value: Summary; baseline: Summary | null; ratio: number | null } | null;
}

export interface Target {
  id: string;
  name: string;
  value: number;
  limit: number;
  unit: string;
  pass: boolean;
  python?: { value: number; pass: boolean } | null;
}

export interface Results {
  schema: 1;
  quick: boolean;
  machine: Record<string, any>;
  config: unknown;
  durationSeconds: number;
  targets: Target[];
  rows: Row[];
  notes: string[];
}

/** Fills the Python slots from python-latest.json (or marks them empty); returns the file used, if any. */
export function attachPython(results: Results, dir: string): string | null {
  const path = join(dir, 'python-latest.json');
  for (const row of results.rows) row.python ??= null;
  for (const target of results.targets) target.python ??= null;
  if (!existsSync(path)) return null;
  const python = JSON.parse(readFileSync(path, 'utf8')) as { rows?: Row[]; targets?: Target[]; machine?: any };
  const rows = new Map((python.rows ?? []).map((r) => [r.id, r]));
  const targets = new Map((python.targets ?? []).map((t) => [t.id, t]));
  for (const row of results.rows) {
    const p = rows.get(row.id);
    if (p) row.python = { value: p.value, baseline: p.baseline, ratio: p.ratio };
  }
  for (const target of results.targets) {
    const p = targets.get(target.id);
    if (p) target.python = { value: p.value, pass: p.pass };
  }
  return path;
}

/** Rows and targets of python-latest.json that have no TypeScript counterpart (e.g. the spawn-per-query baseline). */
function pythonOnly(results: Results, file: string | null): { rows: Row[]; targets: Target[]; stateBytes: Record<string, number> } {
  if (!file) return { rows: [], targets: [], stateBytes: {} };
  const python = JSON.parse(readFileSync(file, 'utf8')) as { rows?: Row[]; targets?: Target[]; stateBytes?: Record<string, number> };
  const rowIds = new Set(results.rows.map((r) => r.id));
  const targetIds = new Set(results.targets.map((t) => t.id));
  return {
    rows: (python.rows ?? []).filter((r) => !rowIds.has(r.id)),
    targets: (python.targets ?? []).filter((t) => !targetIds.has(t.id)),
    stateBytes: python.stateBytes ?? {},
  };
}

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const medP95 = (s: Summary | null | undefined, f = ms) => (s ? `${f(s.median)} (${f(s.p95)})` : '—');
const x = (r: number | null | undefined) => (r === null || r === undefined ? '—' : `${r.toFixed(2)}×`);
const bytes = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n} B`);
const SLOT = '*slot*';

function table(head: string[], body: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function renderMarkdown(results: Results, dir: string): string {
  const pythonFile = attachPython(results, dir);
  const pyOnly = pythonOnly(results, pythonFile);
  const m = results.machine;
  const byId = new Map(results.rows.map((r) => [r.id, r]));
  const out: string[] = [];
  out.push(`# Timestep benchmark${results.quick ? ' (--quick: tiny sizes, a smoke test; do not read the numbers)' : ''}`);
  out.push('');
  out.push(`Produced by \`bash bench/run.sh${results.quick ? ' --quick' : ''}\` in ${results.durationSeconds} s. What each figure means: \`bench/README.md\`.`);
  out.push('');
  out.push(
    table(
      ['machine', ''],
      [
        ['date', m.date],
        ['CPU', `${m.cpuModel}, ${m.cores} cores`],
        ['memory', `${m.memoryGiB} GiB`],
        ['kernel', m.kernel ?? '?'],
        ['Node.js', m.node],
        ['Python', m.python ?? '—'],
        ['SDKs', Object.entries(m.sdk).map(([k, v]) => `${k} ${v ?? '—'}`).join(', ')],
        ['PostgreSQL', `${m.postgres ?? '?'}`],
        ['commit', `${m.gitCommit ?? '?'}${m.uncommitted?.length ? ` + uncommitted changes in ${m.uncommitted.length} file(s) of typescript/src or spec (listed in latest.json)` : m.gitDirty ? ' + uncommitted changes' : ''}`],
        ['sources', m.sourceDigest ? `sha256 ${String(m.sourceDigest).slice(0, 16)}… of the snapshot measured` : '—'],
      ],
    ),
  );
  out.push('');
  out.push('Every time is the **median (p95)** in milliseconds over repeated runs after warm-up; every baseline was measured');
  out.push('in the same run, interleaved with the variant in random order; ratio = median / baseline median.');
  out.push(`Python columns are slots for the Python package's rows (${pythonFile ? `filled from \`${pythonFile.replace(/.*\/bench\//, 'bench/')}\`` : 'not measured yet: see bench/README.md'}).`);
  out.push('');

  out.push('## Targets');
  out.push('');
  out.push(
    table(
      ['target', 'TypeScript', 'result', 'Python', 'result'],
      results.targets.map((t) => [
        t.name,
        `${t.value.toFixed(t.unit === 'ms' ? 0 : t.unit === '%' ? 1 : 2)} ${t.unit}`,
        t.pass ? '**PASS**' : '**MISS**',
        t.python ? `${t.python.value.toFixed(2)} ${t.unit}` : SLOT,
        t.python ? (t.python.pass ? '**PASS**' : '**MISS**') : '—',
      ])
        .concat(pyOnly.targets.map((t) => [t.name, '—', '—', `${t.value.toFixed(2)} ${t.unit}`, t.pass ? '**PASS**' : '**MISS**']))
        .concat(durableTargets(dir)),
    ),
  );
  out.push('');
  if (results.targets.some((t) => !t.pass) || pyOnly.targets.some((t) => !t.pass)) {
    out.push(
      'Why each missed target misses (profiled causes, and what would have to change): `bench/README.md`, "What the numbers show".',
    );
    out.push('');
  }

  // Figure 1
  out.push('## 1. Save and load latency (ms)');
  out.push('');
  const fig1 = results.rows.filter((r) => r.figure === 1 && r.id.endsWith('.both'));
  out.push(
    table(
      ['state', 'store', 'save', 'load', 'save+load', 'vs baseline', 'Python save+load', 'Python vs baseline'],
      fig1.map((r) => {
        const [, variant, size] = r.id.split('.');
        const save = byId.get(`saveLoad.${variant}.${size}.save`)!;
        const load = byId.get(`saveLoad.${variant}.${size}.load`)!;
        const [state, , store] = r.label.split(' — ');
        return [state, store, medP95(save.value), medP95(load.value), medP95(r.value), x(r.ratio), r.python ? medP95(r.python.value) : SLOT, r.python ? x(r.python.ratio) : SLOT];
      }),
    ),
  );
  out.push('');
  if (pythonFile) {
    const sizes = Object.entries(pyOnly.stateBytes).map(([k, v]) => `${k} ${bytes(v)}`).join(', ');
    out.push(
      `Python columns: the Python SDK's own states of the same runs (${sizes || 'sizes in python-latest.json'}; it has no large size). ` +
        "Python's embedded store is always reached through the store server's socket (`timestep db serve`), so its figures are in the " +
        '"second process through the socket" rows. Python-only rows (no TypeScript counterpart):',
    );
    out.push('');
    const pyBoth = pyOnly.rows.filter((r) => r.figure === 1 && r.id.endsWith('.both'));
    const pyById = new Map(pyOnly.rows.map((r) => [r.id, r]));
    out.push(
      table(
        ['state', 'store', 'Python save', 'Python load', 'Python save+load', 'Python vs baseline'],
        pyBoth.map((r) => {
          const [, variant, size] = r.id.split('.');
          const [state, , store] = r.label.split(' — ');
          return [state, store, medP95(pyById.get(`saveLoad.${variant}.${size}.save`)?.value), medP95(pyById.get(`saveLoad.${variant}.${size}.load`)?.value), medP95(r.value), x(r.ratio)];
        }),
      ),
    );
    out.push('');
  }

  // Figure 2
  out.push('## 2. Per-turn checkpoint overhead (wall time of a whole run, ms)');
  out.push('');
  out.push(
    table(
      ['run', 'variant', 'wall', 'baseline (bare run)', 'overhead', 'of which in save()', 'Python wall', 'Python overhead'],
      results.rows
        .filter((r) => r.figure === 2)
        .map((r) => {
          const [run, variant] = r.label.split(' — ');
          const pct = r.extra?.overheadPct as number | undefined;
          return [
            run,
            variant,
            medP95(r.value),
            medP95(r.baseline),
            pct === undefined ? '—' : `${pct >= 0 ? '+' : ''}${pct.toFixed(1)}%`,
            r.extra?.medianTotalSaveMs !== undefined ? `${ms(r.extra.medianTotalSaveMs as number)} ms` : '—',
            r.python ? medP95(r.python.value) : SLOT,
            r.python && r.python.ratio !== null ? `${((r.python.ratio - 1) * 100).toFixed(1)}%` : SLOT,
          ];
        }),
    ),
  );
  out.push('');

  // Figure 3
  out.push('## 3. Bytes stored over a run checkpointed every turn');
  out.push('');
  out.push(
    table(
      ['measure', 'bytes', 'final state', 'ratio', 'Python bytes', 'Python ratio'],
      results.rows
        .filter((r) => r.figure === 3)
        .map((r) => [r.label.split(' — ')[1], bytes(r.value.median), bytes(r.baseline!.median), x(r.ratio), r.python ? bytes(r.python.value.median) : SLOT, r.python ? x(r.python.ratio) : SLOT]),
    ),
  );
  out.push('');
  for (const r of results.rows.filter((r) => r.figure === 3 && r.extra)) {
    const g = r.extra as any;
    const backend = r.id.split('.')[1] === 'postgres' ? 'PostgreSQL' : 'embedded PGlite';
    out.push(
      `Growth (${backend}): the state grows by ~${bytes(g.stateBytesPerTurn)} per turn; the whole run stored ${g.cumulativeDoublingFactor}× what its ` +
        `first half did (2× is linear, 4× quadratic). Full versions: ${(g.fullVersions ?? []).join(', ')}; every other version is a delta.`,
    );
    out.push('');
    out.push(
      table(
        ['version', ...Object.keys(g.sizeAtVersion)],
        [
          ['state size', ...Object.values<number>(g.sizeAtVersion).map(bytes)],
          ['save() ms', ...Object.values<number>(g.saveMsAtVersion).map((v) => ms(v))],
          ['cumulative native_state (as stored)', '—', ...Object.values<number>(g.cumulativeAtVersion).map(bytes)],
        ],
      ),
    );
    out.push('');
    out.push(
      `Run wall time ${ms(g.runWallMs)} ms, of which ${ms(g.totalSaveMs)} ms in save(); stored (compressed) native_state ${bytes(g.sumStoredBytes)}` +
        (g.sumPortableStoredBytes != null ? `, portable_state ${bytes(g.sumPortableStoredBytes)}.` : '.'),
    );
    out.push('');
  }

  // Figure 4
  out.push('## 4. Opening the embedded store in a fresh process (ms)');
  out.push('');
  out.push(
    table(
      ['variant', 'open', 'baseline', 'ratio', 'process wall (median)', 'module import (median)', 'Python open', 'Python ratio'],
      results.rows
        .filter((r) => r.figure === 4)
        .map((r) => [r.label, medP95(r.value), medP95(r.baseline), x(r.ratio), `${r.extra?.processWallMedianMs}`, `${r.extra?.importMedianMs}`, r.python ? medP95(r.python.value) : SLOT, r.python ? x(r.python.ratio) : SLOT]),
    ),
  );
  out.push('');

  // Figure 5
  out.push('## 5. Throughput: checkpoints per second');
  out.push('');
  out.push('Rate: median (5th percentile) over rounds; latency of one checkpoint: median (p95).');
  out.push('');
  const one = (v: number) => v.toFixed(v >= 100 ? 0 : 1);
  out.push(
    table(
      ['runs', 'store', 'checkpoints/s', 'latency ms', 'baseline checkpoints/s', 'vs baseline', 'Python checkpoints/s', 'Python vs baseline'],
      results.rows
        .filter((r) => r.figure === 5)
        .map((r) => {
          const [runs, store] = r.label.split(' — ');
          const lat = r.extra?.latencyMs as Summary;
          return [runs.replace(/, medium.*/, ''), store, medP95(r.value, one), medP95(lat), medP95(r.baseline, one), x(r.ratio), r.python ? medP95(r.python.value, one) : SLOT, r.python ? x(r.python.ratio) : SLOT];
        }),
    ),
  );
  out.push('');

  // Figure 6
  out.push("## 6. The embedded store's socket server (ms)");
  out.push('');
  out.push(
    table(
      ['what', 'median (p95)', 'baseline', 'ratio', 'Python median (p95)', 'Python baseline', 'Python ratio'],
      results.rows
        .filter((r) => r.figure === 6)
        .map((r) => [r.label, medP95(r.value), medP95(r.baseline), x(r.ratio), r.python ? medP95(r.python.value) : SLOT, r.python ? medP95(r.python.baseline) : SLOT, r.python ? x(r.python.ratio) : SLOT]),
    ),
  );
  out.push('');
  const durable = durableSection(dir);
  if (durable) out.push(durable);
  if (results.notes.length) {
    out.push('## Notes');
    out.push('');
    for (const note of results.notes) out.push(`- ${note}`);
    out.push('');
  }
  return out.join('\n');
}
