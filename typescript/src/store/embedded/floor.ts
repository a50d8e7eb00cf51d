/**
 * PGlite is one PostgreSQL backend: one session, one transaction at a time.
 * The floor decides who talks to it. An in-process caller holds it for one
 * query or one whole transaction; a socket client holds it from its first
 * message until the backend reports it idle again (ReadyForQuery 'I'), so its
 * transactions and multi-message extended queries are never interleaved with
 * anyone else's.
 */
export class Floor {
  private holder: object | null = null;
  private readonly waiting: Array<{ owner: object; admit: () => void }> = [];

  /** Waits until `owner` holds the floor; returns at once if it already does. */
  acquire(owner: object): Promise<void> {
    if (this.holder === owner) return Promise.resolve();
    if (this.holder === null) {
      this.holder = owner;
      return Promise.resolve();
    }
    return new Promise((admit) => this.waiting.push({ owner, admit }));
  }

  /** Passes the floor to the next in line (first come, first served). */
  release(owner: object): void {
    if (this.holder !== owner) return;
    const next = this.waiting.shift();
    this.holder = next ? next.owner : null;
    next?.admit();
  }

  holds(owner: object): boolean {
    return this.holder === owner;
  }

  /** Runs `work` holding the floor. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const owner = {};
    await this.acquire(owner);
    try {
      return await work();
    } finally {
      this.release(owner);
    }
  }
}
