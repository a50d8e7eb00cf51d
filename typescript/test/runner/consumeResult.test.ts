import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { MaxTurnsExceededError, type StreamedRunResult } from '@openai/agents';
import { consumeResult, runAgent } from '../../src/index.js';
import { useScriptedOpenAI } from '../support/environment.js';
import { BERKELEY_QUESTION } from '../fixtures/helpers.js';
import { referenceAgents } from '../support/referenceAgents.js';
import type { ModelServer } from '../../../testing/model-server/server.mjs';

let server: ModelServer;
before(async () => {
  server = await useScriptedOpenAI('reference-eight-turns');
});
after(() => server.close());

async function readAll(stream: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk;
  return text;
}

/** A Writable collecting what is piped into it, like process.stdout in the SDK's examples. */
function collector() {
  let text = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return { sink, text: () => text };
}

describe('consumeResult with a stream the caller reads', () => {
  test('after the caller read toTextStream() to the end', async () => {
    const { personalAssistant } = referenceAgents();
    const streamed = await runAgent(personalAssistant, "What's 2+2?", null, true);
    assert.equal(await readAll(streamed.toTextStream()), '2 + 2 = 4.');
    const consumed = await consumeResult(streamed);
    assert.equal(consumed, streamed);
    assert.equal(consumed.finalOutput, '2 + 2 = 4.');
  });

  test('while the caller is still reading toTextStream() (the stream is locked)', async () => {
    const { personalAssistant } = referenceAgents();
    const streamed = await runAgent(personalAssistant, "What's 2+2?", null, true);
    const text = streamed.toTextStream();
    // At run time a web ReadableStream; the SDK's own stream type omits `locked`.
    assert.equal((streamed.toStream() as unknown as ReadableStream).locked, true);
    const consumed = consumeResult(streamed);
    assert.equal(await readAll(text), '2 + 2 = 4.');
    assert.equal((await consumed).finalOutput, '2 + 2 = 4.');
  });

  test('after the caller iterated the events itself', async () => {
    const { personalAssistant } = referenceAgents();
    const streamed = await runAgent(personalAssistant, "What's 2+2?", null, true);
    let events = 0;
    for await (const _event of streamed) events++;
    assert.ok(events > 0);
    assert.equal((await consumeResult(streamed)).finalOutput, '2 + 2 = 4.');
  });

  test("the SDK's human-in-the-loop-stream pattern: pipe the text, consume, approve, resume streaming", async () => {
    const { personalAssistant } = referenceAgents();
    const out = collector();
    /** Pipes the run's text to the sink, as the example pipes it to stdout. */
    const pipeText = (run: StreamedRunResult<any, any>) => {
      const text = run.toTextStream({ compatibleWithNodeStreams: true });
      text.pipe(out.sink, { end: false });
      return text;
    };
    let streamed: StreamedRunResult<any, any> = await runAgent(personalAssistant, BERKELEY_QUESTION, null, true);
    let piped = pipeText(streamed);
    await consumeResult(streamed);
    await finished(piped);
    let rounds = 0;
    while (streamed.interruptions.length > 0) {
      rounds++;
      const state = streamed.state;
      for (const item of streamed.interruptions) state.approve(item);
      streamed = await runAgent(personalAssistant, state, null, true);
      piped = pipeText(streamed);
      await consumeResult(streamed);
      await finished(piped);
    }
    assert.equal(rounds, 1);
    assert.match(String(streamed.finalOutput), /Berkeley/);
    assert.match(out.text(), /Berkeley/);
  });

  test("an error of the run still reaches the caller, with the SDK's type, when the stream is locked", async () => {
    const { personalAssistant } = referenceAgents();
    const streamed = await runAgent(personalAssistant, "What's the weather in Oakland?", null, true, { maxTurns: 1 });
    const text = streamed.toTextStream();
    const consumed = consumeResult(streamed);
    await readAll(text).catch(() => undefined); // the text stream errors too; the caller may ignore it
    await assert.rejects(consumed, MaxTurnsExceededError);
  });
});
