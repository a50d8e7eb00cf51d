import type { RunStreamEvent, StreamedRunResult } from '@openai/agents';
import { isReplayedModelEvent } from './journalingModel.js';

/** One event of a durable run's stream. */
export interface DurableStreamEvent {
  /**
   * Position of the event among the run's item and agent events (0, 1, …),
   * the same in every execution of the run; `null` for raw model events
   * (text deltas), which only a live model call produces.
   */
  offset: number | null;
  event: RunStreamEvent;
}

/**
 * Reads a streamed durable run (`runAgent(..., true, { durable })`) with
 * offsets, starting at offset `from`. A client that keeps the offset of the
 * last event it handled resumes the run after a crash and passes that offset
 * + 1: it gets every later event once and none it already had. Raw model
 * events of calls replayed from the journal are left out (the client saw
 * that call's output already); a call that was in flight when the process
 * died streams again from its start. Offsets count one `runAgent` call's
 * stream: a run continued with a `RunState` (after approvals) starts at 0.
 */
export async function* durableStreamEvents(
  result: StreamedRunResult<any, any>,
  from = 0,
): AsyncGenerator<DurableStreamEvent> {
  if (!Number.isSafeInteger(from) || from < 0) {
    throw new RangeError(`durableStreamEvents: from must be a non-negative integer offset, got ${String(from)}.`);
  }
  let next = 0;
  for await (const event of result) {
    if (event.type === 'raw_model_stream_event') {
      if (next >= from && !isReplayedModelEvent(event.data)) yield { offset: null, event };
      continue;
    }
    const offset = next++;
    if (offset >= from) yield { offset, event };
  }
}
