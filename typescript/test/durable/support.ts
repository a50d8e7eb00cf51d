/** Shared by the durable-run tests: the child process, the journal as stored, the conversation. */
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { toResponsesItem, type DurableSession } from '../../src/index.js';
import { leaseDatabase, resolveStoreTarget, type StoreOptions } from '../../src/store/connect.js';
import { RunJournal, type JournalEntry } from '../../src/durable/journal.js';
import { REPO_ROOT, spawnScript } from '../support/environment.js';

const CHILD = join(REPO_ROOT, 'typescript/test/durable/durableChild.ts');

export type ChildLine =
  | { event: 'ready' }
  | { event: 'step'; step: number }
  | { event: 'in_doubt'; calls: Array<{ arguments: string }> }
  | { event: 'stream'; offset: number; summary: string }
  | { event: 'done'; finalOutput: string };

/**
 * Runs the child until `killWhen` returns true for one of its lines (then
 * SIGKILLs it) or until it exits. Returns its lines and whether it was killed.
 */
export async function runChild(
  args: string[],
  killWhen: (line: ChildLine, kill: () => void) => void = () => undefined,
): Promise<{ lines: ChildLine[]; killed: boolean }> {
  const child = spawnScript(CHILD, args);
  const lines: ChildLine[] = [];
  let killed = false;
  const kill = () => {
    if (!killed && child.exitCode === null) {
      killed = true;
      child.kill('SIGKILL');
    }
  };
  createInterface({ input: child.stdout! }).on('line', (text) => {
    const line = JSON.parse(text) as ChildLine;
    lines.push(line);
    killWhen(line, kill);
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  if (!killed && code !== 0) throw new Error(`durable child exited with ${code}; lines: ${JSON.stringify(lines)}`);
  return { lines, killed };
}

export function childArgs(store: StoreOptions, runId: string, sessionId: string, effectsFile: string, ...flags: string[]) {
  return [store.connectionString ?? store.pglitePath!, runId, sessionId, effectsFile, ...flags];
}

/** The run's journal as stored (the database is released again, so a child can host the embedded store). */
export async function storedJournal(store: StoreOptions, runId: string): Promise<readonly JournalEntry[]> {
  const lease = await leaseDatabase(resolveStoreTarget(store));
  try {
    return (await RunJournal.open(lease.db, runId)).entries;
  } finally {
    await lease.release();
  }
}

export interface RunRow {
  status: string;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  attempts: number;
  graph: string | null;
}

/** The run's row as stored (the database is released again, so a child can host the embedded store). */
export async function runRow(store: StoreOptions, runId: string): Promise<RunRow | undefined> {
  const lease = await leaseDatabase(resolveStoreTarget(store));
  try {
    const [row] = await lease.db.query<RunRow>(
      'SELECT status, lease_owner, lease_expires_at, attempts, graph FROM timestep_durable_runs WHERE run_id = $1',
      [runId],
    );
    return row;
  } finally {
    await lease.release();
  }
}

export const journaledModelCalls = (entries: readonly JournalEntry[]) =>
  entries.filter((entry) => entry.kind === 'model_response').length;

/** Rule of the scenario that answers model call `ordinal` (0: step-1 … 20: finish). */
export const ruleOfCall = (ordinal: number) => (ordinal < 20 ? `step-${ordinal + 1}` : 'finish');

/** The conversation in the language-neutral form, for comparing two runs. */
export async function conversation(session: DurableSession): Promise<unknown[]> {
  return JSON.parse(JSON.stringify((await session.getItems()).map(toResponsesItem)));
}
