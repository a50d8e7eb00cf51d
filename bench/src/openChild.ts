/**
 * Figure 4: opening a store in a fresh process. Prints one JSON line:
 * importMs (loading Timestep and the SDK), openMs (from creating the store to
 * the end of its first query: for the embedded store that is taking the lock,
 * starting PGlite — unpacking the pre-initialised data directory if the directory
 * is new — migrating and
 * serving the socket, or joining a live host), and totalMs since process start.
 *
 * argv: pglite <dataDir> | postgres <url> | file <stateFile>
 */
process.setSourceMapsEnabled(false); // as in main.ts: measure what compiled JS on plain Node sees
const imported0 = performance.now();
const { RunState } = await import('@openai/agents');
const { RunStateStore } = await import('../../typescript/src/index.js');
const { benchAgent } = await import('./agents.js');
const { readFile } = await import('node:fs/promises');
const importMs = performance.now() - imported0;

const [kind, target] = process.argv.slice(2);
const t0 = performance.now();
if (kind === 'file') {
  // Baseline: what a file checkpointer does on start: read its latest checkpoint and parse it.
  await RunState.fromString(benchAgent, await readFile(target, 'utf8'));
  const openMs = performance.now() - t0;
  console.log(JSON.stringify({ importMs, openMs, totalMs: performance.now() }));
} else {
  const store = new RunStateStore({
    agent: benchAgent,
    runId: 'open-probe',
    ...(kind === 'pglite' ? { pglitePath: target } : { connectionString: target }),
  });
  await store.history();
  const openMs = performance.now() - t0;
  const c0 = performance.now();
  await store.close();
  const closeMs = performance.now() - c0;
  console.log(JSON.stringify({ importMs, openMs, closeMs, totalMs: performance.now() }));
}
