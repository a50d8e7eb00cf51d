/**
 * The JS Agents SDK's example examples/agent-patterns/human-in-the-loop-stream.ts
 * (openai/openai-agents-js) with persistence switched to Timestep: the
 * conversation in a DurableSession, every decision point saved with
 * RunStateStore and the run resumed from the store, on both stores. Its
 * pattern pipes `toTextStream()` before waiting for the run, which is what
 * consumeResult must tolerate; with two approvals at once, deciding one must
 * leave exactly the other pending in the saved version.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { Agent, setTracingDisabled, tool, type StreamedRunResult } from '@openai/agents';
import { z } from 'zod';
import { DurableSession, RunStateStore, consumeResult, runAgent } from '../../src/index.js';
import { backends } from '../support/environment.js';
import { uniquePrefix } from '../fixtures/helpers.js';
import { startModelServer, type ModelServer, type Scenario } from '../../../testing/model-server/server.mjs';

const QUESTION = 'What is the weather and temperature in San Francisco and Oakland?';

const SCENARIO: Scenario = {
  name: 'sdk-hitl-stream-example',
  rules: [
    {
      id: 'weather-answer',
      when: { agent: 'You are the Weather agent.', lastItem: { kind: 'function_call_output' } },
      reply: { text: '{{lastToolOutput}}' },
    },
    {
      id: 'weather-lookup',
      when: { agent: 'You are the Weather agent.' },
      reply: { toolCalls: [{ name: 'get_weather', arguments: { city: 'San Francisco' } }] },
    },
    {
      id: 'main-answer',
      when: { agent: 'You are the Main agent.', lastItem: { kind: 'function_call_output' } },
      reply: { text: 'Done: {{lastToolOutput}}' },
    },
    {
      id: 'main-tools',
      when: { agent: 'You are the Main agent.' },
      reply: {
        toolCalls: [
          { name: 'get_temperature', arguments: { city: 'Oakland' } },
          { name: 'ask_weather_agent', arguments: { input: 'Weather conditions in San Francisco' } },
        ],
      },
    },
  ],
};

let server: ModelServer;
before(async () => {
  setTracingDisabled(true);
  server = await startModelServer({ scenario: SCENARIO });
  process.env.OPENAI_BASE_URL = `${server.url}/v1`;
  process.env.OPENAI_API_KEY = 'test-key';
});
after(() => server.close());

function exampleAgents() {
  const calls: string[] = [];
  const getWeatherTool = tool({
    name: 'get_weather',
    description: 'Get weather conditions for one city.',
    parameters: z.object({ city: z.string() }),
    execute: async ({ city }) => {
      calls.push(`get_weather ${city}`);
      return `The weather in ${city} is sunny.`;
    },
  });
  const weatherAgent = new Agent({
    name: 'Weather agent',
    instructions: 'You are the Weather agent. Report weather conditions.',
    model: 'gpt-4.1',
    tools: [getWeatherTool],
  });
  const getTemperatureTool = tool({
    name: 'get_temperature',
    description: 'Get the current temperature for one city.',
    parameters: z.object({ city: z.string() }),
    needsApproval: async (_context, { city }) => city.includes('Oakland'),
    execute: async ({ city }) => {
      calls.push(`get_temperature ${city}`);
      return `The temperature in ${city} is 20° Celsius`;
    },
  });
  const mainAgent = new Agent({
    name: 'Main agent',
    instructions: 'You are the Main agent. Answer weather questions with the tools.',
    model: 'gpt-4.1',
    tools: [
      getTemperatureTool,
      weatherAgent.asTool({
        toolName: 'ask_weather_agent',
        toolDescription: 'Get weather conditions for one or more locations.',
        needsApproval: async (_context, { input }) => input.includes('San Francisco'),
      }),
    ],
  });
  return { mainAgent, calls };
}

/** A Writable standing in for process.stdout. */
function output() {
  let text = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return { sink, text: () => text };
}

const PREFIX = uniquePrefix('sdk-hitl-stream');

for (const backend of backends()) {
  describe(`SDK human-in-the-loop-stream example with Timestep persistence (${backend.name})`, () => {
    test('stream, save, decide one approval at a time, resume from the store', async () => {
      const { mainAgent, calls } = exampleAgents();
      const runId = `${PREFIX}${randomUUID()}`;
      const session = new DurableSession({ sessionId: runId, ...backend.options });
      const store = new RunStateStore({ agent: mainAgent, sessionId: runId, ...backend.options });
      const stdout = output();
      /** The example's `toTextStream().pipe(process.stdout)` then wait for the run. */
      const streamToStdout = async (stream: StreamedRunResult<any, any>) => {
        const text = stream.toTextStream({ compatibleWithNodeStreams: true });
        text.pipe(stdout.sink, { end: false });
        await consumeResult(stream);
        await finished(text);
      };
      try {
        let stream: StreamedRunResult<any, any> = await runAgent(mainAgent, QUESTION, session, true);
        await streamToStdout(stream);
        assert.deepEqual(
          stream.interruptions.map((item) => item.name),
          ['get_temperature', 'ask_weather_agent'],
        );
        const waiting = await store.save(stream.state);
        assert.deepEqual(
          waiting.pendingApprovals.map((approval) => approval.tool),
          ['get_temperature', 'ask_weather_agent'],
        );

        // One decision per process, as a human would give them: load, decide, save.
        const oakland = await store.load();
        oakland.approve(oakland.getInterruptions().find((item) => item.name === 'get_temperature')!);
        const oneLeft = await store.save(oakland, { expectedVersion: 1 });
        assert.deepEqual(oneLeft.pendingApprovals.map((approval) => approval.tool), ['ask_weather_agent']);
        assert.equal(oneLeft.pendingApprovals[0].arguments, '{"input":"Weather conditions in San Francisco"}');

        const sanFrancisco = await store.load();
        sanFrancisco.approve(sanFrancisco.getInterruptions().find((item) => item.name === 'ask_weather_agent')!);
        const decided = await store.save(sanFrancisco, { expectedVersion: 2 });
        assert.deepEqual(decided.pendingApprovals, []);
        assert.deepEqual(
          (await store.history()).map((version) => version.pendingApprovals.length),
          [2, 1, 0],
        );
        assert.deepEqual(calls, [], 'nothing ran before the approvals');

        stream = await runAgent(mainAgent, await store.load(), session, true);
        await streamToStdout(stream);
        assert.equal(stream.interruptions.length, 0);
        assert.deepEqual(calls.sort(), ['get_temperature Oakland', 'get_weather San Francisco']);
        assert.match(String(stream.finalOutput), /^Done: /);
        assert.ok(stdout.text().includes(String(stream.finalOutput)), 'the final text reached the piped output');
        const saved = await store.save(stream.state, { expectedVersion: 3 });
        assert.equal(saved.status, 'final');
        assert.deepEqual(saved.pendingApprovals, []);
      } finally {
        await session.close();
        await store.close();
      }
    });
  });
}
