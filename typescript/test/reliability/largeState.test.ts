import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, RunContext, RunState } from '@openai/agents';
import { RunStateStore } from '../../src/index.js';
import { backends } from '../support/environment.js';

/** A 50 MB state is stored and loaded back intact, without touching other rows. */
for (const backend of backends()) {
  test(`a 50 MB state round-trips on ${backend.name}`, async () => {
    const agent = new Agent({ name: 'Big', instructions: 'Holds a lot.' });
    const neighbour = new RunStateStore({ agent, runId: `big-neighbour-${process.pid}`, ...backend.options });
    await neighbour.save(new RunState(new RunContext({ small: true }), 'small', agent, 10));
    const before = await neighbour.history();

    const store = new RunStateStore({ agent, runId: `big-${process.pid}`, ...backend.options });
    const blob = 'λ'.repeat(25 * 1024 * 1024); // 50 MB of UTF-8
    const saved = await store.save(new RunState(new RunContext({ blob }), 'big', agent, 10));
    const loaded = await store.load({ version: saved.version });
    assert.equal((loaded._context.context as { blob: string }).blob.length, blob.length);
    assert.equal((loaded._context.context as { blob: string }).blob, blob);
    assert.deepEqual(await neighbour.history(), before, 'other runs are untouched');
    await Promise.all([store.close(), neighbour.close()]);
  });
}
