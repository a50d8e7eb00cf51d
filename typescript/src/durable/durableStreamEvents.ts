import type { RunStreamEvent, StreamedRunResult } from '@openai/agents';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { isReplayedModelEvent } from './journalingModel.js';

/** The segment each durable stream executes (see `DurableStreamEvent.segment`). */
export const streamSegments = new WeakMap<StreamedRunResult<any, any>, number>();

/**
 * Makes the stream's end, however the consumer reads it (iterating `result`,
 * `toStream()`, `toTextStream()`, or awaiting `result.completed`), wait for
 * `recorded` (the run's end being journaled), so a resume that follows a
 * finished stream finds the run ended, its lease free.
 */
export function endAfterRecorded(result: StreamedRunResult<any, any>, recorded: Promise<void>): void {
  const completed = result.completed;
  const waited = completed.then(
    () => recorded,
    async (error: unknown) => {
      await recorded;
      throw error;
    },
  );
  waited.catch(() => undefined); // as the SDK's own promise: a run's error is not unhandled until someone awaits it
  Object.defineProperty(result, 'completed', { get: () => waited });
  // The SDK hands out one stream for every call and iterates that same one; so does this, once wrapped.
  // (The SDK types its streams by a minimal interface; in Node they are web ReadableStreams.)
  let events: ReadableStream<RunStreamEvent> | undefined;
  const toStream = result.toStream.bind(result) as unknown as () => ReadableStream<RunStreamEvent>;
  const wrapped = () => (events ??= endsAfter(toStream(), recorded));
  result.toStream = wrapped as unknown as typeof result.toStream;
  result[Symbol.asyncIterator] = () => wrapped()[Symbol.asyncIterator]();
  const toTextStream = result.toTextStream.bind(result) as unknown as () => ReadableStream<string>;
  result.toTextStream = ((options: { compatibleWithNodeStreams?: boolean } = {}) => {
    const text = endsAfter(toTextStream(), recorded);
    return options.compatibleWithNodeStreams ? Readable.fromWeb(text as NodeReadableStream<string>) : text;
  }) as typeof result.toTextStream;
}

/** `stream`, its end (close or error) held back until `recorded` settles. */
function endsAfter<T>(stream: ReadableStream<T>, recorded: Promise<void>): ReadableStream<T> {
  // Taken at the first read, not here: until then the SDK's stream stays free for whoever reads it first.
  let reader: ReadableStreamDefaultReader<T> | undefined;
  return new ReadableStream<T>({
    async pull(controller) {
      reader ??= stream.getReader();
      try {
        const next = await reader.read();
        if (next.done) {
          await recorded;
          controller.close();
        } else {
          controller.enqueue(next.value);
        }
      } catch (error) {
        await recorded;
        controller.error(error);
      }
    },
    cancel: (reason) => (reader ?? stream).cancel(reason),
  });
}

/** Where a client stands in a durable run's stream: the next event it wants. */
export interface DurableStreamPosition {
  segment: number;
  offset: number;
}

/** One event of a durable run's stream. */
export interface DurableStreamEvent {
  /**
   * The run's segment the event belongs to: 0 from its start, one more each
   * time it continues after approvals (with a `RunState`, or with decisions
   * stored by `timestep runs approve|reject` on a resume).
   */
  segment: number;
  /**
   * Position of the event among the segment's item and agent events (0, 1,
   * …), the same in every execution of the run; `null` for raw model events
   * (text deltas), which only a live model call produces.
   */
  offset: number | null;
  event: RunStreamEvent;
}

function firstOffset(from: number | DurableStreamPosition, segment: number): number {
  const position = typeof from === 'number' ? { segment, offset: from } : from;
  const { offset } = position;
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(position.segment) || position.segment < 0) {
    throw new RangeError(
      `durableStreamEvents: from must be a non-negative integer offset or { segment, offset } of such integers, got ${JSON.stringify(from)}.`,
    );
  }
  if (position.segment > segment) {
    throw new RangeError(
      `durableStreamEvents: the position ${JSON.stringify(from)} is in segment ${position.segment}, after segment ${segment} ` +
        'that this stream executes; a resume streams the run\'s latest segment, so the position belongs to another run.',
    );
  }
  // The client has seen nothing of a segment later than its position: it gets all of it.
  return position.segment === segment ? offset : 0;
}

/**
 * Reads a streamed durable run (`runAgent(..., true, { durable })`) with
 * positions, starting at `from`: an offset in this stream's segment, or a
 * `{ segment, offset }` position. A client that keeps the position after the
 * last event it handled resumes the run after a crash (or after approvals)
 * and passes it: it gets every later event once and none it already had.
 * Raw model events of calls replayed from the journal are left out (the
 * client saw that call's output already); a call that was in flight when the
 * process died streams again from its start.
 */
export async function* durableStreamEvents(
  result: StreamedRunResult<any, any>,
  from: number | DurableStreamPosition = 0,
): AsyncGenerator<DurableStreamEvent> {
  const segment = streamSegments.get(result) ?? 0;
  const first = firstOffset(from, segment);
  let next = 0;
  for await (const event of result) {
    if (event.type === 'raw_model_stream_event') {
      if (next >= first && !isReplayedModelEvent(event.data)) yield { segment, offset: null, event };
      continue;
    }
    const offset = next++;
    if (offset >= first) yield { segment, offset, event };
  }
}
