/**
 * A worker routes models as `runAgent` does: with no runner given, an
 * `ollama/` agent's submitted run reaches Ollama's `/api/chat` (not OpenAI
 * with the model "ollama/llama3"), through `RunWorker` and `timestep worker`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Agent } from '@openai/agents';
import { DurableSession, RunWorker, runAgent, submitRun, type RunWorkerEvent } from '../../src/index.js';
import { REPO_ROOT, freshAppDirectory, testDatabaseUrl, useScriptedOpenAI } from '../support/environment.js';
import { childEnv } from '../fixtures/helpers.js';
import { runWorkerCli } from '../support/workerCli.js';
import type { ModelServer } from '../../../testing/model-server/server.mjs';

const AGENTS_MODULE = join(REPO_ROOT, 'typescript/test/worker/ollamaAgents.ts');

let server: ModelServer;
before(async () => {
  // OpenAI is pointed at the server too, so a run sent there is logged instead of leaving the machine.
  server = await useScriptedOpenAI('echo');
  process.env.OLLAMA_HOST = server.url;
  delete process.env.OLLAMA_API_KEY;
});
after(() => server.close());

/** An agent on an Ollama model whose name (and so graph fingerprint) no other test's worker has. */
const ollamaAgent = (name: string) => new Agent({ name, instructions: 'Repeat the user.', model: 'ollama/llama3' });

const sent = (from: number) => server.requests.slice(from).map(({ api, model }) => ({ api, model }));

describe('workers route models through MultiModelProvider by default', () => {
  test('a RunWorker with no runner sends a submitted ollama/ run to Ollama', { timeout: 120_000 }, async () => {
    const store = { connectionString: testDatabaseUrl() };
    const name = `ollama-worker-${randomUUID()}`;
    const runId = name;
    const session = new DurableSession({ ...store, sessionId: randomUUID() });
    await submitRun(ollamaAgent(name), 'Say hi', session, { runId, ...store }, { maxTurns: 5 });
    const first = server.requests.length;

    const events: RunWorkerEvent[] = [];
    const worker = new RunWorker({ agents: [ollamaAgent(name)], ...store, onEvent: (event) => events.push(event) });
    assert.equal(await worker.runOnce(), runId);
    assert.deepEqual(
      events.map((event) => event.event),
      ['claimed', 'finished'],
      JSON.stringify(events),
    );
    assert.deepEqual(sent(first), [{ api: 'ollama.chat', model: 'llama3' }]);

    // The run finished with Ollama's answer: resuming it returns the result without a call.
    const finished = await runAgent(ollamaAgent(name), [], session, false, { durable: { runId, ...store } });
    assert.equal(finished.finalOutput, 'echo: Say hi');
    assert.equal(server.requests.length, first + 1);
    await session.close();
  });

  test('`timestep worker` with an agents module that exports no runner sends an ollama/ run to Ollama', { timeout: 120_000 }, async () => {
    const store = { connectionString: testDatabaseUrl() };
    const name = `ollama-cli-worker-${randomUUID()}`;
    const runId = name;
    await submitRun(ollamaAgent(name), 'Say hello', null, { runId, ...store }, { maxTurns: 5 });
    const first = server.requests.length;

    const env = childEnv({
      TIMESTEP_HOME: freshAppDirectory(),
      TIMESTEP_DB_URL: store.connectionString,
      WORKER_AGENT_NAME: name,
      OPENAI_AGENTS_DISABLE_TRACING: '1',
    });
    const { code, stderr, events } = await runWorkerCli(AGENTS_MODULE, env, (event) => event.event === 'finished' || event.event === 'failed');
    assert.equal(code, 0, stderr);
    assert.deepEqual(
      events.map((event) => [event.event, 'run_id' in event ? event.run_id : null]),
      [['started', null], ['claimed', runId], ['finished', runId], ['stopped', null]],
      JSON.stringify(events),
    );
    assert.deepEqual(sent(first), [{ api: 'ollama.chat', model: 'llama3' }]);
  });
});
