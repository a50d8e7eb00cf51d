/**
 * Conversion of the Agents SDK's conversation items into Ollama chat messages.
 */
import { UserError, type AgentInputItem, type FunctionCallResultItem, type UserMessageItem } from '@openai/agents';
import type { Message, ToolCall } from 'ollama';

/** An Ollama message whose images are raw bytes (see `decodeImage` for why). */
export type OllamaMessage = Omit<Message, 'images'> & { images?: Uint8Array[] };

type AssistantTurn = OllamaMessage & { tool_calls: ToolCall[] };

/**
 * The messages of an Ollama chat request: `systemInstructions` first, then
 * the conversation. Ollama has one assistant message per turn, so an
 * assistant message and the function calls (and reasoning) of the same turn
 * are merged into it. Throws `UserError` for items Ollama cannot represent
 * (hosted, computer, shell and patch tool calls; file inputs; image URLs).
 */
export function toOllamaMessages(
  systemInstructions: string | undefined,
  input: string | AgentInputItem[],
): OllamaMessage[] {
  const messages: OllamaMessage[] = [];
  if (systemInstructions) messages.push({ role: 'system', content: systemInstructions });
  if (typeof input === 'string') {
    messages.push({ role: 'user', content: input });
    return messages;
  }

  let assistant: AssistantTurn | undefined;
  const flush = () => {
    if (!assistant) return;
    const { tool_calls, ...rest } = assistant;
    messages.push(tool_calls.length > 0 ? assistant : rest);
    assistant = undefined;
  };
  const openAssistant = (): AssistantTurn => (assistant ??= { role: 'assistant', content: '', tool_calls: [] });

  for (const item of input) {
    if ('role' in item) {
      if (item.role === 'assistant') {
        // A second text message means a new turn; function calls streamed
        // before the text still belong to the turn the text opens.
        if (assistant?.content) flush();
        openAssistant().content = assistantText(item.content);
      } else {
        flush();
        messages.push(item.role === 'user' ? userMessage(item) : { role: 'system', content: item.content });
      }
    } else if (item.type === 'reasoning') {
      // Only raw reasoning text is thinking; other providers' summaries or
      // encrypted reasoning mean nothing to an Ollama model.
      const thinking = item.rawContent?.map((part) => part.text).join('');
      if (!thinking) continue;
      // Reasoning precedes the rest of its turn, so it always starts a new one.
      if (assistant?.content || assistant?.tool_calls.length || assistant?.thinking) flush();
      openAssistant().thinking = thinking;
    } else if (item.type === 'function_call') {
      openAssistant().tool_calls.push({ function: { name: item.name, arguments: parseArguments(item.name, item.arguments) } });
    } else if (item.type === 'function_call_result') {
      flush();
      messages.push({ role: 'tool', tool_name: item.name, ...toolOutput(item) });
    } else if (item.type === 'unknown') {
      // Another provider's private item: nothing Ollama could make sense of.
      continue;
    } else {
      throw new UserError(`Ollama models cannot replay ${item.type} items from the conversation history.`);
    }
  }
  flush();
  return messages;
}

function assistantText(content: Extract<AgentInputItem, { role: 'assistant' }>['content']): string {
  return content
    .map((part) => (part.type === 'output_text' ? part.text : part.type === 'refusal' ? part.refusal : ''))
    .join('');
}

function userMessage(item: UserMessageItem): OllamaMessage {
  if (typeof item.content === 'string') return { role: 'user', content: item.content };
  const texts: string[] = [];
  const images: Uint8Array[] = [];
  for (const part of item.content) {
    if (part.type === 'input_text') texts.push(part.text);
    else if (part.type === 'input_image') images.push(decodeImage(part.image));
    else throw new UserError(`Ollama models do not accept ${part.type} content in user messages.`);
  }
  return { role: 'user', ...withImages(texts, images) };
}

function toolOutput(item: FunctionCallResultItem): Pick<OllamaMessage, 'content' | 'images'> {
  const { output } = item;
  if (typeof output === 'string') return { content: output };
  const parts = Array.isArray(output) ? output : [output];
  const texts: string[] = [];
  const images: Uint8Array[] = [];
  for (const part of parts) {
    if (part.type === 'text' || part.type === 'input_text') texts.push(part.text);
    else if (part.type === 'input_image') images.push(decodeImage(part.image));
    else if (part.type === 'image') images.push(decodeImage(toolImageSource(part.image)));
    else throw new UserError(`Ollama models do not accept ${part.type} output from the tool ${item.name}.`);
  }
  return withImages(texts, images);
}

function withImages(texts: string[], images: Uint8Array[]): Pick<OllamaMessage, 'content' | 'images'> {
  const content = texts.join('\n');
  return images.length > 0 ? { content, images } : { content };
}

type ToolOutputImage = Extract<Exclude<FunctionCallResultItem['output'], string | unknown[]>, { type: 'image' }>['image'];

function toolImageSource(image: ToolOutputImage): unknown {
  if (typeof image !== 'object') return image;
  if ('data' in image) return image.data;
  if ('url' in image) return image.url;
  return image;
}

/**
 * Ollama wants tool-call arguments as an object; the SDK keeps them as the
 * JSON text the model produced.
 */
function parseArguments(name: string, json: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json || '{}');
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UserError(`The arguments of the function call ${name} in the history are not a JSON object: ${json}`);
  }
  return parsed as Record<string, unknown>;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Image bytes from a data URL or bare base64. Bytes rather than the base64
 * string go to the `ollama` client because, under Node, it treats any string
 * that names an existing file as a path and uploads that file instead.
 */
function decodeImage(image: unknown): Uint8Array {
  if (image instanceof Uint8Array) return image;
  if (typeof image !== 'string') {
    throw new UserError('Ollama models need every image inline, as a data URL or base64; file ids cannot be used.');
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(image)) {
    throw new UserError(`Ollama models need every image inline, as a data URL or base64, not a URL: ${image}`);
  }
  const data = image.startsWith('data:') ? image.slice(image.indexOf(',') + 1) : image;
  const compact = data.replace(/\s+/g, '');
  if (!BASE64.test(compact)) throw new UserError('An image for an Ollama model is neither a base64 data URL nor base64.');
  return Buffer.from(compact, 'base64');
}
