import type { Model, ModelRequest, ModelResponse, StreamEvent } from '@openai/agents';
import { Ollama } from 'ollama';
import { OllamaConnectionError } from '../errors.js';
import { toOllamaChatRequest } from './ollamaRequest.js';
import { toModelResponse, toStreamEvents } from './ollamaResponse.js';

/** Where and how an `OllamaModel` reaches its server. */
export interface OllamaModelOptions {
  /** Server address in any form the `ollama` client accepts, e.g. `http://localhost:11434`. */
  host: string;
  /** Headers sent with every request, e.g. `{ Authorization: 'Bearer …' }`. */
  headers?: Record<string, string>;
}

/**
 * An Agents SDK `Model` served by Ollama's native chat API (`/api/chat`),
 * through the official `ollama` client. Supports instructions, multi-turn
 * history, function tools and handoffs, images, structured output,
 * streaming and usage. An unreachable server raises `OllamaConnectionError`;
 * errors the server reports (e.g. an unknown model) surface as the client's
 * `ResponseError`.
 */
export class OllamaModel implements Model {
  /** The model name sent to Ollama, e.g. `llama3.2:3b`. */
  readonly name: string;
  /** The Ollama server this model talks to. */
  readonly host: string;
  readonly #headers: Record<string, string> | undefined;

  constructor(name: string, options: OllamaModelOptions) {
    this.name = name;
    this.host = options.host;
    this.#headers = options.headers;
  }

  /** Sends `request` and returns the complete reply. */
  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    const body = toOllamaChatRequest(this.name, request);
    const response = await this.#client(request.signal).chat({ ...body, stream: false });
    return toModelResponse(response);
  }

  /** Sends `request` and yields the reply as SDK stream events, ending with `response_done`. */
  async *getStreamedResponse(request: ModelRequest): AsyncIterable<StreamEvent> {
    const body = toOllamaChatRequest(this.name, request);
    const chunks = await this.#client(request.signal).chat({ ...body, stream: true });
    try {
      yield* toStreamEvents(chunks);
    } finally {
      // Closes the HTTP stream when the consumer stops early (a no-op once it is done).
      chunks.abort();
    }
  }

  /**
   * A client bound to one call: the `ollama` client cannot take an abort
   * signal for non-streamed requests, but it does let us supply `fetch`.
   */
  #client(signal: AbortSignal | undefined): Ollama {
    return new Ollama({
      host: this.host,
      headers: this.#headers,
      fetch: (input, init) => this.#fetch(input, init, signal),
    });
  }

  async #fetch(input: string | URL | Request, init: RequestInit | undefined, signal: AbortSignal | undefined) {
    const signals = [init?.signal, signal].filter((s): s is AbortSignal => s instanceof AbortSignal);
    try {
      return await fetch(input, { ...init, signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0] });
    } catch (error) {
      if (signals.some((s) => s.aborted)) throw error;
      // fetch only rejects when no HTTP response arrived at all.
      throw new OllamaConnectionError(this.host, error);
    }
  }
}
