/**
 * One reference turn (test/support/referenceAgents.ts) as a durable run, for the
 * Python cross-language tests: the journal holds the handoff calls as this SDK
 * names them, and the other language must replay them.
 *
 *   tsx durableTurn.ts <store> <sessionId> <runId> <turn> run|stream [--resume]
 *
 * Plays turn `turn` (1-based) as durable run `runId` on session `sessionId`, with
 * the scripted model server named by OPENAI_BASE_URL. An approval interruption
 * is left in the journal: the outcome is {"interrupted": [{agent, tool, arguments}]}.
 * `--resume` resumes the run with `[]` instead, approves every interruption and
 * continues until the run ends: the outcome is {"output": ...}. Every city
 * get_weather runs for is appended to TIMESTEP_WEATHER_LOG (`typescript <city>`).
 * Prints the outcome as one JSON line.
 */
import { appendFileSync } from 'node:fs';
import { DurableSession, consumeResult, runAgent } from '../../src/index.js';
import { REFERENCE_TURNS, referenceAgents } from '../support/referenceAgents.js';

const [storeArgument, sessionId, runId, turn, mode, ...flags] = process.argv.slice(2);
if (!['run', 'stream'].includes(mode) || flags.some((flag) => flag !== '--resume')) {
  throw new Error(`bad arguments: ${process.argv.slice(2).join(' ')}`);
}
const weatherLog = process.env.TIMESTEP_WEATHER_LOG;
if (!weatherLog) throw new Error('TIMESTEP_WEATHER_LOG is not set');

const target = storeArgument.startsWith('postgres') ? { connectionString: storeArgument } : { pglitePath: storeArgument };
const { personalAssistant, weatherCalls } = referenceAgents();
const record = weatherCalls.push.bind(weatherCalls);
weatherCalls.push = (...cities: string[]) => {
  for (const city of cities) appendFileSync(weatherLog, `typescript ${city}\n`);
  return record(...cities);
};

const session = new DurableSession({ sessionId, ...target });
const options = { durable: { runId, ...target }, maxTurns: 10 };
const stream = mode === 'stream';
const resume = flags.includes('--resume');

let result = await consumeResult(
  await runAgent(personalAssistant, resume ? [] : REFERENCE_TURNS[Number(turn) - 1], session, stream, options),
);
if (!resume && result.interruptions.length > 0) {
  const interrupted = result.interruptions.map((item) => ({ agent: item.agent.name, tool: item.name, arguments: item.arguments }));
  console.log(JSON.stringify({ interrupted }));
} else {
  while (result.interruptions.length > 0) {
    for (const item of result.interruptions) result.state.approve(item);
    result = await consumeResult(await runAgent(personalAssistant, result.state, session, stream, options));
  }
  console.log(JSON.stringify({ output: result.finalOutput }));
}
await session.close();
