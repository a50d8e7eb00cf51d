import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { MemorySession, RunState, run } from '@openai/agents';
import { fromPortableRunState, portableToNativeJson } from '../../src/portable-state/fromPortable.js';
import type { PortableRunState } from '../../src/portable-state/portableRunState.js';
import { toPortableRunState } from '../../src/portable-state/toPortable.js';
import type { ModelServer } from '../../../testing/model-server/server.mjs';
import { useScriptedOpenAI } from '../support/environment.js';
import { SCENARIO } from './generateVectors.js';
import { vectorAgents } from './vectorAgents.js';
import { VECTORS_DIR, readVector, resumeAndObserve, type Expected } from './vectors.js';

let server: ModelServer;
before(async () => {
  server = await useScriptedOpenAI(SCENARIO);
});
after(() => server.close());

const vector = (name: string) => readVector(join(VECTORS_DIR, 'typescript', `${name}.json`));
const nativeOf = (state: RunState<any, any>) => state.toJSON() as unknown as Record<string, any>;

describe('items the vectors cannot show', () => {
  test('reasoning items cross (the scripted server cannot emit them, so one is added to a real state)', async () => {
    const base = vector('handoff-interruption');
    const portable: PortableRunState = structuredClone(base.portable);
    const reasoning = {
      type: 'reasoning',
      id: 'rs_1',
      summary: [{ type: 'summary_text', text: 'The user wants Berkeley weather.' }],
      encrypted_content: 'gAAAA-opaque',
    };
    portable.generated_items.splice(2, 0, { type: 'reasoning', agent: 'Weather Assistant', raw: reasoning });
    portable.model_responses[1].output.unshift(reasoning);

    const agents = vectorAgents();
    const state = await fromPortableRunState(portable, agents.personalAssistant);
    const native = nativeOf(state);
    assert.deepEqual(native.generatedItems[2], {
      type: 'reasoning_item',
      rawItem: {
        type: 'reasoning',
        id: 'rs_1',
        content: [{ type: 'input_text', text: 'The user wants Berkeley weather.' }],
        // Where the SDK itself keeps it when it reads API output: opaque, never camelCased.
        providerData: { encrypted_content: 'gAAAA-opaque' },
      },
      agent: { name: 'Weather Assistant' },
    });
    assert.deepEqual(toPortableRunState(state), portable, 'and come back unchanged');

    const observed = await resumeAndObserve(async () => state, agents, base.resume);
    const expected: Expected = structuredClone(base.expected);
    expected.conversation!.splice(5, 0, { kind: 'reasoning', summary: ['The user wants Berkeley weather.'] });
    assert.deepEqual(observed, expected);
  });
});

describe('the Python spelling of items', () => {
  /** The vector as the Python SDK would write it: snake_case handoff tool, messages without type, compact JSON with spaces. */
  function pythonSpelled(portable: PortableRunState): PortableRunState {
    const python = structuredClone(portable);
    python.producer = { sdk: 'openai-agents', sdk_version: '0.24.0', native_schema_version: '1.21' };
    const rename = (raw: Record<string, unknown>) => {
      if (raw.name === 'transfer_to_Weather_Assistant') raw.name = 'transfer_to_weather_assistant';
    };
    python.generated_items.forEach((item) => {
      rename(item.raw);
      if (item.type === 'handoff_output') item.raw = { call_id: item.raw.call_id, output: '{"assistant": "Weather Assistant"}', type: 'function_call_output' };
    });
    python.model_responses.forEach((response) => response.output.forEach(rename));
    python.tool_use_tracker = { 'Personal Assistant': ['transfer_to_weather_assistant'], 'Weather Assistant': ['get_weather'] };
    python.original_input = (python.original_input as Array<Record<string, unknown>>).map((item) =>
      item.role === 'user' ? { content: item.content, role: 'user' } : item,
    );
    python.context = null;
    return python;
  }

  test('handoff tools get the JS names and the run resumes as the vector expects', async () => {
    const base = vector('handoff-interruption');
    const agents = vectorAgents();
    const state = await fromPortableRunState(pythonSpelled(base.portable), agents.personalAssistant);
    const native = nativeOf(state);
    assert.equal(native.generatedItems[0].rawItem.name, 'transfer_to_Weather_Assistant');
    assert.equal(native.generatedItems[1].rawItem.name, 'transfer_to_Weather_Assistant');
    assert.equal(native.modelResponses[0].output[0].name, 'transfer_to_Weather_Assistant');
    assert.deepEqual(native.toolUseTracker['Personal Assistant'], ['transfer_to_Weather_Assistant']);
    const observed = await resumeAndObserve(async () => state, agents, base.resume);
    assert.deepEqual(observed, base.expected);
  });
});

