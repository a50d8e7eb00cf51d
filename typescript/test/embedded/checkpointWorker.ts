/**
 * A test worker process: saves `count` checkpoints of run `runId` into the
 * embedded store at `dataDir`, loading each back, and prints one JSON line
 * per acknowledged save. A save or load interrupted by the store host dying
 * is retried; `expectedVersion` tells a lost acknowledgement from a lost write.
 *
 *   tsx checkpointWorker.ts <dataDir> <runId> <count>
 */
import { Agent, RunContext, RunState } from '@openai/agents';
import { RunStateConflictError, RunStateStore, StoreUnavailableError } from '../../src/index.js';

const [dataDir, runId, count] = process.argv.slice(2);
const agent = new Agent({ name: 'Checkpointer', instructions: 'Saves checkpoints.' });
const store = new RunStateStore({ agent, runId, pglitePath: dataDir });

async function saveVersion(version: number): Promise<void> {
  const state = new RunState(new RunContext({ checkpoint: version }), `checkpoint ${version}`, agent, 10);
  for (;;) {
    try {
      await store.save(state, { expectedVersion: version - 1 });
      return;
    } catch (error) {
      if (error instanceof RunStateConflictError && error.actualVersion === version) return; // it did commit
      if (!(error instanceof StoreUnavailableError)) throw error;
    }
  }
}

/** Loads the latest version; a load cut off by the host dying is simply asked again. */
async function loadLatest(): Promise<RunState<unknown, Agent>> {
  for (;;) {
    try {
      return await store.load();
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
    }
  }
}

for (let version = 1; version <= Number(count); version++) {
  await saveVersion(version);
  const loaded = await loadLatest();
  const context = loaded._context.context as { checkpoint: number };
  if (context.checkpoint !== version) throw new Error(`loaded checkpoint ${context.checkpoint}, expected ${version}`);
  console.log(JSON.stringify({ runId, version }));
}
await store.close();
