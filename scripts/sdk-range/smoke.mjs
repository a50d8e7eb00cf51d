// Run by scripts/sdk-range.sh from a throwaway project that installed the packed
// @timestep-ai/timestep with one @openai/agents version. Modes:
//   resume       a run paused for approval is saved, loaded by a new store, approved and finished;
//                its portable form (validated with the installed zod) rebuilds a state the SDK accepts
//   unsupported  importing the package fails with UnsupportedSdkVersionError naming the version
//   second-copy  saving a RunState made by a second copy of the SDK (`agents-core-copy`) fails clearly
// The model is the scripted server at OPENAI_BASE_URL (spec/scenarios/readme-quick-start.json).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const mode = process.argv[2];
const installed = JSON.parse(readFileSync('node_modules/@openai/agents-core/package.json', 'utf8')).version;

if (mode === 'unsupported') {
  await assert.rejects(import('@timestep-ai/timestep'), (error) => {
    assert.equal(error.name, 'UnsupportedSdkVersionError', String(error));
    assert.match(error.message, new RegExp(`but version ${installed.replaceAll('.', '\\.')} is installed`));
    console.log(`@openai/agents ${installed}: ${error.name}: ${error.message}`);
    return true;
  });
  process.exit(0);
}

const { Agent, tool } = await import('@openai/agents');
const { z } = await import('zod');
const {
  DurableSession,
  RunStateStore,
  UnsupportedSdkVersionError,
  consumeResult,
  fromPortableRunState,
  runAgent,
  toPortableRunState,
} = await import('@timestep-ai/timestep');

const refund = tool({
  name: 'refund',
  description: 'Refund an order.',
  parameters: z.object({ orderId: z.string() }),
  needsApproval: true,
  execute: async ({ orderId }) => `refunded ${orderId}`,
});
const agent = new Agent({ name: 'Support', instructions: 'Help customers.', model: 'gpt-4.1', tools: [refund] });

if (mode === 'second-copy') {
  const copy = await import('agents-core-copy');
  const foreign = new copy.RunState(new copy.RunContext({}), 'Refund order 42', new copy.Agent({ name: 'Support' }), 10);
  const store = new RunStateStore({ agent });
  await assert.rejects(store.save(foreign), (error) => {
    assert.ok(error instanceof UnsupportedSdkVersionError, String(error));
    assert.match(error.message, /second copy of @openai\/agents/);
    console.log(`RunState of a second SDK copy: ${error.name}: ${error.message}`);
    return true;
  });
  assert.deepEqual(await store.history(), [], 'nothing was saved');
  await store.close();
  process.exit(0);
}

assert.equal(mode, 'resume', `unknown mode ${mode}`);
const session = new DurableSession();
const sessionId = await session.getSessionId();
const first = await consumeResult(await runAgent(agent, 'Refund order 42', session, true));
assert.equal(first.interruptions.length, 1);
const writer = new RunStateStore({ agent, sessionId });
await writer.save(first.state);
await writer.close();

const reader = new RunStateStore({ agent, sessionId });
const state = await reader.load();
// What another language would read, and the state it gives back.
const rebuilt = await fromPortableRunState(JSON.stringify(toPortableRunState(state)), agent);
assert.deepEqual(
  rebuilt.getInterruptions().map((request) => [request.name, request.arguments]),
  [['refund', '{"orderId":"42"}']],
);
for (const request of state.getInterruptions()) state.approve(request);
const finished = await runAgent(agent, state, session, false);
assert.equal(finished.finalOutput, 'Done: refunded 42.');
const versions = await reader.history();
assert.deepEqual(
  versions.map((version) => [version.status, version.sdkVersion]),
  [['interrupted', installed]],
);
await Promise.all([reader.close(), session.close()]);
console.log(`@openai/agents ${installed}: saved, loaded, approved and resumed: ${finished.finalOutput}`);
