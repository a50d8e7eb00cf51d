/**
 * The Responses ↔ JS SDK item conversion against the shared vectors in
 * spec/session-items/ (format: its README). Python checks the same files.
 */
import { protocol, type AgentInputItem } from '@openai/agents';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fromResponsesItem, toResponsesItem, type ResponsesItem } from '../../src/portable-state/responsesItems.js';
import { REPO_ROOT } from '../support/environment.js';

interface Vector {
  description: string;
  responses: ResponsesItem;
  js: AgentInputItem;
  tool_names?: Record<string, string>;
  responses_from_js?: ResponsesItem;
  js_from_responses?: AgentInputItem;
}

const DIRECTORY = join(REPO_ROOT, 'spec', 'session-items');
const vectors: Array<[string, Vector]> = readdirSync(join(DIRECTORY, 'vectors'))
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => [file.replace(/\.json$/, ''), JSON.parse(readFileSync(join(DIRECTORY, 'vectors', file), 'utf8'))]);

const toolNames = (vector: Vector) => new Map(Object.entries(vector.tool_names ?? {}));

describe('session item vectors', () => {
  test('there is a vector for every item type the JS SDK has and every Responses type', () => {
    const jsTypes = new Set(vectors.map(([, v]) => (v.js as { type?: string }).type ?? 'message'));
    for (const type of ['message', 'function_call', 'function_call_result', 'reasoning', 'compaction', 'hosted_tool_call',
      'computer_call', 'computer_call_result', 'shell_call', 'shell_call_output', 'apply_patch_call',
      'apply_patch_call_output', 'tool_search_call', 'tool_search_output', 'program', 'program_output', 'unknown']) {
      assert.ok(jsTypes.has(type), `no vector for the JS SDK's ${type}`);
    }
    const names = new Set(vectors.map(([name]) => name));
    const conversation: { items: string[] } = JSON.parse(readFileSync(join(DIRECTORY, 'conversation.json'), 'utf8'));
    for (const name of conversation.items) assert.ok(names.has(name), `conversation.json names a missing vector ${name}`);
  });

  for (const [name, vector] of vectors) {
    describe(name, () => {
      test('the JS form is an item the JS SDK accepts', () => {
        const parsed = protocol.ModelItem.safeParse(vector.js);
        assert.ok(parsed.success, JSON.stringify(parsed.error?.issues));
      });

      test('Responses → JS equals the vector', () => {
        assert.deepEqual(fromResponsesItem(vector.responses, toolNames(vector)), vector.js_from_responses ?? vector.js);
      });

      test('JS → Responses equals the vector', () => {
        assert.deepEqual(toResponsesItem(vector.js), vector.responses_from_js ?? vector.responses);
      });

      test('round trips are identity', () => {
        const responses = vector.responses_from_js ?? vector.responses;
        assert.deepEqual(toResponsesItem(fromResponsesItem(responses, toolNames(vector))), responses);
        const js = vector.js_from_responses ?? vector.js;
        assert.deepEqual(fromResponsesItem(toResponsesItem(js), toolNames(vector)), js);
      });
    });
  }
});
