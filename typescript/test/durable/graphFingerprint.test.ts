/** The graph fingerprint (spec/run-journal, "Graph fingerprint") against the vectors both languages test. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, handoff, tool, webSearchTool } from '@openai/agents';
import { z } from 'zod';
import { graphFingerprint } from '../../src/index.js';
import { REPO_ROOT } from '../support/environment.js';

interface Vector {
  description: string;
  start: string;
  graph: Array<{ name: string; tools: string[]; handoffs: string[] }>;
  fingerprint: string;
}

const vectors: Vector[] = JSON.parse(readFileSync(join(REPO_ROOT, 'spec/run-journal/graph-fingerprints.json'), 'utf8'));

const functionTool = (name: string) =>
  tool({ name, description: name, parameters: z.object({}), execute: async () => name });

/** Real agents for a vector, tools and handoffs listed in reverse (and repeated) so the fingerprint must sort them. */
function agentsOf(vector: Vector): Map<string, Agent<any, any>> {
  const agents = new Map(
    vector.graph.map((entry) => [
      entry.name,
      new Agent({ name: entry.name, instructions: `I am ${entry.name}.`, tools: [...entry.tools].reverse().map(functionTool) }),
    ]),
  );
  for (const entry of vector.graph) {
    const agent = agents.get(entry.name)!;
    const targets = [...entry.handoffs].reverse().map((name) => agents.get(name)!);
    // One handoff as a Handoff object, the rest as agents, plus a duplicate: both forms and de-duplication count.
    agent.handoffs = targets.map((target, index) => (index === 0 ? handoff(target) : target));
    if (targets.length > 0) agent.handoffs.push(targets[0]);
  }
  return agents;
}

for (const vector of vectors) {
  test(`graph fingerprint: ${vector.description}`, () => {
    const agents = agentsOf(vector);
    assert.equal(graphFingerprint(agents.get(vector.start)!), vector.fingerprint);
  });
}

test('graph fingerprint ignores instructions, model and hosted tools, and changes with a tool or a handoff', () => {
  const stepper = vectors.find((vector) => vector.start === 'Durable Stepper')!;
  const base = () => new Agent({ name: 'Durable Stepper', instructions: 'one', tools: [functionTool('record_step')] });
  const restyled = new Agent({
    name: 'Durable Stepper',
    instructions: 'two',
    model: 'gpt-4.1-mini',
    tools: [functionTool('record_step'), webSearchTool()],
  });
  assert.equal(graphFingerprint(base()), stepper.fingerprint);
  assert.equal(graphFingerprint(restyled), stepper.fingerprint);

  const renamedTool = new Agent({ name: 'Durable Stepper', tools: [functionTool('record_steps')] });
  assert.notEqual(graphFingerprint(renamedTool), stepper.fingerprint);
  const withHandoff = base();
  withHandoff.handoffs = [new Agent({ name: 'Helper' })];
  assert.notEqual(graphFingerprint(withHandoff), stepper.fingerprint);
});
