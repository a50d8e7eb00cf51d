/**
 * The durable run of spec/scenarios/durable-agent-tool.json (test/durable/agentToolAgents.ts),
 * for the Python cross-language tests: the journal holds the call of the agent used as a tool
 * under this SDK's name (`Billing_Desk`), and the other language must replay it.
 *
 *   tsx agentToolRun.ts <store> <runId> <sessionId> <refunds file> start|resume
 *
 * `start` runs it until the refund waits for approval and prints {"interrupted": [tool names]};
 * `resume` resumes it with `[]`, approves every interruption, continues until it ends and
 * prints {"output": ...}. The scripted model server is named by OPENAI_BASE_URL.
 */
import { DurableSession, runAgent } from '../../src/index.js';
import { AGENT_TOOL_INPUT, agentToolAgents } from '../durable/agentToolAgents.js';

const [storeArgument, runId, sessionId, refundsFile, mode] = process.argv.slice(2);
if (!['start', 'resume'].includes(mode)) throw new Error(`bad arguments: ${process.argv.slice(2).join(' ')}`);
const target = storeArgument.startsWith('postgres') ? { connectionString: storeArgument } : { pglitePath: storeArgument };
const agent = agentToolAgents(refundsFile);
const session = new DurableSession({ sessionId, ...target });
const options = { durable: { runId, ...target }, maxTurns: 10 };

let result = await runAgent(agent, mode === 'start' ? AGENT_TOOL_INPUT : [], session, false, options);
if (mode === 'start') {
  console.log(JSON.stringify({ interrupted: result.interruptions.map((item) => item.name) }));
} else {
  while (result.interruptions.length > 0) {
    for (const item of result.interruptions) result.state.approve(item);
    result = await runAgent(agent, result.state, session, false, options);
  }
  console.log(JSON.stringify({ output: result.finalOutput }));
}
await session.close();
