import type { AgentInputItem, Session } from '@openai/agents';
import type { RunJournal } from './journal.js';

/**
 * The user's session as one segment of a durable run sees it: the items it
 * held when the segment first started (`itemsBefore`, from the journal),
 * then the items this segment adds.
 *
 * A replay adds the same items again, in the same order; those an earlier
 * execution already stored (counted once, when the replay starts) are
 * skipped, so the session never holds an item twice. This relies on the
 * session being appended only through the run while the run is unfinished.
 *
 * Items are written after the journal entries they come from are stored, so
 * a replay never meets items of a response or tool result the journal lost.
 * In the background (`background`): the run goes on to its next model call
 * while they are written, and a failed write fails the journal's next write.
 */
export class ReplaySession implements Session {
  /** Items this segment has added so far, stored or skipped. */
  private added = 0;

  private constructor(
    private readonly inner: Session,
    private readonly itemsBefore: number,
    /** Items an earlier execution of this segment already stored. */
    private readonly alreadyStored: number,
    private readonly journal: RunJournal,
    private readonly background: boolean,
  ) {}

  /** `startedHere`: the segment was started by this execution, so none of its items can be stored yet. */
  static async open(
    inner: Session,
    itemsBefore: number,
    journal: RunJournal,
    background: boolean,
    startedHere: boolean,
  ): Promise<ReplaySession> {
    const stored = startedHere ? itemsBefore : (await inner.getItems()).length;
    return new ReplaySession(inner, itemsBefore, Math.max(0, stored - itemsBefore), journal, background);
  }

  getSessionId(): Promise<string> {
    return this.inner.getSessionId();
  }

  async getItems(limit?: number): Promise<AgentInputItem[]> {
    await this.journal.flush(); // the writes queued before, done
    const visible = (await this.inner.getItems()).slice(0, this.itemsBefore + this.added);
    return limit === undefined ? visible : limit <= 0 ? [] : visible.slice(-limit);
  }

  async addItems(items: AgentInputItem[]): Promise<void> {
    const skip = Math.min(items.length, Math.max(0, this.alreadyStored - this.added));
    this.added += items.length;
    if (skip === items.length) return;
    const write = () => this.inner.addItems(items.slice(skip));
    if (this.background) this.journal.afterStored(write);
    else await this.journal.flush().then(write);
  }

  async popItem(): Promise<AgentInputItem | undefined> {
    // Only what this segment added may be removed (e.g. a turn a guardrail rejected).
    if (this.added === 0) return undefined;
    await this.journal.flush();
    const removed = await this.inner.popItem();
    if (removed !== undefined) this.added--;
    return removed;
  }

  async clearSession(): Promise<void> {
    await this.journal.flush();
    await this.inner.clearSession();
    this.added = 0;
  }
}
