/**
 * Conversion of an Agents SDK model request into an Ollama `/api/chat` request.
 */
import { UserError, type ModelRequest } from '@openai/agents';
import type { ChatRequest, Options, Tool } from 'ollama';
import { toOllamaMessages, type OllamaMessage } from './ollamaMessages.js';

/** An Ollama chat request with byte images (see `OllamaMessage`). */
export type OllamaChatRequest = Omit<ChatRequest, 'messages'> & { messages: OllamaMessage[] };

/**
 * The `/api/chat` body for `request` on `model`. Model settings map to
 * Ollama options (temperature, topP → top_p, maxTokens → num_predict,
 * frequency/presence penalties); settings Ollama has no equivalent for
 * (toolChoice, parallelToolCalls, truncation, store, …) are ignored.
 * `modelSettings.providerData` is merged into the body, its `options` into
 * the options, so Ollama-only fields such as `think`, `keep_alive` or
 * `options.num_ctx` can be set.
 */
export function toOllamaChatRequest(model: string, request: ModelRequest): OllamaChatRequest {
  rejectServerManagedState(request);
  const { options: extraOptions, ...extraFields } = request.modelSettings.providerData ?? {};
  const options = { ...settingsOptions(request.modelSettings), ...extraOptions };
  const tools = toOllamaTools(request);
  const body: OllamaChatRequest = {
    ...extraFields,
    model,
    messages: toOllamaMessages(request.systemInstructions, request.input),
  };
  if (tools.length > 0) body.tools = tools;
  if (Object.keys(options).length > 0) body.options = options;
  if (request.outputType !== 'text') body.format = request.outputType.schema;
  return body;
}

function settingsOptions(settings: ModelRequest['modelSettings']): Partial<Options> {
  const options: Partial<Options> = {};
  if (settings.temperature !== undefined) options.temperature = settings.temperature;
  if (settings.topP !== undefined) options.top_p = settings.topP;
  if (settings.maxTokens !== undefined) options.num_predict = settings.maxTokens;
  if (settings.frequencyPenalty !== undefined) options.frequency_penalty = settings.frequencyPenalty;
  if (settings.presencePenalty !== undefined) options.presence_penalty = settings.presencePenalty;
  return options;
}

/** Function tools and handoffs (which the model sees as function tools). */
function toOllamaTools(request: ModelRequest): Tool[] {
  const tools = request.tools.map((tool): Tool => {
    if (tool.type !== 'function') {
      throw new UserError(`Ollama models support only function tools; the ${tool.type} tool "${tool.name}" cannot be used.`);
    }
    return ollamaTool(tool.name, tool.description, tool.parameters);
  });
  const handoffs = request.handoffs.map((handoff) =>
    ollamaTool(handoff.toolName, handoff.toolDescription, handoff.inputJsonSchema),
  );
  return [...tools, ...handoffs];
}

function ollamaTool(name: string, description: string, parameters: object): Tool {
  // The client's parameter type covers only a flat subset of JSON Schema;
  // Ollama itself accepts any schema.
  return { type: 'function', function: { name, description, parameters: parameters as Tool['function']['parameters'] } };
}

/**
 * These are OpenAI Responses features with no Ollama counterpart; ignoring
 * them would silently drop the history or the prompt, so refuse instead.
 */
function rejectServerManagedState(request: ModelRequest): void {
  const unsupported = [
    request.previousResponseId && 'previousResponseId',
    request.conversationId && 'conversationId',
    request.prompt && 'prompt',
  ].filter(Boolean);
  if (unsupported.length > 0) {
    throw new UserError(
      `Ollama models do not support ${unsupported.join(', ')}: Ollama keeps no server-side conversations or ` +
        'prompt templates. Pass the conversation as input (or use a session) and the instructions on the agent.',
    );
  }
}
