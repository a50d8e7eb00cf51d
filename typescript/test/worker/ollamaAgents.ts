/**
 * The agents module `timestep worker --agents` loads in workerModels.test.ts:
 * one agent on an `ollama/` model, named WORKER_AGENT_NAME (its own graph
 * fingerprint, so no other worker claims its runs), and no `runner` export.
 */
import { Agent } from '@openai/agents';

export const agents = [
  new Agent({ name: process.env.WORKER_AGENT_NAME!, instructions: 'Repeat the user.', model: 'ollama/llama3' }),
];
