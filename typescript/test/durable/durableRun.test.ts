import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import type { AgentInputItem, CallModelInputFilter, RunStreamEvent, StreamedRunResult } from '@openai/agents';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  DurableRunConflictError,
  DurableRunDivergedError,
  DurableRunMismatchError,
  DurableRunUnsupportedError,
  DurableRunUnreadableError,
  InvalidIdentifierError,
  DurableSession,
  consumeResult,
  durableStreamEvents,
  runAgent,
  type DurableStreamPosition,
  submitRun,
} from '../../src/index.js';
import { toResponsesItem } from '../../src/portable-state/responsesItems.js';
import { leaseDatabase, resolveStoreTarget } from '../../src/store/connect.js';
import { recordDecision } from '../../src/store/approvalDecisions.js';
import { backends, freshAppDirectory, useScriptedOpenAI } from '../support/environment.js';
import type { ModelServer } from '../../../testing/model-server/server.mjs';
import { MODEL_CALLS, STEPS, STEPPER_INPUT, eventSummary, stepAgent, stepCounts } from './stepAgent.js';
import { childArgs, conversation, journaledModelCalls, runChild, runRow, storedJournal } from './support.js';

let server: ModelServer;
before(async () => {
  server = await useScriptedOpenAI('durable-twenty-steps');
});
after(() => server.close());

const effects = () => join(freshAppDirectory(), 'effects.txt');
const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');
const everyStepOnce = (file: string) =>
  assert.deepEqual([...stepCounts(lines(file))], Array.from({ length: STEPS }, (_, i) => [i + 1, 1]));

/** What `FailingSession` raises, so a test can tell it from any other error. */
class SessionWriteFailed extends Error {}

/** A DurableSession whose write of the items `failsOn` picks raises (and stores nothing). */
class FailingSession extends DurableSession {
  constructor(
    private readonly failsOn: (items: AgentInputItem[]) => boolean,
    options: ConstructorParameters<typeof DurableSession>[0],
  ) {
    super(options);
  }

  override async addItems(items: AgentInputItem[]): Promise<void> {
    if (this.failsOn(items)) throw new SessionWriteFailed(`the session refused ${items.length} items`);
    await super.addItems(items);
  }
}

