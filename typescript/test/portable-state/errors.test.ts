import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Agent } from '@openai/agents';
import { InvalidRunStateError, TimestepError } from '../../src/errors.js';
import {
  AgentGraphMismatchError,
  UnportableRunStateError,
  UnsupportedRunStateVersionError,
} from '../../src/portable-state/errors.js';
import { fromPortableRunState } from '../../src/portable-state/fromPortable.js';
import type { PortableRunState } from '../../src/portable-state/portableRunState.js';
import { nativeJsonToPortable } from '../../src/portable-state/toPortable.js';
import { parsePortableRunState } from '../../src/portable-state/validate.js';
import { vectorAgents } from './vectorAgents.js';
import { VECTORS_DIR, readVector } from './vectors.js';

// No test here reaches the model: every case fails before a run starts.
const handoffVector = readVector(join(VECTORS_DIR, 'typescript', 'handoff-interruption.json'));
const portable = (): PortableRunState => structuredClone(handoffVector.portable);
const mutated = (change: (state: any) => void): unknown => {
  const state = portable();
  change(state);
  return state;
};

async function rejects<E extends Error>(promise: Promise<unknown>, type: new (...args: any[]) => E, ...mentions: string[]): Promise<E> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof type, `expected ${type.name}, got ${caught instanceof Error ? `${caught.constructor.name}: ${caught.message}` : String(caught)}`);
  assert.ok(caught instanceof InvalidRunStateError, 'every portable-state error is an InvalidRunStateError');
  assert.ok(caught instanceof TimestepError);
  assert.equal(caught.name, type.name);
  for (const mention of mentions) assert.match(caught.message, new RegExp(mention.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return caught;
}

describe('unknown or newer version', () => {
  for (const version of [2, 99, 0, '1', null]) {
    test(`version ${JSON.stringify(version)} → UnsupportedRunStateVersionError naming it`, async () => {
      const error = await rejects(
        fromPortableRunState(mutated((s) => (s.version = version)), vectorAgents().personalAssistant),
        UnsupportedRunStateVersionError,
        `version ${JSON.stringify(version)}`,
      );
      assert.equal(error.version, version);
    });
  }

  test('a missing version → UnsupportedRunStateVersionError', async () => {
    await rejects(
      fromPortableRunState(mutated((s) => delete s.version), vectorAgents().personalAssistant),
      UnsupportedRunStateVersionError,
      'version undefined',
    );
  });

  test('the same check applies to JSON text', () => {
    assert.throws(
      () => parsePortableRunState(JSON.stringify({ ...portable(), version: 2 })),
      (error: unknown) => error instanceof UnsupportedRunStateVersionError && /version 2/.test(error.message),
    );
  });
});

describe('agent graph mismatch', () => {
  test('an agent missing from the graph is named', async () => {
    const { personalAssistant } = vectorAgents({ withoutWeatherAssistant: true });
    const error = await rejects(
      fromPortableRunState(portable(), personalAssistant),
      AgentGraphMismatchError,
      '"Weather Assistant"',
      '"Personal Assistant"',
    );
    assert.equal(error.agentName, 'Weather Assistant');
    assert.equal(error.toolName, undefined);
  });

  test('a tool missing from its agent is named with the agent', async () => {
    const { personalAssistant } = vectorAgents({ withoutTool: true });
    const error = await rejects(
      fromPortableRunState(portable(), personalAssistant),
      AgentGraphMismatchError,
      'tool "get_weather"',
      'agent "Weather Assistant"',
    );
    assert.equal(error.agentName, 'Weather Assistant');
    assert.equal(error.toolName, 'get_weather');
  });

  test('a handoff the graph does not have is named', async () => {
    // The Weather Assistant is reachable, but only through a Router, not from the Personal Assistant.
    const { weatherAssistant } = vectorAgents();
    const router = new Agent({ name: 'Router', instructions: 'Route.', handoffs: [weatherAssistant] });
    const personalAssistant = new Agent({ name: 'Personal Assistant', instructions: 'Help.', handoffs: [router] });
    const error = await rejects(
      fromPortableRunState(portable(), personalAssistant),
      AgentGraphMismatchError,
      'from "Personal Assistant" to "Weather Assistant"',
    );
    assert.equal(error.agentName, 'Personal Assistant');
    assert.equal(error.toolName, 'transfer_to_Weather_Assistant');
  });

  test('the agent of an approval decision must exist too', async () => {
    await rejects(
      fromPortableRunState(
        mutated((s) => (s.approvals = { get_weather: { approved: true, rejected: [], agent: 'Ghost Agent' } })),
        vectorAgents().personalAssistant,
      ),
      AgentGraphMismatchError,
      '"Ghost Agent"',
      'approvals["get_weather"].agent',
    );
  });

  test('the interruption agent must exist', async () => {
    await rejects(
      fromPortableRunState(
        mutated((s) => (s.step.interruptions[0].agent = 'Travel Assistant')),
        vectorAgents().personalAssistant,
      ),
      AgentGraphMismatchError,
      '"Travel Assistant"',
      'step.interruptions[0].agent',
    );
  });
});

describe('malformed portable states', () => {
  const cases: Array<[string, unknown, string[]]> = [
    ['truncated JSON text', JSON.stringify(portable()).slice(0, 500), ['not valid JSON', 'truncated']],
    ['empty text', '', ['not valid JSON']],
    ['an array', [portable()], ['must be a JSON object', 'array']],
    ['null', null, ['must be a JSON object', 'null']],
    ['another format', mutated((s) => (s.format = 'something-else')), ['"something-else"', 'timestep.portable-run-state']],
    ['current_turn as a string', mutated((s) => (s.current_turn = '2')), ['current_turn']],
    ['a negative current_turn', mutated((s) => (s.current_turn = -1)), ['current_turn']],
    ['generated_items not a list', mutated((s) => (s.generated_items = {})), ['generated_items']],
    ['an unknown item type', mutated((s) => (s.generated_items[0].type = 'telepathy')), ['generated_items.0.type']],
    ['an item without raw', mutated((s) => delete s.generated_items[2].raw), ['generated_items.2.raw']],
    ['a raw item with neither type nor role', mutated((s) => (s.generated_items[2].raw = { name: 'x' })), ['generated_items.2.raw']],
    ['an interruption step without interruptions', mutated((s) => (s.step.interruptions = [])), ['step']],
    ['an unknown step type', mutated((s) => (s.step = { type: 'teleport' })), ['step']],
    ['a field the schema does not list', mutated((s) => (s.session_id = 'abc')), ['session_id']],
    ['approvals with a non-list decision', mutated((s) => (s.approvals = { get_weather: { approved: 'yes', rejected: [] } })), ['approvals.get_weather.approved']],
    ['usage without totals', mutated((s) => delete s.usage.total_tokens), ['usage.total_tokens']],
    ['a missing current_agent', mutated((s) => delete s.current_agent), ['current_agent']],
    ['an empty agent name', mutated((s) => (s.generated_items[0].agent = '')), ['generated_items.0.agent']],
    ['a tool_call whose raw item is not a function_call', mutated((s) => (s.generated_items[2].raw.type = 'message')), ['generated_items[2]', 'function_call']],
  ];
  for (const [name, value, mentions] of cases) {
    test(`${name} → InvalidRunStateError`, async () => {
      const error = await rejects(fromPortableRunState(value, vectorAgents().personalAssistant), InvalidRunStateError, ...mentions);
      assert.ok(!(error instanceof UnsupportedRunStateVersionError) && !(error instanceof AgentGraphMismatchError));
    });
  }
});

describe('native states the portable format cannot express', () => {
  const native = () => JSON.parse(handoffVector.native);
  const cases: Array<[string, (json: any) => void, string]> = [
    ['a server-managed conversation', (json) => (json.conversationId = 'conv_123'), 'conversationId'],
    ['input queued on the paused run', (json) => (json.pendingInput = [{ role: 'user', content: 'and tomorrow?' }]), 'pendingInput'],
    ['a hosted tool call', (json) => (json.generatedItems[2].rawItem = { type: 'hosted_tool_call', name: 'web_search' }), 'hosted_tool_call'],
    ['agents sharing a name', (json) => (json.currentAgent = { name: 'Weather Assistant', identity: 'Weather Assistant#2' }), 'unique'],
  ];
  for (const [name, change, mention] of cases) {
    test(`${name} → UnportableRunStateError`, () => {
      const json = native();
      change(json);
      assert.throws(
        () => nativeJsonToPortable(json),
        (error: unknown) =>
          error instanceof UnportableRunStateError && error instanceof InvalidRunStateError && error.message.includes(mention),
      );
    });
  }

  test('the unchanged state converts', () => {
    assert.deepEqual(nativeJsonToPortable(native()), handoffVector.portable);
  });
});
