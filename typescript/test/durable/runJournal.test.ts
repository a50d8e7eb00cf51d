/** The journal's write queue: what a write stores, and what a failed one stops. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { leaseDatabase, resolveStoreTarget } from '../../src/store/connect.js';
import { RUN_JOURNAL_FORMAT, RUN_JOURNAL_VERSION, RunJournal } from '../../src/durable/journal.js';
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
      return { journal, release: () => lease.release() };
    }

    test('entries appended without waiting are stored together by the next write, numbered in order', async () => {
      const runId = `batched-${randomUUID()}`;
      const { journal, release } = await newJournal(runId);
      journal.appendUnstored(0, 'tool_started', '0:a', { tool: 'first' });
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
      const started = journal.append(0, 'tool_started', '1:b', { tool: 'next' });
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
  });
}
