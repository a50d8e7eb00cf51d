/**
 * One step of a cross-language run, for the Python tests: the golden-vector
 * agent graph (spec/portable-run-state/vectors/README.md) against the
 * scripted model server named by OPENAI_BASE_URL, its state kept in the
 * Timestep store. `<store>` is a PostgreSQL URL or an embedded data directory.
 *
 *   tsx runStep.ts <store> <runId> pause <input>
 *     runs `input`, saves the paused state; prints {"version", "interruptions"}
 *   tsx runStep.ts <store> <runId> resume approve|reject [message]
 *     loads the latest version (whichever language saved it), decides every
 *     pending interruption, runs, saves; prints {"final_output", "conversation", "tool_runs", "version"}
 */
import { Runner, type AgentInputItem } from '@openai/agents';
import { RunStateStore } from '../../src/index.js';
import { toResponsesItem } from '../../src/portable-state/responsesItems.js';
import { normaliseConversation } from '../portable-state/normalise.js';
import { PERSONAL_ASSISTANT, WEATHER_ASSISTANT, vectorAgents } from '../portable-state/vectorAgents.js';

const [storeArgument, runId, command, ...rest] = process.argv.slice(2);
const agents = vectorAgents();
const target = storeArgument.startsWith('postgres') ? { connectionString: storeArgument } : { pglitePath: storeArgument };
const store = new RunStateStore({ agent: agents.personalAssistant, runId, ...target });

if (command === 'pause') {
  const result = await new Runner().run(agents.personalAssistant, rest[0]);
  const saved = await store.save(result.state);
  const interruptions = result.interruptions.map((item) => ({ agent: item.agent.name, tool: item.name, arguments: item.arguments }));
  console.log(JSON.stringify({ version: saved.version, interruptions }));
} else if (command === 'resume') {
  const [decision, message] = rest;
  const state = await store.load();
  for (const item of state.getInterruptions()) {
    if (decision === 'approve') state.approve(item);
    else state.reject(item, message === undefined ? {} : { message });
  }
  const result = await new Runner().run(agents.personalAssistant, state);
  const saved = await store.save(result.state);
  console.log(
    JSON.stringify({
      final_output: result.finalOutput ?? null,
      conversation: normaliseConversation(
        result.history.map((item: AgentInputItem) => toResponsesItem(item)),
        [PERSONAL_ASSISTANT, WEATHER_ASSISTANT],
      ),
      tool_runs: agents.toolRuns,
      version: saved.version,
    }),
  );
} else {
  throw new Error(`unknown command ${command}`);
}
await store.close();
