/** A journaled response replayed with this SDK's tool names (the other SDK spells some differently). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, Usage, handoff, type ModelRequest, type ModelResponse } from '@openai/agents';
import { withOwnToolNames } from '../../src/durable/journaledResponse.js';

function callsNamed(...names: string[]): ModelResponse {
  return {
    usage: new Usage(),
    output: names.map((name, n) => ({ type: 'function_call', callId: `call_${n}`, name, arguments: '{}', status: 'completed' })),
  } as ModelResponse;
}

function request(tools: string[], handoffs: string[]): ModelRequest {
  return {
    tools: tools.map((name) => ({ type: 'function', name })),
    handoffs: handoffs.map((toolName) => ({ toolName })),
  } as unknown as ModelRequest;
}

const names = (response: ModelResponse) => response.output.map((item) => (item as { name: string }).name);

test('a handoff call in the other SDK spelling takes this SDK name; a name the request offers is kept', () => {
  const billing = handoff(new Agent({ name: 'Billing Desk' }));
  const replayed = withOwnToolNames(callsNamed('transfer_to_billing_desk', 'record_step'), request(['record_step'], [billing.toolName]));
  assert.deepEqual(names(replayed), [billing.toolName, 'record_step']);
  assert.equal(billing.toolName, 'transfer_to_Billing_Desk');
});

test('a name that folds like two offered names is left as it is', () => {
  const replayed = withOwnToolNames(callsNamed('transfer_to_billing_desk'), request([], ['transfer_to_Billing_Desk', 'transfer_to_billing__desk']));
  assert.deepEqual(names(replayed), ['transfer_to_billing_desk']);
});

test('a call of an agent used as a tool in the other SDK spelling takes this SDK name', () => {
  const billing = new Agent({ name: 'Billing Desk' }).asTool({ toolDescription: 'Answers billing questions.' });
  const replayed = withOwnToolNames(callsNamed('billing_desk'), request([billing.name], []));
  assert.equal(billing.name, 'Billing_Desk');
  assert.deepEqual(names(replayed), ['Billing_Desk']);
});
