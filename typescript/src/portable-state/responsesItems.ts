import type { AgentInputItem } from '@openai/agents';

/**
 * Converts between the JS SDK's conversation items (camelCase, e.g. `callId`,
 * `function_call_result`) and the OpenAI Responses API input item format
 * (snake_case, `call_id`, `function_call_output`) that the Python SDK uses
 * natively. The Responses format is the language-neutral form Timestep stores.
 *
 * Fields a format has no place for travel in the SDK's `providerData` (JS)
 * and as extra top-level keys (Responses), the same convention the SDK uses
 * when it talks to the API.
 */

/** A Responses API input item: a plain JSON object with snake_case keys. */
export type ResponsesItem = Record<string, unknown>;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function renameKeys(value: unknown, rename: (key: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => renameKeys(v, rename));
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [rename(k), renameKeys(v, rename)]));
}

function definedOnly(object: Json): Json {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined));
}

/** Spreads `providerData` into the item (snake_case), as the SDK does for the API. */
function withProviderData(item: Json, providerData: unknown): Json {
  return isObject(providerData) ? { ...(renameKeys(providerData, snake) as Json), ...item } : item;
}

/** Collects keys the JS shape has no field for into `providerData`. */
function withExtras(item: Json, source: Json, known: readonly string[]): Json {
  const extras = Object.fromEntries(Object.entries(source).filter(([k]) => !known.includes(k)));
  return Object.keys(extras).length > 0 ? { ...item, providerData: renameKeys(extras, camel) } : item;
}

// ---------------------------------------------------------------- to Responses

function contentPartToResponses(part: unknown): unknown {
  if (!isObject(part)) return part;
  const { providerData, ...rest } = part;
  switch (part.type) {
    case 'input_image': {
      const { image, ...others } = rest;
      return withProviderData(
        definedOnly({
          ...(renameKeys(others, snake) as Json),
          image_url: typeof image === 'string' ? image : undefined,
          file_id: isObject(image) ? image.id : undefined,
        }),
        providerData,
      );
    }
    case 'input_file': {
      const { file, ...others } = rest;
      const isUrl = typeof file === 'string' && /^https?:/.test(file);
      return withProviderData(
        definedOnly({
          ...(renameKeys(others, snake) as Json),
          file_data: typeof file === 'string' && !isUrl ? file : undefined,
          file_url: isUrl ? file : isObject(file) && typeof file.url === 'string' ? file.url : undefined,
          file_id: isObject(file) && typeof file.id === 'string' ? file.id : undefined,
        }),
        providerData,
      );
    }
    default:
      return withProviderData(renameKeys(rest, snake) as Json, providerData);
  }
}

function toolOutputToResponses(output: unknown): unknown {
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) return output.map(contentPartToResponses);
  if (isObject(output)) {
    if (output.type === 'text') return output.text;
    if (output.type === 'image') {
      const image = output.image;
      return [
        definedOnly({
          type: 'input_image',
          image_url: typeof image === 'string' ? image : isObject(image) ? image.url : undefined,
          file_id: isObject(image) ? image.fileId : undefined,
          detail: output.detail,
        }),
      ];
    }
  }
  return renameKeys(output, snake);
}

/** One JS SDK item in the Responses API input format. */
export function toResponsesItem(item: AgentInputItem): ResponsesItem {
  const source = item as unknown as Json;
  const { providerData, ...rest } = source;
  if ('role' in source) {
    const content = Array.isArray(rest.content) ? rest.content.map(contentPartToResponses) : rest.content;
    return withProviderData(definedOnly({ ...(renameKeys(rest, snake) as Json), content }), providerData);
  }
  switch (source.type) {
    case 'function_call_result': {
      // The API's function_call_output has no name (it rejects one); readers
      // recover it from the call with the same call_id.
      const { type: _type, name: _name, output, ...others } = rest;
      return withProviderData(
        { ...(renameKeys(others, snake) as Json), type: 'function_call_output', output: toolOutputToResponses(output) },
        providerData,
      );
    }
    case 'reasoning': {
      const { content, rawContent, ...others } = rest;
      const pd = isObject(providerData) ? providerData : {};
      const { encryptedContent, ...otherProviderData } = pd;
      return withProviderData(
        definedOnly({
          ...(renameKeys(others, snake) as Json),
          summary: Array.isArray(content)
            ? content.map((c: Json) => ({ type: 'summary_text', text: c.text }))
            : [],
          content: Array.isArray(rawContent) ? rawContent.map((c: Json) => ({ type: 'reasoning_text', text: c.text })) : undefined,
          encrypted_content: encryptedContent,
        }),
        otherProviderData,
      );
    }
    default:
      return withProviderData(renameKeys(rest, snake) as Json, providerData);
  }
}

// -------------------------------------------------------------- from Responses

const INPUT_PART_FIELDS: Record<string, readonly string[]> = {
  input_text: ['type', 'text', 'prompt_cache_breakpoint'],
  input_image: ['type', 'image_url', 'file_id', 'detail', 'prompt_cache_breakpoint'],
  input_file: ['type', 'file_data', 'file_url', 'file_id', 'filename', 'prompt_cache_breakpoint'],
  output_text: ['type', 'text'],
  refusal: ['type', 'refusal'],
};