for (const { name, options: store } of backends()) {
  describe(`durable runs (${name})`, () => {
    const durable = (runId: string) => ({ durable: { runId, ...store }, maxTurns: 30 });

    test('a durable run has the conversation of a plain run; resuming it once finished makes no calls', async () => {
      const plainSession = new DurableSession(store);
      const plainEffects = effects();
      const plain = await runAgent(stepAgent({ effectsFile: plainEffects }), STEPPER_INPUT, plainSession, false, { maxTurns: 30 });

      const runId = `finished-${randomUUID()}`;
      const session = new DurableSession(store);
      const file = effects();
      const agent = stepAgent({ effectsFile: file });
      const before = server.requests.length;
      const first = await runAgent(agent, STEPPER_INPUT, session, false, durable(runId));
      assert.equal(server.requests.length - before, MODEL_CALLS);
      assert.equal(first.finalOutput, plain.finalOutput);
      assert.deepEqual(await conversation(session), await conversation(plainSession));
      everyStepOnce(file);

      const afterRun = server.requests.length;
      for (const input of [STEPPER_INPUT, []]) {
        const again = await runAgent(agent, input, session, false, durable(runId));
        assert.equal(again.finalOutput, first.finalOutput);
        const journaled = (result: typeof first) =>
          result.rawResponses.map(({ output, responseId, usage }) => ({
            output: output.map((item) => toResponsesItem(item as AgentInputItem)),
            responseId,
            tokens: [usage.inputTokens, usage.outputTokens, usage.totalTokens],
          }));
        assert.deepEqual(journaled(again), journaled(first), 'replayed responses have the live ones\' output, ids and usage');
      }
      assert.equal(server.requests.length, afterRun, 'no model call was sent again');
      everyStepOnce(file);
      assert.deepEqual(await conversation(session), await conversation(plainSession), 'no item was added twice');
      const journal = await storedJournal(store, runId);
      assert.equal(journaledModelCalls(journal), MODEL_CALLS);
      await Promise.all([plainSession.close(), session.close()]);
    });

    test('a streamed durable run is journaled and resumes without calls', async () => {
      const runId = `streamed-${randomUUID()}`;
      const session = new DurableSession(store);
      const file = effects();
      const agent = stepAgent({ effectsFile: file });
      const before = server.requests.length;
      const streamed = await consumeResult(await runAgent(agent, STEPPER_INPUT, session, true, durable(runId)));
      assert.equal(server.requests.length - before, MODEL_CALLS);
      const replayed = await runAgent(agent, [], session, false, durable(runId));
      assert.equal(replayed.finalOutput, streamed.finalOutput);
      assert.equal(server.requests.length - before, MODEL_CALLS);
      everyStepOnce(file);
      await session.close();
    });

    for (const stream of [false, true]) {
      test(`every step is journaled in order with no number skipped (${stream ? 'streamed' : 'not streamed'})`, async () => {
        // Responses and results wait to be written with the next entry; the journal still reads as one entry per step.
        const runId = `in-order-${randomUUID()}`;
        const session = new DurableSession(store);
        const result = await consumeResult(await runAgent(stepAgent({ effectsFile: effects() }), STEPPER_INPUT, session, stream, durable(runId)));
        assert.equal(result.finalOutput, 'All 20 steps are recorded.');
        const journal = await storedJournal(store, runId);
        assert.deepEqual(
          journal.map((entry) => entry.seq),
          journal.map((_, index) => index + 1),
        );
        const keys = journal.filter((entry) => entry.kind === 'tool_started').map((entry) => entry.key);
        const expected: Array<[string, string | null]> = [['segment_started', null]];
        for (let ordinal = 0; ordinal < STEPS; ordinal++) {
          assert.ok(keys[ordinal]?.startsWith(`${ordinal}:`), `step ${ordinal + 1}'s call is keyed by its model call`);
          expected.push(['model_response', String(ordinal)], ['tool_started', keys[ordinal]!], ['tool_result', keys[ordinal]!]);
        }
        expected.push(['model_response', String(STEPS)], ['segment_ended', null]);
        assert.deepEqual(
          journal.map((entry) => [entry.kind, entry.key]),
          expected,
        );
        assert.equal((await runRow(store, runId))?.status, 'finished');
        await session.close();
      });
    }

    test('a session write that fails in the background fails the run, and a resume stores its items once', async () => {
      // A run that is not streamed writes the session in the background (this SDK writes it once, at
      // the run's end): the failure must still fail the run, and the resume replays without calls.
      const reference = new DurableSession(store);
      await runAgent(stepAgent({ effectsFile: effects() }), STEPPER_INPUT, reference, false, { maxTurns: 30 });
      const expected = await conversation(reference);
      await reference.close();

      const runId = `session-fails-${randomUUID()}`;
      const sessionId = randomUUID();
      const file = effects();
      const agent = stepAgent({ effectsFile: file });
      const holdsTheAnswer = (items: AgentInputItem[]) => items.some((item) => 'role' in item && item.role === 'assistant');
      const session = new FailingSession(holdsTheAnswer, { sessionId, ...store });
      await assert.rejects(runAgent(agent, STEPPER_INPUT, session, false, durable(runId)), SessionWriteFailed);
      await session.close();
      assert.equal((await runRow(store, runId))?.status, 'failed');
      const journal = await storedJournal(store, runId);
      assert.deepEqual(
        journal.map((entry) => entry.seq),
        journal.map((_, index) => index + 1),
      );
      assert.ok(!journal.some((entry) => entry.kind === 'segment_ended'), 'a run whose items were not stored did not end');
      assert.equal(journaledModelCalls(journal), MODEL_CALLS);
      everyStepOnce(file);

      const before = server.requests.length;
      const resumedSession = new DurableSession({ sessionId, ...store });
      const resumed = await runAgent(agent, [], resumedSession, false, durable(runId));
      assert.equal(resumed.finalOutput, 'All 20 steps are recorded.');
      assert.equal(server.requests.length, before, 'every model call was replayed');
      everyStepOnce(file);
      assert.deepEqual(await conversation(resumedSession), expected, 'the items of the failed write, stored once');
      assert.equal((await runRow(store, runId))?.status, 'finished');
      await resumedSession.close();
    });

    test('a consumed stream that failed has its run recorded as failed, so the same process resumes it at once', async () => {
      const runId = `stream-fails-${randomUUID()}`;
      const sessionId = randomUUID();
      const file = effects();
      const agent = stepAgent({ effectsFile: file });
      const holdsTheAnswer = (items: AgentInputItem[]) => items.some((item) => 'role' in item && item.role === 'assistant');
      const session = new FailingSession(holdsTheAnswer, { sessionId, ...store });
      const streamed = await runAgent(agent, STEPPER_INPUT, session, true, durable(runId));
      await assert.rejects(consumeResult(streamed), SessionWriteFailed);
      await session.close();
      // Read right after the stream ended: its end is journaled before the consumer sees it.
      const row = await runRow(store, runId);
      assert.deepEqual([row?.status, row?.lease_owner], ['failed', null]);

      const before = server.requests.length;
      const resumedSession = new DurableSession({ sessionId, ...store });
      const resumed = await consumeResult(await runAgent(agent, [], resumedSession, true, durable(runId)));
      assert.equal(resumed.finalOutput, 'All 20 steps are recorded.');
      assert.equal(server.requests.length, before, 'every model call was replayed');
      everyStepOnce(file);
      const ended = await runRow(store, runId);
      assert.deepEqual([ended?.status, ended?.lease_owner], ['finished', null], 'and the resumed stream\'s end, before it ends');
      await resumedSession.close();
    });

    test('a stream its consumer stops reading early is not recorded as finished, and a resume finishes the run', async () => {
      const runId = `stream-left-${randomUUID()}`;
      const sessionId = randomUUID();
      const file = effects();
      const agent = stepAgent({ effectsFile: file });
      const session = new DurableSession({ sessionId, ...store });
      const streamed = await runAgent(agent, STEPPER_INPUT, session, true, durable(runId));
      for await (const event of streamed) {
        if (event.type === 'run_item_stream_event' && event.name === 'tool_output') break; // the SDK cancels the run
      }
      await streamed.completed;
      assert.equal(streamed.cancelled, true);
      const row = await runRow(store, runId);
      assert.deepEqual([row?.status, row?.lease_owner], ['failed', null], 'stopped mid-run: resumable, not finished');

      const resumed = await runAgent(agent, [], session, false, durable(runId));
      assert.equal(resumed.finalOutput, 'All 20 steps are recorded.');
      everyStepOnce(file);
      assert.equal((await runRow(store, runId))?.status, 'finished');
      await session.close();
    });

    const readers: Array<[string, (result: StreamedRunResult<any, any>) => AsyncIterable<unknown>]> = [
      ['toStream()', (result) => result.toStream()],
      ['toTextStream()', (result) => result.toTextStream()],
      ['toTextStream({ compatibleWithNodeStreams: true })', (result) => result.toTextStream({ compatibleWithNodeStreams: true })],
    ];
    for (const [name, read] of readers) {
      test(`a stream read to its end through ${name} has its run recorded as ended by then`, async () => {
        const runId = `stream-read-${randomUUID()}`;
        const session = new DurableSession(store);
        const file = effects();
        const streamed = await runAgent(stepAgent({ effectsFile: file }), STEPPER_INPUT, session, true, durable(runId));
        const chunks: unknown[] = [];
        for await (const chunk of read(streamed)) chunks.push(chunk);
        const row = await runRow(store, runId);
        assert.deepEqual([row?.status, row?.lease_owner], ['finished', null]);
        if (name === 'toStream()') assert.ok(chunks.some((event) => (event as RunStreamEvent).type === 'run_item_stream_event'));
        else assert.ok(chunks.join('').endsWith('All 20 steps are recorded.'), chunks.join(''));
        assert.equal(streamed.finalOutput, 'All 20 steps are recorded.');
        everyStepOnce(file);
        await session.close();
      });
    }

    test('a resumed stream continues from the offset the client gives, with no event twice', async () => {
      // What a client of an uninterrupted streamed run sees.
      const reference = new DurableSession(store);
      const uninterrupted = await runAgent(
        stepAgent({ effectsFile: effects(), idempotent: true }),
        STEPPER_INPUT,
        reference,
        true,
        durable(`stream-reference-${randomUUID()}`),
      );
      const expected: string[] = [];
      for await (const { offset, event } of durableStreamEvents(uninterrupted)) {
        if (offset !== null) expected[offset] = eventSummary(event);
      }
      await reference.close();

      // The same run, its process killed twice mid-stream; each resume asks for the offsets after the last one seen.
      const runId = `stream-${randomUUID()}`;
      const sessionId = randomUUID();
      const file = effects();
      const seen: Array<{ offset: number; summary: string }> = [];
      for (const killAfter of [9, 14, undefined]) {
        const from = seen.length === 0 ? 0 : seen.at(-1)!.offset + 1;
        let received = 0;
        const { lines, killed } = await runChild(
          childArgs(store, runId, sessionId, file, '--idempotent', '--stream', '--from', String(from)),
          (line, kill) => {
            if (line.event === 'stream' && ++received === killAfter) kill();
          },
        );
        assert.equal(killed, killAfter !== undefined, 'killed mid-stream, or ran to the end');
        for (const line of lines) if (line.event === 'stream') seen.push({ offset: line.offset, summary: line.summary });
      }
      assert.deepEqual(
        seen.map((event) => event.offset),
        expected.map((_, offset) => offset),
        'every offset once, in order',
      );
      assert.deepEqual(
        seen.map((event) => event.summary),
        expected,
      );
      // A kill between a step's side effect and its stored result leaves the call in doubt, and
      // this idempotent tool runs again: so a step may run again only if it was started again.
      const starts = (await storedJournal(store, runId)).filter((entry) => entry.kind === 'tool_started');
      const counts = stepCounts(lines(file));
      for (let step = 1; step <= STEPS; step++) {
        const started = starts.filter((entry) => entry.key!.startsWith(`${step - 1}:`)).length;
        assert.ok((counts.get(step) ?? 0) >= 1 && (counts.get(step) ?? 0) <= started, `step ${step}: ran ${counts.get(step)} times, started ${started}`);
      }
    });

    test('a call in doubt of a tool not declared idempotent comes back as an approval; approving runs it once more', async () => {
      const runId = `in-doubt-${randomUUID()}`;
      const sessionId = randomUUID();
      const file = effects();
      const before = server.requests.length;
      const killed = await runChild(childArgs(store, runId, sessionId, file, '--hang-at', '3'), (line, kill) => {
        if (line.event === 'step' && line.step === 3) kill();
      });
      assert.ok(killed.killed);
      assert.equal(server.requests.length - before, 3, 'three model calls before the crash');

      const session = new DurableSession({ sessionId, ...store });
      const agent = stepAgent({ effectsFile: file });
      const resumed = await runAgent(agent, STEPPER_INPUT, session, false, durable(runId));
      assert.equal(server.requests.length - before, 3, 'the resume replayed the journaled calls');
      assert.equal(resumed.interruptions.length, 1);
      assert.deepEqual(JSON.parse((resumed.interruptions[0].rawItem as { arguments: string }).arguments), { step: 3 });
      const inDoubt = (await storedJournal(store, runId)).filter((entry) => entry.kind === 'tool_in_doubt');
      assert.equal(inDoubt.length, 1, 'the journal records the call in doubt');

      resumed.state.approve(resumed.interruptions[0]);
      const finished = await runAgent(agent, resumed.state, session, false, durable(runId));
      assert.equal(finished.finalOutput, 'All 20 steps are recorded.');
      assert.equal(server.requests.length - before, MODEL_CALLS, 'every model call was sent once');
      everyStepOnce(file); // step 3 hung before its effect, so running it again made it happen once
      await session.close();
    });

    test('a streamed resume applies stored decisions and streams the continuation as the next segment', async () => {
      const runId = `stream-decided-${randomUUID()}`;
      const sessionId = randomUUID();
      const file = effects();
      const before = server.requests.length;
      await runChild(childArgs(store, runId, sessionId, file, '--hang-at', '4'), (line, kill) => {
        if (line.event === 'step' && line.step === 4) kill();
      });
      const session = new DurableSession({ sessionId, ...store });
      const agent = stepAgent({ effectsFile: file });
      const readAll = async (result: StreamedRunResult<any, any>, from?: number | DurableStreamPosition) => {
        const events: Array<{ segment: number; offset: number; summary: string }> = [];
        for await (const { segment, offset, event } of durableStreamEvents(result, from)) {
          if (offset !== null) events.push({ segment, offset, summary: eventSummary(event) });
        }
        return events;
      };

      // Undecided: the stream replays the interruption, and nothing new is journaled.
      const waiting = await runAgent(agent, [], session, true, durable(runId));
      const replayed = await readAll(waiting);
      assert.equal(waiting.interruptions.length, 1);
      assert.ok(replayed.length > 0 && replayed.every((event) => event.segment === 0));
      const callId = (waiting.interruptions[0].rawItem as { callId: string }).callId;
      const journalBefore = await storedJournal(store, runId);

      const lease = await leaseDatabase(resolveStoreTarget(store));
      await recordDecision(lease.db, { runId, callId, decision: 'approve', reason: 'ok', decidedBy: 'carol', tool: 'record_step' });
      await lease.release();
      // The client passes the position after the last event it handled: everything of the new segment is later.
      const continued = await runAgent(agent, [], session, true, durable(runId));
      const events = await readAll(continued, { segment: 0, offset: replayed.length });
      assert.equal(continued.finalOutput, 'All 20 steps are recorded.');
      assert.ok(events.every((event) => event.segment === 1), 'the continuation is segment 1');
      assert.deepEqual(events.map((event) => event.offset), events.map((_, offset) => offset), 'offsets from 0, none left out');
      assert.ok(events[0].summary.startsWith(`tool_output | tool_call_output_item | ${callId} |`), 'it starts with the approved call\'s output');
      assert.ok(events.at(-1)!.summary.endsWith('All 20 steps are recorded.'), 'and streams up to the final answer');
      everyStepOnce(file);
      assert.equal(server.requests.length - before, MODEL_CALLS, 'every model call was sent once');
      const segments = (await storedJournal(store, runId)).filter((entry) => entry.kind === 'segment_started').map((entry) => entry.segment);
      assert.deepEqual(segments, [0, 1]);
      assert.deepEqual((await storedJournal(store, runId)).slice(0, journalBefore.length), journalBefore);

      // Resuming the finished run streams segment 1 again from the journal: a position in it skips what was seen.
      const again = await runAgent(agent, [], session, true, durable(runId));
      assert.deepEqual(await readAll(again, { segment: 1, offset: 5 }), events.slice(5));
      assert.equal(server.requests.length - before, MODEL_CALLS, 'the replay sent nothing');
      const later = await runAgent(agent, [], session, true, durable(runId));
      await assert.rejects(readAll(later, { segment: 2, offset: 0 }), RangeError);
      await consumeResult(later);
      await session.close();
    });

    test('rejecting a call in doubt gives the model the rejection instead of running it', async () => {
      const runId = `reject-${randomUUID()}`;
      const sessionId = randomUUID();
      const file = effects();
      const before = server.requests.length;
      await runChild(childArgs(store, runId, sessionId, file, '--hang-at', '3'), (line, kill) => {
        if (line.event === 'step' && line.step === 3) kill();
      });
      const session = new DurableSession({ sessionId, ...store });
      const agent = stepAgent({ effectsFile: file });
      const resumed = await runAgent(agent, [], session, false, durable(runId));
      assert.equal(resumed.interruptions.length, 1);
      resumed.state.reject(resumed.interruptions[0]);
      const finished = await runAgent(agent, resumed.state, session, false, durable(runId));
      assert.equal(finished.finalOutput, 'A step was not approved; stopping.');
      assert.deepEqual([...stepCounts(lines(file))], [[1, 1], [2, 1]], 'the rejected step never ran');
      assert.deepEqual(
        server.requests.slice(before).map((request) => request.ruleId),
        ['step-1', 'step-2', 'step-3', 'rejected'],
      );
      await session.close();
    });

    test('a replay that asks for something else than the journal recorded is refused', async () => {
      const runId = `diverged-${randomUUID()}`;
      const session = new DurableSession(store);
      const agent = stepAgent({ effectsFile: effects() });
      await runAgent(agent, STEPPER_INPUT, session, false, durable(runId));
      const before = server.requests.length;
      // A filter that drops the oldest item makes the replayed requests differ from the journaled ones.
      const dropFirst: CallModelInputFilter = ({ modelData }) => ({ ...modelData, input: modelData.input.slice(1) });
      await assert.rejects(
        runAgent(agent, [], session, false, { ...durable(runId), callModelInputFilter: dropFirst }),
        DurableRunDivergedError,
      );
      assert.equal(server.requests.length, before, 'nothing was sent');
      await session.close();
    });

    test('server-managed conversations, no turn limit or a bad one, bad run ids and resuming no run are refused before anything runs', async () => {
      const agent = stepAgent({ effectsFile: effects() });
      await assert.rejects(
        runAgent(agent, STEPPER_INPUT, null, false, { ...durable(`server-${randomUUID()}`), previousResponseId: 'resp_1' }),
        DurableRunUnsupportedError,
      );
      const unlimited = `unlimited-${randomUUID()}`;
      await assert.rejects(
        runAgent(agent, STEPPER_INPUT, null, false, { ...durable(unlimited), maxTurns: null }),
        (error: unknown) => error instanceof DurableRunUnsupportedError && /turn limit/.test(error.message),
      );
      // A limit the journal would record for every later execution, which none could run under.
      for (const maxTurns of [0, 2.5, -1, Number.POSITIVE_INFINITY]) {
        await assert.rejects(runAgent(agent, STEPPER_INPUT, null, false, { ...durable(unlimited), maxTurns }), (error: unknown) =>
          error instanceof RangeError && /maxTurns must be a whole number of at least 1/.test(error.message),
        );
      }
      assert.deepEqual(await storedJournal(store, unlimited), []);
      await assert.rejects(runAgent(agent, STEPPER_INPUT, null, false, durable('')), InvalidIdentifierError);
      // Empty input resumes; a run id with no run (mistyped, another store) has nothing to resume.
      const unknown = `unknown-${randomUUID()}`;
      for (const resume of [[], '']) {
        await assert.rejects(runAgent(agent, resume, null, false, durable(unknown)), (error: unknown) =>
          error instanceof DurableRunMismatchError && /does not exist in this store, so there is nothing to resume/.test(error.message),
        );
      }
      assert.deepEqual(await storedJournal(store, unknown), []);
    });

    test('a call in doubt of an idempotent tool is run again without asking', async () => {
      const runId = `idempotent-${randomUUID()}`;
      const sessionId = randomUUID();
      const file = effects();
      const before = server.requests.length;
      await runChild(childArgs(store, runId, sessionId, file, '--hang-at', '5', '--idempotent'), (line, kill) => {
        if (line.event === 'step' && line.step === 5) kill();
      });
      const session = new DurableSession({ sessionId, ...store });
      const result = await runAgent(stepAgent({ effectsFile: file, idempotent: true }), [], session, false, durable(runId));
      assert.equal(result.interruptions.length, 0);
      assert.equal(result.finalOutput, 'All 20 steps are recorded.');
      assert.equal(server.requests.length - before, MODEL_CALLS);
      everyStepOnce(file);
      await session.close();
    });

    test('two resumers driving one run at once: each side effect still happens once', async () => {
      const runId = `race-${randomUUID()}`;
      const sessionId = randomUUID();
      const file = effects();
      const agent = stepAgent({ effectsFile: file });
      const sessions = [new DurableSession({ sessionId, ...store }), new DurableSession({ sessionId, ...store })];
      const outcomes = await Promise.allSettled(
        sessions.map((session) => runAgent(agent, STEPPER_INPUT, session, false, durable(runId))),
      );
      for (const outcome of outcomes) {
        if (outcome.status === 'fulfilled') assert.equal(outcome.value.finalOutput, 'All 20 steps are recorded.');
        else assert.ok(outcome.reason instanceof DurableRunConflictError, String(outcome.reason));
      }
      assert.ok(outcomes.some((outcome) => outcome.status === 'fulfilled'));
      // Whoever lost stopped at its first write; the run is complete and journaled once.
      const finished = await runAgent(agent, [], sessions[0], false, durable(runId));
      assert.equal(finished.finalOutput, 'All 20 steps are recorded.');
      everyStepOnce(file);
      assert.equal(journaledModelCalls(await storedJournal(store, runId)), MODEL_CALLS);
      await Promise.all(sessions.map((session) => session.close()));
    });

    test('a lease this process holds but no longer renews is taken over at once; one it renews is not', async () => {
      const runId = `own-lease-${randomUUID()}`;
      const sessionId = randomUUID();
      const file = effects();
      let reachedStep3!: () => void;
      const atStep3 = new Promise<void>((resolve) => (reachedStep3 = resolve));
      let releaseStep3!: () => void;
      const step3Released = new Promise<void>((resolve) => (releaseStep3 = resolve));
      const blocking = stepAgent({
        effectsFile: file,
        onStep: async (step) => {
          if (step !== 3) return;
          reachedStep3();
          await step3Released;
        },
      });
      const session = new DurableSession({ sessionId, ...store });
      const driving = runAgent(blocking, STEPPER_INPUT, session, false, durable(runId));
      await atStep3;
      // Driven by a call of this process: another call here is refused, as one of another process would be.
      const other = new DurableSession({ sessionId, ...store });
      await assert.rejects(runAgent(stepAgent({ effectsFile: file }), [], other, false, durable(runId)), DurableRunConflictError);
      releaseStep3();
      assert.equal((await driving).finalOutput, 'All 20 steps are recorded.');

      // A lease of this process that no call renews (a call that ended while the store was away
      // could not release it) does not make the next call wait for it to expire.
      const abandoned = `${hostname()}/${process.pid}/${'0'.repeat(16)}`;
      const lease = await leaseDatabase(resolveStoreTarget(store));
      await lease.db.query(
        `UPDATE timestep_durable_runs SET status = 'running', lease_owner = $2, lease_expires_at = now() + interval '1 hour' WHERE run_id = $1`,
        [runId, abandoned],
      );
      await lease.release();
      const before = server.requests.length;
      const resumed = await runAgent(stepAgent({ effectsFile: file }), [], other, false, durable(runId));
      assert.equal(resumed.finalOutput, 'All 20 steps are recorded.');
      assert.equal(server.requests.length, before);
      const row = await runRow(store, runId);
      assert.deepEqual([row?.status, row?.lease_owner], ['finished', null]);
      everyStepOnce(file);
      await Promise.all([session.close(), other.close()]);
    });

    test('a journal this version cannot read is refused with DurableRunUnreadableError, naming the entry, and nothing is written', async () => {
      const agent = stepAgent({ effectsFile: effects() });
      const damage = async (runId: string, sql: string, params: unknown[]) => {
        const lease = await leaseDatabase(resolveStoreTarget(store));
        await lease.db.query(sql, [runId, ...params]);
        await lease.release();
      };
      const cases: Array<[string, (runId: string) => Promise<void>, RegExp]> = [
        [
          'newer version',
          (runId) => damage(runId, `UPDATE timestep_run_journal SET body = jsonb_set(body, '{version}', '2') WHERE run_id = $1 AND seq = 1`, []),
          /entry 1 \(segment_started\).*journal version 2.*upgrade Timestep/,
        ],
        [
          'response without output',
          (runId) =>
            damage(
              runId,
              `INSERT INTO timestep_run_journal (run_id, seq, segment, kind, key, body) VALUES ($1, 2, 0, 'model_response', '0', $2::jsonb)`,
              [JSON.stringify({ input_items: 1, usage: { input_tokens: 1, output_tokens: 1 } })],
            ),
          /entry 2 \(model_response\).*output is not a list of items/,
        ],
      ];
      for (const [name, damageJournal, message] of cases) {
        const runId = `unreadable-${randomUUID()}`;
        await submitRun(agent, STEPPER_INPUT, null, { runId, ...store }, { maxTurns: 30 });
        await damageJournal(runId);
        const journalBefore = await storedJournal(store, runId);
        const before = server.requests.length;
        await assert.rejects(runAgent(agent, [], null, false, durable(runId)), (error: unknown) => {
          assert.ok(error instanceof DurableRunUnreadableError, `${name}: got ${String(error)}`);
          assert.match(error.message, message);
          assert.match(error.message, /Nothing was written/);
          return true;
        });
        assert.equal(server.requests.length, before, `${name}: no model call`);
        assert.deepEqual(await storedJournal(store, runId), journalBefore, `${name}: the journal is as it was`);
        const row = await runRow(store, runId);
        assert.deepEqual([row?.status, row?.attempts, row?.lease_owner], ['queued', 0, null], `${name}: the run row is as it was`);
      }
    });

    test('resuming with other input, another session or another turn limit is refused and changes nothing stored', async () => {
      const runId = `mismatch-${randomUUID()}`;
      const session = new DurableSession(store);
      const agent = stepAgent({ effectsFile: effects() });
      await runAgent(agent, STEPPER_INPUT, session, false, durable(runId));
      const journal = await storedJournal(store, runId);
      await assert.rejects(runAgent(agent, 'Something else.', session, false, durable(runId)), DurableRunMismatchError);
      const other = new DurableSession(store);
      await assert.rejects(runAgent(agent, [], other, false, durable(runId)), DurableRunMismatchError);
      await assert.rejects(runAgent(agent, [], session, false, { ...durable(runId), maxTurns: 5 }), (error: unknown) =>
        error instanceof DurableRunMismatchError && /maxTurns 30, this call passes 5/.test(error.message),
      );
      assert.equal((await storedJournal(store, runId)).length, journal.length);
      const { maxTurns: _recorded, ...withoutLimit } = durable(runId);
      assert.equal((await runAgent(agent, [], session, false, withoutLimit)).finalOutput, 'All 20 steps are recorded.', 'no limit passed: the recorded one applies');
      assert.equal((await runRow(store, runId))?.status, 'finished', 'a refused call never held the lease, so it cannot mark the run failed');
      await Promise.all([session.close(), other.close()]);
    });
  });
}
