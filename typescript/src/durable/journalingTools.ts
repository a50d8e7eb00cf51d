import type { FunctionTool } from '@openai/agents';
import { DurableRunUnsupportedError } from './errors.js';
import type { RunReplay } from './runReplay.js';

const idempotentTools = new WeakSet<object>();

/**
 * Declares that running `tool` twice for one call is harmless (a lookup, an
 * upsert keyed by the call). In a durable run, a call of such a tool that was
 * started but never journaled a result (the process died meanwhile) is simply
 * run again; any other tool's call is then surfaced as an approval request.
 * Returns `tool` itself.
 */
export function idempotent<T extends FunctionTool<any, any, any>>(tool: T): T {
  if (typeof tool !== 'object' || tool === null || (tool as { type?: unknown }).type !== 'function') {
    throw new TypeError(`idempotent(tool): tool must be a function tool (made with tool({...})), got ${tool === null ? 'null' : typeof tool}.`);
  }
  idempotentTools.add(tool);
  return tool;
}

export function isIdempotent(tool: FunctionTool<any, any, any>): boolean {
  return idempotentTools.has(tool);
}

/** What a tool returned, as the JSON the journal keeps; live runs use it too, so replays see the same value. */
function asJson(output: unknown): unknown {
  return output === undefined ? undefined : JSON.parse(JSON.stringify(output));
}

/**
 * `tool` with its calls journaled: `tool_started` before it runs and
 * `tool_result` after; a call with a recorded result returns it without
 * running. A call that is in doubt (started, no result) asks for approval
 * unless the tool is `idempotent`: approving runs it again, rejecting gives
 * the model the SDK's rejection message.
 */
export function journaledTool(tool: FunctionTool<any, any, any>, replay: RunReplay): FunctionTool<any, any, any> {
  const retryInDoubt = isIdempotent(tool);
  return {
    ...tool,
    needsApproval: async (runContext, input, callId) => {
      if (callId !== undefined && !retryInDoubt) {
        const key = replay.toolKey(callId);
        if (replay.isInDoubt(key)) {
          await replay.reportInDoubt(key, { call_id: callId, tool: tool.name, arguments: JSON.stringify(input ?? null) });
          return true;
        }
      }
      return tool.needsApproval(runContext, input, callId);
    },
    invoke: async (runContext, input, details) => {
      const callId = details?.toolCall?.callId;
      if (callId === undefined) {
        throw new DurableRunUnsupportedError(
          `Tool ${tool.name} was called without a call id, so its result cannot be journaled. ` +
            'Durable runs support function tools called by the model.',
          replay.journal.runId,
        );
      }
      const key = replay.toolKey(callId);
      const recorded = replay.recordedResult(key);
      if (recorded) return recorded.output;
      await replay.toolStarted(key);
      const output = asJson(await replay.runTool(() => tool.invoke(runContext, input, details)));
      await replay.toolFinished(key, output === undefined ? {} : { output });
      return output;
    },
  };
}
