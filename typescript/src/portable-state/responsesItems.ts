import type { AgentInputItem } from '@openai/agents';

/**
 * Converts between the JS SDK's conversation items (camelCase, e.g. `callId`,
 * `function_call_result`, `hosted_tool_call`) and the OpenAI Responses API
 * input items (snake_case, `call_id`, `function_call_output`,
 * `web_search_call`) that the Python SDK uses natively. The Responses form is
 * the language-neutral one Timestep stores; the vectors in
 * `spec/session-items/` pin both forms of every item type.
 *
 * The mapping mirrors the JS SDK's own: `convertToOutputItem` (API output →
 * SDK item) one way and `getInputItems` (SDK item → API input) the other, so a
 * converted item is the one the SDK would have made and sends what the API
 * accepts. Fields the SDK item has no place for travel verbatim in its
 * `providerData`, which the SDK spreads back into the API item; opaque values
 * (`encrypted_content`, tool payloads) are never re-cased. A Responses item
 * with no SDK shape (developer messages, item references, local shell, custom
 * tools, …) becomes the SDK's `unknown` item, whose `providerData` is the
 * whole Responses item: the SDK passes it to the model as it is.
 */

/** A Responses API input item: a plain JSON object with snake_case keys. */
export type ResponsesItem = Record<string, unknown>;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string';

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function definedOnly(object: Json): Json {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined));
}

/**
 * `providerData` as the SDK spreads it into an API item: top-level keys in
 * snake_case (SDK code writes e.g. `acknowledgedSafetyChecks`), minus the
 * fields the item sets itself. Nested values are opaque and kept as they are.
 */
function spread(providerData: unknown, reserved: readonly string[] = []): Json {
  if (!isObject(providerData)) return {};
  const out: Json = {};
  for (const [key, value] of Object.entries(providerData)) {
    const name = snake(key);
    if (!reserved.includes(name) && value !== undefined) out[name] = value;
  }
  return out;
}

/**
 * An API item: `providerData` spread (minus `reserved`) under the item's own
 * fields; a field left undefined never hides a providerData value.
 */
function apiItem(providerData: unknown, reserved: readonly string[], fields: Json): ResponsesItem {
  return { ...spread(providerData, reserved), ...definedOnly(fields) };
}

/** Whether the SDK item `js` holds the Responses field `key` (e.g. `call_id` as `callId`). */
function snakeKeyUsed(js: Json, key: string): boolean {
  return key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) in js;
}

/** Adds the fields of `source` not in `consumed` to the SDK item's `providerData`, verbatim. */
function keepRest(item: Json, source: Json, consumed: readonly string[]): Json {
  const rest = Object.fromEntries(Object.entries(source).filter(([key]) => !consumed.includes(key)));
  return Object.keys(rest).length > 0 ? { ...item, providerData: rest } : item;
}

/** A `caller` in the SDK's form, or undefined when it has none. */
function callerFromResponses(caller: unknown): Json | undefined {
  if (!isObject(caller) || Object.keys(caller).some((key) => key !== 'type' && key !== 'caller_id')) return undefined;
  if (caller.type === 'direct' && !('caller_id' in caller)) return { type: 'direct' };
  if (caller.type === 'program' && isString(caller.caller_id)) return { type: 'program', callerId: caller.caller_id };
  return undefined;
}

function callerToResponses(caller: unknown): Json | undefined {
  if (!isObject(caller)) return undefined;
  return caller.type === 'program' ? { type: 'program', caller_id: caller.callerId } : { type: caller.type };
}

/** Moves a convertible `caller` from `source` to `item`; returns the keys consumed. */
function withCaller(item: Json, source: Json): { item: Json; consumed: string[] } {
  const caller = callerFromResponses(source.caller);
  return caller ? { item: { ...item, caller }, consumed: ['caller'] } : { item, consumed: [] };
}

// ------------------------------------------------------------ message content

const INPUT_PARTS = new Set(['input_text', 'input_image', 'input_file']);

