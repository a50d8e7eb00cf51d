/**
 * Figure 7, durable mode: the JSON shape both languages write
 * (durable-latest.json from bench/src/durable.ts, python-durable-latest.json
 * from bench/python/bench_durable.py), how the journal's bytes are counted
 * per turn, and the Markdown section that latest.md ends with.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { median, summarise, type Summary } from './common.js';

export const OVERHEAD_TARGET_PCT = 3;
export const BYTES_TARGET_RATIO = 1.5;

/** One store's timing: whole-run wall times (ms) of the interleaved variants. */
export interface OverheadRow {
  store: 'embedded' | 'postgres';
  modelCalls: number;
  plain: Summary;
  durable: Summary;
  /** Resuming the finished run: every model call and tool result answered from the journal. */
  replay: Summary;
  /** (durable median / plain median − 1) × 100. */
  overheadPct: number;
  /** The same per round (each round ran both, adjacent in time): its spread shows the noise. */
  pairedOverheadPct: Summary;
  /** replay median / durable median. */
  replayRatio: number;
}

/** One journal row, as measured in the store. */
export interface JournalRowSize {
  kind: string;
  key: string | null;
  /** octet_length(body::text): the entry as JSON text. */
  text: number;
  /** pg_column_size(body): as stored (jsonb, after TOAST compression). */
  stored: number;
}

/** One session item the run added, as measured in the store. */
export interface ItemSize {
  type: string;
  callId: string | null;
  /** octet_length(item::text): the item as JSON text (Responses format). */
  text: number;
  stored: number;
}

export interface TurnBytes {
  turn: number;
  journalText: number;
  journalStored: number;
  itemsText: number;
  itemsStored: number;
  /** journalText / itemsText */
  ratio: number;
}

export interface BytesRow {
  store: 'embedded' | 'postgres';
  turns: TurnBytes[];
  /** Median over the turns of journal text / item text. */
  medianTurnRatio: number;
  /** Journal text of the turns / item text of the turns (whole run, per-turn rows only). */
  turnsRatio: number;
  /** Everything: the whole journal (with segment_started/ended) / every item the run added (with the input). */
  allInRatio: number;
  byKind: Record<string, { rows: number; text: number; stored: number }>;
  /** Items the TypeScript session also stores in the SDK's own form (native_item), text bytes; 0 for Python. */
  nativeItemText: number;
}

/**
 * What each language's benchmark writes: raw samples and sizes only, so the
 * statistics and the per-turn attribution are computed once, here, for both.
 */
export interface DurableResults {
  schema: 1;
  language: 'typescript' | 'python';
  quick: boolean;
  machine: Record<string, unknown>;
  config: Record<string, unknown>;
  durationSeconds: number;
  /** Whole-run wall times in ms, index i of each list from round i. */
  overhead: Array<{
    store: OverheadRow['store'];
    modelCalls: number;
    samples: { plain: number[]; durable: number[]; replay: number[] };
    /** Reference: one committed write transaction's round trip (`SELECT txid_current()`), back to back, ms. */
    commitMs?: number[];
    /** The same, each after the model latency's idle wait (as a turn's awaited append comes), ms. */
    commitAfterIdleMs?: number[];
  }>;
  /** The journal rows and session items of the last durable run on each store. */
  bytes: Array<{ store: BytesRow['store']; journal: JournalRowSize[]; items: ItemSize[]; nativeItemText: number }>;
  notes: string[];
}

export function overheadRow(
  store: OverheadRow['store'],
  modelCalls: number,
  samples: { plain: number[]; durable: number[]; replay: number[] },
): OverheadRow {
  const plain = summarise(samples.plain);
  const durable = summarise(samples.durable);
  const replay = summarise(samples.replay);
  const paired = samples.durable.map((d, i) => (d / samples.plain[i] - 1) * 100);
  return {
    store,
    modelCalls,
    plain,
    durable,
    replay,
    overheadPct: (durable.median / plain.median - 1) * 100,
    pairedOverheadPct: summarise(paired),
    replayRatio: replay.median / durable.median,
  };
}

/**
 * Bytes per turn. A turn is one model call: its `model_response` row (key = ordinal) and the
 * `tool_started`/`tool_result` rows of the calls it asked for (key = '<ordinal>:<call_id>'); the
 * items it added are the model's output items and those calls' outputs. Items are matched to turns
 * by call id (from the journal's tool keys); an item without a call id (the final message) belongs to
 * the last turn. `segment_started`/`segment_ended` rows and the input item belong to the run, not to
 * a turn: they are in the all-in ratio only.
 */
