/**
 * One contender of the lock race test (lockRace.test.ts):
 *
 *   lockRaceWorker.ts <lockPath> <logPath> <deadlineNs>
 *
 * Until the monotonic clock (shared by every process on the machine) passes
 * `deadlineNs`, takes the lock, appends "A <pid> <ns>" to the shared log right
 * after it is granted, holds it, appends "R <pid> <ns>" right before releasing
 * it. Every 20th hold is long and announced on stdout as {"holding":pid}, so
 * the parent can kill this process while it holds the lock.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { EmbeddedStoreLockedError } from '../../src/errors.js';
import { EmbeddedLock } from '../../src/store/embeddedLock.js';

const [lockPath, logPath, deadline] = process.argv.slice(2);
const deadlineNs = BigInt(deadline);
// O_APPEND: each short line lands whole, in the order the writes happened.
const log = openSync(logPath, 'a');
const record = (event: 'A' | 'R') => writeSync(log, `${event} ${process.pid} ${process.hrtime.bigint()}\n`);

let acquisitions = 0;
while (process.hrtime.bigint() < deadlineNs) {
  let lock: EmbeddedLock;
  try {
    lock = await EmbeddedLock.acquire(lockPath, 'in the race test');
  } catch (error) {
    if (!(error instanceof EmbeddedStoreLockedError)) throw error;
    await delay(Math.random() * 2);
    continue;
  }
  record('A');
  acquisitions++;
  if (acquisitions % 20 === 0) {
    console.log(JSON.stringify({ holding: process.pid }));
    await delay(300);
  } else {
    await delay(Math.random() * 2);
  }
  record('R');
  lock.release();
}
closeSync(log);
