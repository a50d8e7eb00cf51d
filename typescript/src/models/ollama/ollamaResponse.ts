/**
 * Conversion of Ollama chat replies, whole or streamed, into the Agents SDK's
 * model responses and stream events.
 */
import { randomUUID } from 'node:crypto';
import { Usage, type ModelResponse, type StreamEvent, type protocol } from '@openai/agents';
import type { ChatResponse, ToolCall } from 'ollama';

/** What an Ollama reply adds up to, however it arrived. */
interface OllamaReply {
  content: string;
  thinking: string;
  toolCalls: ToolCall[];
  /** 0 when Ollama leaves a counter out (it may, e.g. for a fully cached prompt). */
  inputTokens: number;
  outputTokens: number;
}

/** The SDK model response for a non-streamed Ollama reply. */
export function toModelResponse(response: ChatResponse): ModelResponse {
  const reply = replyOf(response, response.message.content, response.message.thinking ?? '', response.message.tool_calls ?? []);
  return {
    responseId: newResponseId(),
    output: outputItems(reply),
    usage: new Usage({
      requests: 1,
      inputTokens: reply.inputTokens,
      outputTokens: reply.outputTokens,
      totalTokens: reply.inputTokens + reply.outputTokens,
    }),
    providerData: { model: response.model, done_reason: response.done_reason },
  };
}

/**
 * The SDK stream events for an Ollama NDJSON stream: `response_started`,
 * then per chunk the raw chunk (`model`) and any text (`output_text_delta`),
 * and finally `response_done` with the complete output and usage.
 */
export async function* toStreamEvents(chunks: AsyncIterable<ChatResponse>): AsyncGenerator<StreamEvent> {
  yield { type: 'response_started' };
  let content = '';
  let thinking = '';
  const toolCalls: ToolCall[] = [];
  let last: ChatResponse | undefined;
  for await (const chunk of chunks) {
    last = chunk;
    yield { type: 'model', event: chunk };
    const { message } = chunk;
    thinking += message.thinking ?? '';
    toolCalls.push(...(message.tool_calls ?? []));
    if (message.content) {
      content += message.content;
      yield { type: 'output_text_delta', delta: message.content };
    }
  }
  if (!last?.done) throw new Error('The Ollama stream ended before its final ("done") message.');
  const reply = replyOf(last, content, thinking, toolCalls);
  yield {
    type: 'response_done',
    response: {
      id: newResponseId(),
      output: outputItems(reply),
      usage: {
        requests: 1,
        inputTokens: reply.inputTokens,
        outputTokens: reply.outputTokens,
        totalTokens: reply.inputTokens + reply.outputTokens,
      },
      providerData: { model: last.model, done_reason: last.done_reason },
    },
  };
}

function replyOf(final: ChatResponse, content: string, thinking: string, toolCalls: ToolCall[]): OllamaReply {
  return {
    content,
    thinking,
    toolCalls,
    inputTokens: final.prompt_eval_count ?? 0,
    outputTokens: final.eval_count ?? 0,
  };
}

/**
 * Output items in the order the Responses API uses: reasoning, message,
 * function calls. Items carry no `id`: an invented one would make the
 * Responses API look the item up as stored if the history is later sent
 * there. Ollama gives tool calls no ids, so each gets a fresh call id.
 */
function outputItems(reply: OllamaReply): protocol.OutputModelItem[] {
  const items: protocol.OutputModelItem[] = [];
  if (reply.thinking) {
    items.push({ type: 'reasoning', content: [], rawContent: [{ type: 'reasoning_text', text: reply.thinking }] });
  }
  // An empty reply still needs a message, or the run would have no final output.
  if (reply.content || reply.toolCalls.length === 0) {
    items.push({
      type: 'message',
      role: 'assistant',
      status: 'completed',
      content: [{ type: 'output_text', text: reply.content }],
    });
  }
  for (const call of reply.toolCalls) {
    items.push({
      type: 'function_call',
      callId: `call_${randomUUID().replaceAll('-', '')}`,
      name: call.function.name,
      arguments: JSON.stringify(call.function.arguments),
      status: 'completed',
    });
  }
  return items;
}

function newResponseId(): string {
  return `ollama-${randomUUID()}`;
}