/** An input content part in the SDK's form, or undefined when it has none. */
function inputPartFromResponses(part: unknown): Json | undefined {
  if (!isObject(part) || !INPUT_PARTS.has(String(part.type))) return undefined;
  const breakpoint = part.prompt_cache_breakpoint;
  const common = { promptCacheBreakpoint: breakpoint };
  if (part.type === 'input_text') {
    if (!isString(part.text)) return undefined;
    return keepRest(definedOnly({ type: 'input_text', text: part.text, ...common }), part, ['type', 'text', 'prompt_cache_breakpoint']);
  }
  if (part.type === 'input_image') {
    const image = isString(part.image_url) ? part.image_url : isString(part.file_id) ? { id: part.file_id } : undefined;
    if (isString(part.image_url) && isString(part.file_id)) return undefined;
    if (part.detail !== undefined && !isString(part.detail)) return undefined;
    return keepRest(
      definedOnly({ type: 'input_image', image, detail: part.detail, ...common }),
      part,
      ['type', 'image_url', 'file_id', 'detail', 'prompt_cache_breakpoint'],
    );
  }
  const sources = ['file_data', 'file_url', 'file_id'].filter((key) => part[key] !== undefined);
  if (sources.length > 1 || (part.filename !== undefined && !isString(part.filename))) return undefined;
  let file: unknown;
  if (isString(part.file_data)) {
    // The SDK reads a string file as inline data only in these two spellings.
    if (!/^data:/.test(part.file_data) && !/^[A-Za-z0-9+/=]+$/.test(part.file_data)) return undefined;
    file = part.file_data;
  } else if (isString(part.file_url)) file = { url: part.file_url };
  else if (isString(part.file_id)) file = { id: part.file_id };
  else if (sources.length > 0) return undefined;
  return keepRest(
    definedOnly({ type: 'input_file', file, filename: part.filename, ...common }),
    part,
    ['type', 'file_data', 'file_url', 'file_id', 'filename', 'prompt_cache_breakpoint'],
  );
}

function inputPartToResponses(part: unknown): unknown {
  if (!isObject(part)) return part;
  const breakpoint = part.promptCacheBreakpoint === undefined ? {} : { prompt_cache_breakpoint: part.promptCacheBreakpoint };
  switch (part.type) {
    case 'input_text':
      return { type: 'input_text', text: part.text, ...breakpoint, ...spread(part.providerData, ['type', 'text']) };
    case 'input_image': {
      const image = part.image ?? part.imageUrl;
      return definedOnly({
        type: 'input_image',
        image_url: isString(image) ? image : undefined,
        file_id: isObject(image) ? image.id : isString(part.fileId) ? part.fileId : undefined,
        detail: part.detail,
        ...breakpoint,
        ...spread(part.providerData, ['type', 'detail', 'image_url', 'file_id']),
      });
    }
    case 'input_file': {
      const file = part.file;
      const isUrl = isString(file) && /^https?:\/\//.test(file.trim());
      return definedOnly({
        type: 'input_file',
        file_data: isString(file) && !isUrl ? file : undefined,
        file_url: isUrl ? file : isObject(file) && isString(file.url) ? file.url : undefined,
        file_id: isObject(file) && isString(file.id) ? file.id : undefined,
        filename: part.filename,
        ...breakpoint,
        ...spread(part.providerData, ['type', 'file_data', 'file_url', 'file_id', 'filename']),
      });
    }
    default: {
      const { providerData, ...rest } = part;
      return { ...spread(providerData), ...spread(rest) };
    }
  }
}

function outputPartFromResponses(part: unknown): Json | undefined {
  if (!isObject(part)) return undefined;
  if (part.type === 'output_text' && isString(part.text)) {
    return keepRest({ type: 'output_text', text: part.text }, part, ['type', 'text']);
  }
  if (part.type === 'refusal' && isString(part.refusal)) {
    return keepRest({ type: 'refusal', refusal: part.refusal }, part, ['type', 'refusal']);
  }
  return undefined;
}

function outputPartToResponses(part: unknown): unknown {
  if (!isObject(part)) return part;
  if (part.type === 'output_text') {
    const annotations = isObject(part.providerData) ? part.providerData.annotations : undefined;
    return {
      type: 'output_text',
      text: part.text,
      annotations: Array.isArray(annotations) ? annotations : [],
      ...spread(part.providerData, ['type', 'text', 'annotations']),
    };
  }
  if (part.type === 'refusal') {
    return { type: 'refusal', refusal: part.refusal, ...spread(part.providerData, ['type', 'refusal']) };
  }
  const { providerData, ...rest } = part;
  return { ...spread(providerData), ...spread(rest) };
}

// ---------------------------------------------------------------- messages

const MESSAGE_STATUSES = new Set(['in_progress', 'completed', 'incomplete']);

