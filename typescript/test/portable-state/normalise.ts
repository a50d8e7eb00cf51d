/**
 * The language-neutral view of a conversation that the golden vectors compare
 * (spec/portable-run-state/vectors/README.md, "Normalised conversation"). The
 * Python tests implement the same rules; keep both in step with the README.
 */

type Json = Record<string, any>;

export type NormalisedItem =
  | { kind: 'message'; role: string; text: string; attachments?: Array<{ type: 'image' } | { type: 'file'; filename: string | null }> }
  | { kind: 'tool_call'; name: string; arguments: unknown }
  | { kind: 'tool_output'; name: string; output: unknown }
  | { kind: 'reasoning'; summary: string[] }
  | { kind: string };

/** Lower case; every run of characters other than a-z and 0-9 becomes one `_`. */
export function normaliseName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '_');
}

/** `handoff:<agent>` for a handoff tool (either SDK's spelling), else the name. */
export function toolLabel(name: string, agentNames: readonly string[]): string {
  const target = agentNames.find((agent) => normaliseName(name) === `transfer_to_${normaliseName(agent)}`);
  return target === undefined ? name : `handoff:${target}`;
}

/** A string that is JSON becomes the value; any other string stays as it is. */
export function parseIfJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function textOfParts(content: unknown): { text: string; attachments: NonNullable<Extract<NormalisedItem, { kind: 'message' }>['attachments']> } {
  if (typeof content === 'string') return { text: content, attachments: [] };
  const parts: Json[] = Array.isArray(content) ? content : [];
  let text = '';
  const attachments: NonNullable<Extract<NormalisedItem, { kind: 'message' }>['attachments']> = [];
  for (const part of parts) {
    if (part.type === 'input_text' || part.type === 'output_text') text += String(part.text);
    else if (part.type === 'refusal') text += String(part.refusal);
    else if (part.type === 'input_image') attachments.push({ type: 'image' });
    else if (part.type === 'input_file') attachments.push({ type: 'file', filename: typeof part.filename === 'string' ? part.filename : null });
  }
  return { text, attachments };
}

function outputValue(output: unknown): unknown {
  if (typeof output === 'string') return parseIfJson(output);
  if (Array.isArray(output)) {
    return parseIfJson(output.filter((part: Json) => typeof part?.text === 'string').map((part: Json) => part.text).join(''));
  }
  return output;
}

/**
 * Responses API input items (snake_case) → normalised items: no ids, no
 * statuses, handoffs written `handoff:<target agent>`, arguments parsed.
 */
export function normaliseConversation(items: readonly Json[], agentNames: readonly string[]): NormalisedItem[] {
  const callNames = new Map<string, string>();
  for (const item of items) {
    if (item.type === 'function_call') callNames.set(String(item.call_id), toolLabel(String(item.name), agentNames));
  }
  return items.map((item): NormalisedItem => {
    if ('role' in item && (item.type === undefined || item.type === 'message')) {
      const { text, attachments } = textOfParts(item.content);
      return attachments.length > 0
        ? { kind: 'message', role: String(item.role), text, attachments }
        : { kind: 'message', role: String(item.role), text };
    }
    switch (item.type) {
      case 'function_call':
        return {
          kind: 'tool_call',
          name: toolLabel(String(item.name), agentNames),
          arguments: typeof item.arguments === 'string' ? parseIfJson(item.arguments) : item.arguments,
        };
      case 'function_call_output':
        return { kind: 'tool_output', name: callNames.get(String(item.call_id)) ?? '', output: outputValue(item.output) };
      case 'reasoning':
        return {
          kind: 'reasoning',
          summary: (Array.isArray(item.summary) ? item.summary : []).map((part: Json) => String(part.text)),
        };
      default:
        return { kind: String(item.type) };
    }
  });
}