function contentPartFromResponses(part: unknown): unknown {
  if (!isObject(part) || typeof part.type !== 'string' || !(part.type in INPUT_PART_FIELDS)) {
    return renameKeys(part, camel);
  }
  let converted: Json;
  if (part.type === 'input_image') {
    converted = definedOnly({
      type: 'input_image',
      image: typeof part.image_url === 'string' ? part.image_url : typeof part.file_id === 'string' ? { id: part.file_id } : undefined,
      detail: part.detail,
      promptCacheBreakpoint: part.prompt_cache_breakpoint,
    });
  } else if (part.type === 'input_file') {
    converted = definedOnly({
      type: 'input_file',
      file: part.file_data ?? (typeof part.file_url === 'string' ? { url: part.file_url } : undefined) ??
        (typeof part.file_id === 'string' ? { id: part.file_id } : undefined),
      filename: part.filename,
      promptCacheBreakpoint: part.prompt_cache_breakpoint,
    });
  } else {
    const known = INPUT_PART_FIELDS[part.type];
    converted = renameKeys(Object.fromEntries(Object.entries(part).filter(([k]) => known.includes(k))), camel) as Json;
  }
  return withExtras(converted, part, INPUT_PART_FIELDS[part.type]);
}

function toolOutputFromResponses(output: unknown): unknown {
  if (typeof output === 'string') return { type: 'text', text: output };
  if (Array.isArray(output)) return output.map(contentPartFromResponses);
  return renameKeys(output, camel);
}

const MESSAGE_FIELDS = ['type', 'role', 'content', 'id', 'status', 'phase'];
const FUNCTION_CALL_FIELDS = ['type', 'id', 'call_id', 'name', 'namespace', 'status', 'arguments', 'caller'];
const FUNCTION_OUTPUT_FIELDS = ['type', 'id', 'call_id', 'name', 'namespace', 'status', 'output', 'caller'];
const REASONING_FIELDS = ['type', 'id', 'summary', 'content', 'encrypted_content', 'status'];

/**
 * One Responses API item as a JS SDK item. `toolNames` maps call ids to tool
 * names: JS tool results carry the name, Responses outputs only the call id.
 */
export function fromResponsesItem(item: ResponsesItem, toolNames: ReadonlyMap<string, string> = new Map()): AgentInputItem {
  if ('role' in item) {
    const known = Object.fromEntries(Object.entries(item).filter(([k]) => MESSAGE_FIELDS.includes(k)));
    const content = Array.isArray(item.content) ? item.content.map(contentPartFromResponses) : item.content;
    return withExtras({ ...known, content }, item, MESSAGE_FIELDS) as unknown as AgentInputItem;
  }
  switch (item.type) {
    case 'function_call': {
      const known = Object.fromEntries(Object.entries(item).filter(([k]) => FUNCTION_CALL_FIELDS.includes(k)));
      const converted = withExtras(renameKeys(known, camel) as Json, item, FUNCTION_CALL_FIELDS);
      // The SDK's own reading of a Responses function_call keeps `type` in
      // providerData as well; do the same so items equal the ones it makes.
      const providerData = { type: 'function_call', ...(converted.providerData as Json | undefined) };
      return { ...converted, providerData } as unknown as AgentInputItem;
    }
    case 'function_call_output': {
      const { output, ...others } = Object.fromEntries(
        Object.entries(item).filter(([k]) => FUNCTION_OUTPUT_FIELDS.includes(k)),
      );
      const callId = String(item.call_id);
      return withExtras(
        {
          ...(renameKeys(others, camel) as Json),
          type: 'function_call_result',
          name: typeof item.name === 'string' ? item.name : (toolNames.get(callId) ?? ''),
          status: item.status ?? 'completed',
          output: toolOutputFromResponses(output),
        },
        item,
        FUNCTION_OUTPUT_FIELDS,
      ) as unknown as AgentInputItem;
    }
    case 'reasoning': {
      const summary = Array.isArray(item.summary) ? (item.summary as Json[]) : [];
      const raw = Array.isArray(item.content) ? (item.content as Json[]) : undefined;
      const converted = definedOnly({
        type: 'reasoning',
        id: item.id,
        content: summary.map((s) => ({ type: 'input_text', text: s.text })),
        rawContent: raw?.map((c) => ({ type: 'reasoning_text', text: c.text })),
      });
      const withEncrypted =
        typeof item.encrypted_content === 'string'
          ? { ...converted, providerData: { encryptedContent: item.encrypted_content } }
          : converted;
      const extras = withExtras({}, item, REASONING_FIELDS).providerData as Json | undefined;
      return (extras ? { ...withEncrypted, providerData: { ...(withEncrypted.providerData as Json), ...extras } } : withEncrypted) as unknown as AgentInputItem;
    }
    default:
      return renameKeys(item, camel) as AgentInputItem;
  }
}

/** Call id → tool name for every function call among `items`. */
export function toolNamesByCallId(items: readonly ResponsesItem[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const item of items) {
    if (item.type === 'function_call' && typeof item.call_id === 'string' && typeof item.name === 'string') {
      names.set(item.call_id, item.name);
    }
  }
  return names;
}
