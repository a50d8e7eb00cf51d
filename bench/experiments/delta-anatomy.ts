/**
 * Experiment (not part of run.sh): what a per-turn state delta of the
 * benchmark's tool loop holds, key by key (bytes of each top-level op).
 *
 *   typescript/node_modules/.bin/tsx bench/experiments/delta-anatomy.ts [turns]
 */
process.setSourceMapsEnabled(false);
import { checkpointedRun, runnerFor, startScriptedServer } from '../src/agents.js';
import { diff } from '../../typescript/src/store/stateDelta.js';

const turns = Number(process.argv[2] ?? 40);
const server = await startScriptedServer(0);
let previous: any;
const totals: Record<string, number> = {};
await checkpointedRun(runnerFor(server.url), turns, async (state, turn) => {
  const value = JSON.parse(state.toString());
  if (previous) {
    const ops = diff(previous, value) as { o: Record<string, unknown> };
    for (const [key, op] of Object.entries(ops.o ?? {})) totals[key] = (totals[key] ?? 0) + JSON.stringify(op).length;
    if (turn === turns) {
      for (const [key, op] of Object.entries(ops.o ?? {})) console.log(`last turn ${key}: ${JSON.stringify(op).slice(0, 160)}`);
    }
  }
  previous = value;
});
console.log(Object.entries(totals).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join('\n'));
await server.close();
