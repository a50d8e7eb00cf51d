/**
 * `timestep runs …`: list, inspect, decide, fork and prune runs in the store
 * (the same store every Timestep process without options uses).
 *
 * Exit codes: 0 done; 1 failed (store unreachable, damaged data); 2 bad
 * usage; 3 no such run, version or pending call; 4 refused (already decided,
 * run id taken). With --json, errors are one JSON line on stderr:
 * {"error":{"type":"…","message":"…"}}.
 */
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import {
  ApprovalAlreadyDecidedError,
  ApprovalNotFoundError,
  RunStateConflictError,
  RunStateNotFoundError,
  TimestepError,
} from '../errors.js';
import { decide } from './runsApproval.js';
import { openRunsDatabase } from './runsDatabase.js';
import { forkRun } from './runsFork.js';
import { forkDurableRun, isDurableRun } from './runsForkDurable.js';
import { UsageError } from './usageError.js';
import {
  DURABLE_STATUSES,
  RUN_STATE_STATUSES,
  listRuns,
  pendingCalls,
  runDetails,
  type AnyRunStatus,
  type RunDetails,
} from './runsListing.js';
import { pruneDurableRuns, pruneRuns, type PrunedDurableRun, type PrunedRun } from './runsPrune.js';

export const RUNS_USAGE = `Usage: timestep runs <command> [--json] [--data-dir DIR]

  runs list [--status STATUS]     Runs with their latest version, status, agent,
                                  session and last change; STATUS is one of
                                  interrupted, checkpoint, final (saved run states)
                                  or queued, running, failed, finished (durable runs).
  runs show RUN_ID                The run's versions (a durable run: its journal,
                                  entry by entry) and its stored decisions.
  runs pending                    Tool calls waiting for approval, across runs.
  runs approve RUN_ID CALL_ID --reason TEXT [--by NAME]
  runs reject RUN_ID CALL_ID --reason TEXT [--by NAME]
                                  Decide a pending call, once (NAME defaults to
                                  the OS user). Applied when the run is next
                                  loaded; a rejection's reason is what the model
                                  is told.
  runs fork RUN_ID --version N [--as NEW_ID]
                                  Copy version N as version 1 of a new run. A
                                  durable run: copy its journal up to entry N as a
                                  new queued run (with a copy of its session) that
                                  continues live from there when resumed.
  runs prune [--keep-last N] [--older-than DURATION] [--durable] [--dry-run]
                                  Delete versions outside the newest N of each run
                                  and saved more than DURATION ago (e.g. 30d, 12h,
                                  15m); never a run's latest version or one a kept
                                  version is rebuilt from. --durable: also delete
                                  durable runs that finished more than DURATION
                                  ago, whole (a journal has no versions to trim).

  The store: --data-dir (an embedded store), else TIMESTEP_DB_URL, else the
  embedded store in the app directory.`;

const EXIT = { failed: 1, usage: 2, notFound: 3, refused: 4 } as const;

function exitCodeOf(error: unknown): number {
  if (error instanceof RunStateNotFoundError || error instanceof ApprovalNotFoundError) return EXIT.notFound;
  if (error instanceof ApprovalAlreadyDecidedError || error instanceof RunStateConflictError) return EXIT.refused;
  return EXIT.failed;
}

function positiveInteger(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9][0-9]{0,9}$/.test(text) || Number(text) > 2 ** 31 - 1) {
    throw new UsageError(`${name} must be a whole number from 1 to ${2 ** 31 - 1}, got ${JSON.stringify(text)}.`);
  }
  return Number(text);
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

function durationSeconds(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const match = /^([0-9]{1,9})([smhdw])$/.exec(text);
  if (!match) throw new UsageError(`--older-than takes a number and a unit (s, m, h, d, w), e.g. 30d; got ${JSON.stringify(text)}.`);
  return Number(match[1]) * DURATION_UNITS[match[2]];
}

function statusOption(text: string | undefined): AnyRunStatus | undefined {
  if (text === undefined) return undefined;
  const known: readonly string[] = [...RUN_STATE_STATUSES, ...DURABLE_STATUSES];
  if (!known.includes(text)) {
    throw new UsageError(`--status must be one of ${[...new Set(known)].join(', ')}; got ${JSON.stringify(text)}.`);
  }
  return text as AnyRunStatus;
}