describe('decisions made before saving', () => {
  for (const decision of ['approve', 'reject'] as const) {
    test(`a one-off ${decision} made before saving crosses and is honoured on resume`, async () => {
      const base = vector('rejection');
      const original = vectorAgents();
      const native = await RunState.fromString(original.personalAssistant, base.native);
      const [pending] = native.getInterruptions();
      if (decision === 'approve') native.approve(pending);
      else native.reject(pending, { message: 'Decided before saving.' });
      const portable = toPortableRunState(native);
      const callId = String((pending.rawItem as { callId: string }).callId);
      assert.deepEqual(portable.approvals, {
        get_weather:
          decision === 'approve'
            ? { approved: [callId], rejected: [], agent: 'Weather Assistant' }
            : { approved: [], rejected: [callId], rejection_messages: { [callId]: 'Decided before saving.' }, agent: 'Weather Assistant' },
      });

      const agents = vectorAgents();
      const observed = await resumeAndObserve(() => fromPortableRunState(portable, agents.personalAssistant), agents, {
        decisions: [],
        tracing: false,
      });
      assert.deepEqual(observed.interruptions, [], 'no decision is asked again');
      assert.deepEqual(observed.tool_runs, decision === 'approve' ? [{ tool: 'get_weather', arguments: { city: 'Berkeley' } }] : []);
      assert.equal(
        observed.final_output,
        decision === 'approve' ? 'Weather report: Berkeley: foggy, 58°F' : 'Weather report: Decided before saving.',
      );
    });
  }
});

describe('what the rebuilt native state carries', () => {
  test('turns, max turns, guardrail results, context and usage', async () => {
    const base = vector('max-turns');
    const native = JSON.parse(await portableToNativeJson(base.portable, vectorAgents().personalAssistant));
    const original = JSON.parse(base.native);
    assert.equal(native.currentTurn, 2);
    assert.equal(native.maxTurns, 2);
    assert.equal(native.currentAgent.name, 'Weather Assistant');
    assert.deepEqual(native.inputGuardrailResults, original.inputGuardrailResults);
    assert.deepEqual(native.context.context, original.context.context);
    for (const key of ['requests', 'inputTokens', 'outputTokens', 'totalTokens']) {
      assert.equal(native.context.usage[key], original.context.usage[key], key);
    }
  });

  test('output guardrail results of a finished run', async () => {
    const base = vector('final-output');
    const native = JSON.parse(await portableToNativeJson(base.portable, vectorAgents().personalAssistant));
    const original = JSON.parse(base.native);
    assert.deepEqual(native.outputGuardrailResults, original.outputGuardrailResults);
    assert.deepEqual(native.currentStep, original.currentStep);
  });

  test('an original input with an image and a file', async () => {
    const base = vector('image-and-file-input');
    const native = JSON.parse(await portableToNativeJson(base.portable, vectorAgents().personalAssistant));
    assert.deepEqual(native.originalInput, JSON.parse(base.native).originalInput);
    assert.equal(native.originalInput[0].content[1].type, 'input_image');
    assert.equal(native.originalInput[0].content[2].filename, 'notes.txt');
  });

  test('a context passed when loading replaces the portable one', async () => {
    const base = vector('json-context');
    const agents = vectorAgents();
    const observed = await resumeAndObserve(
      () => fromPortableRunState(base.portable, agents.personalAssistant, { context: { units: 'F' } }),
      agents,
      base.resume,
    );
    assert.equal(observed.final_output, 'Weather report: Berkeley: foggy, 58°F');
  });
});

describe('resuming with a session', () => {
  for (const stream of [false, true]) {
    test(`the session ends with the same items as when resuming the native state (${stream ? 'streaming' : 'non-streaming'})`, async () => {
      const producer = vectorAgents();
      const session = new MemorySession();
      await run(producer.personalAssistant, "What's 2+2?", { session });
      const paused = await run(producer.personalAssistant, "What's the weather in Berkeley?", { session });
      const before = await session.getItems();
      assert.equal(paused.interruptions.length, 1);

      const finish = async (load: (agents: ReturnType<typeof vectorAgents>) => Promise<RunState<any, any>>) => {
        const agents = vectorAgents();
        const copy = new MemorySession({ initialItems: structuredClone(before) });
        const state = await load(agents);
        for (const item of state.getInterruptions()) state.approve(item);
        if (stream) {
          const result = await run(agents.personalAssistant, state, { session: copy, stream: true });
          for await (const _ of result) {
            // drain
          }
          await result.completed;
        } else {
          await run(agents.personalAssistant, state, { session: copy });
        }
        return JSON.parse(JSON.stringify(await copy.getItems(), (key, v) => (key === 'providerData' ? undefined : v)));
      };
      const native = await finish((agents) => RunState.fromString(agents.personalAssistant, paused.state.toString()));
      const portable = toPortableRunState(paused.state);
      const viaPortable = await finish((agents) => fromPortableRunState(portable, agents.personalAssistant));
      assert.equal(native.length, before.length + 2, 'the tool output and the answer were appended once');
      assert.deepEqual(viaPortable, native);
    });
  }
});

describe('robustness', () => {
  test('a pending call missing from the model responses still runs once approved', async () => {
    const base = vector('handoff-interruption');
    const portable: PortableRunState = structuredClone(base.portable);
    portable.model_responses = [];
    const agents = vectorAgents();
    const observed = await resumeAndObserve(() => fromPortableRunState(portable, agents.personalAssistant), agents, base.resume);
    assert.deepEqual(observed, base.expected);
  });
});
