/**
 * A worker for durable runs (spec/run-journal, "Leases and workers"): claims
 * runs it has the agent graph for (submitted, crashed, failed under the
 * attempt limit, or interrupted with every pending call decided) and resumes
 * them from their journal under its lease.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { Agent, type Handoff, type Runner } from '@openai/agents';
import { DatabaseHandle, type StoreOptions } from '../store/connect.js';
import { DurableSession } from '../session/durableSession.js';
import { executeDurably } from '../durable/durableRun.js';
import { graphFingerprint } from '../durable/graphFingerprint.js';
import { checkLeaseMs, newLeaseOwner } from '../durable/runLease.js';
import { defaultRunner } from '../runner/runAgent.js';

export interface RunWorkerOptions extends StoreOptions {
  /** The starting agents whose runs this worker can resume (with every agent they hand off to). */
  agents: Agent<any, any>[];
  /**
   * Runs the agents (model provider, tracing, …); by default `runAgent`'s runner, whose
   * `MultiModelProvider` sends `ollama/llama3` to Ollama.
   */
  runner?: Runner;
  /** How many runs execute at once (default 1). */
  concurrency?: number;
  /** Lease length in ms (default 30 000), renewed every third of it. */
  leaseMs?: number;
  /** How long an idle worker waits before looking for runs again, in ms (default 1000). */
  pollMs?: number;
  /**
   * A run is attempted at most this many times (default 3): a failed run is
   * retried, and a run whose holder died is resumed, while it has been
   * attempted fewer times; a dead holder's run past the limit is marked failed.
   */
  maxAttempts?: number;
  /** The lease owner id; `<hostname>/<pid>/<random hex>` by default. */
  workerId?: string;
  /** Receives each event; by default printed as one JSON line on stdout. */
  onEvent?: (event: RunWorkerEvent) => void;
}

export type RunWorkerEvent =
  | { event: 'started'; worker: string }
  | { event: 'claimed'; worker: string; run_id: string; attempt: number }
  | { event: 'finished' | 'interrupted'; worker: string; run_id: string }
  | { event: 'failed'; worker: string; run_id: string; error: string }
  | { event: 'claim_failed'; worker: string; error: string }
  | { event: 'stopped'; worker: string };

interface ClaimedRun {
  run_id: string;
  agent: string;
  session_id: string | null;
  graph: string;
  attempts: number;
}

// The claim of the spec, word for word but for the "every pending call is decided" condition.
const CLAIM = `
UPDATE timestep_durable_runs r
   SET status = 'running', lease_owner = $1, lease_expires_at = now() + $2 * interval '1 millisecond',
       attempts = r.attempts + 1, updated_at = now()
  FROM (SELECT run_id FROM timestep_durable_runs c
         WHERE c.graph = ANY($3::text[])
           AND (c.lease_expires_at IS NULL OR c.lease_expires_at < now())
           AND (c.status = 'queued'
                OR (c.status IN ('running', 'failed') AND c.attempts < $4)
                OR (c.status = 'interrupted'
                    AND jsonb_array_length(c.pending_approvals) > 0
                    AND NOT EXISTS (
                      SELECT 1 FROM jsonb_array_elements(c.pending_approvals) pending
                       WHERE NOT EXISTS (SELECT 1 FROM timestep_approval_decisions d
                                          WHERE d.run_id = c.run_id AND d.call_id = pending->>'call_id'))))
         ORDER BY c.updated_at
         LIMIT 1
         FOR UPDATE SKIP LOCKED) picked
 WHERE r.run_id = picked.run_id
RETURNING r.run_id, r.agent, r.session_id, r.graph, r.attempts`;

// A run whose holder died on its last allowed attempt: it crashed its worker (out of memory, a
// native fault) as often as a raising run may fail, so it is failed instead of claimed forever.
const GIVE_UP = `
UPDATE timestep_durable_runs
   SET status = 'failed', lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
 WHERE status = 'running' AND lease_expires_at < now() AND attempts >= $2 AND graph = ANY($1::text[])
RETURNING run_id, attempts`;

function wholeNumber(name: string, value: number | undefined, fallback: number, lowest: number): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen < lowest) {
    throw new RangeError(`RunWorker: ${name} must be a whole number of at least ${lowest}, got ${String(value)}.`);
  }
  return chosen;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Every agent reachable from the given ones, by the fingerprint of the graph it starts. */
function agentsByGraph(agents: Agent<any, any>[]): Map<string, Agent<any, any>[]> {
  const byGraph = new Map<string, Agent<any, any>[]>();
  const seen = new Set<Agent<any, any>>();
  const visit = (agent: Agent<any, any>) => {
    if (seen.has(agent)) return;
    seen.add(agent);
    const graph = graphFingerprint(agent);
    byGraph.set(graph, [...(byGraph.get(graph) ?? []), agent]);
    agent.handoffs.forEach((target) => visit(target instanceof Agent ? target : (target as Handoff<any, any>).agent));
  };
  agents.forEach(visit);
  return byGraph;
}

