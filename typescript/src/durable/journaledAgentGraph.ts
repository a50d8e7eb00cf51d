import { Agent, Handoff, type Model, type Tool } from '@openai/agents';
import { DurableRunUnsupportedError } from './errors.js';
import { JournalingModel } from './journalingModel.js';
import { journaledTool } from './journalingTools.js';
import type { RunReplay } from './runReplay.js';

/**
 * A copy of the agent graph reachable from `root` (through handoffs) whose
 * function tools and model objects are journaled by `replay`. The user's
 * agents are left untouched, so the same agents can run durably and not
 * durably at once; the copies keep the names, which is all a RunState uses.
 *
 * Tools whose effects happen outside a function call (MCP servers, local
 * shell, computer and apply-patch tools) cannot be journaled: they would run
 * again on replay, so such graphs are refused.
 */
export function journaledAgentGraph<TAgent extends Agent<any, any>>(root: TAgent, replay: RunReplay): TAgent {
  const copies = new Map<Agent<any, any>, Agent<any, any>>();

  const copyOf = (agent: Agent<any, any>): Agent<any, any> => {
    const existing = copies.get(agent);
    if (existing) return existing;
    refuseUnjournalable(agent, replay.journal.runId);
    const copy = agent.clone({
      tools: agent.tools.map((tool) => journaledToolOf(tool, replay)),
      ...(typeof agent.model === 'object' ? { model: new JournalingModel(agent.model as Model, replay) } : {}),
    });
    // Lifecycle hooks registered on the user's agent (agent.on(...)) still fire.
    copy.emit = agent.emit.bind(agent) as typeof copy.emit;
    copies.set(agent, copy); // before the handoffs, which may lead back here
    copy.handoffs = agent.handoffs.map((target) => {
      if (target instanceof Agent) return copyOf(target);
      const handoff = target as Handoff<any, any>;
      return handoff.clone({
        agent: copyOf(handoff.agent),
        onInvokeHandoff: async (context, args) => copyOf(await handoff.onInvokeHandoff(context, args)),
      });
    });
    return copy;
  };

  return copyOf(root) as TAgent;
}

/**
 * Raises `DurableRunUnsupportedError` for a graph durable runs cannot
 * journal, before anything is written: walks the agents reachable through
 * handoffs (a handoff choosing its agent only when invoked is checked when
 * the journaled graph is built).
 */
export function refuseUnjournalableGraph(root: Agent<any, any>, runId: string): void {
  const seen = new Set<Agent<any, any>>();
  const visit = (agent: Agent<any, any>) => {
    if (seen.has(agent)) return;
    seen.add(agent);
    refuseUnjournalable(agent, runId);
    agent.handoffs.forEach((target) => visit(target instanceof Agent ? target : (target as Handoff<any, any>).agent));
  };
  visit(root);
}

function journaledToolOf(tool: Tool<any>, replay: RunReplay): Tool<any> {
  return tool.type === 'function' ? journaledTool(tool, replay) : tool;
}

const UNJOURNALABLE_TOOL_TYPES = new Set(['computer', 'shell', 'apply_patch']);

function refuseUnjournalable(agent: Agent<any, any>, runId: string): void {
  if (agent.mcpServers.length > 0) {
    throw new DurableRunUnsupportedError(
      `Agent ${agent.name} uses MCP servers, whose tool calls durable runs cannot journal yet. ` +
        'Wrap the calls you need in function tools, or run this agent without the durable option.',
      runId,
    );
  }
  const local = agent.tools.find((tool) => UNJOURNALABLE_TOOL_TYPES.has(tool.type));
  if (local) {
    throw new DurableRunUnsupportedError(
      `Agent ${agent.name} has a local ${local.type} tool, whose effects durable runs cannot journal yet. ` +
        'Wrap it in a function tool, or run this agent without the durable option.',
      runId,
    );
  }
}
