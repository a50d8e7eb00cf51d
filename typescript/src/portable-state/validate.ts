import { z } from 'zod';
import { InvalidRunStateError } from '../errors.js';
import { UnsupportedRunStateVersionError } from './errors.js';
import {
  PORTABLE_RUN_STATE_FORMAT,
  SUPPORTED_PORTABLE_RUN_STATE_VERSIONS,
  type PortableRunState,
} from './portableRunState.js';

/**
 * Checks a value against spec/portable-run-state/schema.json (version 1) and
 * returns it typed. The rules mirror the JSON Schema one for one; keep them in
 * step with it.
 */

const agentName = z.string().min(1);
const nonNegativeInt = z.number().int().min(0);

const responsesItem = z
  .record(z.string(), z.unknown())
  .refine((item) => 'type' in item || 'role' in item, { message: 'a Responses item needs "type" or "role"' });

const usage = z.strictObject({
  requests: nonNegativeInt,
  input_tokens: nonNegativeInt,
  output_tokens: nonNegativeInt,
  total_tokens: nonNegativeInt,
  input_tokens_details: z.record(z.string(), z.number()).optional(),
  output_tokens_details: z.record(z.string(), z.number()).optional(),
});

const generatedItem = z.strictObject({
  type: z.enum(['message_output', 'tool_call', 'tool_call_output', 'handoff_call', 'handoff_output', 'reasoning', 'tool_approval']),
  agent: agentName.optional(),
  target_agent: agentName.optional(),
  tool_name: z.string().optional(),
  raw: responsesItem,
});

const interruption = z.strictObject({
  agent: agentName,
  tool_name: z.string(),
  raw: responsesItem,
});

const step = z.union([
  z.null(),
  z.strictObject({ type: z.literal('interruption'), interruptions: z.array(interruption).min(1) }),
  z.strictObject({ type: z.literal('final_output'), output: z.unknown() }),
  z.strictObject({ type: z.literal('run_again') }),
  z.strictObject({ type: z.literal('handoff'), new_agent: agentName }),
]);

const decision = z.union([z.boolean(), z.array(z.string())]);

const approvalRecord = z.strictObject({
  approved: decision,
  rejected: decision,
  rejection_messages: z.record(z.string(), z.string()).optional(),
  sticky_rejection_message: z.string().optional(),
  agent: agentName.optional(),
});

const guardrailResult = z.strictObject({
  name: z.string(),
  tripwire_triggered: z.boolean(),
  output_info: z.unknown().optional(),
});

const trace = z.union([
  z.null(),
  z.strictObject({
    trace_id: z.string(),
    workflow_name: z.string().nullable().optional(),
    group_id: z.string().nullable().optional(),
    metadata: z.record(z.string(), z.unknown()).nullable().optional(),
  }),
]);

const portableRunState = z.strictObject({
  format: z.literal(PORTABLE_RUN_STATE_FORMAT),
  version: z.literal(1),
  producer: z.strictObject({
    sdk: z.enum(['@openai/agents', 'openai-agents']),
    sdk_version: z.string(),
    native_schema_version: z.string(),
  }),
  current_agent: agentName,
  current_turn: nonNegativeInt,
  max_turns: z.number().int().min(1).nullable().optional(),
  original_input: z.union([z.string(), z.array(responsesItem)]),
  generated_items: z.array(generatedItem),
  model_responses: z.array(
    z.strictObject({
      response_id: z.string().nullable().optional(),
      output: z.array(responsesItem),
      usage,
    }),
  ),
  usage,
  step,
  approvals: z.record(z.string(), approvalRecord),
  tool_use_tracker: z.record(z.string(), z.array(z.string())).optional(),
  input_guardrail_results: z.array(guardrailResult).optional(),
  output_guardrail_results: z.array(guardrailResult).optional(),
  trace: trace.optional(),
  context: z.unknown().optional(),
});

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

/**
 * Parses (if given text) and validates a portable run state.
 *
 * - not JSON, not an object, not this format, or breaking a schema rule → `InvalidRunStateError`
 * - a `version` other than those this reader knows → `UnsupportedRunStateVersionError`
 */
export function parsePortableRunState(input: unknown): PortableRunState {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (error) {
      throw new InvalidRunStateError(
        `Portable run state is not valid JSON (${error instanceof Error ? error.message : String(error)}); it may be truncated.`,
        { cause: error },
      );
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidRunStateError(`Portable run state must be a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}.`);
  }
  const head = value as Record<string, unknown>;
  if (head.format !== PORTABLE_RUN_STATE_FORMAT) {
    throw new InvalidRunStateError(
      `Not a portable run state: "format" is ${JSON.stringify(head.format)}, expected "${PORTABLE_RUN_STATE_FORMAT}".`,
    );
  }
  if (typeof head.version !== 'number' || !SUPPORTED_PORTABLE_RUN_STATE_VERSIONS.includes(head.version)) {
    throw new UnsupportedRunStateVersionError(
      `Portable run state version ${JSON.stringify(head.version)} is not supported; this Timestep reads version(s) ` +
        `${SUPPORTED_PORTABLE_RUN_STATE_VERSIONS.join(', ')}. Upgrade Timestep to load it.`,
      head.version,
    );
  }
  const parsed = portableRunState.safeParse(value);
  if (!parsed.success) {
    throw new InvalidRunStateError(`Portable run state is malformed: ${describeIssues(parsed.error)}.`, { cause: parsed.error });
  }
  return parsed.data as PortableRunState;
}