function messageFromResponses(item: Json): Json | undefined {
  const base = definedOnly({ type: item.type, id: isString(item.id) ? item.id : undefined });
  if (item.type !== undefined && item.type !== 'message') return undefined;
  if (item.id !== undefined && !isString(item.id)) return undefined;
  if (item.role === 'user') {
    if (item.phase !== undefined) return undefined;
    let content: unknown = item.content;
    if (Array.isArray(item.content)) {
      const parts = item.content.map(inputPartFromResponses);
      if (parts.some((part) => part === undefined)) return undefined;
      content = parts;
    } else if (!isString(item.content)) return undefined;
    return keepRest({ ...base, role: 'user', content }, item, ['type', 'id', 'role', 'content']);
  }
  if (item.role === 'system') {
    if (!isString(item.content) || item.phase !== undefined) return undefined;
    return keepRest({ ...base, role: 'system', content: item.content }, item, ['type', 'id', 'role', 'content']);
  }
  if (item.role === 'assistant') {
    if (!Array.isArray(item.content) || !MESSAGE_STATUSES.has(String(item.status))) return undefined;
    if (item.phase !== undefined && item.phase !== 'commentary' && item.phase !== 'final_answer') return undefined;
    const content = item.content.map(outputPartFromResponses);
    if (content.some((part) => part === undefined)) return undefined;
    return keepRest(
      definedOnly({ ...base, role: 'assistant', status: item.status, phase: item.phase, content }),
      item,
      ['type', 'id', 'role', 'content', 'status', 'phase'],
    );
  }
  return undefined; // developer messages and anything else: no SDK message shape
}

function messageToResponses(item: Json): ResponsesItem {
  if (item.role === 'assistant') {
    return apiItem(item.providerData, ['type', 'id', 'role', 'content', 'status', 'phase'], {
      type: item.type,
      id: item.id,
      role: item.role,
      content: Array.isArray(item.content) ? item.content.map(outputPartToResponses) : item.content,
      status: item.status,
      phase: item.phase,
    });
  }
  return apiItem(item.providerData, ['type', 'id', 'role', 'content'], {
    type: item.type,
    id: item.id,
    role: item.role,
    content: Array.isArray(item.content) ? item.content.map(inputPartToResponses) : item.content,
  });
}

// ------------------------------------------------------------ function tools

function functionCallFromResponses(item: Json): Json | undefined {
  if (!isString(item.call_id) || !isString(item.name) || !isString(item.arguments)) return undefined;
  const { item: js, consumed } = withCaller(
    definedOnly({
      type: 'function_call',
      id: isString(item.id) ? item.id : undefined,
      callId: item.call_id,
      name: item.name,
      namespace: isString(item.namespace) ? item.namespace : undefined,
      status: MESSAGE_STATUSES.has(String(item.status)) ? item.status : undefined,
      arguments: item.arguments,
    }),
    item,
  );
  const used = ['type', 'id', 'call_id', 'name', 'arguments', 'namespace', 'status', ...consumed].filter(
    (key) => key === 'type' || key === 'caller' || snakeKeyUsed(js, key),
  );
  const rest = keepRest({}, item, used);
  // The SDK's own reading of a Responses function_call keeps `type` in
  // providerData as well; do the same so items equal the ones it makes.
  return { ...js, providerData: { type: 'function_call', ...(rest.providerData as Json | undefined) } };
}

function functionCallToResponses(item: Json): ResponsesItem {
  return apiItem(item.providerData, ['id', 'type', 'name', 'call_id', 'arguments', 'status', 'namespace', 'caller'], {
    type: 'function_call',
    id: item.id,
    call_id: item.callId,
    name: item.name,
    namespace: item.namespace,
    arguments: item.arguments,
    status: item.status,
    caller: callerToResponses(item.caller),
  });
}

/** Tool output in the SDK's form: text as its legacy `{type: 'text'}`, as the SDK's runner makes it. */
function toolOutputFromResponses(output: unknown): unknown {
  if (isString(output)) return { type: 'text', text: output };
  if (!Array.isArray(output)) return undefined;
  const parts = output.map(inputPartFromResponses);
  return parts.some((part) => part === undefined) ? undefined : parts;
}

function toolOutputToResponses(output: unknown): unknown {
  if (isString(output)) return output;
  if (Array.isArray(output)) return output.map(inputPartToResponses);
  if (!isObject(output)) return String(output);
  if (output.type === 'text') return output.text;
  if (output.type === 'image') {
    const image = output.image;
    const url = isString(image) ? image : isObject(image) && isString(image.url) ? image.url : undefined;
    const data = isObject(image) && isString(image.data) ? image.data : undefined;
    const mediaType = isObject(image) && isString(image.mediaType) ? image.mediaType : 'image/png';
    return [
      definedOnly({
        type: 'input_image',
        image_url: url ?? (data === undefined ? undefined : data.startsWith('data:') ? data : `data:${mediaType};base64,${data}`),
        file_id: isObject(image) ? (image.fileId ?? image.id) : undefined,
        detail: output.detail,
      }),
    ];
  }
  if (output.type === 'file') {
    const file = output.file;
    const data = isObject(file) && isString(file.data) ? file.data : undefined;
    return [
      definedOnly({
        type: 'input_file',
        file_data: isString(file)
          ? file
          : data === undefined
            ? undefined
            : data.startsWith('data:') ? data : `data:${isObject(file) ? file.mediaType : 'text/plain'};base64,${data}`,
        file_url: isObject(file) && isString(file.url) ? file.url : undefined,
        file_id: isObject(file) ? (file.id ?? file.fileId) : undefined,
        filename: isObject(file) ? file.filename : undefined,
      }),
    ];
  }
  return String(output);
}

