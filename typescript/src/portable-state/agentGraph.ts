import { Agent, getHandoff } from '@openai/agents';
import { InvalidRunStateError } from '../errors.js';
import { AgentGraphMismatchError } from './errors.js';

/**
 * The agents reachable from a run's starting agent through handoffs, by name.
 * States (native or portable) name agents and tools; loading one means
 * finding each name here, with a typed error naming whatever is missing.
 */
export interface HandoffEntry {
  toolName: string;
  targetName: string;
}

export interface AgentGraph {
  root: Agent<any, any>;
  agents: Map<string, Agent<any, any>>;
  handoffs: Map<string, HandoffEntry[]>;
  functionTools: Map<string, Set<string>>;
}

export function buildGraph(startingAgent: Agent<any, any>): AgentGraph {
  if (!(startingAgent instanceof Agent)) {
    throw new TypeError('Loading a run state needs the starting Agent of the run.');
  }
  const graph: AgentGraph = { root: startingAgent, agents: new Map(), handoffs: new Map(), functionTools: new Map() };
  const queue: Agent<any, any>[] = [startingAgent];
  while (queue.length > 0) {
    const agent = queue.shift()!;
    const known = graph.agents.get(agent.name);
    if (known === agent) continue;
    if (known) {
      throw new InvalidRunStateError(
        `Two different agents are named "${agent.name}" in the graph of "${startingAgent.name}"; portable states name agents, so names must be unique.`,
      );
    }
    graph.agents.set(agent.name, agent);
    const entries: HandoffEntry[] = [];
    for (const item of agent.handoffs) {
      const handoff = getHandoff(item as Agent<any, any>);
      entries.push({ toolName: handoff.toolName, targetName: handoff.agentName });
      if (handoff.agent) queue.push(handoff.agent as Agent<any, any>);
    }
    graph.handoffs.set(agent.name, entries);
    graph.functionTools.set(
      agent.name,
      new Set(agent.tools.filter((tool) => tool.type === 'function').map((tool) => tool.name)),
    );
  }
  return graph;
}

export function describeGraph(graph: AgentGraph): string {
  return [...graph.agents.keys()].map((name) => `"${name}"`).join(', ');
}

export function requireAgent(graph: AgentGraph, name: string, where: string): Agent<any, any> {
  const agent = graph.agents.get(name);
  if (!agent) {
    throw new AgentGraphMismatchError(
      `The run state names agent "${name}" (${where}), but the agent graph reachable from "${graph.root.name}" ` +
        `has no such agent (it has ${describeGraph(graph)}). Load it with the agents the run was started with.`,
      name,
    );
  }
  return agent;
}

export function requireTool(graph: AgentGraph, agentName: string, toolName: string, where: string): void {
  if (!graph.functionTools.get(agentName)?.has(toolName)) {
    const tools = [...(graph.functionTools.get(agentName) ?? [])].map((t) => `"${t}"`).join(', ') || 'none';
    throw new AgentGraphMismatchError(
      `The run state needs tool "${toolName}" of agent "${agentName}" (${where}), but that agent has no such ` +
        `function tool (it has ${tools}). Load it with the agents and tools the run was started with.`,
      agentName,
      toolName,
    );
  }
}

