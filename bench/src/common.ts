/** Shared helpers: paths, statistics, the file baseline, machine facts. */
import { open, readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const now = (): number => performance.now();

/** Runs `work` and returns its wall time in milliseconds. */
export async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = now();
  await work();
  return now() - start;
}

export interface Summary {
  n: number;
  median: number;
  p95: number;
  min: number;
  max: number;
}

/** Nearest-rank percentile of a sample. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function summarise(values: number[]): Summary {
  return {
    n: values.length,
    median: median(values),
    p95: percentile(values, 95),
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

/** Fisher-Yates on a copy: the order in which variants run inside one round. */
export function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

/** The baseline write: the whole text to a file, then fsync (what a durable file checkpoint costs). */
export async function writeDurably(path: string, text: string): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function readText(path: string): Promise<string> {
  return readFile(path, 'utf8');
}

function firstLine(path: string, key: string): string | null {
  try {
    const line = readFileSync(path, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(key));
    return line ? line.slice(line.indexOf(':') + 1).trim() : null;
  } catch {
    return null;
  }
}

function command(cmd: string, args: string[]): string | null {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function packageVersion(name: string): string | null {
  try {
    const path = `${CHECKOUT}/typescript/node_modules/${name}/package.json`;
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  } catch {
    return null;
  }
}

/** The checkout the benchmark was started from (run.sh runs a snapshot copy of the sources; see run.sh). */
const CHECKOUT = process.env.BENCH_REPO_ROOT ?? REPO_ROOT;

export function machineInfo(postgresVersion: string | null) {
  const memKb = Number(firstLine('/proc/meminfo', 'MemTotal')?.replace(/\D+/g, '') ?? NaN);
  const pythonSdk = command(`${CHECKOUT}/.venv/bin/python`, [
    '-c',
    'import importlib.metadata as m; print(m.version("openai-agents"))',
  ]);
  return {
    cpuModel: firstLine('/proc/cpuinfo', 'model name') ?? cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Number.isFinite(memKb) ? +(memKb / 1024 / 1024).toFixed(1) : +(totalmem() / 2 ** 30).toFixed(1),
    kernel: command('uname', ['-r']),
    date: new Date().toISOString(),
    node: process.version,
    python: command('python3', ['--version'])?.replace(/^Python /, '') ?? null,
    sdk: {
      '@openai/agents': packageVersion('@openai/agents'),
      '@electric-sql/pglite': packageVersion('@electric-sql/pglite'),
      pg: packageVersion('pg'),
      'openai-agents (Python)': pythonSdk,
    },
    postgres: postgresVersion,
    gitCommit: process.env.BENCH_GIT_COMMIT ?? command('git', ['-C', CHECKOUT, 'rev-parse', '--short', 'HEAD']),
    /** Files of typescript/src and spec that differed from that commit when the snapshot was taken. */
    uncommitted: (process.env.BENCH_GIT_DIRTY ?? command('git', ['-C', CHECKOUT, 'status', '--porcelain', '--', 'typescript/src', 'spec']) ?? '')
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean),
    /** sha256 over the benchmarked sources (typescript/src, spec, bench/src, bench/scenarios, testing/model-server). */
    sourceDigest: process.env.BENCH_SOURCE_DIGEST ?? null,
  };
}
