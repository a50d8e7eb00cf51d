/**
 * The agents of spec/scenarios/durable-agent-tool.json: a Triage agent that asks a Billing Desk
 * agent used as a tool (its default name, `Billing_Desk`), then refunds (needs approval).
 * Every refund is appended to `refundsFile` (`typescript <orderId>`).
 */
import { appendFileSync } from 'node:fs';
import { Agent, tool } from '@openai/agents';
import { z } from 'zod';

export const AGENT_TOOL_INPUT = 'Please refund order 7.';
export const AGENT_TOOL_OUTPUT = 'Done: refunded 7.';

export function agentToolAgents(refundsFile: string): Agent<any, any> {
  const billing = new Agent({ name: 'Billing Desk', instructions: 'You are the Billing Desk. Answer refund questions.', model: 'gpt-4.1' });
  const refund = tool({
    name: 'refund',
    description: 'Refund an order.',
    parameters: z.object({ orderId: z.string() }),
    needsApproval: true,
    execute: async ({ orderId }) => {
      appendFileSync(refundsFile, `typescript ${orderId}\n`);
      return `refunded ${orderId}`;
    },
  });
  return new Agent({
    name: 'Triage',
    instructions: 'You are the Triage agent. Ask the billing desk, then refund.',
    model: 'gpt-4.1',
    tools: [billing.asTool({ toolDescription: 'Answers billing questions.' }), refund],
  });
}
