/**
 * `timestep worker` and `timestep runs pending|approve` on durable runs
 * (spec/run-journal, "Leases and workers", "Pending approvals and decisions"),
 * on both stores.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DurableSession, RunWorker, runAgent, submitRun, type RunWorkerEvent } from '../../src/index.js';
import type { StoreOptions } from '../../src/store/connect.js';
import { REPO_ROOT, freshAppDirectory, useScriptedOpenAI } from '../support/environment.js';
import { runWorkerCli } from '../support/workerCli.js';
import { childEnv, createScratchDatabase } from '../fixtures/helpers.js';
import type { ModelServer } from '../../../testing/model-server/server.mjs';
import { MODEL_CALLS, STEPS, STEPPER_INPUT, stepAgent, stepCounts } from '../durable/stepAgent.js';
import { childArgs, journaledModelCalls, runChild, storedJournal } from '../durable/support.js';

// The built CLI, as installed (rebuild with `npx tsc -p .` after changing src/).
const CLI = process.env.TIMESTEP_CLI ?? join(REPO_ROOT, 'typescript/dist/cli/main.js');
// `timestep worker` loading a TypeScript agents module: the CLI's source under tsx.
const CLI_SOURCE = join(REPO_ROOT, 'typescript/src/cli/main.ts');
const AGENTS_MODULE = join(REPO_ROOT, 'typescript/test/cli/workerAgents.ts');

let server: ModelServer;
// A database of its own: a worker claims any claimable run of its graph, and other suites leave
// crashed runs of the Durable Stepper in the shared test database.
let scratch: { url: string; drop(): Promise<void> };
before(async () => {
  server = await useScriptedOpenAI('durable-twenty-steps');
  scratch = await createScratchDatabase();
});
after(async () => {
  await server.close();
  await scratch.drop();
});

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');
const everyStepOnce = (file: string) =>
  assert.deepEqual([...stepCounts(lines(file))], Array.from({ length: STEPS }, (_, i) => [i + 1, 1]));

function stores(): Array<{ name: string; options: StoreOptions; env: () => NodeJS.ProcessEnv }> {
  const home = freshAppDirectory();
  return [
    { name: 'embedded', options: { pglitePath: join(home, 'pglite') }, env: () => childEnv({ TIMESTEP_HOME: home }) },
    {
      name: 'postgres',
      options: { get connectionString() { return scratch.url; } },
      env: () => childEnv({ TIMESTEP_HOME: freshAppDirectory(), TIMESTEP_DB_URL: scratch.url }),
    },
  ];
}

for (const backend of stores()) {
  describe(`durable runs through the CLI (${backend.name})`, () => {
    const store = backend.options;

    function runs(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
      return new Promise((resolve) => {
        execFile(process.execPath, [CLI, 'runs', ...args], { env: backend.env() }, (error, stdout, stderr) =>
          resolve({ code: error ? Number((error as { code?: number }).code) : 0, stdout, stderr }),
        );
      });
    }

    test('an interrupted durable run is listed by `runs pending`; `runs approve` lets a worker finish it', { timeout: 120_000 }, async () => {
      const runId = `cli-approve-${randomUUID()}`;
      const sessionId = randomUUID();
      const file = join(freshAppDirectory(), 'effects.txt');
      // A child dies while step 4 runs; resuming finds the call in doubt and stops for a decision.
      await runChild(childArgs(store, runId, sessionId, file, '--hang-at', '4'), (line, kill) => {
        if (line.event === 'step' && line.step === 4) kill();
      });
      const session = new DurableSession({ sessionId, ...store });
      const agent = stepAgent({ effectsFile: file });
      const interrupted = await runAgent(agent, [], session, false, { durable: { runId, ...store }, maxTurns: 30 });
      assert.equal(interrupted.interruptions.length, 1);
      const callId = (interrupted.interruptions[0].rawItem as { callId: string }).callId;
      await session.close();

      const pending = await runs('pending', '--json');
      assert.equal(pending.code, 0, pending.stderr);
      const listed = (JSON.parse(pending.stdout).pending as any[]).filter((call) => call.runId === runId);
      assert.deepEqual(
        listed.map(({ since: _since, ...call }) => call),
        [{ kind: 'durable', runId, version: null, sessionId, agent: 'Durable Stepper', tool: 'record_step', callId, arguments: '{"step":4}' }],
      );

      // Undecided: a worker leaves the run alone.
      const events: RunWorkerEvent[] = [];
      const worker = new RunWorker({ agents: [stepAgent({ effectsFile: file })], ...store, onEvent: (event) => events.push(event) });
      assert.equal(await worker.runOnce(), null);

      const approved = await runs('approve', runId, callId, '--reason', 'step 4 may run again', '--json');
      assert.equal(approved.code, 0, approved.stderr);
      const again = await runs('approve', runId, callId, '--reason', 'twice', '--json');
      assert.equal(again.code, 4, 'a decision is single-use');
      assert.ok(!(JSON.parse((await runs('pending', '--json')).stdout).pending as any[]).some((call) => call.runId === runId));

      const before = server.requests.length;
      assert.equal(await worker.runOnce(), runId);
      assert.deepEqual(events.map((event) => event.event), ['claimed', 'finished']);
      everyStepOnce(file);
      assert.equal(journaledModelCalls(await storedJournal(store, runId)), MODEL_CALLS);
      assert.equal(server.requests.length - before, MODEL_CALLS - 4, 'only the calls after step 4 were sent');
    });

    test('`runs reject` on a durable run: a direct resume with [] gives the model the reason and finishes', { timeout: 120_000 }, async () => {
      const runId = `cli-reject-${randomUUID()}`;
      const sessionId = randomUUID();
      const file = join(freshAppDirectory(), 'effects.txt');
      await runChild(childArgs(store, runId, sessionId, file, '--hang-at', '2'), (line, kill) => {
        if (line.event === 'step' && line.step === 2) kill();
      });
      const session = new DurableSession({ sessionId, ...store });
      const agent = stepAgent({ effectsFile: file });
      const options = { durable: { runId, ...store }, maxTurns: 30 };
      const interrupted = await runAgent(agent, [], session, false, options);
      const callId = (interrupted.interruptions[0].rawItem as { callId: string }).callId;

      const rejected = await runs('reject', runId, callId, '--reason', 'Step 2 was not approved by ops.', '--json');
      assert.equal(rejected.code, 0, rejected.stderr);
      const resumed = await runAgent(agent, [], session, false, options);
      assert.equal(resumed.interruptions.length, 0);
      assert.equal(resumed.finalOutput, 'A step was not approved; stopping.');
      assert.deepEqual([...stepCounts(lines(file))], [[1, 1]], 'the rejected call did not run again');
      const items = JSON.stringify(await session.getItems());
      assert.ok(items.includes('Step 2 was not approved by ops.'), 'the model received the reason');
      await session.close();
    });

    test('`timestep worker` finishes a submitted run and stops gracefully on SIGTERM, exit 0', { timeout: 120_000 }, async () => {
      const runId = `cli-worker-${randomUUID()}`;
      const file = join(freshAppDirectory(), 'effects.txt');
      await submitRun(stepAgent({ effectsFile: file }), STEPPER_INPUT, null, { runId, ...store }, { maxTurns: 30 });
      // Stopped while the run is in flight: the run still finishes before the worker exits.
      const { code, stderr, events } = await runWorkerCli(AGENTS_MODULE, { ...backend.env(), STEPPER_EFFECTS_FILE: file }, (event) => event.event === 'claimed');
      assert.equal(code, 0, stderr);
      assert.deepEqual(
        events.map((event) => [event.event, 'run_id' in event ? event.run_id : null]),
        [['started', null], ['claimed', runId], ['finished', runId], ['stopped', null]],
      );
      everyStepOnce(file);
      assert.ok(!JSON.stringify(events).includes(scratch.url), 'no connection string in the logs');
    });

    test('`timestep worker` refuses a bad agents module and bad numbers with exit 2', async () => {
      const run = (...args: string[]) =>
        new Promise<{ code: number; stderr: string }>((resolve) => {
          execFile(process.execPath, ['--import', 'tsx', CLI_SOURCE, 'worker', ...args], { env: backend.env(), cwd: join(REPO_ROOT, 'typescript') }, (error, _stdout, stderr) =>
            resolve({ code: error ? Number((error as { code?: number }).code) : 0, stderr }),
          );
        });
      const noAgents = await run('--agents', join(REPO_ROOT, 'typescript/test/cli/workerCommand.test.ts.missing'));
      assert.equal(noAgents.code, 2);
      assert.match(noAgents.stderr, /Cannot load agents module/);
      const notAgents = await run('--agents', join(REPO_ROOT, 'typescript/test/durable/stepAgent.ts'));
      assert.equal(notAgents.code, 2);
      assert.match(notAgents.stderr, /must export `agents`/);
      const badNumber = await run('--agents', AGENTS_MODULE, '--concurrency', '0');
      assert.equal(badNumber.code, 2);
      assert.match(badNumber.stderr, /--concurrency must be a whole number/);
    });
  });
}
