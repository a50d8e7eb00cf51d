/**
 * A TypeScript application process for the Python cross-language tests: it
 * opens session `sessionId` of the embedded store at `dataDir` (hosting the
 * store in-process when nobody else does), adds one item, and prints
 * `{"ready":true,"pid":...}`. Each stdin line "items" prints the session's
 * items as one JSON line; end of stdin closes the session and exits.
 *
 *   tsx hostSession.ts <dataDir> <sessionId>
 */
import { createInterface } from 'node:readline';
import { DurableSession } from '../../src/index.js';

const [dataDir, sessionId] = process.argv.slice(2);
const session = new DurableSession({ sessionId, pglitePath: dataDir });
await session.addItems([{ role: 'user', content: 'from typescript' }]);
console.log(JSON.stringify({ ready: true, pid: process.pid }));

for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'items') console.log(JSON.stringify(await session.getItems()));
}
await session.close();
