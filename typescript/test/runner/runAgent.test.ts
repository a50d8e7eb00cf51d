import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Agent,
  MaxTurnsExceededError,
  MemorySession,
  OpenAIProvider,
  RunResult,
  Runner,
  StreamedRunResult,
  tool,
} from '@openai/agents';
import { BadRequestError } from 'openai';
import { z } from 'zod';
import { consumeResult, idempotent, runAgent } from '../../src/index.js';
import { useScriptedOpenAI } from '../support/environment.js';
import { referenceAgents } from '../support/referenceAgents.js';
import { startModelServer, type ModelServer, type Scenario } from '../../../testing/model-server/server.mjs';

/**
 * The reference server answers runs on the default runner (OPENAI_BASE_URL);
 * a second server, reached only through an explicit runner or model provider,
 * knows the Context Agent and a model that always fails.
 */
const SIDE_SCENARIO: Scenario = {
  name: 'run-agent-side',
  rules: [
    { id: 'broken', when: { model: 'broken-model' }, reply: { error: { status: 400, message: 'scripted failure' } } },
    {
      id: 'greet',
      when: { agent: 'Context Agent', lastItem: { kind: 'function_call_output' } },
      reply: { text: 'Hello, {{lastToolOutput}}' },
    },
    { id: 'lookup', when: { agent: 'Context Agent' }, reply: { toolCalls: [{ name: 'whoami', arguments: {} }] } },
  ],
};

let reference: ModelServer;
let side: ModelServer;
let sideProvider: OpenAIProvider;
before(async () => {
  reference = await useScriptedOpenAI('reference-eight-turns');
  side = await startModelServer({ scenario: SIDE_SCENARIO });
  sideProvider = new OpenAIProvider({ baseURL: `${side.url}/v1`, apiKey: 'side-key' });
});
after(() => Promise.all([reference.close(), side.close()]));

interface Who {
  user: string;
  onLookup?: () => void;
}

/** An agent whose tool answers from the run context. */
function contextAgent() {
  const whoami = tool({
    name: 'whoami',
    description: 'Who the user is.',
    parameters: z.object({}),
    execute: async (_args, runContext) => {
      const context = runContext!.context as Who;
      context.onLookup?.();
      return context.user;
    },
  });
  return new Agent<Who>({ name: 'Context Agent', instructions: 'You are the Context Agent.', model: 'gpt-4.1', tools: [whoami] });
}

const brokenAgent = () => new Agent({ name: 'Broken', instructions: 'Never answers.', model: 'broken-model' });

describe('runAgent', () => {
  test('non-streaming returns a RunResult, with or without a session', async () => {
    const { personalAssistant } = referenceAgents();
    for (const session of [undefined, null]) {
      const result = await runAgent(personalAssistant, "What's 2+2?", session);
      assert.ok(result instanceof RunResult && !(result instanceof StreamedRunResult));
      assert.equal(result.finalOutput, '2 + 2 = 4.');
    }
  });

  test('streaming returns a StreamedRunResult that consumeResult drains', async () => {
    const { personalAssistant } = referenceAgents();
    const streamed = await runAgent(personalAssistant, "What's 2+2?", undefined, true);
    assert.ok(streamed instanceof StreamedRunResult);
    const consumed = await consumeResult(streamed);
    assert.equal(consumed, streamed);
    assert.equal(consumed.finalOutput, '2 + 2 = 4.');
    await consumed.completed;
  });

  test('input that is no string, item array or RunState is a TypeError; idempotent() takes only function tools', async () => {
    const { personalAssistant } = referenceAgents();
    for (const input of [5, null, { role: 'user', content: 'hi' }]) {
      await assert.rejects(runAgent(personalAssistant, input as never), (error: unknown) =>
        error instanceof TypeError && /input must be a string, an array of input items or a RunState/.test(error.message),
      );
    }
    for (const notATool of [undefined, null, {}, personalAssistant]) {
      assert.throws(() => idempotent(notATool as never), /idempotent\(tool\): tool must be a function tool/);
    }
  });

  test('consumeResult passes a plain result through', async () => {
    const { personalAssistant } = referenceAgents();
    const result = await runAgent(personalAssistant, "What's 2+2?");
    assert.equal(await consumeResult(result), result);
  });

  test('the session receives the turn', async () => {
    const { personalAssistant } = referenceAgents();
    const session = new MemorySession();
    for (const stream of [false, true]) {
      await consumeResult(await runAgent(personalAssistant, "What's 2+2?", session, stream));
    }
    const items = await session.getItems();
    assert.deepEqual(
      items.map((item) => (item as { role?: string }).role),
      ['user', 'assistant', 'user', 'assistant'],
    );
  });

  test('maxTurns: MaxTurnsExceededError propagates with its type, streamed or not', async () => {
    const { personalAssistant } = referenceAgents();
    const question = "What's the weather in Oakland?";
    await assert.rejects(runAgent(personalAssistant, question, null, false, { maxTurns: 1 }), MaxTurnsExceededError);
    const streamed = await runAgent(personalAssistant, question, null, true, { maxTurns: 1 });
    await assert.rejects(consumeResult(streamed), MaxTurnsExceededError);
  });

  test('the context reaches the tool; modelProvider is used', async () => {
    const requests = { reference: reference.requests.length, side: side.requests.length };
    const result = await runAgent(contextAgent(), 'Who am I?', null, false, {
      modelProvider: sideProvider,
      context: { user: 'Ada' },
    });
    assert.equal(result.finalOutput, 'Hello, Ada');
    assert.equal(side.requests.length, requests.side + 2);
    assert.equal(reference.requests.length, requests.reference);
  });

  test('the runner option is used, and wins over modelProvider', async () => {
    const requests = side.requests.length;
    const runner = new Runner({ modelProvider: sideProvider });
    const unusedProvider = new OpenAIProvider({ baseURL: `${reference.url}/v1`, apiKey: 'unused' });
    const result = await consumeResult(
      await runAgent(contextAgent(), 'Who am I?', null, true, {
        runner,
        modelProvider: unusedProvider,
        context: { user: 'Grace' },
      }),
    );
    assert.equal(result.finalOutput, 'Hello, Grace');
    assert.equal(side.requests.length, requests + 2);
  });

  test('an aborted signal stops the run', async () => {
    const requests = side.requests.length;
    await assert.rejects(
      runAgent(contextAgent(), 'Who am I?', null, false, {
        modelProvider: sideProvider,
        context: { user: 'Ada' },
        signal: AbortSignal.abort(),
      }),
      (error: Error) => /abort/i.test(`${error.name} ${error.message}`),
    );
    assert.equal(side.requests.length, requests, 'no model call after an abort before the start');

    const controller = new AbortController();
    await assert.rejects(
      runAgent(contextAgent(), 'Who am I?', null, false, {
        modelProvider: sideProvider,
        context: { user: 'Ada', onLookup: () => controller.abort() },
        signal: controller.signal,
      }),
      (error: Error) => /abort/i.test(`${error.name} ${error.message}`),
    );
    assert.equal(side.requests.length, requests + 1, 'the run stopped after the tool, before the next model call');
  });

  test("a model error propagates with the SDK's type, also from a streamed run", async () => {
    await assert.rejects(
      runAgent(brokenAgent(), 'Hello?', null, false, { modelProvider: sideProvider }),
      (error: unknown) => error instanceof BadRequestError && error.status === 400 && /scripted failure/.test(error.message),
    );
    const streamed = await runAgent(brokenAgent(), 'Hello?', null, true, { modelProvider: sideProvider });
    await assert.rejects(consumeResult(streamed), BadRequestError);
  });
});
