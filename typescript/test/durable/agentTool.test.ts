/**
 * A durable run using an agent as a tool: the nested agent's model calls belong to the tool
 * call, whose result the journal keeps, so a resume replays the run without them
 * (spec/scenarios/durable-agent-tool.json).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DurableSession, consumeResult, runAgent } from '../../src/index.js';
import { backends, freshAppDirectory, useScriptedOpenAI } from '../support/environment.js';
import type { ModelServer } from '../../../testing/model-server/server.mjs';
import { AGENT_TOOL_INPUT, AGENT_TOOL_OUTPUT, agentToolAgents } from './agentToolAgents.js';

let server: ModelServer;
before(async () => {
  server = await useScriptedOpenAI('durable-agent-tool');
});
after(() => server.close());

for (const { name, options: store } of backends()) {
  describe(`a durable run with an agent used as a tool (${name})`, () => {
    for (const stream of [false, true]) {
      test(`resumes without the tool's model calls, and the approved refund runs once (${stream ? 'streamed' : 'not streamed'})`, async () => {
        const refunds = join(freshAppDirectory(), 'refunds.txt');
        const agent = agentToolAgents(refunds);
        const options = { durable: { runId: `agent-tool-${randomUUID()}`, ...store }, maxTurns: 10 };
        const session = new DurableSession({ ...store, sessionId: randomUUID() });
        const first = server.requests.length;
        const started = await runAgent(agent, AGENT_TOOL_INPUT, session, false, options);
        assert.deepEqual(started.interruptions.map((item) => item.name), ['refund']);
        assert.deepEqual(server.requests.slice(first).map((request) => request.ruleId), ['triage-ask-billing', 'billing-answer', 'triage-refund']);

        const resumed = await consumeResult(await runAgent(agent, [], session, stream, options));
        assert.deepEqual(resumed.interruptions.map((item) => item.name), ['refund'], 'replayed to the same approval');
        for (const item of resumed.interruptions) resumed.state.approve(item);
        const finished = await consumeResult(await runAgent(agent, resumed.state, session, stream, options));
        assert.equal(finished.finalOutput, AGENT_TOOL_OUTPUT);
        assert.deepEqual(server.requests.slice(first).map((request) => request.ruleId).slice(3), ['triage-done'], 'nothing journaled was asked again');
        assert.equal(readFileSync(refunds, 'utf8'), 'typescript 7\n');
        await session.close();
      });
    }
  });
}
