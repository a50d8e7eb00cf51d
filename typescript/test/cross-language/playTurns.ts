/**
 * Part of the eight-turn reference scenario (spec/scenarios/reference-eight-turns.json),
 * for the Python cross-language tests: plays some of the reference turns
 * (test/support/referenceAgents.ts) on session `sessionId` of the Timestep
 * store, with the scripted model server named by OPENAI_BASE_URL.
 * `<store>` is a PostgreSQL URL or an embedded data directory.
 *
 *   tsx playTurns.ts <store> <sessionId> <first> <last> run|stream [options]
 *     plays turns first..last (1-based) like test/support/conversation.ts:
 *     a rejected turn is removed from the session; an approval interruption is
 *     saved in the RunStateStore of the session, loaded again, approved and resumed.
 *   --resume-first       before turn `first`, load the session's saved (interrupted)
 *                        run state, approve it and resume it: that finishes turn first-1.
 *   --leave-interrupted  an interruption of turn `last` is saved and left for another
 *                        process; the outcome is {"interrupted": [{agent, tool, arguments}]}.
 *   --blocking-guardrails  the agents' input guardrails run before the model call
 *                        instead of beside it.
 *
 * Prints one JSON line, {"outcomes": [...]} (outcomes as playConversation's, the resumed
 * turn first). Every city get_weather runs for is appended to the file named by
 * TIMESTEP_WEATHER_LOG as it runs, one line `typescript <city>` each.
 */
import { appendFileSync } from 'node:fs';
import type { RunState } from '@openai/agents';
import { DurableSession, RunStateStore, consumeResult, runAgent } from '../../src/index.js';
import { playConversation, type RunTurn, type TurnOutcome } from '../support/conversation.js';
import { REFERENCE_TURNS, referenceAgents } from '../support/referenceAgents.js';

const [storeArgument, sessionId, first, last, mode, ...flags] = process.argv.slice(2);
const unknown = flags.filter((flag) => !['--resume-first', '--leave-interrupted', '--blocking-guardrails'].includes(flag));
if (unknown.length > 0 || !['run', 'stream'].includes(mode)) throw new Error(`bad arguments: ${process.argv.slice(2).join(' ')}`);
const weatherLog = process.env.TIMESTEP_WEATHER_LOG;
if (!weatherLog) throw new Error('TIMESTEP_WEATHER_LOG is not set');

const target = storeArgument.startsWith('postgres') ? { connectionString: storeArgument } : { pglitePath: storeArgument };
const { personalAssistant, weatherCalls } = referenceAgents({
  guardrailsInParallel: !flags.includes('--blocking-guardrails'),
});
const record = weatherCalls.push.bind(weatherCalls);
weatherCalls.push = (...cities: string[]) => {
  for (const city of cities) appendFileSync(weatherLog, `typescript ${city}\n`);
  return record(...cities);
};

const session = new DurableSession({ sessionId, ...target });
const stream = mode === 'stream';
const runTurn: RunTurn = async (input) => consumeResult(await runAgent(personalAssistant, input, session, stream));

/** Thrown by the approval callback when the interruption is left for another process. */
class LeftInterrupted extends Error {
  constructor(readonly interrupted: unknown[]) {
    super('left interrupted');
  }
}

async function approveSaved(): Promise<RunState<any, any>> {
  // A different store object, as another process would have.
  const loading = new RunStateStore({ agent: personalAssistant, sessionId, ...target });
  const loaded = await loading.load();
  await loading.close();
  for (const item of loaded.getInterruptions()) loaded.approve(item);
  return loaded;
}

async function save(state: RunState<any, any>) {
  const saving = new RunStateStore({ agent: personalAssistant, sessionId, ...target });
  const saved = await saving.save(state);
  await saving.close();
  return saved;
}

const outcomes: Array<TurnOutcome | { interrupted: unknown[] }> = [];
if (flags.includes('--resume-first')) {
  let result = await runTurn(await approveSaved());
  while (result.interruptions.length > 0) {
    await save(result.state);
    result = await runTurn(await approveSaved());
  }
  outcomes.push({ output: result.finalOutput });
}
for (let turn = Number(first); turn <= Number(last); turn += 1) {
  const leave = turn === Number(last) && flags.includes('--leave-interrupted');
  try {
    outcomes.push(
      ...(await playConversation([REFERENCE_TURNS[turn - 1]], session, runTurn, async (state) => {
        const saved = await save(state);
        if (leave) throw new LeftInterrupted(saved.pendingApprovals.map(({ agent, tool, arguments: args }) => ({ agent, tool, arguments: args })));
        return approveSaved();
      })),
    );
  } catch (error) {
    if (!(error instanceof LeftInterrupted)) throw error;
    outcomes.push({ interrupted: error.interrupted });
  }
}
await session.close();
console.log(JSON.stringify({ outcomes }));