export function bytesRow(store: BytesRow['store'], journal: JournalRowSize[], items: ItemSize[], nativeItemText: number): BytesRow {
  const byKind: BytesRow['byKind'] = {};
  const turnOfCall = new Map<string, number>();
  const turns = new Map<number, TurnBytes>();
  const turn = (n: number): TurnBytes => {
    let t = turns.get(n);
    if (!t) turns.set(n, (t = { turn: n, journalText: 0, journalStored: 0, itemsText: 0, itemsStored: 0, ratio: NaN }));
    return t;
  };
  for (const row of journal) {
    const kind = (byKind[row.kind] ??= { rows: 0, text: 0, stored: 0 });
    kind.rows += 1;
    kind.text += row.text;
    kind.stored += row.stored;
    if (row.key === null) continue;
    const [ordinal, callId] = row.key.split(/:(.*)/s);
    if (callId) turnOfCall.set(callId, Number(ordinal));
    const t = turn(Number(ordinal));
    t.journalText += row.text;
    t.journalStored += row.stored;
  }
  const lastTurn = Math.max(...turns.keys());
  const [, ...turnItems] = items; // the first item is the run's input
  for (const item of turnItems) {
    const n = item.callId !== null && turnOfCall.has(item.callId) ? turnOfCall.get(item.callId)! : lastTurn;
    const t = turn(n);
    t.itemsText += item.text;
    t.itemsStored += item.stored;
  }
  const list = [...turns.values()].sort((a, b) => a.turn - b.turn);
  for (const t of list) t.ratio = t.journalText / t.itemsText;
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  return {
    store,
    turns: list,
    medianTurnRatio: median(list.map((t) => t.ratio)),
    turnsRatio: sum(list.map((t) => t.journalText)) / sum(list.map((t) => t.itemsText)),
    allInRatio: sum(journal.map((r) => r.text)) / sum(items.map((i) => i.text)),
    byKind,
    nativeItemText,
  };
}

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const pct = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(1)}%`;
const table = (head: string[], rows: string[][]) =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

function load(path: string): DurableResults | null {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as DurableResults) : null;
}

/**
 * Figure 7's targets as rows of latest.md's Targets table ([target, TypeScript, result, Python, result]),
 * judged on the worse store of each language.
 */
export function durableTargets(dir: string): string[][] {
  const byLanguage = (language: DurableResults['language']) =>
    load(join(dir, language === 'typescript' ? 'durable-latest.json' : 'python-durable-latest.json'));
  const cells = (value: number | null, unit: string, limit: number): [string, string] =>
    value === null ? ['—', '—'] : [`${value.toFixed(unit === '%' ? 1 : 2)} ${unit}`, value <= limit ? '**PASS**' : '**MISS**'];
  const worstOverhead = (r: DurableResults | null) =>
    r ? Math.max(...r.overhead.map((o) => overheadRow(o.store, o.modelCalls, o.samples).overheadPct)) : null;
  const worstBytes = (r: DurableResults | null) =>
    r ? Math.max(...r.bytes.map((b) => bytesRow(b.store, b.journal, b.items, b.nativeItemText).medianTurnRatio)) : null;
  const ts = byLanguage('typescript');
  const py = byLanguage('python');
  if (!ts && !py) return [];
  return [
    [`Durable mode: per-turn overhead at 50 ms model latency ≤ ${OVERHEAD_TARGET_PCT}% (worse store; figure 7)`, ...cells(worstOverhead(ts), '%', OVERHEAD_TARGET_PCT), ...cells(worstOverhead(py), '%', OVERHEAD_TARGET_PCT)],
    [`Durable mode: journal bytes per turn ≤ ${BYTES_TARGET_RATIO}× the turn's own items (figure 7)`, ...cells(worstBytes(ts), '×', BYTES_TARGET_RATIO), ...cells(worstBytes(py), '×', BYTES_TARGET_RATIO)],
  ];
}

