/**
 * Experiment (not part of run.sh): where the time of one RunStateStore.save
 * goes for the medium (20-turn) state, step by step, without the database;
 * then what the SDK's toJSON alone costs over a whole 20-turn run saved after
 * every turn (figure 2's budget at 5% is ~56 ms).
 *
 *   typescript/node_modules/.bin/tsx bench/experiments/save-breakdown.ts
 */
process.setSourceMapsEnabled(false);
import { createHash } from 'node:crypto';
import { bareRun, checkpointedRun, runnerFor, startScriptedServer } from '../src/agents.js';
import { median } from '../src/common.js';
import { diff, applyDelta, deltaDocument } from '../../typescript/src/store/stateDelta.js';
import { nativeJsonToPortable } from '../../typescript/src/portable-state/toPortable.js';

const server = await startScriptedServer(0);
const runner = runnerFor(server.url);
const before = (await bareRun(runner, 19)).state;
const state = (await bareRun(runner, 20)).state;
const baseText = before.toString();
const base = JSON.parse(baseText);
const basePortable = JSON.parse(JSON.stringify(nativeJsonToPortable(base)));
const steps: Record<string, number[]> = {};
const time = <T>(name: string, work: () => T): T => {
  const t = performance.now();
  const result = work();
  (steps[name] ??= []).push(performance.now() - t);
  return result;
};
for (let i = 0; i < 30; i++) {
  const json = time('toJSON (stack traces off)', () => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return state.toJSON();
    } finally {
      Error.stackTraceLimit = limit;
    }
  });
  const text = time('JSON.stringify', () => JSON.stringify(json));
  const value = time('JSON.parse of the text', () => JSON.parse(text));
  const ops = time('diff (native)', () => diff(base, value));
  time('delta document stringify', () => JSON.stringify(deltaDocument(19, ops)));
  time('verify: apply + stringify', () => JSON.stringify(applyDelta(base, ops)) === text);
  const portable = time('portable conversion', () => nativeJsonToPortable(json as any));
  const portableText = time('portable stringify + parse', () => JSON.parse(JSON.stringify(portable)));
  time('diff (portable) + stringify', () => JSON.stringify(diff(basePortable, portableText)));
  time('sha256', () => createHash('sha256').update(text).digest('hex'));
}
for (const [name, values] of Object.entries(steps)) console.log(`${name.padEnd(30)} ${median(values.slice(5)).toFixed(2)} ms`);

const perRun: number[] = [];
for (let round = 0; round < 6; round++) {
  let total = 0;
  await checkpointedRun(runner, 20, async (checkpoint) => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    const t = performance.now();
    checkpoint.toJSON();
    total += performance.now() - t;
    Error.stackTraceLimit = limit;
  });
  perRun.push(total);
}
console.log(`toJSON after every turn of a 20-turn run: ${median(perRun.slice(1)).toFixed(1)} ms in all (median of 5 runs)`);
await server.close();
