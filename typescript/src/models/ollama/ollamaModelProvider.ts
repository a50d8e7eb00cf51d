import { UserError, type ModelProvider } from '@openai/agents';
import { OllamaModel } from './ollamaModel.js';

/** Options of `OllamaModelProvider`. */
export interface OllamaModelProviderOptions {
  /**
   * Ollama server address. Default: the `OLLAMA_HOST` environment variable,
   * else `https://ollama.com` for model names ending in `-cloud`, else
   * `http://localhost:11434`.
   */
  host?: string;
  /**
   * Sent as `Authorization: Bearer <apiKey>` to whichever host is used.
   * Default: the `OLLAMA_API_KEY` environment variable, which is sent only to
   * ollama.com so that a cloud key never reaches a local or third-party server.
   */
  apiKey?: string;
}

const LOCAL_HOST = 'http://localhost:11434';
const CLOUD_HOST = 'https://ollama.com';
const CLOUD_SUFFIX = '-cloud';

/**
 * A `ModelProvider` of `OllamaModel`s. The host and key are resolved when a
 * model is first requested, and each model is created once and reused.
 *
 * Cloud models (`gpt-oss:120b-cloud`) go to ollama.com unless a host is
 * configured; ollama.com names them without the `-cloud` suffix, which a
 * local server signed in with `ollama signin` needs instead, so the suffix is
 * removed only for ollama.com.
 */
export class OllamaModelProvider implements ModelProvider {
  readonly #options: OllamaModelProviderOptions;
  readonly #models = new Map<string, OllamaModel>();

  constructor(options: OllamaModelProviderOptions = {}) {
    this.#options = options;
  }

  /** The model `modelName` (e.g. `llama3.2`, `qwen3:8b`, `gpt-oss:120b-cloud`). */
  getModel(modelName?: string): OllamaModel {
    if (!modelName) {
      throw new UserError('Ollama has no default model: name one, e.g. "ollama/llama3.2".');
    }
    let model = this.#models.get(modelName);
    if (!model) {
      model = this.#createModel(modelName);
      this.#models.set(modelName, model);
    }
    return model;
  }

  #createModel(modelName: string): OllamaModel {
    const isCloudModel = modelName.endsWith(CLOUD_SUFFIX);
    const host = this.#options.host || process.env.OLLAMA_HOST || (isCloudModel ? CLOUD_HOST : LOCAL_HOST);
    const direct = isOllamaCom(host);
    const apiKey = this.#options.apiKey || (direct ? process.env.OLLAMA_API_KEY : undefined);
    if (direct && !apiKey) {
      throw new UserError(
        `The Ollama model "${modelName}" is served by ${CLOUD_HOST}, which needs an API key: set OLLAMA_API_KEY ` +
          '(or the ollamaApiKey option), or set OLLAMA_HOST to a local Ollama signed in with `ollama signin`.',
      );
    }
    const name = direct && isCloudModel ? modelName.slice(0, -CLOUD_SUFFIX.length) : modelName;
    return new OllamaModel(name, { host, headers: apiKey ? { Authorization: `Bearer ${apiKey}` } : undefined });
  }
}

function isOllamaCom(host: string): boolean {
  try {
    return new URL(host).hostname === 'ollama.com';
  } catch {
    // A host without a scheme, which the client reads as http on port 11434, is never ollama.com's API.
    return false;
  }
}