function functionOutputFromResponses(item: Json, toolNames: ReadonlyMap<string, string>): Json | undefined {
  const output = toolOutputFromResponses(item.output);
  if (!isString(item.call_id) || output === undefined) return undefined;
  const name = isString(item.name) ? item.name : toolNames.get(item.call_id);
  const { item: js, consumed } = withCaller(
    definedOnly({
      type: 'function_call_result',
      id: isString(item.id) ? item.id : undefined,
      callId: item.call_id,
      name: name ?? '',
      namespace: isString(item.namespace) ? item.namespace : undefined,
      status: item.status ?? 'completed',
      output,
    }),
    item,
  );
  if (!MESSAGE_STATUSES.has(String(js.status))) return undefined;
  // A name or namespace the Responses item carried stays in providerData as
  // well, so it goes back to the API (the SDK sends neither from its fields).
  return keepRest(js, item, ['type', 'id', 'call_id', 'status', 'output', ...consumed]);
}

function functionOutputToResponses(item: Json): ResponsesItem {
  // The API's function_call_output takes no name (the SDK sends none);
  // readers recover it from the call with the same call_id.
  return apiItem(item.providerData, ['type', 'id', 'call_id', 'output', 'status', 'caller'], {
    type: 'function_call_output',
    id: item.id,
    call_id: item.callId,
    output: toolOutputToResponses(item.output),
    status: item.status,
    caller: callerToResponses(item.caller),
  });
}

// ------------------------------------------------------------------ reasoning

function reasoningFromResponses(item: Json): Json | undefined {
  if (!Array.isArray(item.summary)) return undefined;
  const summary = item.summary as unknown[];
  if (!summary.every((part) => isObject(part) && part.type === 'summary_text' && isString(part.text) && Object.keys(part).length === 2)) {
    return undefined;
  }
  // Raw reasoning text and encrypted content stay in providerData, as in the
  // SDK's own items: that is where it reads them back from for the API.
  return keepRest(
    definedOnly({
      type: 'reasoning',
      id: isString(item.id) ? item.id : undefined,
      content: summary.map((part) => ({ type: 'input_text', text: (part as Json).text })),
    }),
    item,
    ['type', 'id', 'summary'],
  );
}

function reasoningToResponses(item: Json): ResponsesItem {
  const providerData = isObject(item.providerData) ? item.providerData : {};
  const encrypted = providerData.encrypted_content ?? providerData.encryptedContent;
  const raw = Array.isArray(item.rawContent)
    ? item.rawContent.map((part: Json) => ({ type: 'reasoning_text', text: part.text }))
    : undefined;
  return apiItem(providerData, ['id', 'type', 'summary', 'encrypted_content', 'encryptedContent'], {
    type: 'reasoning',
    id: item.id,
    summary: Array.isArray(item.content)
      ? item.content.map((part: Json) => ({ type: 'summary_text', text: part.text, ...spread(part.providerData, ['type', 'text']) }))
      : [],
    content: raw,
    encrypted_content: encrypted,
  });
}

// -------------------------------------------------------- hosted tool calls

/** Server-side tools: the SDK keeps these as `hosted_tool_call` with the whole API item in providerData. */
const HOSTED_TOOLS = new Set([
  'web_search_call',
  'file_search_call',
  'code_interpreter_call',
  'image_generation_call',
  'mcp_list_tools',
  'mcp_approval_request',
  'mcp_approval_response',
  'mcp_call',
]);

function hostedFromResponses(item: Json): Json {
  const type = String(item.type);
  const mcp = type.startsWith('mcp_');
  const caller = callerFromResponses(item.caller);
  // The whole API item stays in providerData (the SDK sends it back from
  // there), except the fields the SDK item holds itself. The SDK marks MCP
  // items completed whatever the API said; their own status stays here.
  const providerData = Object.fromEntries(
    Object.entries(item).filter(([key]) => !(key === 'caller' && caller) && !(key === 'status' && !mcp)),
  );
  return definedOnly({
    type: 'hosted_tool_call',
    id: isString(item.id) ? item.id : undefined,
    name: type,
    status: mcp ? (type === 'mcp_approval_response' ? undefined : 'completed') : isString(item.status) ? item.status : undefined,
    // The primary output, as the SDK shows it; the API item keeps its copy.
    output: type === 'image_generation_call' ? (item.result ?? undefined) : type === 'mcp_call' ? (item.output ?? undefined) : undefined,
    caller,
    providerData,
  });
}

