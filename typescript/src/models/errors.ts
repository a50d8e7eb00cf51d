/**
 * Typed errors of model routing and the Ollama backend.
 */
import { TimestepError } from '../errors.js';

/** A model name's prefix (the part before the first `/`) names no registered provider. */
export class UnknownModelPrefixError extends TimestepError {
  constructor(
    /** The model name as given, e.g. `meta-llama/Llama-3-8B`. */
    readonly modelName: string,
    /** The prefix that matched nothing, e.g. `meta-llama`. */
    readonly prefix: string,
    /** Every prefix that would have been accepted. */
    readonly knownPrefixes: readonly string[],
  ) {
    super(
      `Unknown model prefix "${prefix}" in model name "${modelName}". ` +
        `Known prefixes: ${knownPrefixes.join(', ')}. ` +
        'Register the prefix with MultiModelProviderMap.addProvider(), or, if the model name itself ' +
        `contains "/", name the backend explicitly, e.g. "openai/${modelName}".`,
    );
  }
}

/** The Ollama server could not be reached (down, wrong host, DNS or TLS failure). */
export class OllamaConnectionError extends TimestepError {
  constructor(
    /** The Ollama host that was tried. */
    readonly host: string,
    cause: unknown,
  ) {
    super(
      `Could not reach the Ollama server at ${host} (${describeCause(cause)}). ` +
        'Start it with `ollama serve`, or point Timestep at a running one with the OLLAMA_HOST ' +
        'environment variable or the `ollamaHost` option.',
      { cause },
    );
  }
}

/**
 * The most specific reason Node gives: `fetch failed` alone says nothing, its
 * cause does (an AggregateError for hosts with several addresses has only a code).
 */
function describeCause(cause: unknown): string {
  const inner = cause instanceof Error && cause.cause instanceof Error ? cause.cause : cause;
  if (!(inner instanceof Error)) return String(inner);
  const code = (inner as { code?: unknown }).code;
  return inner.message || (typeof code === 'string' ? code : inner.name);
}