function operands(positionals: string[], names: string[]): string[] {
  if (positionals.length !== names.length) {
    throw new UsageError(`expected ${names.length ? names.join(' ') : 'no arguments'}, got ${JSON.stringify(positionals)}.`);
  }
  return positionals;
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
}

function describeDetails(details: RunDetails): string {
  const lines = [`run ${details.runId}`];
  if (details.runState) {
    lines.push('versions:');
    for (const v of details.runState.versions) {
      const pending = v.pendingApprovals.map((p) => `${p.tool}(${p.call_id})`).join(', ');
      lines.push(
        `  ${v.version}  ${v.status.padEnd(11)} ${v.encoding.padEnd(5)} ${v.createdAt}  agent ${v.agent ?? '-'}  ${v.sdk}` +
          (pending ? `  waiting on ${pending}` : ''),
      );
    }
    for (const d of details.runState.decisions) {
      lines.push(`decision: ${d.decision} ${d.callId} (${d.tool}) by ${d.decidedBy} at ${d.decidedAt.toISOString()}: ${d.reason}`);
    }
  }
  if (details.durable) {
    const { journal: j, ...run } = details.durable;
    lines.push(
      `durable run: ${run.status}, agent ${run.agent}, session ${run.sessionId ?? '-'}, updated ${run.updatedAt}`,
      `journal: ${j.entries} entries, ${j.segments} segments, ${j.modelResponses} model responses, ` +
        `${j.toolResults} tool results, ${j.toolsInDoubt} in doubt, last at ${j.lastEntryAt ?? '-'}`,
      '  entry  segment  kind             key  at',
      ...j.history.map((e) => `  ${String(e.seq).padStart(5)}  ${String(e.segment).padStart(7)}  ${e.kind.padEnd(15)}  ${e.key ?? '-'}  ${e.at}`),
    );
  }
  return lines.join('\n');
}

function describePruned(pruned: PrunedRun[], durable: PrunedDurableRun[], dryRun: boolean): string {
  if (pruned.length === 0 && durable.length === 0) return 'Nothing to prune.';
  const removed = dryRun ? 'would remove' : 'removed';
  return [
    ...pruned.map((run) => `${removed} run ${run.runId} versions ${run.versions.join(', ')} (${run.kept} kept)`),
    ...durable.map((run) => `${removed} durable run ${run.runId} (finished; ${run.entries} journal entries)`),
  ].join('\n');
}

