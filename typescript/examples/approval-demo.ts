/**
 * Timestep demo: a run that needs a human's approval survives its process.
 *
 *   1. This process asks the assistant about the weather in Berkeley. The
 *      weather tool needs approval there, so the run stops; Timestep saves it
 *      to the embedded store in your app directory and the process exits.
 *   2. A second process reopens the store, loads the run, approves the tool
 *      call and finishes the run.
 *
 * Without OPENAI_API_KEY it runs offline against the project's scripted model
 * server; with the key set it talks to OpenAI.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Agent, setTracingDisabled, tool } from '@openai/agents';
import { z } from 'zod';
import { DurableSession, RunStateStore, consumeResult, runAgent } from '@timestep-ai/timestep';
import { startModelServer } from '../../testing/model-server/server.mjs';

function buildAgents() {
  const getWeather = tool({
    name: 'get_weather',
    description: 'Current weather for a city.',
    parameters: z.object({ city: z.string() }),
    needsApproval: async (_context, { city }) => city.includes('Berkeley'),
    execute: async ({ city }) => {
      console.log(`   [tool] get_weather(${city}) is running now`);
      return city === 'Berkeley' ? 'foggy, 58°F' : 'sunny, 68°F';
    },
  });
  const weatherAssistant = new Agent({
    name: 'Weather Assistant',
    instructions: 'You are a Weather Assistant. Use get_weather to answer questions about the weather.',
    handoffDescription: 'Answers questions about the weather.',
    model: 'gpt-4.1',
    tools: [getWeather],
  });
  return new Agent({
    name: 'Personal Assistant',
    instructions: 'You are a Personal Assistant. Hand weather questions to the Weather Assistant.',
    model: 'gpt-4.1',
    handoffs: [weatherAssistant],
  });
}

/** Offline, point the OpenAI client at the scripted server, as any user setting would. */
async function connectModel(): Promise<() => Promise<void>> {
  if (process.env.OPENAI_API_KEY) return async () => {};
  setTracingDisabled(true);
  const scenarioPath = fileURLToPath(new URL('../../spec/scenarios/reference-eight-turns.json', import.meta.url));
  const server = await startModelServer({ scenarioPath });
  process.env.OPENAI_BASE_URL = `${server.url}/v1`;
  process.env.OPENAI_API_KEY = 'offline-demo';
  return () => server.close();
}

async function ask(): Promise<string> {
  const agent = buildAgents();
  const session = new DurableSession();
  const sessionId = await session.getSessionId();
  const store = new RunStateStore({ agent, sessionId });
  console.log(`1) [process ${process.pid}] user: What's the weather in Berkeley?`);
  const result = await consumeResult(await runAgent(agent, "What's the weather in Berkeley?", session, true));
  for (const item of result.interruptions) {
    console.log(`   ${item.agent.name} wants to call ${item.name}(${item.arguments}) and needs approval`);
  }
  const saved = await store.save(result.state);
  console.log(`   saved run ${saved.runId} version ${saved.version} (${saved.status}); this process exits now`);
  await Promise.all([store.close(), session.close()]);
  return sessionId;
}

async function approveAndFinish(sessionId: string): Promise<void> {
  const agent = buildAgents();
  const session = new DurableSession({ sessionId });
  const store = new RunStateStore({ agent, sessionId });
  const state = await store.load();
  console.log(`2) [process ${process.pid}] loaded run ${store.runId}`);
  for (const item of state.getInterruptions()) {
    console.log(`   approving ${item.name}(${item.arguments})`);
    state.approve(item);
  }
  const result = await consumeResult(await runAgent(agent, state, session, false));
  const final = await store.save(result.state);
  console.log(`   assistant: ${result.finalOutput}`);
  console.log(`   saved version ${final.version} (${final.status}); history: ${(await store.history()).map((v) => v.status).join(' → ')}`);
  console.log(`   the conversation now has ${(await session.getItems()).length} items`);
  await Promise.all([store.close(), session.close()]);
}

const [step, sessionId] = process.argv.slice(2);
const disconnect = await connectModel();
try {
  if (step === 'resume') {
    await approveAndFinish(sessionId);
  } else {
    const id = await ask();
    // A fresh process, as after a restart: nothing is shared but the store.
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), 'resume', id], {
      stdio: 'inherit',
      env: process.env.OPENAI_API_KEY === 'offline-demo' ? { ...process.env, OPENAI_API_KEY: '' } : process.env,
    });
    process.exitCode = child.status ?? 1;
  }
} finally {
  await disconnect();
}
