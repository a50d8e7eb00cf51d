import { OpenAIProvider, type Model, type ModelProvider, type OpenAIClient } from '@openai/agents';
import { EmptyModelNameError, UnknownModelPrefixError } from './errors.js';
import { MultiModelProviderMap } from './multiModelProviderMap.js';
import { OllamaModelProvider } from './ollama/ollamaModelProvider.js';

/**
 * Options of `MultiModelProvider`. The `openai*` options are the SDK's
 * `OpenAIProviderOptions` of the same name (`openaiApiKey` → `apiKey`,
 * `openaiClient` → `openAIClient`, …); left out, the SDK reads
 * `OPENAI_API_KEY` and `OPENAI_BASE_URL` itself.
 */
export interface MultiModelProviderOptions {
  /** Extra prefixes, e.g. `anthropic` → a provider of your own; they win over `openai` and `ollama`. */
  providerMap?: MultiModelProviderMap;
  /** OpenAI API key. Default: `OPENAI_API_KEY`. */
  openaiApiKey?: string;
  /** OpenAI(-compatible) API base URL, e.g. `http://localhost:8000/v1`. Default: `OPENAI_BASE_URL`, else api.openai.com. */
  openaiBaseURL?: string;
  /** A ready OpenAI client; excludes `openaiApiKey`, `openaiBaseURL`, `openaiOrganization` and `openaiProject`. */
  openaiClient?: OpenAIClient;
  /** OpenAI organization id. */
  openaiOrganization?: string;
  /** OpenAI project id. */
  openaiProject?: string;
  /** Use the Responses API (true) or Chat Completions (false). Default: the SDK's default, the Responses API. */
  openaiUseResponses?: boolean;
  /** Ollama server address. Default: `OLLAMA_HOST`, else ollama.com for `-cloud` models, else `http://localhost:11434`. */
  ollamaHost?: string;
  /** Ollama API key. Default: `OLLAMA_API_KEY`, sent to ollama.com only. */
  ollamaApiKey?: string;
}

const OPENAI_PREFIX = 'openai';
const OLLAMA_PREFIX = 'ollama';

/**
 * A `ModelProvider` that picks the backend from the model name's prefix:
 * `gpt-4.1` and `openai/gpt-4.1` → OpenAI, `ollama/llama3` → Ollama, and any
 * prefix registered in the provider map → that provider.
 *
 * Only the first `/` separates the prefix: `ollama/library/llama3:8b` is the
 * Ollama model `library/llama3:8b`. Consequently a name that contains `/` but
 * starts with no known prefix, such as `meta-llama/Llama-3-8B` meant for an
 * OpenAI-compatible server, raises `UnknownModelPrefixError`; write
 * `openai/meta-llama/Llama-3-8B` instead. Guessing would route a mistyped
 * prefix to OpenAI, with the user's prompt.
 *
 * The OpenAI and Ollama providers are created on first use and then reused,
 * as are the models they return.
 */
export class MultiModelProvider implements ModelProvider {
  readonly #providerMap: MultiModelProviderMap;
  readonly #options: MultiModelProviderOptions;
  #openaiProvider: OpenAIProvider | undefined;
  #ollamaProvider: OllamaModelProvider | undefined;

  /** Throws `TypeError` if `openaiClient` is combined with options that configure a client. */
  constructor(options: MultiModelProviderOptions = {}) {
    if (options.openaiClient) {
      const conflicting = (['openaiApiKey', 'openaiBaseURL', 'openaiOrganization', 'openaiProject'] as const).filter(
        (key) => options[key] !== undefined,
      );
      if (conflicting.length > 0) {
        throw new TypeError(`openaiClient cannot be combined with ${conflicting.join(', ')}: configure the client itself.`);
      }
    }
    this.#options = options;
    this.#providerMap = options.providerMap ?? new MultiModelProviderMap();
  }

  /**
   * The model for `modelName`; without a name, OpenAI's default model.
   * Throws `UnknownModelPrefixError` when the prefix is neither in the
   * provider map nor `openai` or `ollama`, and `EmptyModelNameError` when
   * nothing follows a known prefix (`openai/`).
   */
  async getModel(modelName?: string): Promise<Model> {
    if (!modelName) return this.#openai().getModel(modelName);
    const slash = modelName.indexOf('/');
    if (slash === -1) return this.#openai().getModel(modelName);

    const prefix = modelName.slice(0, slash);
    const name = modelName.slice(slash + 1);
    // An empty prefix ("/gpt-4.1") is not a valid map key; it ends in the unknown-prefix error.
    const custom = prefix === '' ? undefined : this.#providerMap.getProvider(prefix);
    const known = custom !== undefined || prefix === OPENAI_PREFIX || prefix === OLLAMA_PREFIX;
    if (!known) throw new UnknownModelPrefixError(modelName, prefix, this.#knownPrefixes());
    // "openai/" would be the SDK's default model, "ollama/" an error: both are a name left out.
    if (name === '') throw new EmptyModelNameError(modelName, prefix);
    if (custom) return custom.getModel(name);
    return prefix === OPENAI_PREFIX ? this.#openai().getModel(name) : this.#ollama().getModel(name);
  }

  #knownPrefixes(): string[] {
    const prefixes = new Set([OPENAI_PREFIX, OLLAMA_PREFIX, ...this.#providerMap.getMapping().keys()]);
    return [...prefixes];
  }

  #openai(): OpenAIProvider {
    const o = this.#options;
    this.#openaiProvider ??= new OpenAIProvider({
      apiKey: o.openaiApiKey,
      baseURL: o.openaiBaseURL,
      openAIClient: o.openaiClient,
      organization: o.openaiOrganization,
      project: o.openaiProject,
      useResponses: o.openaiUseResponses,
    });
    return this.#openaiProvider;
  }

  #ollama(): OllamaModelProvider {
    this.#ollamaProvider ??= new OllamaModelProvider({
      host: this.#options.ollamaHost,
      apiKey: this.#options.ollamaApiKey,
    });
    return this.#ollamaProvider;
  }
}
