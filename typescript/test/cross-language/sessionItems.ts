/**
 * The TypeScript side of the session-item tests (python/tests/cross_language/
 * test_session_items.py): the conversation of spec/session-items/conversation.json
 * in a DurableSession. `<store>` is a PostgreSQL URL or an embedded data directory.
 *
 *   tsx sessionItems.ts write <store> <sessionId>
 *     adds the conversation's JS SDK items; prints {"written": n}
 *   tsx sessionItems.ts continue <store> <sessionId> <input>
 *     runs `input` with runAgent on the session against the model server at
 *     OPENAI_BASE_URL, through a recording proxy; prints {"final_output",
 *     "sent": the input items of the model request}
 */
import { Agent, type AgentInputItem } from '@openai/agents';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DurableSession, runAgent } from '../../src/index.js';
import { startRecordingProxy } from '../models/support/recordingProxy.js';
import { REPO_ROOT } from '../support/environment.js';

const [command, storeArgument, sessionId, input] = process.argv.slice(2);
const target = storeArgument.startsWith('postgres') ? { connectionString: storeArgument } : { pglitePath: storeArgument };
const session = new DurableSession({ sessionId, ...target });

try {
  if (command === 'write') {
    const directory = join(REPO_ROOT, 'spec', 'session-items');
    const conversation: { items: string[] } = JSON.parse(readFileSync(join(directory, 'conversation.json'), 'utf8'));
    const items: AgentInputItem[] = conversation.items.map(
      (name) => JSON.parse(readFileSync(join(directory, 'vectors', `${name}.json`), 'utf8')).js,
    );
    await session.addItems(items);
    console.log(JSON.stringify({ written: items.length }));
  } else if (command === 'continue') {
    const upstream = String(process.env.OPENAI_BASE_URL).replace(/\/v1\/?$/, '');
    const proxy = await startRecordingProxy(upstream);
    process.env.OPENAI_BASE_URL = `${proxy.url}/v1`; // read when the SDK builds its client, at the first run
    try {
      const agent = new Agent({ name: 'Personal Assistant', instructions: 'You are a Personal Assistant.' });
      const result = await runAgent(agent, input, session, false);
      const sent = proxy.requests.map((request) => request.body.input);
      console.log(JSON.stringify({ final_output: result.finalOutput ?? null, sent }));
    } finally {
      await proxy.close();
    }
  } else {
    throw new Error(`unknown command ${command}`);
  }
} finally {
  await session.close();
}
