import { RUN_JOURNAL_FORMAT, RUN_JOURNAL_VERSION, type JournalEntry, type RunJournal } from './journal.js';
import { DurableRunUnreadableError } from './errors.js';

/**
 * What a readable journal entry looks like (spec/run-journal): checked when a
 * run is opened, so a journal from a newer Timestep or an entry damaged by
 * hand stops the call before it replays or writes anything, with the entry
 * named, instead of failing somewhere inside the SDK.
 */

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0;
const ORDINAL = /^(0|[1-9][0-9]*)$/;
const CALL_KEY = /^(0|[1-9][0-9]*):./s;

/** What is wrong with the entry, or null when this version reads it. */
function problemOf(entry: JournalEntry): string | null {
  const body: unknown = entry.body;
  if (!isObject(body)) return 'its body is not a JSON object';
  switch (entry.kind) {
    case 'segment_started':
      if (body.format !== RUN_JOURNAL_FORMAT) return `its format is ${JSON.stringify(body.format)}, not ${RUN_JOURNAL_FORMAT}`;
      if (!Number.isSafeInteger(body.version) || (body.version as number) < 1) return `its version ${JSON.stringify(body.version)} is not a version number`;
      if ((body.version as number) > RUN_JOURNAL_VERSION) {
        return `it was written in journal version ${String(body.version)}, and this Timestep reads up to version ${RUN_JOURNAL_VERSION} (upgrade Timestep)`;
      }
      if (typeof body.agent !== 'string') return 'it names no agent';
      if (body.input !== null && !Array.isArray(body.input)) return 'its input is not a list of items';
      if (body.state !== null && !isObject(body.state)) return 'its state is not an object';
      if (body.session !== null && !(isObject(body.session) && typeof body.session.id === 'string' && isCount(body.session.items_before))) {
        return 'its session is not { id, items_before }';
      }
      return null;
    case 'model_response':
      if (entry.key === null || !ORDINAL.test(entry.key)) return 'its key is not a response ordinal';
      if (!isCount(body.input_items)) return 'its input_items is not a count';
      if (!Array.isArray(body.output) || !body.output.every(isObject)) return 'its output is not a list of items';
      if (!isObject(body.usage) || !isCount(body.usage.input_tokens) || !isCount(body.usage.output_tokens)) {
        return 'its usage has no input_tokens and output_tokens counts';
      }
      return null;
    case 'tool_started':
    case 'tool_result':
    case 'tool_in_doubt':
      return entry.key !== null && CALL_KEY.test(entry.key) ? null : 'its key is not <ordinal>:<call id>';
    case 'segment_ended':
      return body.outcome === 'finished' || body.outcome === 'interrupted' ? null : `its outcome ${JSON.stringify(body.outcome)} is unknown`;
    default:
      return `its kind ${JSON.stringify((entry as { kind: unknown }).kind)} is unknown`;
  }
}

/**
 * Throws `DurableRunUnreadableError` naming the first entry this version
 * cannot read; a journal of an existing run must start with `segment_started`.
 */
export function checkReadable(journal: RunJournal): void {
  const unreadable = (what: string) =>
    new DurableRunUnreadableError(`Cannot read the journal of durable run ${journal.runId}: ${what}. Nothing was written.`, journal.runId);
  const [first] = journal.entries;
  if (journal.run && first?.kind !== 'segment_started') throw unreadable('it does not start with a segment_started entry');
  for (const entry of journal.entries) {
    const problem = problemOf(entry);
    if (problem !== null) throw unreadable(`entry ${entry.seq} (${entry.kind}) — ${problem}`);
  }
}
