/**
 * The agents module the worker fleet test starts `timestep worker --agents`
 * with (scenario spec/scenarios/worker-fleet.json); twin of
 * python/tests/durable/worker_fleet_agents.py, which has the same graph.
 *
 * The tool's side effect is a row in `fleet_effects` of the database named by
 * FLEET_EFFECTS_DB_URL, so the test counts how often each step really ran.
 * It is declared idempotent: a call left in doubt by a kill -9 is retried,
 * which keeps every run finishing without a human.
 */
import { Agent, tool } from '@openai/agents';
import pg from 'pg';
import { z } from 'zod';
import { idempotent } from '../../src/index.js';

const effects = new pg.Pool({ connectionString: process.env.FLEET_EFFECTS_DB_URL, max: 2 });

const recordEffect = tool({
  name: 'record_effect',
  description: 'Records one step of a fleet run.',
  parameters: z.object({ run: z.string(), step: z.number().int() }),
  execute: async ({ run, step }) => {
    await effects.query('INSERT INTO fleet_effects (run, step, worker) VALUES ($1, $2, $3)', [run, step, `ts/${process.pid}`]);
    return `step ${step} done for ${run}`;
  },
});

export const fleetAgent = new Agent({
  name: 'Fleet Agent',
  instructions: 'You are the Fleet Agent. Record two steps with record_effect, then report.',
  model: 'gpt-4.1',
  tools: [idempotent(recordEffect)],
});

export const agents = [fleetAgent];