function hostedToResponses(item: Json): ResponsesItem {
  const providerData = isObject(item.providerData) ? item.providerData : {};
  const type = String(providerData.type ?? item.name).replace(/^(web_search|file_search|code_interpreter|image_generation)$/, '$1_call');
  const caller = callerToResponses(item.caller);
  const base = { ...spread(providerData), ...definedOnly({ type, id: providerData.id ?? item.id }) };
  switch (type) {
    case 'web_search_call':
      return definedOnly({ ...base, status: item.status ?? providerData.status ?? 'failed' });
    case 'file_search_call':
      return definedOnly({ ...base, status: item.status ?? providerData.status ?? 'failed', queries: providerData.queries ?? [] });
    case 'code_interpreter_call':
      return definedOnly({
        ...base,
        code: providerData.code ?? '',
        outputs: providerData.outputs ?? providerData.results ?? [],
        status: item.status ?? providerData.status ?? 'failed',
        caller,
      });
    case 'image_generation_call':
      return definedOnly({ ...base, result: providerData.result ?? item.output ?? null, status: item.status ?? providerData.status ?? 'failed' });
    case 'mcp_call':
      return definedOnly({ ...base, output: providerData.output ?? item.output, caller });
    default:
      return definedOnly({ ...base, caller });
  }
}

// ------------------------------------------------- computer, shell, patches

function computerCallFromResponses(item: Json): Json | undefined {
  if (!isString(item.call_id) || !MESSAGE_STATUSES.has(String(item.status))) return undefined;
  const actions = Array.isArray(item.actions) && item.actions.length > 0 ? item.actions : undefined;
  if (!isObject(item.action) && !actions) return undefined;
  return keepRest(
    definedOnly({ type: 'computer_call', id: isString(item.id) ? item.id : undefined, callId: item.call_id, status: item.status, action: item.action, actions }),
    item,
    ['type', 'id', 'call_id', 'status', 'action', ...(actions ? ['actions'] : [])],
  );
}

function computerCallToResponses(item: Json): ResponsesItem {
  const providerData = isObject(item.providerData) ? item.providerData : {};
  return apiItem(providerData, ['type', 'call_id', 'id', 'action', 'actions', 'status'], {
    type: 'computer_call',
    id: item.id,
    call_id: item.callId,
    status: item.status,
    // The Responses item requires the list; the SDK's own items may lack it.
    pending_safety_checks: providerData.pending_safety_checks ?? providerData.pendingSafetyChecks ?? [],
    action: item.action,
    actions: item.actions,
  });
}

function computerOutputFromResponses(item: Json): Json | undefined {
  const output = item.output;
  // The SDK item holds a screenshot URL only; a file id has no place in it.
  if (!isString(item.call_id) || !isObject(output) || output.type !== 'computer_screenshot' || !isString(output.image_url)) return undefined;
  if (Object.keys(output).length !== 2) return undefined;
  return keepRest(
    definedOnly({
      type: 'computer_call_result',
      id: isString(item.id) ? item.id : undefined,
      callId: item.call_id,
      output: { type: 'computer_screenshot', data: output.image_url },
    }),
    item,
    ['type', 'id', 'call_id', 'output'],
  );
}

function computerOutputToResponses(item: Json): ResponsesItem {
  const output = isObject(item.output) ? item.output : {};
  return apiItem(item.providerData, ['type', 'id', 'call_id', 'output'], {
    type: 'computer_call_output',
    id: item.id,
    call_id: item.callId,
    output: { type: 'computer_screenshot', image_url: output.data },
  });
}

function shellCallFromResponses(item: Json): Json | undefined {
  const action = item.action;
  if (!isString(item.call_id) || !isObject(action) || !Array.isArray(action.commands)) return undefined;
  if (Object.keys(action).some((key) => !['commands', 'timeout_ms', 'max_output_length'].includes(key))) return undefined;
  const { item: js, consumed } = withCaller(
    definedOnly({
      type: 'shell_call',
      id: isString(item.id) ? item.id : undefined,
      callId: item.call_id,
      status: MESSAGE_STATUSES.has(String(item.status)) ? item.status : undefined,
      action: definedOnly({
        commands: action.commands,
        timeoutMs: typeof action.timeout_ms === 'number' ? action.timeout_ms : undefined,
        maxOutputLength: typeof action.max_output_length === 'number' ? action.max_output_length : undefined,
      }),
    }),
    item,
  );
  return keepRest(js, item, ['type', 'id', 'call_id', 'action', ...consumed, ...('status' in js ? ['status'] : [])]);
}

