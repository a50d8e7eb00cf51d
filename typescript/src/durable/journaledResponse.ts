import { isDeepStrictEqual } from 'node:util';
import { Usage, type AgentInputItem, type AgentOutputItem, type ModelResponse } from '@openai/agents';
import { fromResponsesItem, toResponsesItem } from '../portable-state/responsesItems.js';
import type { ModelResponseBody, ProviderDataCopy } from './journal.js';

/**
 * A model response as a journal entry and back. The output is kept in the
 * Responses API item format and usage in its snake_case names, so a resumer
 * in either language replays it (spec/run-journal).
 */

type Details = Array<Record<string, number>> | Record<string, number> | undefined;

/** The SDK keeps one details record per request; a response is one request, but sum to be safe. */
function mergedDetails(details: Details): Record<string, number> {
  const records = Array.isArray(details) ? details : details ? [details] : [];
  const merged: Record<string, number> = {};
  for (const record of records) {
    for (const [key, value] of Object.entries(record)) merged[key] = (merged[key] ?? 0) + value;
  }
  return merged;
}

/**
 * The values of the body that a Responses API raw response repeats: its id,
 * output items and usage (the body's usage counts `requests` as well).
 */
function copiesIn(body: ModelResponseBody): Record<ProviderDataCopy, unknown> {
  const { requests: _requests, ...usage } = body.usage;
  return { id: body.response_id, output: body.output, usage };
}

/**
 * The JS SDK keeps the whole raw response as providerData, which repeats the
 * body's id, output and usage and made up most of a journal entry. Only a copy
 * equal to the body's value is left out, so replay restores the raw response
 * exactly; anything else (another provider's format) is kept as it came.
 */
function withoutCopies(body: ModelResponseBody, raw: Record<string, unknown> | undefined): ModelResponseBody {
  if (!raw) return body;
  const copies = copiesIn(body);
  const omitted = (Object.keys(copies) as ProviderDataCopy[]).filter((key) => isDeepStrictEqual(raw[key], copies[key]));
  const kept = Object.fromEntries(Object.entries(raw).filter(([key]) => !omitted.includes(key as ProviderDataCopy)));
  return { ...body, provider_data: kept, ...(omitted.length > 0 ? { provider_data_copies: omitted } : {}) };
}

function providerDataOf(body: ModelResponseBody): Record<string, unknown> | undefined {
  if (body.provider_data === null) return undefined;
  const copies = copiesIn(body);
  return { ...body.provider_data, ...Object.fromEntries((body.provider_data_copies ?? []).map((key) => [key, structuredClone(copies[key])])) };
}

export function responseToJournal(response: ModelResponse, ordinal: number, inputItems: number): ModelResponseBody {
  const usage = response.usage;
  const body: ModelResponseBody = {
    ordinal,
    input_items: inputItems,
    response_id: response.responseId ?? null,
    request_id: response.requestId ?? null,
    usage: {
      requests: usage.requests,
      input_tokens: usage.inputTokens,
      output_tokens: usage.outputTokens,
      total_tokens: usage.totalTokens,
      input_tokens_details: mergedDetails(usage.inputTokensDetails),
      output_tokens_details: mergedDetails(usage.outputTokensDetails),
    },
    // Output items are input items of the next turn; the same converter serves both.
    output: response.output.map((item) => toResponsesItem(item as AgentInputItem)),
    provider_data: null,
  };
  return withoutCopies(body, response.providerData);
}

export function responseFromJournal(body: ModelResponseBody): ModelResponse {
  const usage = body.usage as {
    requests: number;
    input_tokens: number;
    output_tokens: number;
    total_tokens: number;
    input_tokens_details?: Record<string, number>;
    output_tokens_details?: Record<string, number>;
  };
  return {
    usage: new Usage({
      requests: usage.requests,
      input_tokens: usage.input_tokens,
      output_tokens: usage.output_tokens,
      total_tokens: usage.total_tokens,
      input_tokens_details: usage.input_tokens_details ?? {},
      output_tokens_details: usage.output_tokens_details ?? {},
    }),
    output: body.output.map((item) => fromResponsesItem(item) as AgentOutputItem),
    ...(body.response_id !== null ? { responseId: body.response_id } : {}),
    ...(body.request_id !== null ? { requestId: body.request_id } : {}),
    ...(body.provider_data !== null ? { providerData: providerDataOf(body) } : {}),
  };
}
