/**
 * Experiment behind the README (not part of run.sh): how the SDK's own
 * RunState.toJSON / fromString scale with the number of turns, against plain
 * JSON of the same text, with and without stack traces on Errors.
 *
 *   typescript/node_modules/.bin/tsx bench/experiments/serialisation-scaling.ts
 */
process.setSourceMapsEnabled(false);
import { RunState } from '@openai/agents';
import { bareRun, benchAgent, runnerFor, startScriptedServer } from '../src/agents.js';
import { median } from '../src/common.js';

const server = await startScriptedServer(0);
const runner = runnerFor(server.url);
for (const turns of [20, 50, 100, 200]) {
  const state = (await bareRun(runner, turns)).state;
  const text = state.toString();
  for (const stackTraceLimit of [10, 0]) {
    Error.stackTraceLimit = stackTraceLimit;
    const toJSON: number[] = [];
    const fromString: number[] = [];
    const plain: number[] = [];
    for (let i = 0; i < 3; i++) {
      let t = performance.now();
      state.toJSON();
      toJSON.push(performance.now() - t);
      t = performance.now();
      await RunState.fromString(benchAgent, text);
      fromString.push(performance.now() - t);
      t = performance.now();
      JSON.stringify(JSON.parse(text));
      plain.push(performance.now() - t);
    }
    console.log(
      `${turns} turns, ${text.length} bytes, Error.stackTraceLimit=${stackTraceLimit}: toJSON ${median(toJSON).toFixed(1)} ms, ` +
        `fromString ${median(fromString).toFixed(1)} ms, JSON.parse+stringify ${median(plain).toFixed(1)} ms`,
    );
  }
}
Error.stackTraceLimit = 10;
await server.close();
