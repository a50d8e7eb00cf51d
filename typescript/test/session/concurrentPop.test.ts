import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AgentInputItem } from '@openai/agents';
import { DurableSession } from '../../src/index.js';
import { backends } from '../support/environment.js';
import { uniquePrefix } from '../fixtures/helpers.js';

const PREFIX = uniquePrefix('concurrent-pop');
const user = (text: string): AgentInputItem => ({ role: 'user', content: text });
const textOf = (item: AgentInputItem | undefined) => (item as { content?: string } | undefined)?.content;

for (const backend of backends()) {
  describe(`DurableSession.popItem under concurrency on ${backend.name}`, () => {
    const sessions: DurableSession[] = [];
    after(() => Promise.all(sessions.map((session) => session.close())));
    const open = (sessionId: string) => {
      const session = new DurableSession({ sessionId, ...backend.options });
      sessions.push(session);
      return session;
    };

    test('20 concurrent pops of 20 items return 20 distinct items and leave the session empty', async () => {
      const sessionId = `${PREFIX}${randomUUID()}`;
      const texts = Array.from({ length: 20 }, (_, i) => `item ${i}`);
      await open(sessionId).addItems(texts.map(user));
      // Several objects on one id, as several workers would hold; on PostgreSQL
      // each pop runs on its own pooled connection, under READ COMMITTED.
      const poppers = Array.from({ length: 4 }, () => open(sessionId));
      const popped = await Promise.all(texts.map((_, i) => poppers[i % poppers.length].popItem()));
      assert.deepEqual(popped.filter((item) => item === undefined).length, 0, 'no pop came back empty');
      assert.deepEqual(popped.map(textOf).sort(), [...texts].sort(), 'each item popped exactly once');
      assert.deepEqual(await poppers[0].getItems(), []);
      assert.equal(await poppers[0].popItem(), undefined);
    });

    test('more pops than items: every item once, the rest undefined, most recent first when sequential', async () => {
      const sessionId = `${PREFIX}${randomUUID()}`;
      const session = open(sessionId);
      const texts = Array.from({ length: 10 }, (_, i) => `item ${i}`);
      await session.addItems(texts.map(user));
      const popped = await Promise.all(Array.from({ length: 25 }, () => session.popItem()));
      const found = popped.filter((item) => item !== undefined);
      assert.deepEqual(found.map(textOf).sort(), [...texts].sort());
      assert.equal(popped.length - found.length, 15);

      await session.addItems(['x', 'y', 'z'].map(user));
      assert.equal(textOf(await session.popItem()), 'z');
      assert.equal(textOf(await session.popItem()), 'y');
      assert.deepEqual((await session.getItems()).map(textOf), ['x']);
    });
  });
}
