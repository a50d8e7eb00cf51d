import { createHash } from 'node:crypto';
import { Agent, type Handoff } from '@openai/agents';

/** One agent of a graph, in the canonical form the fingerprint hashes (spec/run-journal, "Graph fingerprint"). */
export interface GraphEntry {
  name: string;
  tools: string[];
  handoffs: string[];
}

// Code-point order, as the spec (and Python's sorted()) require; JS's default sort compares UTF-16 units.
const byCodePoint = (a: string, b: string): number => {
  const left = [...a];
  const right = [...b];
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const diff = left[i].codePointAt(0)! - right[i].codePointAt(0)!;
    if (diff !== 0) return diff;
  }
  return left.length - right.length;
};

const sortedUnique = (names: string[]) => [...new Set(names)].sort(byCodePoint);

const handoffTarget = (target: Agent<any, any> | Handoff<any, any>): Agent<any, any> =>
  target instanceof Agent ? target : target.agent;

/** The canonical list of the agents reachable from `root` through handoffs, each once by name, sorted by name. */
export function agentGraph(root: Agent<any, any>): GraphEntry[] {
  const entries = new Map<string, GraphEntry>();
  const visit = (agent: Agent<any, any>) => {
    if (entries.has(agent.name)) return;
    const targets = agent.handoffs.map(handoffTarget);
    entries.set(agent.name, {
      name: agent.name,
      tools: sortedUnique(agent.tools.filter((tool) => tool.type === 'function').map((tool) => tool.name)),
      handoffs: sortedUnique(targets.map((target) => target.name)),
    });
    targets.forEach(visit);
  };
  visit(root);
  return [...entries.values()].sort((a, b) => byCodePoint(a.name, b.name));
}

/** SHA-256 (lowercase hex) of a canonical graph list's JSON text. */
export function fingerprintOf(graph: GraphEntry[]): string {
  // Rebuilt so the key order is name, tools, handoffs whatever the caller's objects hold.
  const canonical = graph.map(({ name, tools, handoffs }) => ({ name, tools, handoffs }));
  return createHash('sha256').update(JSON.stringify(canonical), 'utf8').digest('hex');
}

/**
 * Identifies the agent graph a run needs: equal in both languages for the
 * same agents, tools and handoffs; a worker claims only runs whose graph it has.
 */
export function graphFingerprint(root: Agent<any, any>): string {
  return fingerprintOf(agentGraph(root));
}
