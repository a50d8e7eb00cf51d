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

/**
 * A model name has a known prefix but nothing after it (`openai/`, `ollama/`),
 * as a template such as `openai/${MODEL}` gives when its variable is empty.
 */
export class EmptyModelNameError extends TimestepError {
  constructor(
    /** The model name as given, e.g. `openai/`. */
    readonly modelName: string,
    /** The prefix before the `/`, e.g. `openai`. */
    readonly prefix: string,
  ) {
    super(
      `The model name "${modelName}" names no model after its prefix "${prefix}/" (is a variable in it empty?); ` +
        `name one, e.g. "${prefix}/${exampleModel(prefix)}".`,
    );
  }
}

function exampleModel(prefix: string): string {
  if (prefix === 'openai') return 'gpt-4.1';
  if (prefix === 'ollama') return 'llama3.2';
  return '<model>';
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
