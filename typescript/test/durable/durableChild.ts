/**
 * Test child: runs (or resumes) the twenty-step durable run until it is done,
 * approving any call reported in doubt, and prints JSON lines:
 * `ready` before the run, `step` before each step's side effect, `in_doubt`
 * when a resume surfaces calls, `done` at the end.
 *
 *   node --import tsx durableChild.ts <pglite dir | postgres URL> <runId> <sessionId> <effects file> [--hang-at N] [--idempotent]
 *
 * `--hang-at N` blocks step N after reporting it (before its side effect), so
 * the test can kill the process with the call started and unfinished.
 * `--lease-ms N` gives the run a lease of N ms (default 30 000).
 * `--stream [--from N]` runs streamed and prints each event from offset N as
 * a `stream` line instead (use with `--idempotent`: no approvals to answer).
 */
import { setTracingDisabled } from '@openai/agents';
import { DurableSession, durableStreamEvents, runAgent } from '../../src/index.js';
import { STEPPER_INPUT, eventSummary, stepAgent } from './stepAgent.js';

const [target, runId, sessionId, effectsFile, ...flags] = process.argv.slice(2);
const flagValue = (name: string) => (flags.includes(name) ? Number(flags[flags.indexOf(name) + 1]) : undefined);
const hangAt = flagValue('--hang-at');
const store = target.startsWith('postgres') ? { connectionString: target } : { pglitePath: target };
const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

setTracingDisabled(true);
const agent = stepAgent({
  effectsFile,
  idempotent: flags.includes('--idempotent'),
  onStep: async (step) => {
    say({ event: 'step', step });
    // Never settles; the interval keeps the process alive until the test kills it.
    if (step === hangAt) await new Promise(() => setInterval(() => undefined, 60_000));
  },
});
const session = new DurableSession({ sessionId, ...store });
const leaseMs = flagValue('--lease-ms');
const options = { durable: { runId, ...store, ...(leaseMs ? { leaseMs } : {}) }, maxTurns: 30 };

say({ event: 'ready' });
if (flags.includes('--stream')) {
  const streamed = await runAgent(agent, STEPPER_INPUT, session, true, options);
  for await (const { offset, event } of durableStreamEvents(streamed, flagValue('--from') ?? 0)) {
    if (offset !== null) say({ event: 'stream', offset, summary: eventSummary(event) });
  }
  await streamed.completed;
  say({ event: 'done', finalOutput: streamed.finalOutput });
  await session.close();
  process.exit(0);
}
let result = await runAgent(agent, STEPPER_INPUT, session, false, options);
while (result.interruptions.length > 0) {
  say({ event: 'in_doubt', calls: result.interruptions.map((item) => item.rawItem) });
  for (const item of result.interruptions) result.state.approve(item);
  result = await runAgent(agent, result.state, session, false, options);
}
say({ event: 'done', finalOutput: result.finalOutput });
await session.close();
process.exit(0);