function shellCallToResponses(item: Json): ResponsesItem {
  const action = isObject(item.action) ? item.action : {};
  return apiItem(item.providerData, ['type', 'id', 'call_id', 'status', 'action', 'caller'], {
    type: 'shell_call',
    id: item.id,
    call_id: item.callId,
    status: item.status,
    // As the SDK sends it: unset limits as null.
    action: {
      commands: action.commands,
      timeout_ms: typeof action.timeoutMs === 'number' ? action.timeoutMs : null,
      max_output_length: typeof action.maxOutputLength === 'number' ? action.maxOutputLength : null,
    },
    caller: callerToResponses(item.caller),
  });
}

function shellOutputFromResponses(item: Json): Json | undefined {
  if (!isString(item.call_id) || !Array.isArray(item.output)) return undefined;
  const entries = item.output as unknown[];
  const fits = entries.every(
    (entry) =>
      isObject(entry) &&
      isString(entry.stdout) &&
      isString(entry.stderr) &&
      isObject(entry.outcome) &&
      Object.keys(entry).length === 3 &&
      (entry.outcome.type === 'timeout' ? Object.keys(entry.outcome).length === 1
        : entry.outcome.type === 'exit' && Object.keys(entry.outcome).length === 2 && typeof entry.outcome.exit_code === 'number'),
  );
  if (!fits) return undefined;
  const { item: js, consumed } = withCaller(
    definedOnly({
      type: 'shell_call_output',
      id: isString(item.id) ? item.id : undefined,
      callId: item.call_id,
      status: MESSAGE_STATUSES.has(String(item.status)) ? item.status : undefined,
      maxOutputLength: typeof item.max_output_length === 'number' ? item.max_output_length : undefined,
      output: (entries as Json[]).map((entry) => {
        const outcome = entry.outcome as Json;
        return {
          stdout: entry.stdout,
          stderr: entry.stderr,
          outcome: outcome.type === 'timeout' ? { type: 'timeout' } : { type: 'exit', exitCode: outcome.exit_code },
        };
      }),
    }),
    item,
  );
  const used = ['type', 'id', 'call_id', 'output', ...consumed];
  if ('status' in js) used.push('status');
  if ('maxOutputLength' in js) used.push('max_output_length');
  return keepRest(js, item, used);
}

function shellOutputToResponses(item: Json): ResponsesItem {
  const entries = Array.isArray(item.output) ? (item.output as Json[]) : [];
  return apiItem(item.providerData, ['type', 'id', 'call_id', 'status', 'output', 'max_output_length', 'caller'], {
    type: 'shell_call_output',
    id: item.id,
    call_id: item.callId,
    status: item.status,
    max_output_length: item.maxOutputLength,
    output: entries.map((entry) => {
      const outcome = isObject(entry.outcome) ? entry.outcome : {};
      return {
        stdout: isString(entry.stdout) ? entry.stdout : '',
        stderr: isString(entry.stderr) ? entry.stderr : '',
        outcome: outcome.type === 'timeout' ? { type: 'timeout' } : { type: 'exit', exit_code: outcome.exitCode ?? 0 },
      };
    }),
    caller: callerToResponses(item.caller),
  });
}

const PATCH_OPERATIONS: Record<string, readonly string[]> = {
  create_file: ['type', 'path', 'diff'],
  update_file: ['type', 'path', 'diff', 'move_to'],
  delete_file: ['type', 'path'],
};

function applyPatchCallFromResponses(item: Json): Json | undefined {
  const operation = item.operation;
  if (!isString(item.call_id) || !isObject(operation) || !(String(operation.type) in PATCH_OPERATIONS)) return undefined;
  if (Object.keys(operation).some((key) => !PATCH_OPERATIONS[String(operation.type)].includes(key))) return undefined;
  if (item.status !== 'in_progress' && item.status !== 'completed') return undefined;
  const { move_to: moveTo, ...rest } = operation;
  const { item: js, consumed } = withCaller(
    definedOnly({
      type: 'apply_patch_call',
      id: isString(item.id) ? item.id : undefined,
      callId: item.call_id,
      status: item.status,
      operation: definedOnly({ ...rest, moveTo: moveTo ?? undefined }),
    }),
    item,
  );
  return keepRest(js, item, ['type', 'id', 'call_id', 'status', 'operation', ...consumed]);
}

function applyPatchCallToResponses(item: Json): ResponsesItem {
  const operation = isObject(item.operation) ? item.operation : {};
  const { moveTo, ...rest } = operation;
  return apiItem(item.providerData, ['type', 'id', 'call_id', 'status', 'operation', 'caller'], {
    type: 'apply_patch_call',
    id: item.id,
    call_id: item.callId,
    status: item.status ?? 'in_progress',
    operation: definedOnly({ ...rest, move_to: moveTo }),
    caller: callerToResponses(item.caller),
  });
}

