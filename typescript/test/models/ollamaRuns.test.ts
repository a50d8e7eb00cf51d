// Full agent runs on `ollama/llama3` through MultiModelProvider, against the
// scripted server's Ollama API, with the reference scenario's agents.

import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Runner, setTracingDisabled, type Agent, type AgentInputItem, type RunState } from '@openai/agents';
import { startModelServer, type ModelServer } from '../../../testing/model-server/server.mjs';
import { MultiModelProvider } from '../../src/models/multiModelProvider.js';
import { REFERENCE_TURNS, referenceAgents } from '../support/referenceAgents.js';

setTracingDisabled(true);

const REFERENCE_SCENARIO = fileURLToPath(new URL('../../../spec/scenarios/reference-eight-turns.json', import.meta.url));

let server: ModelServer;
let runner: Runner;
before(async () => {
  server = await startModelServer({ scenarioPath: REFERENCE_SCENARIO });
  runner = new Runner({ modelProvider: new MultiModelProvider({ ollamaHost: server.url }) });
});
after(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

type Input = string | AgentInputItem[] | RunState<any, any>;

/** Runs a turn the way a caller would, collecting the streamed text when streaming. */
async function runTurn(agent: Agent<any, any>, input: Input, stream: boolean) {
  if (!stream) return { result: await runner.run(agent, input), deltas: [] as string[] };
  const result = await runner.run(agent, input, { stream: true });
  const deltas: string[] = [];
  for await (const event of result) {
    if (event.type === 'raw_model_stream_event' && event.data.type === 'output_text_delta') deltas.push(event.data.delta);
  }
  await result.completed;
  return { result, deltas };
}

function userTurn(text: string): AgentInputItem {
  return { role: 'user', content: text };
}

for (const stream of [false, true]) {
  describe(stream ? 'streaming' : 'non-streaming', () => {
    const logged = (...ruleIds: string[]) => ruleIds.map((ruleId) => ({ api: 'ollama.chat', model: 'llama3', ruleId, stream }));

    test('plain text', async () => {
      const { personalAssistant } = referenceAgents({ model: 'ollama/llama3' });
      const { result, deltas } = await runTurn(personalAssistant, REFERENCE_TURNS[0]!, stream);
      assert.equal(result.finalOutput, '2 + 2 = 4.');
      assert.deepEqual(server.requests, logged('math-two-plus-two'));
      if (stream) {
        assert.ok(deltas.length > 1, 'the text arrives in several deltas');
        assert.equal(deltas.join(''), '2 + 2 = 4.');
      }
    });

    test('a function tool round trip', async () => {
      const { weatherAssistant, weatherCalls } = referenceAgents({ model: 'ollama/llama3' });
      const { result } = await runTurn(weatherAssistant, REFERENCE_TURNS[1]!, stream);
      assert.equal(result.finalOutput, 'The weather in Oakland: sunny, 68°F');
      assert.deepEqual(weatherCalls, ['Oakland']);
      assert.deepEqual(server.requests, logged('weather-lookup-oakland', 'weather-answer-oakland'));
    });

    test('turns 1–2: a second turn with history hands off to the Weather Assistant', async () => {
      const { personalAssistant, weatherAssistant, weatherCalls } = referenceAgents({ model: 'ollama/llama3' });
      const first = await runTurn(personalAssistant, REFERENCE_TURNS[0]!, stream);
      assert.equal(first.result.finalOutput, '2 + 2 = 4.');
      const second = await runTurn(
        personalAssistant,
        [...first.result.history, userTurn(REFERENCE_TURNS[1] as string)],
        stream,
      );
      assert.equal(second.result.finalOutput, 'The weather in Oakland: sunny, 68°F');
      assert.equal(second.result.lastAgent, weatherAssistant);
      assert.deepEqual(weatherCalls, ['Oakland']);
      assert.deepEqual(
        server.requests,
        logged('math-two-plus-two', 'handoff-to-weather-oakland', 'weather-lookup-oakland', 'weather-answer-oakland'),
      );
    });

    test('a tool needing approval interrupts, and the approved run resumes', async () => {
      const { personalAssistant, weatherCalls } = referenceAgents({ model: 'ollama/llama3' });
      const interrupted = await runTurn(personalAssistant, REFERENCE_TURNS[3]!, stream);
      const [approval, ...others] = interrupted.result.interruptions;
      assert.ok(approval);
      assert.deepEqual(others, []);
      assert.equal(approval.name, 'get_weather');
      assert.equal(approval.arguments, '{"city":"Berkeley"}');
      assert.deepEqual(weatherCalls, [], 'nothing runs before approval');

      interrupted.result.state.approve(approval);
      const resumed = await runTurn(personalAssistant, interrupted.result.state, stream);
      assert.equal(resumed.result.finalOutput, 'The weather in Berkeley: foggy, 58°F');
      assert.deepEqual(weatherCalls, ['Berkeley']);
      assert.deepEqual(
        server.requests,
        logged('handoff-to-weather-berkeley', 'weather-lookup-berkeley', 'weather-answer-berkeley'),
      );
    });

    test('an image in the user input', async () => {
      const { personalAssistant } = referenceAgents({ model: 'ollama/llama3' });
      const { result } = await runTurn(personalAssistant, REFERENCE_TURNS[7]!, stream);
      assert.equal(result.finalOutput, 'I see a small red square.');
      assert.deepEqual(server.requests, logged('image-description'));
    });
  });
}
