import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemorySession, RunState, Runner } from '@openai/agents';
import { DurableSession, MultiModelProvider, RunStateStore, consumeResult, runAgent } from '../src/index.js';
import { playConversation, type RunTurn } from './support/conversation.js';
import { backends, useScriptedOpenAI } from './support/environment.js';
import { REFERENCE_TURNS, referenceAgents } from './support/referenceAgents.js';
import type { ModelServer } from '../../testing/model-server/server.mjs';

let server: ModelServer;
before(async () => {
  server = await useScriptedOpenAI('reference-eight-turns');
  process.env.OLLAMA_HOST = server.url;
});
after(() => server.close());

const EXPECTED_OUTCOMES = [
  { output: '2 + 2 = 4.' },
  { output: 'The weather in Oakland: sunny, 68°F' },
  { output: '3 × 4 = 12.' },
  { output: 'The weather in Berkeley: foggy, 58°F' },
  { tripped: 'input' },
  { tripped: 'output' },
  { output: '4 × 12 − 6 = 42.' },
  { output: 'I see a small red square.' },
];

/**
 * The same script on the bare SDK: in-memory session, state kept as a string.
 * (Ollama models still need a provider that knows them.)
 */
async function bareSdkConversation(model: string, stream: boolean, guardrailsInParallel: boolean) {
  const { personalAssistant } = referenceAgents({ model, guardrailsInParallel });
  const runner = new Runner({ modelProvider: new MultiModelProvider() });
  const session = new MemorySession();
  const runTurn: RunTurn = async (input) =>
    stream
      ? await consumeStreamed(await runner.run(personalAssistant, input, { session, stream: true }))
      : await runner.run(personalAssistant, input, { session });
  const outcomes = await playConversation(REFERENCE_TURNS, session, runTurn, async (state) => {
    const restored = await RunState.fromString(personalAssistant, state.toString());
    for (const item of restored.getInterruptions()) restored.approve(item);
    return restored;
  });
  return { outcomes, items: await session.getItems() };
}

async function consumeStreamed<T extends { completed: Promise<void> } & AsyncIterable<unknown>>(result: T): Promise<T> {
  for await (const _ of result) {
    // drain
  }
  await result.completed;
  return result;
}

/**
 * Ollama returns tool calls without ids, so OllamaModel makes random ones;
 * number them in order of appearance to compare two runs.
 */
function withNumberedCallIds(items: unknown[]): unknown[] {
  const numbers = new Map<string, string>();
  return JSON.parse(
    JSON.stringify(items).replace(/"callId":"([^"]+)"/g, (_, id: string) => {
      if (!numbers.has(id)) numbers.set(id, `call_${numbers.size + 1}`);
      return `"callId":"${numbers.get(id)}"`;
    }),
  );
}

for (const backend of backends()) {
  describe(`reference scenario on ${backend.name}`, () => {
    for (const model of ['gpt-4.1', 'ollama/llama3']) {
     for (const stream of [false, true]) {
      for (const guardrailsInParallel of [true, false]) {
        test(`${model}, ${stream ? 'streaming' : 'non-streaming'}, guardrails ${guardrailsInParallel ? 'in parallel' : 'blocking'}`, async () => {
          const expected = await bareSdkConversation(model, stream, guardrailsInParallel);
          assert.deepEqual(expected.outcomes, EXPECTED_OUTCOMES, 'the bare SDK baseline itself follows the script');

          const { personalAssistant, weatherCalls } = referenceAgents({ model, guardrailsInParallel });
          const session = new DurableSession(backend.options);
          const sessionId = await session.getSessionId();
          const runTurn: RunTurn = async (input) =>
            consumeResult(await runAgent(personalAssistant, input, session, stream));
          const outcomes = await playConversation(REFERENCE_TURNS, session, runTurn, async (state) => {
            const saving = new RunStateStore({ agent: personalAssistant, sessionId, ...backend.options });
            const saved = await saving.save(state);
            await saving.close();
            assert.equal(saved.status, 'interrupted');
            assert.deepEqual(
              saved.pendingApprovals.map(({ agent, tool, arguments: args }) => ({ agent, tool, args })),
              [{ agent: 'Weather Assistant', tool: 'get_weather', args: '{"city":"Berkeley"}' }],
            );
            // A different store object, as another process would have.
            const loading = new RunStateStore({ agent: personalAssistant, sessionId, ...backend.options });
            const loaded = await loading.load();
            await loading.close();
            for (const item of loaded.getInterruptions()) loaded.approve(item);
            return loaded;
          });

          assert.deepEqual(outcomes, EXPECTED_OUTCOMES);
          assert.deepEqual(weatherCalls, ['Oakland', 'Berkeley'], 'each approved tool ran exactly once');
          const comparable = model.startsWith('ollama/') ? withNumberedCallIds : (items: unknown[]) => items;
          assert.deepEqual(
            comparable(await session.getItems()),
            comparable(expected.items),
            'same conversation as the bare SDK',
          );
          await session.close();
        });
      }
     }
    }
  });
}