/** The section latest.md ends with: figure 7 from durable-latest.json and python-durable-latest.json in `dir`. */
export function durableSection(dir: string): string {
  const runs = [load(join(dir, 'durable-latest.json')), load(join(dir, 'python-durable-latest.json'))].filter(
    (r): r is DurableResults => r !== null,
  );
  if (runs.length === 0) return '';
  const out: string[] = [];
  const lang = (r: DurableResults) => (r.language === 'typescript' ? 'TypeScript' : 'Python');
  out.push('## 7. Durable mode (`runAgent(…, { durable: { runId } })`)');
  out.push('');
  for (const r of runs) {
    out.push(
      `- ${lang(r)}: ${String(r.machine.date ?? '?')}, ${String(r.machine.cpuModel ?? '?')}, ${String(r.machine.cores ?? '?')} cores, ` +
        `commit ${String(r.machine.gitCommit ?? '?')}${(r.machine.uncommitted as string[] | undefined)?.length ? ` + uncommitted changes in ${(r.machine.uncommitted as string[]).length} file(s) of typescript/src or spec` : ''}` +
        `${r.machine.postgres ? `, PostgreSQL ${String(r.machine.postgres)}` : ''}; ${JSON.stringify(r.config)}; ${r.durationSeconds} s${r.quick ? ' (--quick: do not read the numbers)' : ''}.`,
    );
  }
  out.push('');
  out.push('Per-turn overhead: the 20-turn tool run of `spec/scenarios/durable-twenty-steps.json` (21 model calls), model at 50 ms,');
  out.push('a `DurableSession` in both variants; plain = `runAgent` without `durable`. Plain and durable alternate in random');
  out.push('order every round. Per turn = run time / model calls, median (p95) in ms. Overhead = durable median / plain median − 1;');
  out.push('"paired" = the per-round overhead, median [min … max]: its spread is the noise of the shared 2-core machine.');
  out.push('');
  out.push(
    table(
      ['language', 'store', 'plain per turn', 'durable per turn', 'overhead', 'paired overhead', `target ≤ ${OVERHEAD_TARGET_PCT}%`, 'replay of the finished run (whole run)', 'replay / durable run', 'one commit (reference): back to back / after 50 ms idle'],
      runs.flatMap((r) =>
        r.overhead.map((raw) => {
          const o = overheadRow(raw.store, raw.modelCalls, raw.samples);
          const perTurn = (s: Summary) => `${ms(s.median / o.modelCalls)} (${ms(s.p95 / o.modelCalls)})`;
          const p = o.pairedOverheadPct;
          return [
            lang(r),
            o.store,
            perTurn(o.plain),
            perTurn(o.durable),
            pct(o.overheadPct),
            `${pct(p.median)} [${pct(p.min)} … ${pct(p.max)}]`,
            o.overheadPct <= OVERHEAD_TARGET_PCT ? 'PASS' : 'MISS',
            `${ms(o.replay.median)} (${ms(o.replay.p95)}) ms`,
            `${o.replayRatio.toFixed(3)}×`,
            [raw.commitMs, raw.commitAfterIdleMs]
              .map((times) => (times?.length ? `${ms(median(times))} (${ms(summarise(times).p95)})` : '—'))
              .join(' / ') + ' ms',
          ];
        }),
      ),
    ),
  );
  out.push('');
  out.push('Journal bytes per turn against the turn\'s own items: `octet_length(body::text)` of the journal rows of a turn');
  out.push('(its `model_response`, `tool_started`, `tool_result`) over `octet_length(item::text)` of the session items the turn');
  out.push('added (the call and its output; the last turn: the answer). "stored" = `pg_column_size` (jsonb, after compression).');
  out.push('All-in adds the run\'s `segment_started`/`segment_ended` rows and its input item.');
  out.push('');
  out.push(
    table(
      ['language', 'store', 'journal per turn (median)', 'items per turn (median)', 'ratio per turn (median)', 'whole run, turns only', 'all-in', `target ≤ ${BYTES_TARGET_RATIO}×`, 'stored: journal / items'],
      runs.flatMap((r) =>
        r.bytes.map((raw) => {
          const b = bytesRow(raw.store, raw.journal, raw.items, raw.nativeItemText);
          const sum = (f: (t: TurnBytes) => number) => b.turns.reduce((a, t) => a + f(t), 0);
          return [
            lang(r),
            b.store,
            `${median(b.turns.map((t) => t.journalText)).toFixed(0)} B`,
            `${median(b.turns.map((t) => t.itemsText)).toFixed(0)} B`,
            `${b.medianTurnRatio.toFixed(2)}×`,
            `${b.turnsRatio.toFixed(2)}×`,
            `${b.allInRatio.toFixed(2)}×`,
            b.medianTurnRatio <= BYTES_TARGET_RATIO ? 'PASS' : `MISS (+${((b.medianTurnRatio / BYTES_TARGET_RATIO - 1) * 100).toFixed(0)}%)`,
            `${(sum((t) => t.journalStored) / sum((t) => t.itemsStored)).toFixed(2)}×`,
          ];
        }),
      ),
    ),
  );
  out.push('');
  out.push('Journal bytes by entry kind (whole run, text bytes; share of the journal):');
  out.push('');
  out.push(
    table(
      ['language', 'store', ...['segment_started', 'model_response', 'tool_started', 'tool_result', 'segment_ended'], 'session native_item (TS)'],
      runs.flatMap((r) =>
        r.bytes.map((raw) => {
          const b = bytesRow(raw.store, raw.journal, raw.items, raw.nativeItemText);
          const total = Object.values(b.byKind).reduce((a, k) => a + k.text, 0);
          const cell = (kind: string) => {
            const k = b.byKind[kind];
            return k ? `${k.rows} × ${(k.text / k.rows).toFixed(0)} B = ${k.text} B (${((k.text / total) * 100).toFixed(0)}%)` : '—';
          };
          return [
            lang(r),
            b.store,
            ...['segment_started', 'model_response', 'tool_started', 'tool_result', 'segment_ended'].map(cell),
            b.nativeItemText ? `${b.nativeItemText} B` : '—',
          ];
        }),
      ),
    ),
  );
  out.push('');
  for (const r of runs) for (const note of r.notes) out.push(`- ${lang(r)}: ${note}`);
  out.push('');
  return out.join('\n');
}
