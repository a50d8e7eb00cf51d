import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { Agent } from '@openai/agents';
import { DurableSession, RunStateStore, consumeResult, runAgent } from '../../src/index.js';
import type { DatabaseLease } from '../../src/store/connect.js';
import { REPO_ROOT, freshAppDirectory, useScriptedOpenAI } from '../support/environment.js';
import { referenceAgents } from '../support/referenceAgents.js';
import {
  REJECTION_MESSAGE,
  childEnv,
  createScratchDatabase,
  leaseRaw,
  runToBerkeleyApproval,
} from '../fixtures/helpers.js';
import type { ModelServer } from '../../../testing/model-server/server.mjs';

// The built CLI, as installed (rebuild with `npx tsc -p .` after changing src/).
const CLI = process.env.TIMESTEP_CLI ?? join(REPO_ROOT, 'typescript/dist/cli/main.js');
const PASSWORD = 'hunter2-do-not-print';

/** The scratch database's URL with a password in it (ignored by a server that trusts the user), to see it hidden. */
function withPassword(url: string): string {
  const parsed = new URL(url);
  if (!parsed.password) parsed.password = PASSWORD;
  return parsed.toString();
}

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

let server: ModelServer;
let scratch: { url: string; drop(): Promise<void> };
before(async () => {
  server = await useScriptedOpenAI('reference-eight-turns');
  // A database of its own: prune works on every run of the store.
  scratch = await createScratchDatabase();
});
after(async () => {
  await server.close();
  await scratch.drop();
});

const callIdOf = (state: { getInterruptions(): Array<{ rawItem: unknown }> }) =>
  (state.getInterruptions()[0].rawItem as { callId: string }).callId;

/** Each store the way a user points the CLI at it: TIMESTEP_HOME (embedded) or TIMESTEP_DB_URL. */
function stores() {
  const home = freshAppDirectory();
  return [
    { name: 'embedded', options: { pglitePath: join(home, 'pglite') }, env: () => childEnv({ TIMESTEP_HOME: home }) },
    {
      name: 'postgres',
      options: { get connectionString() { return scratch.url; } },
      env: () => childEnv({ TIMESTEP_HOME: freshAppDirectory(), TIMESTEP_DB_URL: withPassword(scratch.url) }),
    },
  ];
}

