import { StreamedRunResult, type Agent, type RunResult } from '@openai/agents';

/**
 * Waits for a run to finish. A streamed result is drained (its events are read
 * and discarded) and returned once complete; a plain result is returned as is.
 * If the caller reads the stream itself (e.g. pipes `toTextStream()`), that
 * reading advances the run and this only waits for it to complete. An error
 * raised during a streamed run is thrown here, with its SDK type.
 */
export async function consumeResult<TContext, TAgent extends Agent<any, any>>(
  result: RunResult<TContext, TAgent>,
): Promise<RunResult<TContext, TAgent>>;
export async function consumeResult<TContext, TAgent extends Agent<any, any>>(
  result: StreamedRunResult<TContext, TAgent>,
): Promise<StreamedRunResult<TContext, TAgent>>;
export async function consumeResult<TContext, TAgent extends Agent<any, any>>(
  result: RunResult<TContext, TAgent> | StreamedRunResult<TContext, TAgent>,
): Promise<RunResult<TContext, TAgent> | StreamedRunResult<TContext, TAgent>>;
export async function consumeResult<TContext, TAgent extends Agent<any, any>>(
  result: RunResult<TContext, TAgent> | StreamedRunResult<TContext, TAgent>,
): Promise<RunResult<TContext, TAgent> | StreamedRunResult<TContext, TAgent>> {
  if (!(result instanceof StreamedRunResult)) return result;
  // A locked stream has another reader (toTextStream() locks it for good);
  // reading it here would throw, and that reader already moves the run on.
  // (The SDK types the stream with its own minimal interface, which omits `locked`.)
  const stream = result.toStream();
  if (!('locked' in stream && stream.locked === true)) {
    for await (const _event of result) {
      // Reading the events is what lets the run advance.
    }
  }
  await result.completed;
  return result;
}
