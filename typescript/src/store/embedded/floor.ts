import { setImmediate as nextLoopTurn } from 'node:timers/promises';
import { StoreTimeoutError } from '../../errors.js';

/** Whose session state PGlite's one backend holds: the host's own code, or one socket connection. */
export type Session = object;

/** The session of every in-process caller: they leave no session state behind (no SET, no prepared statements). */
export const HOST_SESSION: Session = Object.freeze({ name: 'in-process host' });

interface Waiter {
  owner: object;
  session: Session;
  admit: () => void;
  refuse: (error: Error) => void;
  timer?: NodeJS.Timeout;
}

/** Thrown to a waiter whose connection went away before its turn. */
export class FloorWithdrawnError extends Error {}

/**
 * PGlite is one PostgreSQL backend: one session, one transaction at a time.
 * The floor decides who talks to it. An in-process caller holds it for one
 * query or one whole transaction; a socket client holds it from its first
 * message until the backend reports it idle again (ReadyForQuery 'I'), so its
 * transactions and multi-message extended queries are never interleaved with
 * anyone else's.
 *
 * Turns are first come, first served across in-process callers and socket
 * clients alike. Whenever the floor passes to a different session, the
 * backend's session is reset first (`resetSession`), so what one client left
 * behind (an open transaction, an unfinished extended query, `SET ...`)
 * never reaches the next.
 */
export class Floor {
  private holder: object | null = null;
  /** Session of the last holder: PGlite's session state is theirs until reset. */
  private lastSession: Session = HOST_SESSION;
  private readonly waiting: Waiter[] = [];

  constructor(
    private readonly resetSession: () => Promise<void>,
    /** Longest an in-process caller waits for its turn (`run`); 0 waits forever. */
    private readonly timeoutMs = 0,
  ) {}

  /**
   * Resolves once `owner` holds the floor (at once if it already does).
   * Rejects with `StoreTimeoutError` after `timeoutMs` (0: no limit) without
   * taking it, or with `FloorWithdrawnError` if `withdraw(owner)` is called first.
   */
  acquire(owner: object, session: Session, timeoutMs = 0): Promise<void> {
    if (this.holder === owner) return Promise.resolve();
    return new Promise<void>((admit, refuse) => {
      const waiter: Waiter = { owner, session, admit, refuse };
      if (timeoutMs > 0) {
        waiter.timer = setTimeout(() => {
          this.dequeue(waiter);
          refuse(
            new StoreTimeoutError(
              `Waited ${timeoutMs} ms for the embedded store: another client held it all that time. ` +
                'Nothing was sent; retry, or raise the timeout (timeoutMs option or TIMESTEP_STORE_TIMEOUT_MS).',
              { nothingSent: true },
            ),
          );
        }, timeoutMs);
        waiter.timer.unref();
      }
      this.waiting.push(waiter);
      if (this.holder === null) this.passOn();
    });
  }

  /** Passes the floor to the next in line. */
  release(owner: object): void {
    if (this.holder !== owner) return;
    this.holder = null;
    this.passOn();
  }

  /**
   * `owner` is gone: drops its place in line, or, if it holds the floor, resets
   * the session it leaves behind (whatever it was in the middle of is rolled
   * back) and passes the floor on.
   */
  async withdraw(owner: object): Promise<void> {
    this.leaveLine(owner);
    if (this.holder !== owner) return;
    try {
      await this.resetSession();
      this.lastSession = HOST_SESSION; // nothing of the gone session is left
    } finally {
      this.release(owner);
    }
  }

  /** `owner` no longer wants its turn: its pending `acquire` rejects with `FloorWithdrawnError`. */
  leaveLine(owner: object): void {
    const queued = this.waiting.find((waiter) => waiter.owner === owner);
    if (!queued) return;
    this.dequeue(queued);
    queued.refuse(new FloorWithdrawnError('the connection closed while waiting for its turn'));
  }

  holds(owner: object): boolean {
    return this.holder === owner;
  }

  /** Runs in-process `work` holding the floor, waiting at most the floor's timeout for it. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    // PGlite answers in-process queries without ever returning to the event
    // loop, so a caller saving back to back would otherwise take every turn
    // before a socket client's bytes are even read: let pending I/O queue first.
    await nextLoopTurn();
    const owner = {};
    await this.acquire(owner, HOST_SESSION, this.timeoutMs);
    try {
      return await work();
    } finally {
      this.release(owner);
    }
  }

  private dequeue(waiter: Waiter): void {
    const index = this.waiting.indexOf(waiter);
    if (index >= 0) this.waiting.splice(index, 1);
    clearTimeout(waiter.timer);
  }

  private passOn(): void {
    const next = this.waiting.shift();
    if (!next) return;
    clearTimeout(next.timer);
    this.holder = next.owner;
    if (next.session === this.lastSession) {
      next.admit();
      return;
    }
    this.resetSession().then(
      () => {
        this.lastSession = next.session;
        next.admit();
      },
      (error: unknown) => {
        // A backend that cannot reset its session cannot be handed to anyone safely.
        this.holder = null;
        next.refuse(error instanceof Error ? error : new Error(String(error)));
        this.passOn();
      },
    );
  }
}
