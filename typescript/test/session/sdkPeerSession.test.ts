/**
 * The JS Agents SDK's own session tests, ported to DurableSession on both
 * stores with their assertions unchanged in meaning. Mirrors
 * openai/openai-agents-js packages/agents-core/test/memorySession.test.ts:
 *   - "stores and retrieves items in memory"
 *   - "returns clones so external mutations do not persist"
 * The SDK seeds its MemorySession with `initialItems`; DurableSession has no
 * such option, so the same items are added first. Not ported: the logger
 * redaction tests (DurableSession logs no item contents) and the
 * applyHistoryMutations / applyHistoryTransaction tests (optional Session
 * capabilities DurableSession does not offer; the runner falls back without them).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AgentInputItem } from '@openai/agents';
import { DurableSession } from '../../src/index.js';
import { backends } from '../support/environment.js';
import { uniquePrefix } from '../fixtures/helpers.js';

const PREFIX = uniquePrefix('sdk-peer-session');

const createUserMessage = (text: string): AgentInputItem => ({
  role: 'user',
  content: [{ type: 'input_text', text }],
});

for (const backend of backends()) {
  describe(`SDK MemorySession tests on DurableSession (${backend.name})`, () => {
    const sessions: DurableSession[] = [];
    after(() => Promise.all(sessions.map((session) => session.close())));
    async function open(sessionId: string, initialItems: AgentInputItem[] = []) {
      const session = new DurableSession({ sessionId, ...backend.options });
      sessions.push(session);
      if (initialItems.length > 0) await session.addItems(initialItems);
      return session;
    }

    test('stores and retrieves items', async () => {
      const sessionId = `${PREFIX}session-1-${randomUUID()}`;
      const initialItems = [createUserMessage('hello')];
      const session = await open(sessionId, initialItems);

      assert.equal(await session.getSessionId(), sessionId);
      assert.deepEqual(await session.getItems(), initialItems);

      const newItems = [createUserMessage('one'), createUserMessage('two')];
      await session.addItems(newItems);
      assert.deepEqual(await session.getItems(), [...initialItems, ...newItems]);

      assert.deepEqual(await session.getItems(2), newItems);

      assert.deepEqual(await session.popItem(), newItems[1]);
      assert.deepEqual(await session.getItems(), [...initialItems, newItems[0]]);

      await session.clearSession();
      assert.deepEqual(await session.getItems(), []);
      assert.deepEqual(await session.getItems(3), []);
      assert.equal(await session.popItem(), undefined);
    });

    test('returns clones so external mutations do not persist', async () => {
      const initial = createUserMessage('start');
      const session = await open(`${PREFIX}session-2-${randomUUID()}`, [initial]);

      const items = await session.getItems();
      assert.notEqual(items[0], initial);
      (items[0] as { content: unknown }).content = 'mutated';
      assert.deepEqual(await session.getItems(), [createUserMessage('start')]);

      const next = createUserMessage('next');
      await session.addItems([next]);
      (next as { content: unknown }).content = 'mutated';
      assert.deepEqual(await session.getItems(), [createUserMessage('start'), createUserMessage('next')]);

      const popped = await session.popItem();
      assert.deepEqual(popped, createUserMessage('next'));
      if (popped) (popped as { content: unknown }).content = 'mutated';
      assert.deepEqual(await session.getItems(), [createUserMessage('start')]);
    });
  });
}
