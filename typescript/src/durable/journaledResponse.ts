import { Usage, type AgentInputItem, type AgentOutputItem, type ModelRequest, type ModelResponse } from '@openai/agents';
import { fromResponsesItem, toResponsesItem } from '../portable-state/responsesItems.js';
import type { JournalUsage, ModelResponseBody } from './journal.js';

/**
 * A model response as a journal entry and back. The output is kept in the
 * Responses API item format and usage in its snake_case names, so a resumer
 * in either language replays it (spec/run-journal).
 */

type Details = Array<Record<string, number>> | Record<string, number> | undefined;

/**
 * The SDK keeps one details record per request; a response is one request,
 * but sum to be safe. Absent when every count is zero, which is what a reader
 * assumes for a missing record (as the Python SDK's deserialize_usage does).
 */
function journaledDetails(details: Details): Record<string, number> | undefined {
  const records = Array.isArray(details) ? details : details ? [details] : [];
  const merged: Record<string, number> = {};
  for (const record of records) {
    for (const [key, value] of Object.entries(record)) merged[key] = (merged[key] ?? 0) + value;
  }
  return Object.values(merged).some((count) => count !== 0) ? merged : undefined;
}

/**
 * The journal keeps what a replay in either language needs. The provider's
 * raw response (the JS SDK's providerData: for the Responses API the whole
 * response, repeating the output, the usage, the request's tools and
 * instructions) is left out: it was most of an entry, and a response
 * journaled by Python never had one.
 */
export function responseToJournal(response: ModelResponse, inputItems: number): ModelResponseBody {
  return {
    input_items: inputItems,
    ...(response.responseId ? { response_id: response.responseId } : {}),
    ...(response.requestId ? { request_id: response.requestId } : {}),
    usage: usageToJournal(response.usage),
    // Output items are input items of the next turn; the same converter serves both.
    output: response.output.map((item) => toResponsesItem(item as AgentInputItem)),
  };
}

/** Usage without the fields that hold what a reader assumes when they are absent (`JournalUsage`). */
function usageToJournal(usage: Usage): JournalUsage {
  const inputDetails = journaledDetails(usage.inputTokensDetails);
  const outputDetails = journaledDetails(usage.outputTokensDetails);
  return {
    ...(usage.requests !== 1 ? { requests: usage.requests } : {}),
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    ...(usage.totalTokens !== usage.inputTokens + usage.outputTokens ? { total_tokens: usage.totalTokens } : {}),
    ...(inputDetails ? { input_tokens_details: inputDetails } : {}),
    ...(outputDetails ? { output_tokens_details: outputDetails } : {}),
  };
}

export function responseFromJournal(body: ModelResponseBody): ModelResponse {
  const { usage } = body;
  return {
    usage: new Usage({
      requests: usage.requests ?? 1,
      input_tokens: usage.input_tokens,
      output_tokens: usage.output_tokens,
      total_tokens: usage.total_tokens ?? usage.input_tokens + usage.output_tokens,
      input_tokens_details: usage.input_tokens_details ?? { cached_tokens: 0 },
      output_tokens_details: usage.output_tokens_details ?? { reasoning_tokens: 0 },
    }),
    output: body.output.map((item) => fromResponsesItem(item) as AgentOutputItem),
    // Null in journals written before the ids were left out when absent.
    ...(body.response_id != null ? { responseId: body.response_id } : {}),
    ...(body.request_id != null ? { requestId: body.request_id } : {}),
  };
}

const folded = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * A replayed response with its calls named as this SDK names their tools.
 * The SDKs spell default tool names differently: a handoff's
 * (`transfer_to_Billing_Desk` in JS, `transfer_to_billing_desk` in Python) and
 * an agent used as a tool (`Billing_Desk`, `billing_desk`). So a response the
 * other language journaled may ask for a tool this SDK would not find: a call
 * whose name the request does not offer takes the name of the one offered tool
 * or handoff it equals folded (lowercased, non-alphanumerics dropped), as the
 * portable run state does for handoffs.
 */
export function withOwnToolNames(response: ModelResponse, request: ModelRequest): ModelResponse {
  const offered = [
    ...request.handoffs.map((handoff) => handoff.toolName),
    ...request.tools.flatMap((tool) => ('name' in tool ? [tool.name] : [])),
  ];
  const ownName = (name: string) => {
    if (offered.includes(name)) return name;
    const matches = offered.filter((offeredName) => folded(offeredName) === folded(name));
    return matches.length === 1 ? matches[0] : name;
  };
  return {
    ...response,
    output: response.output.map((item) => (item.type === 'function_call' ? { ...item, name: ownName(item.name) } : item)),
  };
}
