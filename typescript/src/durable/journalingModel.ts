import {
  Usage,
  type Model,
  type ModelProvider,
  type ModelRequest,
  type ModelResponse,
  type ModelRetryAdviceRequest,
  type StreamEvent,
} from '@openai/agents';
import { withOwnToolNames } from './journaledResponse.js';
import type { RunReplay } from './runReplay.js';

function inputItemCount(request: ModelRequest): number {
  return typeof request.input === 'string' ? 1 : request.input.length;
}

/** Events a streamed replay makes up in place of a journaled call; they carry nothing new. */
const replayedEvents = new WeakSet<object>();

/** True for the stand-in `response_done` of a replayed model call (see durableStreamEvents). */
export function isReplayedModelEvent(event: unknown): boolean {
  return typeof event === 'object' && event !== null && replayedEvents.has(event);
}

/** The `response_done` event a streamed model call ends with, carrying `response`. */
function responseDoneEvent(response: ModelResponse): StreamEvent {
  const usage = response.usage;
  return {
    type: 'response_done',
    response: {
      id: response.responseId ?? '',
      ...(response.requestId ? { requestId: response.requestId } : {}),
      usage: {
        requests: usage.requests,
        inputTokens: usage.inputTokens,
        outputTokens: usage.outputTokens,
        totalTokens: usage.totalTokens,
        inputTokensDetails: usage.inputTokensDetails,
        outputTokensDetails: usage.outputTokensDetails,
      },
      output: response.output,
      ...(response.providerData ? { providerData: response.providerData } : {}),
    },
  } as StreamEvent;
}

function responseOfDoneEvent(event: Extract<StreamEvent, { type: 'response_done' }>): ModelResponse {
  const { response } = event;
  return {
    usage: new Usage(response.usage),
    output: response.output,
    responseId: response.id,
    ...(response.requestId ? { requestId: response.requestId } : {}),
    ...(response.providerData ? { providerData: response.providerData } : {}),
  };
}

/**
 * A model whose responses are journaled as they arrive and, when the run is
 * resumed, replayed from the journal instead of being requested again.
 */
export class JournalingModel implements Model {
  readonly supportsPromptModelSelection?: boolean;

  constructor(
    private readonly inner: Model,
    private readonly replay: RunReplay,
  ) {
    this.supportsPromptModelSelection = inner.supportsPromptModelSelection;
  }

  /** The inner model's advice, so the SDK retries a failed live call as it would without journaling. */
  getRetryAdvice(args: ModelRetryAdviceRequest): ReturnType<NonNullable<Model['getRetryAdvice']>> {
    return this.inner.getRetryAdvice?.(args);
  }

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    if (this.replay.insideTool) return this.inner.getResponse(request);
    const inputItems = inputItemCount(request);
    const recorded = this.replay.replayResponse(inputItems);
    if (recorded) return withOwnToolNames(recorded, request);
    const response = await this.inner.getResponse(request);
    await this.replay.recordResponse(response, inputItems);
    return response;
  }

  async *getStreamedResponse(request: ModelRequest): AsyncIterable<StreamEvent> {
    if (this.replay.insideTool) {
      yield* this.inner.getStreamedResponse(request);
      return;
    }
    const inputItems = inputItemCount(request);
    const recorded = this.replay.replayResponse(inputItems);
    if (recorded) {
      // A replayed call has no deltas: the run only needs the finished response.
      const event = responseDoneEvent(withOwnToolNames(recorded, request));
      replayedEvents.add(event);
      yield event;
      return;
    }
    for await (const event of this.inner.getStreamedResponse(request)) {
      if (event.type === 'response_done') await this.replay.recordResponse(responseOfDoneEvent(event), inputItems);
      yield event;
    }
  }
}

/** Resolves model names with `inner` and journals every model it returns. */
export class JournalingModelProvider implements ModelProvider {
  constructor(
    private readonly inner: ModelProvider,
    private readonly replay: RunReplay,
  ) {}

  async getModel(modelName?: string): Promise<Model> {
    return new JournalingModel(await this.inner.getModel(modelName), this.replay);
  }
}
