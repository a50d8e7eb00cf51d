import { AsyncLocalStorage } from 'node:async_hooks';
import type { ModelResponse } from '@openai/agents';
import type { ModelResponseBody, RunJournal, ToolResultBody } from './journal.js';
import { DurableRunDivergedError } from './errors.js';
import { responseFromJournal, responseToJournal } from './journaledResponse.js';

// The run whose journaled tool is running in this async context. An agent used as a tool runs
// its own agent with the run's model provider, so its model calls reach the journaling model
// too; they belong to the tool call, whose result the journal keeps, not to the run.
const runningTool = new AsyncLocalStorage<RunReplay>();

/**
 * One execution of a run segment: what the journal already holds (replayed
 * instead of repeated) and what this execution appends. Shared by the
 * journaling model and the journaling tools of the run.
 */
export class RunReplay {
  private readonly responses = new Map<number, ModelResponseBody>();
  private readonly results = new Map<string, ToolResultBody>();
  /** Tool calls an earlier execution started; those without a result are in doubt. */
  private readonly startedEarlier = new Set<string>();
  private readonly reportedInDoubt = new Set<string>();
  private nextOrdinal: number;

  constructor(
    readonly journal: RunJournal,
    readonly segment: number,
    /** A streamed run's consumer sees each response and tool result as it comes: they are stored at once. */
    private readonly streamed: boolean,
  ) {
    for (const entry of journal.entries) {
      if (entry.kind === 'model_response') this.responses.set(Number(entry.key), entry.body);
      else if (entry.kind === 'tool_result') this.results.set(entry.key!, entry.body);
      else if (entry.kind === 'tool_started') this.startedEarlier.add(entry.key!);
      else if (entry.kind === 'tool_in_doubt') this.reportedInDoubt.add(entry.key!);
    }
    // Ordinals count responses over the whole run; this segment continues after the earlier ones.
    this.nextOrdinal = journal.entries.filter((e) => e.kind === 'model_response' && e.segment < segment).length;
  }

  /** Runs a journaled tool's own code: model calls made meanwhile are the tool's, not the run's. */
  runTool<T>(work: () => Promise<T>): Promise<T> {
    return runningTool.run(this, work);
  }

  /** True for a model call made by one of this run's tools (an agent used as a tool): not journaled, not replayed. */
  get insideTool(): boolean {
    return runningTool.getStore() === this;
  }

  /** The recorded response of the next model call, or undefined when the call must be made. */
  replayResponse(inputItems: number): ModelResponse | undefined {
    const recorded = this.responses.get(this.nextOrdinal);
    if (!recorded) return undefined;
    if (recorded.input_items !== inputItems) {
      throw new DurableRunDivergedError(
        `Durable run ${this.journal.runId} diverged from its journal: model call ${this.nextOrdinal} was recorded ` +
          `with ${recorded.input_items} input items, the replay asks with ${inputItems}. Something the agent does ` +
          'between model calls is not deterministic (see "Durable runs" in the README).',
        this.journal.runId,
      );
    }
    this.nextOrdinal++;
    return responseFromJournal(recorded);
  }

  /**
   * Journals a response that was just received. Unless the run is streamed,
   * it is stored with the journal's next write, which comes before anything
   * outside the run acts on it: a tool's `tool_started`, a session write, the
   * segment's end. (Storing it alone would cost a round trip per turn.)
   */
  async recordResponse(response: ModelResponse, inputItems: number): Promise<void> {
    const ordinal = this.nextOrdinal;
    const body = responseToJournal(response, inputItems);
    this.journal.appendUnstored(this.segment, 'model_response', String(ordinal), body);
    this.responses.set(ordinal, body);
    this.nextOrdinal++;
    if (this.streamed) await this.journal.flush();
  }

  /**
   * Journal key of a tool call: the ordinal of the response that asked for
   * it and its call id (call ids are unique only within a response for some
   * providers). Tools run after the response of their turn, so that is the
   * latest one.
   */
  toolKey(callId: string): string {
    return `${this.nextOrdinal - 1}:${callId}`;
  }

  recordedResult(key: string): ToolResultBody | undefined {
    return this.results.get(key);
  }

  /** Started by an earlier execution that died before journaling the result. */
  isInDoubt(key: string): boolean {
    return this.startedEarlier.has(key) && !this.results.has(key);
  }

  async reportInDoubt(key: string, body: { call_id: string; tool: string; arguments: string }): Promise<void> {
    if (this.reportedInDoubt.has(key)) return;
    this.reportedInDoubt.add(key);
    await this.journal.append(this.segment, 'tool_in_doubt', key, body);
  }

  /** Stores that the call `key` is about to run (with every entry before it); the tool runs after this resolves. */
  toolStarted(key: string): Promise<void> {
    return this.journal.append(this.segment, 'tool_started', key, {});
  }

  /**
   * Journals a tool's result. Unless the run is streamed, the run goes on
   * while it is written (its session items wait for it): until it is stored
   * a crash leaves the call in doubt, as a crash just before this would.
   */
  async toolFinished(key: string, body: ToolResultBody): Promise<void> {
    this.journal.appendUnstored(this.segment, 'tool_result', key, body);
    this.results.set(key, body);
    if (this.streamed) await this.journal.flush();
    else this.journal.flushInBackground();
  }
}