function applyPatchOutputFromResponses(item: Json): Json | undefined {
  if (!isString(item.call_id) || (item.status !== 'completed' && item.status !== 'failed')) return undefined;
  if (item.output !== undefined && !isString(item.output)) return undefined;
  const { item: js, consumed } = withCaller(
    definedOnly({ type: 'apply_patch_call_output', id: isString(item.id) ? item.id : undefined, callId: item.call_id, status: item.status, output: item.output }),
    item,
  );
  return keepRest(js, item, ['type', 'id', 'call_id', 'status', 'output', ...consumed]);
}

function applyPatchOutputToResponses(item: Json): ResponsesItem {
  return apiItem(item.providerData, ['type', 'id', 'call_id', 'status', 'output', 'caller'], {
    type: 'apply_patch_call_output',
    id: item.id,
    call_id: item.callId,
    status: item.status ?? 'completed',
    output: item.output,
    caller: callerToResponses(item.caller),
  });
}

// ------------------------------------------------ tool search and programs

/** Tool definitions in a tool search output: the few fields the SDK renames. */
function searchToolFromResponses(tool: unknown): unknown {
  if (!isObject(tool)) return tool;
  if (tool.type === 'tool_reference' && isString(tool.function_name)) {
    const { function_name, ...rest } = tool;
    return { ...rest, functionName: function_name };
  }
  if (tool.type === 'namespace' && Array.isArray(tool.tools)) return { ...tool, tools: tool.tools.map(searchToolFromResponses) };
  if (tool.type === 'function') {
    const { defer_loading, allowed_callers, output_schema, ...rest } = tool;
    return definedOnly({ ...rest, deferLoading: defer_loading, allowedCallers: allowed_callers, outputSchema: output_schema });
  }
  return tool;
}

function searchToolToResponses(tool: unknown): unknown {
  if (!isObject(tool)) return tool;
  if (tool.type === 'tool_reference' && isString(tool.functionName)) {
    const { functionName, ...rest } = tool;
    return { ...rest, function_name: functionName };
  }
  if (tool.type === 'namespace' && Array.isArray(tool.tools)) return { ...tool, tools: tool.tools.map(searchToolToResponses) };
  if (tool.type === 'function') {
    const { deferLoading, allowedCallers, outputSchema, ...rest } = tool;
    return definedOnly({ ...rest, defer_loading: deferLoading, allowed_callers: allowedCallers, output_schema: outputSchema });
  }
  return tool;
}

function toolSearchFromResponses(item: Json): Json | undefined {
  if (item.type === 'tool_search_output' && !Array.isArray(item.tools)) return undefined;
  const status = isString(item.status) ? item.status : undefined;
  const main =
    item.type === 'tool_search_call'
      ? { arguments: item.arguments }
      : { tools: (item.tools as unknown[]).map(searchToolFromResponses) };
  // As the SDK reads them: call_id and execution stay in providerData.
  return keepRest(
    definedOnly({ type: item.type, id: isString(item.id) ? item.id : undefined, status, ...main }),
    item,
    ['type', 'id', ...(status === undefined ? [] : ['status']), item.type === 'tool_search_call' ? 'arguments' : 'tools'],
  );
}

function toolSearchToResponses(item: Json): ResponsesItem {
  const main =
    item.type === 'tool_search_call'
      ? { arguments: item.arguments }
      : { tools: Array.isArray(item.tools) ? item.tools.map(searchToolToResponses) : [] };
  return apiItem(item.providerData, ['type', 'id', 'status', 'arguments', 'tools'], {
    type: item.type,
    id: item.id,
    status: item.status,
    call_id: item.callId ?? item.call_id,
    execution: item.execution,
    ...main,
  });
}

function programFromResponses(item: Json): Json | undefined {
  if (item.type === 'program') {
    if (!isString(item.call_id) || !isString(item.code) || !isString(item.fingerprint)) return undefined;
    return keepRest(
      definedOnly({ type: 'program', id: isString(item.id) ? item.id : undefined, callId: item.call_id, code: item.code, fingerprint: item.fingerprint }),
      item,
      ['type', 'id', 'call_id', 'code', 'fingerprint'],
    );
  }
  if (!isString(item.call_id) || !isString(item.result) || (item.status !== 'completed' && item.status !== 'incomplete')) return undefined;
  return keepRest(
    definedOnly({ type: 'program_output', id: isString(item.id) ? item.id : undefined, callId: item.call_id, output: item.result, status: item.status }),
    item,
    ['type', 'id', 'call_id', 'result', 'status'],
  );
}

