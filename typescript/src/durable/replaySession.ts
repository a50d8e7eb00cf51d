import type { AgentInputItem, Session } from '@openai/agents';

/**
 * The user's session as one segment of a durable run sees it: the items it
 * held when the segment first started (`itemsBefore`, from the journal),
 * then the items this segment adds.
 *
 * A replay adds the same items again, in the same order; those an earlier
 * execution already stored (counted once, when the replay starts) are
 * skipped, so the session never holds an item twice. This relies on the
 * session being appended only through the run while the run is unfinished.
 */
export class ReplaySession implements Session {
  /** Items this segment has added so far, stored or skipped. */
  private added = 0;

  private constructor(
    private readonly inner: Session,
    private readonly itemsBefore: number,
    /** Items an earlier execution of this segment already stored. */
    private readonly alreadyStored: number,
  ) {}

  static async open(inner: Session, itemsBefore: number): Promise<ReplaySession> {
    const stored = (await inner.getItems()).length;
    return new ReplaySession(inner, itemsBefore, Math.max(0, stored - itemsBefore));
  }

  getSessionId(): Promise<string> {
    return this.inner.getSessionId();
  }

  async getItems(limit?: number): Promise<AgentInputItem[]> {
    const visible = (await this.inner.getItems()).slice(0, this.itemsBefore + this.added);
    return limit === undefined ? visible : limit <= 0 ? [] : visible.slice(-limit);
  }

  async addItems(items: AgentInputItem[]): Promise<void> {
    const skip = Math.min(items.length, Math.max(0, this.alreadyStored - this.added));
    this.added += items.length;
    if (skip < items.length) await this.inner.addItems(items.slice(skip));
  }

  async popItem(): Promise<AgentInputItem | undefined> {
    // Only what this segment added may be removed (e.g. a turn a guardrail rejected).
    if (this.added === 0) return undefined;
    const removed = await this.inner.popItem();
    if (removed !== undefined) this.added--;
    return removed;
  }

  async clearSession(): Promise<void> {
    await this.inner.clearSession();
    this.added = 0;
  }
}
