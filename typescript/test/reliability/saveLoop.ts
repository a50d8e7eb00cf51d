/**
 * Test worker: saves versions of one run for ever (until killed), printing a
 * JSON line after each acknowledged save.
 *
 *   tsx saveLoop.ts <pglite data dir | postgres URL> <runId>
 */
import { Agent, RunContext, RunState } from '@openai/agents';
import { RunStateStore } from '../../src/index.js';

const [target, runId] = process.argv.slice(2);
const agent = new Agent({ name: 'Saver', instructions: 'Saves checkpoints.' });
const store = new RunStateStore({
  agent,
  runId,
  ...(target.startsWith('postgres') ? { connectionString: target } : { pglitePath: target }),
});

let version = (await store.history()).length;
// Big enough that a write takes a while, so kills land in the middle of some.
const padding = 'x'.repeat(64 * 1024);
for (;;) {
  const state = new RunState(new RunContext({ checkpoint: version + 1, padding }), `checkpoint ${version + 1}`, agent, 10);
  const saved = await store.save(state, { expectedVersion: version });
  version = saved.version;
  console.log(JSON.stringify({ version }));
}
