import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import { EmbeddedLock } from '../../src/store/embeddedLock.js';
import { REPO_ROOT, freshAppDirectory, spawnScript } from '../support/environment.js';

const WORKER = join(REPO_ROOT, 'typescript/test/embedded/lockRaceWorker.ts');
const CONTENDERS = 6;
const RACE_NS = 30_000_000_000n;
/** Kills are spaced out so replacements (a few seconds to start on a loaded machine) keep the race full. */
const KILL_EVERY_NS = 1_500_000_000n;

interface Grant {
  pid: number;
  start: bigint;
  /** When it was released, or when the process was killed while holding it. */
  end: bigint;
}

/** Pairs each "A" with its process's next "R"; a holder killed before its "R" ends at its kill. */
function grantsFrom(log: string, killedAt: Map<number, bigint>): Grant[] {
  const open = new Map<number, bigint>();
  const grants: Grant[] = [];
  for (const line of log.split('\n').filter(Boolean)) {
    const [event, pidText, at] = line.split(' ');
    const pid = Number(pidText);
    if (event === 'A') {
      assert.ok(!open.has(pid), `process ${pid} was granted the lock twice without releasing it`);
      open.set(pid, BigInt(at));
    } else {
      grants.push({ pid, start: open.get(pid)!, end: BigInt(at) });
      open.delete(pid);
    }
  }
  for (const [pid, start] of open) {
    const killed = killedAt.get(pid);
    assert.ok(killed !== undefined, `process ${pid} holds the lock at the end but was not killed`);
    grants.push({ pid, start, end: killed });
  }
  return grants.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

test('six processes racing for the embedded lock for 30 s, some killed -9 while holding it, never hold it at once', async (t) => {
  const directory = freshAppDirectory();
  const lockPath = join(directory, 'pglite.lock');
  const logPath = join(directory, 'grants.log');
  writeFileSync(logPath, '');
  const deadline = process.hrtime.bigint() + RACE_NS;
  const killedAt = new Map<number, bigint>();
  const running = new Set<Promise<void>>();
  let lastKill = 0n;

  const start = () => {
    const child: ChildProcess = spawnScript(WORKER, [lockPath, logPath, String(deadline)]);
    const exited = new Promise<void>((resolve, reject) => {
      child.once('exit', (code, signal) => {
        if (code === 0 || signal === 'SIGKILL') resolve();
        else reject(new Error(`worker ${child.pid} failed with ${code ?? signal}`));
      });
    });
    running.add(exited);
    void exited.finally(() => running.delete(exited)).catch(() => {});
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (JSON.parse(line).holding === undefined) return;
      const now = process.hrtime.bigint();
      // Recorded before the signal is sent, so no earlier than the process died.
      if (now - lastKill < KILL_EVERY_NS || now > deadline - KILL_EVERY_NS) return;
      lastKill = now;
      killedAt.set(child.pid!, now);
      child.kill('SIGKILL');
      start(); // keep six contenders
    });
  };
  for (let index = 0; index < CONTENDERS; index++) start();
  while (running.size > 0) await Promise.all([...running]);

  const log = readFileSync(logPath, 'utf8');
  const grants = grantsFrom(log, killedAt);
  const overlaps: string[] = [];
  let previous: Grant | null = null;
  for (const grant of grants) {
    if (previous && grant.start < previous.end) {
      overlaps.push(`${grant.pid} was granted the lock while ${previous.pid} held it`);
    }
    if (!previous || grant.end > previous.end) previous = grant;
  }
  assert.deepEqual(overlaps, [], `${overlaps.length} double grants in ${grants.length} acquisitions`);
  // The race really ran: many grants, and dead holders' locks were taken over.
  assert.ok(grants.length >= 300, `only ${grants.length} acquisitions in 30 s`);
  const killedHolding = grants.filter((grant) => killedAt.get(grant.pid) === grant.end).length;
  assert.ok(killedHolding >= 5, `only ${killedHolding} holders were killed while holding the lock`);
  t.diagnostic(`${grants.length} acquisitions, ${killedAt.size} processes killed (${killedHolding} while holding)`);
});

/** Fields of /proc/<pid>/stat after the command name: [0] the state, [19] the start time. */
function procStat(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

test('a lock whose holder is a zombie (exited, not yet reaped by its parent) is taken over', async () => {
  // The shell starts a child that waits for a line on fd 3, then becomes `sleep`, which never reaps
  // it. Only once the shell is `sleep` does the test let the child exit: had the child exited while
  // the shell still ran, the shell could have reaped it.
  const parent = spawn('sh', ['-c', 'read line <&3 & echo $!; exec sleep 60 3<&-'], { stdio: ['ignore', 'pipe', 'inherit', 'pipe'] });
  try {
    const zombiePid = Number(await new Promise<string>((resolve) => createInterface({ input: parent.stdout! }).once('line', resolve)));
    const giveUpAt = Date.now() + 30_000;
    const waitFor = async (what: string, done: () => boolean) => {
      while (!done()) {
        assert.ok(Date.now() < giveUpAt, what);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    const command = () => {
      try {
        return readFileSync(`/proc/${parent.pid}/comm`, 'utf8').trim();
      } catch {
        return null;
      }
    };
    await waitFor(`the shell ${parent.pid} never became sleep`, () => command() === 'sleep');
    (parent.stdio[3] as Writable).end('exit\n');
    await waitFor(`process ${zombiePid} never became a zombie`, () => procStat(zombiePid)?.[0] === 'Z');
    const lockPath = join(freshAppDirectory(), 'pglite.lock');
    const holder = { pid: zombiePid, host: hostname(), startTicks: Number(procStat(zombiePid)![19]), command: 'zombie', acquiredAt: 'now' };
    writeFileSync(lockPath, JSON.stringify(holder));
    const lock = await EmbeddedLock.acquire(lockPath, 'held by a zombie');
    assert.equal(JSON.parse(readFileSync(lockPath, 'utf8')).pid, process.pid);
    lock.release();
  } finally {
    parent.kill('SIGKILL');
  }
});
