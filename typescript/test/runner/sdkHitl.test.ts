/**
 * The JS Agents SDK's human-in-the-loop session scenario, ported to
 * DurableSession on both stores with its assertions unchanged in meaning.
 * Mirrors openai/openai-agents-js
 * packages/agents-core/test/hitlMemorySessionScenario.test.ts (and its file
 * session twin, hitlFileSessionScenario.test.ts, whose rehydration reopens
 * the session by id as done here). The SDK's in-process fake model is
 * replaced by the scripted model server: it calls the tool the agent's
 * instructions name, with the last user message as the query.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Agent, tool, type AgentInputItem, type protocol } from '@openai/agents';
import { z } from 'zod';
import { DurableSession, runAgent } from '../../src/index.js';
import { backends } from '../support/environment.js';
import { uniquePrefix } from '../fixtures/helpers.js';
import { startModelServer, type ModelServer, type Scenario } from '../../../testing/model-server/server.mjs';
import { setTracingDisabled } from '@openai/agents';

const TOOL_ECHO = 'approved_echo';
const TOOL_NOTE = 'approved_note';
const REJECTION_OUTPUT = 'Tool execution was not approved.';
const USER_MESSAGES = ['Fetch profile for customer 104.', 'Update note for customer 104.', 'Delete note for customer 104.'];

const SCENARIO: Scenario = {
  name: 'sdk-hitl-session',
  rules: [TOOL_ECHO, TOOL_NOTE].map((name) => ({
    id: name,
    when: { agent: `Always call ${name} before responding.` },
    reply: { toolCalls: [{ name, arguments: { query: '{{lastUserText}}' } }] },
  })),
};

let server: ModelServer;
before(async () => {
  setTracingDisabled(true);
  server = await startModelServer({ scenario: SCENARIO });
  process.env.OPENAI_BASE_URL = `${server.url}/v1`;
  process.env.OPENAI_API_KEY = 'test-key';
});
after(() => server.close());

const executeCounts = new Map<string, number>();

function approvalTool(name: string, prefix: string) {
  return tool({
    name,
    description: `${prefix} the provided query after approval.`,
    parameters: z.object({ query: z.string() }),
    needsApproval: async () => true,
    execute: async ({ query }) => {
      executeCounts.set(name, (executeCounts.get(name) ?? 0) + 1);
      return `${name === TOOL_ECHO ? 'approved' : 'approved_note'}:${query}`;
    },
  });
}
const approvalEchoTool = approvalTool(TOOL_ECHO, 'Echoes back');
const approvalNoteTool = approvalTool(TOOL_NOTE, 'Records');

interface ScenarioStep {
  label: string;
  message: string;
  toolName: string;
  approval: 'approve' | 'reject';
  expectedOutput: string;
}

const STEPS: ScenarioStep[] = [
  { label: 'turn 1', message: USER_MESSAGES[0], toolName: TOOL_ECHO, approval: 'approve', expectedOutput: `approved:${USER_MESSAGES[0]}` },
  {
    label: 'turn 2 (rehydrated)',
    message: USER_MESSAGES[1],
    toolName: TOOL_NOTE,
    approval: 'approve',
    expectedOutput: `approved_note:${USER_MESSAGES[1]}`,
  },
  { label: 'turn 3 (rejected)', message: USER_MESSAGES[2], toolName: TOOL_ECHO, approval: 'reject', expectedOutput: REJECTION_OUTPUT },
];

async function runScenarioStep(session: DurableSession, step: ScenarioStep) {
  const agent = new Agent({
    name: `DurableSession ${step.label}`,
    instructions: `Always call ${step.toolName} before responding.`,
    model: 'gpt-4.1',
    tools: [approvalEchoTool, approvalNoteTool],
    modelSettings: { toolChoice: step.toolName },
    toolUseBehavior: 'stop_on_first_tool',
  });

  const firstRun = await runAgent(agent, step.message, session);
  assert.equal(firstRun.interruptions.length, 1);

  const approval = firstRun.interruptions[0];
  if (step.approval === 'reject') firstRun.state.reject(approval);
  else firstRun.state.approve(approval);

  const resumed = await runAgent(agent, firstRun.state, session);
  assert.equal(resumed.interruptions.length, 0);
  assert.equal(resumed.finalOutput, step.expectedOutput);

  return { approvalItem: approval.rawItem as protocol.FunctionCallItem, items: await session.getItems() };
}

const isUserMessage = (item: AgentInputItem) =>
  (item.type === 'message' || item.type === undefined) && (item as { role?: string }).role === 'user';
const isFunctionCall = (item: AgentInputItem): item is protocol.FunctionCallItem => item.type === 'function_call';
const isFunctionCallResult = (item: AgentInputItem): item is protocol.FunctionCallResultItem =>
  item.type === 'function_call_result';

function userText(item: AgentInputItem): string {
  const content = (item as { content: unknown }).content;
  if (typeof content === 'string') return content;
  return (content as Array<{ type: string; text?: string }>)
    .map((part) => (part.type === 'input_text' ? part.text ?? '' : ''))
    .join('');
}

function toolOutputText(result: protocol.FunctionCallResultItem | undefined): string | undefined {
  const output = result?.output as unknown;
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) return (output as Array<{ type: string; text?: string }>).find((part) => part.type === 'input_text')?.text;
  if (output && typeof output === 'object' && (output as { type?: string }).type === 'text') return (output as { text: string }).text;
  return undefined;
}

function expectCounts(items: AgentInputItem[], turn: number) {
  assert.equal(items.filter(isUserMessage).length, turn);
  assert.equal(items.filter(isFunctionCall).length, turn);
  assert.equal(items.filter(isFunctionCallResult).length, turn);
}

function expectStepOutput(items: AgentInputItem[], approvalItem: protocol.FunctionCallItem, step: ScenarioStep) {
  assert.equal(userText(items.filter(isUserMessage).at(-1)!), step.message);
  const lastCall = items.filter(isFunctionCall).at(-1);
  const lastResult = items.filter(isFunctionCallResult).at(-1);
  assert.equal(lastCall?.name, step.toolName);
  assert.equal(lastResult?.name, step.toolName);
  assert.equal(lastCall?.callId, approvalItem.callId);
  assert.equal(lastResult?.callId, approvalItem.callId);
  assert.equal(toolOutputText(lastResult), step.expectedOutput);
}

const PREFIX = uniquePrefix('sdk-hitl');

for (const backend of backends()) {
  describe(`SDK HITL session scenario on DurableSession (${backend.name})`, () => {
    test('persists approvals, rehydration, and rejections across tools', async () => {
      executeCounts.clear();
      const session = new DurableSession({ sessionId: `${PREFIX}${randomUUID()}`, ...backend.options });
      const sessionId = await session.getSessionId();
      let rehydrated: DurableSession | undefined;
      try {
        const first = await runScenarioStep(session, STEPS[0]);
        expectCounts(first.items, 1);
        expectStepOutput(first.items, first.approvalItem, STEPS[0]);

        // Rehydrated: a new object on the same id, with the store as the only link.
        await session.close();
        rehydrated = new DurableSession({ sessionId, ...backend.options });
        const second = await runScenarioStep(rehydrated, STEPS[1]);
        expectCounts(second.items, 2);
        expectStepOutput(second.items, second.approvalItem, STEPS[1]);

        const third = await runScenarioStep(rehydrated, STEPS[2]);
        expectCounts(third.items, 3);
        expectStepOutput(third.items, third.approvalItem, STEPS[2]);

        assert.equal(executeCounts.get(TOOL_ECHO), 1);
        assert.equal(executeCounts.get(TOOL_NOTE), 1);
      } finally {
        if (rehydrated) {
          await rehydrated.clearSession();
          await rehydrated.close();
        }
        await session.close();
      }
    });
  });
}