function programToResponses(item: Json): ResponsesItem {
  if (item.type === 'program') {
    return apiItem(item.providerData, ['type', 'id', 'call_id', 'code', 'fingerprint'], {
      type: 'program',
      id: item.id,
      call_id: item.callId,
      code: item.code,
      fingerprint: item.fingerprint,
    });
  }
  return apiItem(item.providerData, ['type', 'id', 'call_id', 'output', 'result', 'status'], {
    type: 'program_output',
    id: item.id,
    call_id: item.callId,
    result: item.output,
    status: item.status,
  });
}

// ------------------------------------------------------------------ compaction

function compactionFromResponses(item: Json): Json | undefined {
  if (!isString(item.encrypted_content)) return undefined;
  return keepRest(
    definedOnly({ type: 'compaction', id: isString(item.id) ? item.id : undefined, encrypted_content: item.encrypted_content }),
    item,
    ['type', 'id', 'encrypted_content'],
  );
}

function compactionToResponses(item: Json): ResponsesItem {
  // created_by is output-only: the API rejects it as input (the SDK strips it too).
  return apiItem(item.providerData, ['type', 'id', 'encrypted_content', 'created_by'], {
    type: 'compaction',
    id: item.id,
    encrypted_content: item.encrypted_content ?? item.encryptedContent,
  });
}

// ------------------------------------------------------------------- dispatch

/** The SDK's escape hatch: it sends an `unknown` item's providerData to the model as the item. */
function unknownFromResponses(item: Json): Json {
  return definedOnly({ type: 'unknown', id: isString(item.id) ? item.id : undefined, providerData: item });
}

function unknownToResponses(item: Json): ResponsesItem {
  return apiItem(item.providerData, [], { id: item.id });
}

/** One JS SDK item in the Responses API input format. */
export function toResponsesItem(item: AgentInputItem): ResponsesItem {
  const source = item as unknown as Json;
  if ('role' in source && (source.type === undefined || source.type === 'message')) return messageToResponses(source);
  switch (source.type) {
    case 'function_call':
      return functionCallToResponses(source);
    case 'function_call_result':
      return functionOutputToResponses(source);
    case 'reasoning':
      return reasoningToResponses(source);
    case 'hosted_tool_call':
      return hostedToResponses(source);
    case 'computer_call':
      return computerCallToResponses(source);
    case 'computer_call_result':
      return computerOutputToResponses(source);
    case 'shell_call':
      return shellCallToResponses(source);
    case 'shell_call_output':
      return shellOutputToResponses(source);
    case 'apply_patch_call':
      return applyPatchCallToResponses(source);
    case 'apply_patch_call_output':
      return applyPatchOutputToResponses(source);
    case 'tool_search_call':
    case 'tool_search_output':
      return toolSearchToResponses(source);
    case 'program':
    case 'program_output':
      return programToResponses(source);
    case 'compaction':
      return compactionToResponses(source);
    default:
      return unknownToResponses(source);
  }
}

/**
 * One Responses API item as a JS SDK item. `toolNames` maps call ids to tool
 * names: JS tool results carry the name, Responses outputs only the call id.
 */
export function fromResponsesItem(item: ResponsesItem, toolNames: ReadonlyMap<string, string> = new Map()): AgentInputItem {
  return (firstClass(item, toolNames) ?? unknownFromResponses(item)) as unknown as AgentInputItem;
}

/** The SDK's own item for `item`, or undefined when it has none that holds the item exactly. */
function firstClass(item: Json, toolNames: ReadonlyMap<string, string>): Json | undefined {
  if ('role' in item) return messageFromResponses(item);
  const type = String(item.type);
  if (HOSTED_TOOLS.has(type)) return hostedFromResponses(item);
  switch (type) {
    case 'function_call':
      return functionCallFromResponses(item);
    case 'function_call_output':
      return functionOutputFromResponses(item, toolNames);
    case 'reasoning':
      return reasoningFromResponses(item);
    case 'computer_call':
      return computerCallFromResponses(item);
    case 'computer_call_output':
      return computerOutputFromResponses(item);
    case 'shell_call':
      return shellCallFromResponses(item);
    case 'shell_call_output':
      return shellOutputFromResponses(item);
    case 'apply_patch_call':
      return applyPatchCallFromResponses(item);
    case 'apply_patch_call_output':
      return applyPatchOutputFromResponses(item);
    case 'tool_search_call':
    case 'tool_search_output':
      return toolSearchFromResponses(item);
    case 'program':
    case 'program_output':
      return programFromResponses(item);
    case 'compaction':
      return compactionFromResponses(item);
    default:
      return undefined;
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
