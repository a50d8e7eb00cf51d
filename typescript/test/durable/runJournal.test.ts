/** The journal's write queue: what a write stores, and what a failed one stops. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { leaseDatabase, resolveStoreTarget } from '../../src/store/connect.js';
import { RUN_JOURNAL_FORMAT, RUN_JOURNAL_VERSION, RunJournal } from '../../src/durable/journal.js';
import type { AgentInputItem } from '@openai/agents';
import { toResponsesItem } from '../../src/portable-state/responsesItems.js';
import { RunReplay } from '../../src/durable/runReplay.js';
import { backends } from '../support/environment.js';
import { storedJournal } from './support.js';

class WorkFailed extends Error {}

for (const { name, options: store } of backends()) {
  describe(`run journal (${name})`, () => {
    async function newJournal(runId: string) {
      const lease = await leaseDatabase(resolveStoreTarget(store));
      const journal = await RunJournal.open(lease.db, runId);
      await journal.create(
        null,
        { format: RUN_JOURNAL_FORMAT, version: RUN_JOURNAL_VERSION, agent: 'Agent', input: [], state: null, session: null, max_turns: null },
        { status: 'running', owner: 'test', leaseMs: 60_000, graph: 'graph' },
      );
      return { journal, db: lease.db, release: () => lease.release() };
    }

    test('entries appended without waiting are stored together by the next write, numbered in order', async () => {
      const runId = `batched-${randomUUID()}`;
      const { journal, release } = await newJournal(runId);
      journal.appendUnstored(0, 'tool_started', '0:a', {});
      journal.appendUnstored(0, 'tool_result', '0:a', { output: 1 });
      assert.equal((await storedJournal(store, runId)).length, 1, 'nothing written before the next write');
      await journal.append(0, 'segment_ended', null, { outcome: 'finished' });
      assert.deepEqual(
        (await storedJournal(store, runId)).map((entry) => [entry.seq, entry.kind]),
        [
          [1, 'segment_started'],
          [2, 'tool_started'],
          [3, 'tool_result'],
          [4, 'segment_ended'],
        ],
      );
      await release();
    });

    test('work after a write stores only the entries appended before it; when it fails, nothing later is stored', async () => {
      const runId = `after-stored-${randomUUID()}`;
      const { journal, release } = await newJournal(runId);
      journal.appendUnstored(0, 'tool_result', '0:a', { output: 'done' });
      let releaseWork!: () => void;
      const workStarted = new Promise<void>((resolve) => {
        journal.afterStored(async () => {
          resolve();
          await new Promise<void>((done) => (releaseWork = done));
          throw new WorkFailed('the session write failed');
        });
      });
      // Appended while the work waits: a tool that would start only if the work succeeded.
      const started = journal.append(0, 'tool_started', '1:b', {});
      await workStarted;
      releaseWork();
      await assert.rejects(started, WorkFailed);
      await assert.rejects(journal.flush(), WorkFailed, 'every later write fails with the same error');
      assert.deepEqual(
        (await storedJournal(store, runId)).map((entry) => entry.kind),
        ['segment_started', 'tool_result'],
        'the later tool_started was not stored, so no call is left in doubt',
      );
      await release();
    });

    test('entries in the formats of earlier versions still replay', async () => {
      // As journals written before the bodies were trimmed hold them: the ordinal and every usage
      // count in the body, null ids, the provider's raw response, the call repeated in tool entries.
      const runId = `older-${randomUUID()}`;
      const { db, release } = await newJournal(runId);
      const call = { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'record_step', arguments: '{"step":1}', status: 'completed' };
      const older = [
        ['model_response', '0', { ordinal: 0, input_items: 1, response_id: null, request_id: null, provider_data: { id: 'resp_1' }, output: [call],
          usage: { requests: 1, input_tokens: 20, output_tokens: 6, total_tokens: 27, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } } }],
        ['tool_started', '0:call_1', { tool: 'record_step', call_id: 'call_1', arguments: '{"step":1}' }],
        ['tool_result', '0:call_1', { output: 'step 1 done', call_id: 'call_1' }],
        ['model_response', '1', { ordinal: 1, input_items: 3, output: [], usage: { requests: 2, input_tokens: 5, output_tokens: 1, total_tokens: 6 } }],
      ] as const;
      for (const [index, [kind, key, body]] of older.entries()) {
        await db.query(
          'INSERT INTO timestep_run_journal (run_id, seq, segment, kind, key, body) VALUES ($1, $2, 0, $3, $4, $5::jsonb)',
          [runId, index + 2, kind, key, JSON.stringify(body)],
        );
      }
      const replay = new RunReplay(await RunJournal.open(db, runId), 0, false);
      const first = replay.replayResponse(1)!;
      assert.equal(first.responseId, undefined);
      assert.deepEqual([first.usage.requests, first.usage.inputTokens, first.usage.outputTokens, first.usage.totalTokens], [1, 20, 6, 27]);
      assert.deepEqual(first.output.map((item) => toResponsesItem(item as AgentInputItem)), [call]);
      assert.deepEqual(replay.recordedResult(replay.toolKey('call_1')), { output: 'step 1 done', call_id: 'call_1' });
      assert.equal(replay.isInDoubt('0:call_1'), false);
      const second = replay.replayResponse(3)!;
      assert.deepEqual([second.usage.requests, second.usage.totalTokens], [2, 6]);
      assert.equal(replay.replayResponse(5), undefined, 'nothing journaled after');
      await release();
    });

    test('a trimmed response replays with the counts its absent usage fields stand for', async () => {
      const runId = `trimmed-${randomUUID()}`;
      const { journal, release } = await newJournal(runId);
      journal.appendUnstored(0, 'model_response', '0', { input_items: 1, usage: { input_tokens: 20, output_tokens: 6 }, output: [] });
      await journal.flush();
      const [stored] = (await storedJournal(store, runId)).filter((entry) => entry.kind === 'model_response');
      assert.deepEqual(stored.body, { input_items: 1, usage: { input_tokens: 20, output_tokens: 6 }, output: [] });
      const { usage } = new RunReplay(await RunJournal.open(journal.db, runId), 0, false).replayResponse(1)!;
      assert.deepEqual([usage.requests, usage.totalTokens, usage.inputTokensDetails, usage.outputTokensDetails], [1, 26, [{ cached_tokens: 0 }], [{ reasoning_tokens: 0 }]]);
      await release();
    });
  });
}
