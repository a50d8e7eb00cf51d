import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentInputItem } from '@openai/agents';
import { DurableSession, RunStateStore } from '../../src/index.js';
import type { StoreOptions } from '../../src/store/connect.js';
import { freshAppDirectory, testDatabaseUrl, useScriptedOpenAI } from '../support/environment.js';
import { referenceAgents } from '../support/referenceAgents.js';
import { REJECTION_MESSAGE, childEnv, fixturePath, spawnTsx, succeeded } from '../fixtures/helpers.js';
import type { ModelServer } from '../../../testing/model-server/server.mjs';

let server: ModelServer;
before(async () => {
  server = await useScriptedOpenAI('reference-eight-turns'); // children inherit OPENAI_BASE_URL
});
after(() => server.close());

const RUN = fixturePath('crossProcessRun.ts');

/** How a child process finds the store (its environment) and how this process opens the same one. */
const STORES: Array<{ name: string; make(): { env: NodeJS.ProcessEnv; options: StoreOptions } }> = [
  {
    name: 'PGlite in a fresh app directory',
    make() {
      const home = freshAppDirectory();
      return { env: { TIMESTEP_HOME: home }, options: { pglitePath: join(home, 'pglite') } };
    },
  },
  {
    name: 'PostgreSQL',
    make: () => ({ env: { TIMESTEP_DB_URL: testDatabaseUrl() }, options: { connectionString: testDatabaseUrl() } }),
  },
];

async function runPhase(phase: string, env: NodeJS.ProcessEnv) {
  const child = spawnTsx(RUN, [phase], env);
  const { stdout } = await succeeded(child);
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, any>;
}

const linesOf = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : []);

/** Text of the function_call_result answering get_weather for Berkeley. */
function berkeleyToolOutput(items: AgentInputItem[]): string {
  const call = items.find(
    (item) => item.type === 'function_call' && item.name === 'get_weather' && item.arguments.includes('Berkeley'),
  ) as { callId: string };
  const results = items.filter((item) => item.type === 'function_call_result' && item.callId === call.callId);
  assert.equal(results.length, 1, 'exactly one result for the Berkeley call');
  return JSON.stringify((results[0] as { output: unknown }).output);
}

for (const store of STORES) {
  describe(`a run saved in one process and resumed in another: ${store.name}`, () => {
    for (const decision of ['approve', 'reject'] as const) {
      test(`${decision}`, async () => {
        const { env: storeEnv, options } = store.make();
        const sessionId = `cross-process-${randomUUID()}`;
        const weatherLog = join(freshAppDirectory(), 'weather.log');
        const env = childEnv({ ...storeEnv, SESSION_ID: sessionId, WEATHER_LOG: weatherLog });

        const first = await runPhase('interrupt', env);
        assert.equal(first.saved.status, 'interrupted');
        assert.deepEqual(first.saved.pendingApprovals.map((p: { tool: string }) => p.tool), ['get_weather']);
        assert.deepEqual(linesOf(weatherLog), ['Oakland'], 'Berkeley waits for the decision');

        const second = await runPhase(decision, env);
        const berkeleyAnswer =
          decision === 'approve' ? 'The weather in Berkeley: foggy, 58°F' : `The weather in Berkeley: ${REJECTION_MESSAGE}`;
        assert.deepEqual(second.outcomes, [
          { output: berkeleyAnswer },
          { tripped: 'input' },
          { tripped: 'output' },
          { output: '4 × 12 − 6 = 42.' },
          { output: 'I see a small red square.' },
        ]);
        assert.deepEqual(second.statuses, ['interrupted', 'final']);
        assert.deepEqual(
          linesOf(weatherLog),
          decision === 'approve' ? ['Oakland', 'Berkeley'] : ['Oakland'],
          'get_weather(Berkeley) ran once in total when approved, never when rejected',
        );

        // Both processes have exited; this one reads what they left.
        const session = new DurableSession({ sessionId, ...options });
        const runs = new RunStateStore({ agent: referenceAgents().personalAssistant, sessionId, ...options });
        try {
          const items = await session.getItems();
          const userTurns = items.filter((item) => 'role' in item && item.role === 'user');
          assert.equal(userTurns.length, 6, 'eight turns less the two a guardrail rejected');
          const last = items.at(-1) as { role: string; content: Array<{ text: string }> };
          assert.equal(last.role, 'assistant');
          assert.equal(last.content[0].text, 'I see a small red square.');
          const output = berkeleyToolOutput(items);
          assert.ok(output.includes(decision === 'approve' ? 'foggy, 58°F' : REJECTION_MESSAGE), output);
          assert.deepEqual((await runs.history()).map((v) => v.status), ['interrupted', 'final']);
        } finally {
          await Promise.all([session.close(), runs.close()]);
        }
      });
    }
  });
}
