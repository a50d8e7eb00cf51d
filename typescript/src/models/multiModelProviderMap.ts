import type { ModelProvider } from '@openai/agents';

/**
 * Which model provider serves which model-name prefix, for `MultiModelProvider`:
 * with `addProvider('anthropic', p)`, the model `anthropic/claude-x` is served
 * by `p.getModel('claude-x')`. Entries here take precedence over the built-in
 * `openai` and `ollama` prefixes.
 */
export class MultiModelProviderMap {
  #providers = new Map<string, ModelProvider>();

  /** Serves models named `prefix/...` with `provider`, replacing any earlier entry. */
  addProvider(prefix: string, provider: ModelProvider): void {
    validatePrefix(prefix);
    validateProvider(prefix, provider);
    this.#providers.set(prefix, provider);
  }

  /** Forgets the provider of `prefix`; a prefix that was never added is ignored. */
  removeProvider(prefix: string): void {
    validatePrefix(prefix);
    this.#providers.delete(prefix);
  }

  /** The provider of `prefix`, or undefined. */
  getProvider(prefix: string): ModelProvider | undefined {
    validatePrefix(prefix);
    return this.#providers.get(prefix);
  }

  /** True when a provider is registered for `prefix`. */
  hasPrefix(prefix: string): boolean {
    validatePrefix(prefix);
    return this.#providers.has(prefix);
  }

  /** A copy of all entries; changing it does not change this map. */
  getMapping(): Map<string, ModelProvider> {
    return new Map(this.#providers);
  }

  /** Replaces all entries with those of `mapping`; nothing changes if any entry is invalid. */
  setMapping(mapping: ReadonlyMap<string, ModelProvider>): void {
    for (const [prefix, provider] of mapping) {
      validatePrefix(prefix);
      validateProvider(prefix, provider);
    }
    this.#providers = new Map(mapping);
  }
}

function validatePrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string' || prefix === '') {
    throw new TypeError(`A model prefix must be a non-empty string; got ${JSON.stringify(prefix)}.`);
  }
  if (prefix.includes('/')) {
    // Model names are split on their first "/", so such a prefix could never match.
    throw new TypeError(`A model prefix cannot contain "/"; got "${prefix}".`);
  }
}

function validateProvider(prefix: string, provider: unknown): void {
  if (typeof (provider as ModelProvider | null)?.getModel !== 'function') {
    throw new TypeError(`The provider for prefix "${prefix}" must be a ModelProvider (an object with getModel()).`);
  }
}