for (const backend of stores()) {
  describe(`timestep runs on the ${backend.name} store`, () => {
    let raw: DatabaseLease;
    const outputs: CliResult[] = [];
    const open: RunStateStore<any, any>[] = [];
    before(async () => {
      raw = await leaseRaw({ ...backend.options });
    });
    after(async () => {
      await Promise.all(open.map((store) => store.close()));
      await raw.release();
    });

    function timestep(...args: string[]): Promise<CliResult> {
      return new Promise((resolve) => {
        execFile(process.execPath, [CLI, 'runs', ...args], { env: backend.env() }, (error, stdout, stderr) => {
          const result = { code: error ? Number((error as { code?: number }).code) : 0, stdout, stderr };
          outputs.push(result);
          resolve(result);
        });
      });
    }
    async function json<T = any>(...args: string[]): Promise<T> {
      const result = await timestep(...args, '--json');
      assert.equal(result.code, 0, `timestep runs ${args.join(' ')} failed: ${result.stderr}`);
      return JSON.parse(result.stdout) as T;
    }
    async function refused(expectedCode: number, type: string, ...args: string[]): Promise<string> {
      const result = await timestep(...args, '--json');
      assert.equal(result.code, expectedCode, `exit code of ${args.join(' ')}: ${result.stderr}`);
      const { error } = JSON.parse(result.stderr) as { error: { type: string; message: string } };
      assert.equal(error.type, type);
      return error.message;
    }
    function storeFor(agent: Agent<any, any>, runId: string) {
      const store = new RunStateStore({ agent, runId, ...backend.options });
      open.push(store);
      return store;
    }
    const newRunId = (label: string) => `${label}-${randomUUID()}`;

    test('list, show and pending describe an interrupted run; approve applies on the next load and is single-use', async () => {
      const { personalAssistant, weatherCalls } = referenceAgents();
      const interrupted = (await runToBerkeleyApproval(personalAssistant)).state;
      const runId = newRunId('approve');
      const callId = callIdOf(interrupted);
      await storeFor(personalAssistant, runId).save(interrupted);

      const { runs } = await json<{ runs: any[] }>('list');
      const listed = runs.find((run) => run.runId === runId);
      assert.deepEqual(
        { ...listed, updatedAt: typeof listed.updatedAt },
        {
          kind: 'run_state',
          runId,
          status: 'interrupted',
          latestVersion: 1,
          versions: 1,
          agent: 'Weather Assistant',
          sessionId: null,
          updatedAt: 'string',
          pendingApprovals: 1,
        },
      );
      const finals = await json<{ runs: any[] }>('list', '--status', 'final');
      assert.ok(!finals.runs.some((run) => run.runId === runId), '--status filters');
      assert.match((await timestep('list')).stdout, new RegExp(`${runId}  v1  interrupted  agent Weather Assistant`));

      const { pending } = await json<{ pending: any[] }>('pending');
      assert.deepEqual(
        pending.filter((call) => call.runId === runId).map(({ since: _since, ...call }) => call),
        [{ kind: 'run_state', runId, version: 1, sessionId: null, agent: 'Weather Assistant', tool: 'get_weather', callId, arguments: '{"city":"Berkeley"}' }],
      );
      const shown = await json('show', runId);
      assert.deepEqual(
        shown.runState.versions.map((v: any) => [v.version, v.status, v.encoding]),
        [[1, 'interrupted', 'full']],
      );
      assert.equal(shown.durable, null);

      await refused(3, 'RunStateNotFoundError', 'approve', newRunId('missing'), callId, '--reason', 'x');
      const unknownCall = await refused(3, 'ApprovalNotFoundError', 'approve', runId, 'call_nope', '--reason', 'x');
      assert.match(unknownCall, new RegExp(`waits on ${callId}`));
      const noReason = await timestep('approve', runId, callId);
      assert.equal(noReason.code, 2);
      assert.match(noReason.stderr, /needs --reason/);

      const { decision } = await json('approve', runId, callId, '--reason', 'Berkeley is fine', '--by', 'alice');
      assert.equal(decision.decision, 'approve');
      assert.equal(decision.decidedBy, 'alice');
      assert.equal(decision.tool, 'get_weather');
      assert.ok(Math.abs(Date.parse(decision.decidedAt) - Date.now()) < 60_000);

      const twice = await refused(4, 'ApprovalAlreadyDecidedError', 'approve', runId, callId, '--reason', 'again');
      assert.match(twice, /approve by alice/);
      await refused(4, 'ApprovalAlreadyDecidedError', 'reject', runId, callId, '--reason', 'changed my mind');
      const afterDecision = await json<{ pending: any[] }>('pending');
      assert.ok(!afterDecision.pending.some((call) => call.runId === runId), 'a decided call is no longer pending');
      assert.deepEqual(
        (await json('show', runId)).runState.decisions.map((d: any) => [d.callId, d.decision, d.reason, d.decidedBy]),
        [[callId, 'approve', 'Berkeley is fine', 'alice']],
      );

      // Another process loads the run: the stored approval is applied, the tool runs.
      const loaded = await storeFor(referenceAgents().personalAssistant, runId).load();
      const resumed = referenceAgents();
      const reloaded = await storeFor(resumed.personalAssistant, runId).load();
      assert.equal(loaded.getInterruptions().length, 1, 'the interruption stays until the run resumes');
      const finished = await consumeResult(await runAgent(resumed.personalAssistant, reloaded));
      assert.equal(finished.finalOutput, 'The weather in Berkeley: foggy, 58°F');
      assert.deepEqual(resumed.weatherCalls, ['Berkeley']);
      assert.deepEqual(weatherCalls, []);
      await storeFor(resumed.personalAssistant, runId).save(finished.state, { expectedVersion: 1 });
      const { runs: afterRun } = await json<{ runs: any[] }>('list', '--status', 'final');
      assert.equal(afterRun.find((run) => run.runId === runId)?.latestVersion, 2);
      await refused(4, 'ApprovalAlreadyDecidedError', 'approve', runId, callId, '--reason', 'once more');
    });

    test('reject stores the reason as the message the model receives; --by defaults to the OS user', async () => {
      const { personalAssistant } = referenceAgents();
      const interrupted = (await runToBerkeleyApproval(personalAssistant)).state;
      const runId = newRunId('reject');
      const callId = callIdOf(interrupted);
      await storeFor(personalAssistant, runId).save(interrupted);

      const human = await timestep('reject', runId, callId, '--reason', REJECTION_MESSAGE);
      assert.equal(human.code, 0, human.stderr);
      assert.match(human.stdout, new RegExp(`Rejected call ${callId} \\(get_weather\\) of run ${runId} as ${userInfo().username}`));

      const resumed = referenceAgents();
      const state = await storeFor(resumed.personalAssistant, runId).load();
      const finished = await consumeResult(await runAgent(resumed.personalAssistant, state));
      assert.deepEqual(resumed.weatherCalls, [], 'a rejected tool never runs');
      assert.equal(finished.finalOutput, `The weather in Berkeley: ${REJECTION_MESSAGE}`);
    });

    test('a durable run is listed as durable with its journal summary', async () => {
      const { weatherAssistant } = referenceAgents();
      const runId = newRunId('durable');
      const result = await consumeResult(
        await runAgent(weatherAssistant, "What's the weather in Oakland?", null, false, {
          durable: { runId, ...backend.options },
        }),
      );
      assert.equal(result.finalOutput, 'The weather in Oakland: sunny, 68°F');
      const { runs } = await json<{ runs: any[] }>('list', '--status', 'finished');
      const listed = runs.find((run) => run.runId === runId);
      assert.equal(listed?.kind, 'durable');
      assert.equal(listed?.agent, 'Weather Assistant');
      assert.equal(listed?.latestVersion, null);
      const shown = await json('show', runId);
      assert.equal(shown.runState, null);
      assert.equal(shown.durable.status, 'finished');
      assert.deepEqual(
        [shown.durable.journal.segments, shown.durable.journal.modelResponses, shown.durable.journal.toolResults],
        [1, 2, 1],
      );
      assert.match((await timestep('show', runId)).stdout, /journal: \d+ entries, 1 segments, 2 model responses, 1 tool results/);
      await refused(3, 'ApprovalNotFoundError', 'approve', runId, 'call_x', '--reason', 'x');
    });

    test('fork of a durable run copies its journal up to an entry; resuming the fork replays it and goes on live', async () => {
      const original = referenceAgents();
      const runId = newRunId('durable-fork');
      const question = "What's the weather in Oakland?";
      const session = new DurableSession({ ...backend.options });
      await session.addItems([{ role: 'user', content: 'An earlier turn of the conversation.' }]);
      const finished = await consumeResult(
        await runAgent(original.weatherAssistant, question, session, false, { durable: { runId, ...backend.options } }),
      );
      const shown = await json('show', runId);
      const history: Array<{ seq: number; kind: string }> = shown.durable.journal.history;
      assert.deepEqual(
        history.map((entry) => [entry.seq, entry.kind]),
        [[1, 'segment_started'], [2, 'model_response'], [3, 'tool_started'], [4, 'tool_result'], [5, 'model_response'], [6, 'segment_ended']],
      );
      assert.match((await timestep('show', runId)).stdout, /\n\s+4\s+0\s+tool_result\s+0:\S+/);

      // Up to the tool's result: the weather is not fetched again, only the answer is asked for.
      const forkId = newRunId('durable-forked');
      const fork = await json('fork', runId, '--version', '4', '--as', forkId);
      assert.equal(fork.runId, forkId);
      assert.equal(fork.fromVersion, 4);
      assert.notEqual(fork.sessionId, await session.getSessionId(), 'the fork writes its own conversation');
      const forkShown = await json('show', forkId);
      assert.equal(forkShown.durable.status, 'queued');
      assert.equal(forkShown.durable.sessionId, fork.sessionId);
      assert.deepEqual(
        forkShown.durable.journal.history.map((entry: { kind: string; key: string | null }) => [entry.kind, entry.key]),
        shown.durable.journal.history.slice(0, 4).map((entry: { kind: string; key: string | null }) => [entry.kind, entry.key]),
      );
      const forkSession = new DurableSession({ sessionId: fork.sessionId, ...backend.options });
      assert.deepEqual(await forkSession.getItems(), (await session.getItems()).slice(0, 1), 'the items the run started with');

      const resumed = referenceAgents();
      const before = server.requests.length;
      const result = await consumeResult(
        await runAgent(resumed.weatherAssistant, [], forkSession, false, { durable: { runId: forkId, ...backend.options } }),
      );
      assert.equal(result.finalOutput, finished.finalOutput);
      assert.equal(server.requests.length - before, 1, 'only the model call after entry 4 is made');
      assert.deepEqual(resumed.weatherCalls, [], 'the journaled tool call does not run again');
      assert.deepEqual(await forkSession.getItems(), await session.getItems(), 'the same conversation as the original');
      assert.equal((await json('show', forkId)).durable.status, 'finished');
      assert.equal((await json('show', runId)).durable.journal.history.length, 6, 'the original is untouched');

      await refused(2, 'UsageError', 'fork', runId, '--version', '6');
      await refused(3, 'RunStateNotFoundError', 'fork', runId, '--version', '7');
      await refused(4, 'RunStateConflictError', 'fork', runId, '--version', '2', '--as', forkId);
      const named = await timestep('fork', runId, '--version', '2');
      assert.match(named.stdout, /^\S+\nsession \S+\n$/);
      await Promise.all([session.close(), forkSession.close()]);
    });

    /** Six versions: 1 full, 2-3 deltas on it, 4 full (a new writer), 5-6 deltas on it. */
    async function sixVersions(runId: string) {
      const { personalAssistant } = referenceAgents();
      const state = (await runToBerkeleyApproval(personalAssistant)).state;
      for (const writer of [storeFor(personalAssistant, runId), storeFor(personalAssistant, runId)]) {
        for (let i = 0; i < 3; i++) await writer.save(state);
      }
      const shown = await json('show', runId);
      assert.deepEqual(
        shown.runState.versions.map((v: any) => `${v.version}${v.encoding}`),
        ['1full', '2delta', '3delta', '4full', '5delta', '6delta'],
      );
      return { personalAssistant, callId: callIdOf(state) };
    }

    test('fork copies a past version as the full version 1 of a new run', async () => {
      const runId = newRunId('fork');
      const { personalAssistant, callId } = await sixVersions(runId);
      const forkId = newRunId('forked');

      const named = await timestep('fork', runId, '--version', '3', '--as', forkId);
      assert.equal(named.code, 0, named.stderr);
      assert.equal(named.stdout.trim(), forkId);
      const forkShown = await json('show', forkId);
      assert.deepEqual(
        forkShown.runState.versions.map((v: any) => [v.version, v.status, v.encoding, v.pendingApprovals[0].call_id]),
        [[1, 'interrupted', 'full', callId]],
      );
      const loaded = await storeFor(personalAssistant, forkId).load();
      assert.equal(callIdOf(loaded), callId);

      const unnamed = await json('fork', runId, '--version', '5');
      assert.match(unnamed.runId, /^[0-9a-f-]{36}$/);
      assert.deepEqual([unnamed.fromRunId, unnamed.fromVersion], [runId, 5]);
      assert.equal(callIdOf(await storeFor(personalAssistant, unnamed.runId).load()), callId);

      await refused(4, 'RunStateConflictError', 'fork', runId, '--version', '1', '--as', forkId);
      await refused(3, 'RunStateNotFoundError', 'fork', runId, '--version', '7');
      await refused(3, 'RunStateNotFoundError', 'fork', newRunId('missing'), '--version', '1');
      await refused(2, 'UsageError', 'fork', runId, '--version', 'two');
      await refused(2, 'UsageError', 'fork', runId);
      assert.equal((await json('show', forkId)).runState.versions.length, 1, 'a refused fork wrote nothing');
    });

    test('prune deletes old versions by policy, keeping the latest and every version a kept delta needs', async () => {
      const runId = newRunId('prune');
      const { personalAssistant } = await sixVersions(runId);
      const versionsOf = async (id: string) =>
        (await json('show', id)).runState.versions.map((v: any) => v.version) as number[];

      await refused(2, 'UsageError', 'prune');
      await refused(2, 'UsageError', 'prune', '--older-than', 'soon');
      const young = await json('prune', '--older-than', '1h');
      assert.ok(!young.pruned.some((run: any) => run.runId === runId), 'versions saved just now are younger than 1h');

      const dry = await json('prune', '--keep-last', '1', '--dry-run');
      assert.deepEqual(
        dry.pruned.find((run: any) => run.runId === runId),
        { runId, versions: [1, 2, 3], kept: 3 },
        'version 6 is a delta on 5, a delta on the full version 4',
      );
      assert.deepEqual(await versionsOf(runId), [1, 2, 3, 4, 5, 6], 'a dry run deletes nothing');

      const human = await timestep('prune', '--keep-last', '1');
      assert.equal(human.code, 0, human.stderr);
      assert.match(human.stdout, new RegExp(`removed run ${runId} versions 1, 2, 3 \\(3 kept\\)`));
      assert.deepEqual(await versionsOf(runId), [4, 5, 6]);
      for (const version of [4, 5, 6, undefined]) {
        const state = await storeFor(personalAssistant, runId).load({ version });
        assert.equal(state.getInterruptions().length, 1, `version ${version ?? 'latest'} still loads`);
      }

      // Age and count together: only what both policies let go.
      const again = await json('prune', '--keep-last', '1', '--older-than', '0s');
      assert.ok(!again.pruned.some((run: any) => run.runId === runId), 'nothing left that the chain does not need');

      // A run whose latest version is full keeps nothing older once they are old enough.
      const fullRun = newRunId('prune-full');
      const { personalAssistant: agent } = referenceAgents();
      const state = (await runToBerkeleyApproval(agent)).state;
      for (let i = 0; i < 3; i++) await storeFor(agent, fullRun).save(state);
      const byAge = await json('prune', '--older-than', '0s');
      assert.deepEqual(byAge.pruned.find((run: any) => run.runId === fullRun), { runId: fullRun, versions: [1, 2], kept: 1 });
      assert.deepEqual(await versionsOf(fullRun), [3]);
      assert.equal(callIdOf(await storeFor(agent, fullRun).load()), callIdOf(state));
    });

    test('prune --durable deletes finished durable runs whole, by age; never one with work ahead', async () => {
      const { personalAssistant, weatherAssistant } = referenceAgents();
      const finishedRun = newRunId('prune-durable');
      const waitingRun = newRunId('prune-durable-waiting');
      await consumeResult(await runAgent(weatherAssistant, "What's the weather in Oakland?", null, false, { durable: { runId: finishedRun, ...backend.options } }));
      const waiting = await consumeResult(
        await runAgent(personalAssistant, "What's the weather in Berkeley?", null, false, { durable: { runId: waitingRun, ...backend.options } }),
      );
      assert.equal(waiting.interruptions.length, 1);
      const entries = (await json('show', finishedRun)).durable.journal.entries;
      // A decision stored while the run waited once (as `runs approve` stores it): it goes with the run.
      await raw.db.query(
        `INSERT INTO timestep_approval_decisions (run_id, call_id, decision, reason, decided_by, tool)
         VALUES ($1, 'call_earlier', 'approve', 'fine', 'carol', 'get_weather')`,
        [finishedRun],
      );

      await refused(2, 'UsageError', 'prune', '--keep-last', '1', '--durable');
      const without = await json('prune', '--older-than', '0s');
      assert.deepEqual(without.durable, [], 'durable runs are pruned only when asked');
      const young = await json('prune', '--older-than', '1h', '--durable');
      assert.ok(!young.durable.some((run: any) => run.runId === finishedRun), 'finished just now is younger than 1h');

      const dry = await json('prune', '--older-than', '0s', '--durable', '--dry-run');
      assert.deepEqual(dry.durable.find((run: any) => run.runId === finishedRun), { runId: finishedRun, entries });
      assert.ok(!dry.durable.some((run: any) => run.runId === waitingRun), 'an interrupted run waits for a human');
      assert.equal((await json('show', finishedRun)).durable.journal.entries, entries, 'a dry run deletes nothing');

      const human = await timestep('prune', '--older-than', '0s', '--durable');
      assert.equal(human.code, 0, human.stderr);
      assert.match(human.stdout, new RegExp(`removed durable run ${finishedRun} \\(finished; ${entries} journal entries\\)`));
      await refused(3, 'RunStateNotFoundError', 'show', finishedRun);
      const [{ left }] = await raw.db.query<{ left: number }>(
        'SELECT count(*)::int AS left FROM timestep_run_journal WHERE run_id = $1',
        [finishedRun],
      );
      assert.equal(left, 0, 'its journal went with it');
      const [{ decisions }] = await raw.db.query<{ decisions: number }>(
        'SELECT count(*)::int AS decisions FROM timestep_approval_decisions WHERE run_id = $1',
        [finishedRun],
      );
      assert.equal(decisions, 0, 'and its decisions');
      assert.equal((await json('show', waitingRun)).durable.status, 'interrupted');
    });

    test('the password of TIMESTEP_DB_URL never appears in any output', async () => {
      const listing = await timestep('list');
      if (backend.name === 'postgres') {
        const password = new URL(withPassword(scratch.url)).password;
        assert.match(listing.stdout, /^store: postgresql:\/\/[^:/]+:\*\*\*@/);
        assert.ok(outputs.length > 40);
        for (const output of outputs) assert.ok(!(output.stdout + output.stderr).includes(password));
      } else {
        assert.match(listing.stdout, /^store: embedded store .*pglite$/m);
      }
    });
  });
}