export class RunWorker {
  /** Owner id of the leases this worker takes. */
  readonly workerId: string;
  private readonly agents: Map<string, Agent<any, any>[]>;
  private readonly runner: Runner;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly maxAttempts: number;
  private readonly onEvent: (event: RunWorkerEvent) => void;
  // ES private: may hold a password, so kept out of console.log / JSON.stringify.
  readonly #store: StoreOptions;
  private readonly handle: DatabaseHandle;

  constructor(options: RunWorkerOptions) {
    if (!Array.isArray(options.agents) || options.agents.length === 0 || !options.agents.every((a) => a instanceof Agent)) {
      throw new TypeError('RunWorker: agents must be a non-empty array of Agents (the starting agents of the runs to resume).');
    }
    this.agents = agentsByGraph(options.agents);
    this.runner = options.runner ?? defaultRunner();
    this.concurrency = wholeNumber('concurrency', options.concurrency, 1, 1);
    this.leaseMs = checkLeaseMs(options.leaseMs);
    this.pollMs = wholeNumber('pollMs', options.pollMs, 1000, 1);
    this.maxAttempts = wholeNumber('maxAttempts', options.maxAttempts, 3, 1);
    this.workerId = options.workerId ?? newLeaseOwner();
    this.onEvent = options.onEvent ?? ((event) => process.stdout.write(`${JSON.stringify(event)}\n`));
    const { connectionString, usePglite, pglitePath, timeoutMs } = options;
    this.#store = { connectionString, usePglite, pglitePath, timeoutMs };
    this.handle = new DatabaseHandle(this.#store, `RunWorker ${this.workerId}`);
  }

  /**
   * Claims and executes runs, up to `concurrency` at once, polling when
   * there is none, until `signal` aborts: then it stops claiming, waits for
   * the runs in flight, and returns.
   */
  async run(signal?: AbortSignal): Promise<void> {
    this.onEvent({ event: 'started', worker: this.workerId });
    const inFlight = new Set<Promise<void>>();
    const aborted = new Promise<void>((resolve) => {
      if (signal?.aborted) resolve();
      signal?.addEventListener('abort', () => resolve(), { once: true });
    });
    try {
      while (!signal?.aborted) {
        if (inFlight.size >= this.concurrency) {
          await Promise.race([...inFlight, aborted]);
          continue;
        }
        const claimed = await this.claimLogged();
        if (claimed) {
          const running: Promise<void> = this.execute(claimed).finally(() => inFlight.delete(running));
          inFlight.add(running);
          continue;
        }
        // Idle: wait for the poll interval, or less when a run finishes or the worker is stopped.
        await Promise.race([delay(this.pollMs, undefined, { ref: true }), aborted, ...inFlight]);
      }
      await Promise.all(inFlight);
    } finally {
      await this.handle.close();
      this.onEvent({ event: 'stopped', worker: this.workerId });
    }
  }

  /** Claims one run and executes it; its id, or null when no run was free. */
  async runOnce(): Promise<string | null> {
    const claimed = await this.claim();
    if (!claimed) return null;
    await this.execute(claimed);
    return claimed.run_id;
  }

  private async claimLogged(): Promise<ClaimedRun | null> {
    try {
      return await this.claim();
    } catch (error) {
      this.onEvent({ event: 'claim_failed', worker: this.workerId, error: message(error) });
      return null;
    }
  }

  private async claim(): Promise<ClaimedRun | null> {
    const db = await this.handle.get();
    const graphs = [...this.agents.keys()];
    for (const run of await db.query<{ run_id: string; attempts: number }>(GIVE_UP, [graphs, this.maxAttempts])) {
      this.onEvent({
        event: 'failed',
        worker: this.workerId,
        run_id: run.run_id,
        error: `Its process died on each of its ${run.attempts} attempts (maxAttempts ${this.maxAttempts}); resume it directly, or with a worker allowing more attempts.`,
      });
    }
    const [row] = await db.query<ClaimedRun>(CLAIM, [this.workerId, this.leaseMs, graphs, this.maxAttempts]);
    if (!row) return null;
    this.onEvent({ event: 'claimed', worker: this.workerId, run_id: row.run_id, attempt: row.attempts });
    return row;
  }

  /** Resumes a claimed run as a direct call with `[]` would, under the claimed lease. Never throws. */
  private async execute(run: ClaimedRun): Promise<void> {
    const worker = this.workerId;
    const session = run.session_id === null ? null : new DurableSession({ ...this.#store, sessionId: run.session_id });
    try {
      const agent = this.agents.get(run.graph)?.find((candidate) => candidate.name === run.agent);
      // The graph matched, so an agent of that name is in it; a different starting agent of the
      // same graph (a handoff cycle) is still a mismatch the resume reports.
      const result = await executeDurably(
        agent ?? this.agents.get(run.graph)![0],
        [],
        session,
        false,
        {},
        this.runner,
        { ...this.#store, runId: run.run_id },
        { owner: worker, leaseMs: this.leaseMs, claimed: true },
      );
      const outcome = result.interruptions.length > 0 ? 'interrupted' : 'finished';
      this.onEvent({ event: outcome, worker, run_id: run.run_id });
    } catch (error) {
      this.onEvent({ event: 'failed', worker, run_id: run.run_id, error: message(error) });
    } finally {
      await session?.close().catch(() => undefined);
    }
  }
}