async function execute(argv: string[], json: boolean): Promise<string> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      'data-dir': { type: 'string' },
      status: { type: 'string' },
      reason: { type: 'string' },
      by: { type: 'string' },
      version: { type: 'string' },
      as: { type: 'string' },
      'keep-last': { type: 'string' },
      'older-than': { type: 'string' },
      'dry-run': { type: 'boolean' },
      durable: { type: 'boolean' },
    },
  });
  const [command, ...rest] = positionals;
  const out = (value: unknown, human: () => string) => (json ? JSON.stringify(value) : human());
  // Check the whole command line before touching the store.
  const run = (work: (database: Awaited<ReturnType<typeof openRunsDatabase>>) => Promise<string>) =>
    openRunsDatabase(values['data-dir']).then((database) => work(database).finally(() => database.release()));
  switch (command) {
    case 'list': {
      operands(rest, []);
      const status = statusOption(values.status);
      return run(async ({ db, where }) => {
        const runs = await listRuns(db, status);
        return out({ store: where, runs }, () =>
          [
            `store: ${where}`,
            ...(runs.length === 0 ? ['no runs'] : []),
            ...runs.map(
              (r) =>
                `${r.runId}  ${r.kind === 'durable' ? 'durable' : `v${r.latestVersion}`}  ${r.status}  agent ${r.agent ?? '-'}` +
                `  session ${r.sessionId ?? '-'}  ${r.updatedAt}` +
                (r.pendingApprovals ? `  ${r.pendingApprovals} pending` : ''),
            ),
          ].join('\n'),
        );
      });
    }
    case 'show': {
      const [runId] = operands(rest, ['RUN_ID']);
      return run(async ({ db }) => {
        const details = await runDetails(db, runId);
        return out(details, () => describeDetails(details));
      });
    }
    case 'pending': {
      operands(rest, []);
      return run(async ({ db }) => {
        const pending = await pendingCalls(db);
        return out({ pending }, () =>
          pending.length === 0
            ? 'No calls are waiting for approval.'
            : pending
                .map((p) => `${p.runId}  ${p.version === null ? 'durable' : `v${p.version}`}  ${p.agent}  ${p.tool}  ${p.callId}  ${p.arguments ?? ''}`)
                .join('\n'),
        );
      });
    }
    case 'approve':
    case 'reject': {
      const [runId, callId] = operands(rest, ['RUN_ID', 'CALL_ID']);
      const reason = values.reason;
      if (reason === undefined || reason.trim() === '') throw new UsageError(`runs ${command} needs --reason "why".`);
      const decidedBy = values.by ?? osUser();
      return run(async ({ db }) => {
        const decision = await decide(db, { runId, callId, decision: command, reason, decidedBy });
        return out({ decision }, () =>
          `${command === 'approve' ? 'Approved' : 'Rejected'} call ${callId} (${decision.tool}) of run ${runId} ` +
            `as ${decision.decidedBy} at ${decision.decidedAt.toISOString()}; it applies when the run is next loaded.`,
        );
      });
    }
    case 'fork': {
      const [runId] = operands(rest, ['RUN_ID']);
      const version = positiveInteger('--version', values.version);
      if (version === undefined) throw new UsageError('runs fork needs --version N (`timestep runs show` lists them).');
      return run(async ({ db }) => {
        if (await isDurableRun(db, runId)) {
          const fork = await forkDurableRun(db, runId, version, values.as);
          return out(fork, () => (fork.sessionId ? `${fork.runId}\nsession ${fork.sessionId}` : fork.runId));
        }
        const fork = await forkRun(db, runId, version, values.as);
        return out(fork, () => fork.runId);
      });
    }
    case 'prune': {
      operands(rest, []);
      const keepLast = positiveInteger('--keep-last', values['keep-last']);
      const olderThanSeconds = durationSeconds(values['older-than']);
      if (keepLast === undefined && olderThanSeconds === undefined) {
        throw new UsageError('runs prune needs a policy: --keep-last N, --older-than DURATION, or both.');
      }
      if (values.durable && olderThanSeconds === undefined) {
        throw new UsageError('runs prune --durable needs --older-than DURATION: a finished durable run is deleted whole, by age.');
      }
      const dryRun = values['dry-run'] ?? false;
      return run(async ({ db }) => {
        const pruned = await pruneRuns(db, { keepLast, olderThanSeconds, dryRun });
        const durable = values.durable ? await pruneDurableRuns(db, olderThanSeconds!, dryRun) : [];
        return out({ dryRun, pruned, durable }, () => describePruned(pruned, durable, dryRun));
      });
    }
    default:
      throw new UsageError(command === undefined ? 'which runs command?' : `unknown runs command "${command}".`);
  }
}

/** Runs `timestep runs <argv>` and returns the exit code. */
export async function runsCommand(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  if (argv.includes('--help') || argv.includes('-h') || argv.length === 0) {
    console.log(RUNS_USAGE);
    return 0;
  }
  try {
    console.log(await execute(argv, json));
    return 0;
  } catch (error) {
    const parseError = (error as { code?: string } | null)?.code?.startsWith('ERR_PARSE_ARGS') === true;
    if (!(error instanceof UsageError || error instanceof TimestepError || parseError)) throw error;
    const type = error instanceof UsageError || parseError ? 'UsageError' : (error as Error).name;
    const message = (error as Error).message;
    if (json) console.error(JSON.stringify({ error: { type, message } }));
    else console.error(`timestep: ${message}${type === 'UsageError' ? `\n\n${RUNS_USAGE}` : ''}`);
    return type === 'UsageError' ? EXIT.usage : exitCodeOf(error);
  }
}
