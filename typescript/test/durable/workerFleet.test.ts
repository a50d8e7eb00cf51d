import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { submitRun } from '../../src/index.js';
import { startModelServer, type ObservedRequest } from '../../../testing/model-server/server.mjs';
import { REPO_ROOT, scenarioPath } from '../support/environment.js';
import { createScratchDatabase } from '../fixtures/helpers.js';
import { fleetAgent } from './workerFleetAgents.js';

/**
 * Three workers — two `timestep worker` (TypeScript) and one
 * `python -m timestep.worker` — share one PostgreSQL store and finish RUNS
 * submitted runs while the test kills them with SIGKILL at random points and
 * starts them again. Every run must finish exactly once: one final segment,
 * no model call repeated once its response was journaled (the scripted
 * server's arrival times against the journal's), and each side effect run at
 * least once and never more often than its call was started.
 * TIMESTEP_FLEET_RUNS overrides the number of runs (default 500, as CI runs).
 */
const RUNS = Number(process.env.TIMESTEP_FLEET_RUNS ?? 500);
const LEASE_MS = 1500;
const DEADLINE_MS = 10 * 60_000;
const PYTHON = join(REPO_ROOT, '.venv/bin/python');
const ORDINAL_OF_RULE: Record<string, number> = { 'fleet-step-1': 0, 'fleet-step-2': 1, 'fleet-finish': 2 };

type Language = 'typescript' | 'python';

interface WorkerEvent {
  event: string;
  run_id?: string;
  error?: string;
}

interface FleetWorker {
  process: ChildProcess;
  exited: Promise<unknown>;
}

