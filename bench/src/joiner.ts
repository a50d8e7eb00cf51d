/**
 * Figure 1, "embedded through the socket": a second process on the same
 * embedded store. The parent hosts PGlite in-process (it opened the store
 * first and holds its lock), so this process joins through the unix socket.
 * The parent asks over IPC for one save+load of a given state and gets the
 * times measured here, so the socket path is timed where a user would see it.
 *
 * argv: <pglitePath> <statesDir> <size>...  (each size's state is <statesDir>/<size>.json)
 */
process.setSourceMapsEnabled(false); // as in main.ts: measure what compiled JS on plain Node sees
import { readFileSync } from 'node:fs';
import { RunState } from '@openai/agents';
import { RunStateStore } from '../../typescript/src/index.js';
import { benchAgent, type LoopContext } from './agents.js';
import { now } from './common.js';

const [pglitePath, statesDir, ...sizes] = process.argv.slice(2);

const states = new Map<string, RunState<LoopContext, typeof benchAgent>>();
for (const size of sizes) {
  states.set(size, await RunState.fromString(benchAgent, readFileSync(`${statesDir}/${size}.json`, 'utf8')));
}
const stores = new Map<string, RunStateStore<LoopContext, typeof benchAgent>>();
for (const size of sizes) {
  stores.set(size, new RunStateStore({ agent: benchAgent, pglitePath, runId: `joined-${size}-${process.pid}` }));
}
await stores.get(sizes[0])!.history(); // join now, outside any timing

interface Request {
  size: string;
}

process.on('message', async (message: Request | 'exit') => {
  if (message === 'exit') {
    for (const store of stores.values()) await store.close();
    process.disconnect();
    return;
  }
  try {
    const store = stores.get(message.size)!;
    const t0 = now();
    await store.save(states.get(message.size)!);
    const t1 = now();
    const loaded = await store.load();
    const t2 = now();
    if (!(loaded instanceof RunState)) throw new Error('load did not return a RunState');
    process.send!({ save: t1 - t0, load: t2 - t1 });
  } catch (error) {
    process.send!({ error: String((error as Error)?.stack ?? error) });
  }
});
process.send!({ ready: true });
