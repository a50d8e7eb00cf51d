import type { PGlite } from '@electric-sql/pglite';

// Sync ('S', length 4): ends an extended query. After an error the backend
// skips every message until a Sync, so a client that disconnected (or was cut
// off) in between would otherwise make the next client's messages vanish.
const SYNC = new Uint8Array([0x53, 0, 0, 0, 4]);
const READY_FOR_QUERY = 0x5a; // 'Z'
const IDLE = 0x49; // 'I'

/**
 * Returns PGlite's one backend session to the state of a fresh connection:
 * no unfinished extended query, no open transaction, and no session state
 * (settings such as `default_transaction_read_only`, prepared statements,
 * portals, temporary tables, advisory locks, LISTENs) of the previous holder.
 * The caller holds the floor.
 */
export async function resetSession(pglite: PGlite): Promise<void> {
  const reply = await pglite.runExclusive(() => pglite.execProtocolRaw(SYNC, { syncToFs: false }));
  if (transactionStatus(reply) !== IDLE) await pglite.exec('ROLLBACK');
  await pglite.exec('DISCARD ALL');
}

/** The status byte of the last ReadyForQuery in a backend reply, or null without one. */
export function transactionStatus(reply: Uint8Array): number | null {
  let status: number | null = null;
  for (let at = 0; at + 5 <= reply.length; ) {
    const length = ((reply[at + 1] << 24) | (reply[at + 2] << 16) | (reply[at + 3] << 8) | reply[at + 4]) >>> 0;
    if (reply[at] === READY_FOR_QUERY && at + 5 < reply.length) status = reply[at + 5];
    at += 1 + length;
  }
  return status;
}

export { IDLE as TRANSACTION_IDLE };