// A seeded generator, so a failing sequence of kill points can be replayed.
function random(seed: number): () => number {
  let x = seed;
  return () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

test(`3 workers (2 TypeScript, 1 Python) on PostgreSQL finish ${RUNS} runs exactly once under random kill -9`, { timeout: DEADLINE_MS + 60_000 }, async (t) => {
  // A database of its own: no other suite's runs to claim, no effects table left behind.
  const scratch = await createScratchDatabase();
  const url = scratch.url;
  const observed: ObservedRequest[] = [];
  const server = await startModelServer({ scenarioPath: scenarioPath('worker-fleet'), onRequest: (request) => observed.push(request) });
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const workers: FleetWorker[] = [];
  try {
    await db.query('CREATE TABLE fleet_effects (run text NOT NULL, step integer NOT NULL, worker text NOT NULL)');
    const tag = randomUUID().slice(0, 8);
    const runIds = Array.from({ length: RUNS }, (_, index) => `fleet-${tag}-${index}`);
    const inputOf = (runId: string) => `Fleet run ${runId}`;
    for (const runId of runIds) {
      await submitRun(fleetAgent, inputOf(runId), null, { runId, connectionString: url });
    }

    const seed = Number(process.env.TIMESTEP_FLEET_SEED ?? Date.now() % 100_000);
    t.diagnostic(`seed ${seed} (TIMESTEP_FLEET_SEED replays it)`);
    const next = random(seed);
    const events: Array<WorkerEvent & { language: Language }> = [];
    let kills = 0;
    let done = false;

    const env = {
      ...process.env,
      TIMESTEP_DB_URL: url,
      FLEET_EFFECTS_DB_URL: url,
      OPENAI_BASE_URL: `${server.url}/v1`,
      OPENAI_API_KEY: 'test-key',
      OPENAI_AGENTS_DISABLE_TRACING: '1',
      PYTHONUNBUFFERED: '1',
      PYTHONPATH: join(REPO_ROOT, 'python/tests'),
    };
    // Every kill costs the runs in flight an attempt: allow enough that none is given up.
    const options = ['--concurrency', '4', '--lease-ms', String(LEASE_MS), '--poll-ms', '100', '--max-attempts', '100'];

    // Each slot keeps one worker alive: killed after a random number of claims (and a random delay), then replaced.
    const startSlot = (language: Language): void => {
      const child =
        language === 'typescript'
          ? spawn(
              process.execPath,
              ['--import', 'tsx', join(REPO_ROOT, 'typescript/src/cli/main.ts'), 'worker', '--agents', join(REPO_ROOT, 'typescript/test/durable/workerFleetAgents.ts'), ...options],
              { cwd: join(REPO_ROOT, 'typescript'), env, stdio: ['ignore', 'pipe', 'inherit'] },
            )
          : spawn(PYTHON, ['-m', 'timestep.worker', '--agents', 'durable.worker_fleet_agents:agents', ...options], {
              cwd: join(REPO_ROOT, 'python'),
              env,
              stdio: ['ignore', 'pipe', 'inherit'],
            });
      const worker: FleetWorker = { process: child, exited: new Promise((resolve) => child.once('exit', resolve)) };
      workers.push(worker);
      const claimsBeforeKill = 1 + Math.floor(next() * 12);
      let claims = 0;
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (!line.startsWith('{')) return; // the workers' own diagnostics, not events
        const event = JSON.parse(line) as WorkerEvent;
        events.push({ ...event, language });
        if (event.event === 'claimed' && ++claims === claimsBeforeKill && !done) {
          setTimeout(() => {
            if (done) return;
            kills += 1;
            child.kill('SIGKILL');
          }, Math.floor(next() * 400));
        }
      });
      void worker.exited.then(() => {
        if (!done) startSlot(language);
      });
    };
    startSlot('typescript');
    startSlot('typescript');
    startSlot('python');

    // Waits on the store's own record of the runs, checked every half second until the deadline.
    const started = Date.now();
    for (;;) {
      const { rows } = await db.query<{ finished: number }>(
        `SELECT count(*)::int AS finished FROM timestep_durable_runs WHERE run_id = ANY($1) AND status = 'finished'`,
        [runIds],
      );
      if (rows[0]!.finished === RUNS) break;
      assert.ok(Date.now() - started < DEADLINE_MS, `${rows[0]!.finished} of ${RUNS} runs finished before the deadline`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    done = true;
    for (const worker of workers) worker.process.kill('SIGTERM');
    await Promise.all(workers.map((worker) => worker.exited));
    t.diagnostic(`${RUNS} runs in ${Math.round((Date.now() - started) / 1000)} s, ${kills} kills, ${workers.length} worker processes`);

    // Every run finished, nobody holds it, and each was finished in exactly one segment.
    const { rows: runs } = await db.query<{ run_id: string; status: string; lease_owner: string | null; attempts: number }>(
      'SELECT run_id, status, lease_owner, attempts FROM timestep_durable_runs WHERE run_id = ANY($1)',
      [runIds],
    );
    assert.equal(runs.length, RUNS);
    assert.deepEqual(runs.filter((run) => run.status !== 'finished' || run.lease_owner !== null), []);

    const { rows: journal } = await db.query<{ run_id: string; kind: string; key: string | null; body: any; at_ms: number }>(
      `SELECT run_id, kind, key, body, (extract(epoch FROM created_at) * 1000)::float8 AS at_ms
         FROM timestep_run_journal WHERE run_id = ANY($1) ORDER BY run_id, seq`,
      [runIds],
    );
    const byRun = new Map<string, typeof journal>();
    for (const entry of journal) byRun.set(entry.run_id, [...(byRun.get(entry.run_id) ?? []), entry]);
    const { rows: effects } = await db.query<{ run: string; step: number; count: number }>(
      'SELECT run, step, count(*)::int AS count FROM fleet_effects WHERE run = ANY($1) GROUP BY run, step',
      [runIds.map(inputOf)],
    );
    const effectCount = new Map(effects.map((effect) => [`${effect.run}/${effect.step}`, effect.count]));
    const requestsOf = new Map<string, ObservedRequest[]>();
    for (const request of observed) requestsOf.set(request.lastUserText, [...(requestsOf.get(request.lastUserText) ?? []), request]);

    const problems: string[] = [];
    for (const runId of runIds) {
      const entries = byRun.get(runId) ?? [];
      const ends = entries.filter((entry) => entry.kind === 'segment_ended');
      if (ends.length !== 1 || ends[0]!.body.outcome !== 'finished') problems.push(`${runId}: ${ends.length} segment ends`);
      const responses = entries.filter((entry) => entry.kind === 'model_response');
      if (responses.map((entry) => entry.key).join() !== '0,1,2') problems.push(`${runId}: responses ${responses.map((entry) => entry.key)}`);
      const answer = responses.at(-1)?.body.output?.[0]?.content?.[0]?.text;
      if (answer !== `Fleet run done: step 2 done for ${inputOf(runId)}`) problems.push(`${runId}: final answer ${answer}`);

      // A request that arrived after its response was journaled repeated a journaled call.
      for (const request of requestsOf.get(inputOf(runId)) ?? []) {
        const journaled = responses.find((entry) => entry.key === String(ORDINAL_OF_RULE[request.ruleId ?? '']));
        if (!journaled) problems.push(`${runId}: request for unknown call (${request.ruleId})`);
        else if (request.receivedAt > journaled.at_ms) problems.push(`${runId}: call ${journaled.key} sent again after it was journaled`);
      }
      for (const step of [1, 2]) {
        const key = `${step - 1}:`;
        const startedCalls = entries.filter((entry) => entry.kind === 'tool_started' && entry.key?.startsWith(key)).length;
        const results = entries.filter((entry) => entry.kind === 'tool_result' && entry.key?.startsWith(key)).length;
        const ran = effectCount.get(`${inputOf(runId)}/${step}`) ?? 0;
        if (results !== 1) problems.push(`${runId}: step ${step} has ${results} results`);
        if (ran < 1 || ran > startedCalls) problems.push(`${runId}: step ${step} ran ${ran} times for ${startedCalls} starts`);
      }
    }
    assert.deepEqual(problems.slice(0, 20), [], `${problems.length} problems`);

    // The test exercised what it claims: kills, runs taken over after a kill, and both languages finishing runs.
    assert.ok(kills > 0, 'workers were killed');
    assert.ok(runs.some((run) => run.attempts > 1), 'some run was claimed again after its worker died');
    for (const language of ['typescript', 'python'] as const) {
      const finished = events.filter((event) => event.language === language && event.event === 'finished').length;
      t.diagnostic(`${language} workers reported ${finished} finished runs`);
      assert.ok(finished > 0, `${language} workers finished runs`);
    }
  } finally {
    for (const worker of workers) worker.process.kill('SIGKILL');
    await db.end();
    await server.close();
    await scratch.drop();
  }
});
