/**
 * Writes the TypeScript golden vectors of the portable run state to
 * spec/portable-run-state/vectors/typescript/<name>.json from real runs of the
 * JS SDK against the scripted model server (scenario portable-vectors).
 *
 *   cd typescript && node --import tsx test/portable-state/generateVectors.ts
 *
 * The output is deterministic: the server's ids and timestamps are hashes of
 * the requests, tracing ids come from the recipe, and the only random values
 * of a native state (span ids and start times, present when tracing is on)
 * are pinned below. Re-running writes byte-identical files.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemorySession, RunState, Runner, type AgentInputItem } from '@openai/agents';
import { fromResponsesItem } from '../../src/portable-state/responsesItems.js';
import { nativeJsonToPortable } from '../../src/portable-state/toPortable.js';
import { useScriptedOpenAI } from '../support/environment.js';
import { vectorAgents } from './vectorAgents.js';
import { VECTORS_DIR, resumeAndObserve, withSilentTracing, type Decision, type Recipe, type Vector } from './vectors.js';

export const SCENARIO = 'portable-vectors';

interface Case {
  name: string;
  situation: string;
  recipe: Partial<Recipe> & Pick<Recipe, 'input'>;
  /** Decisions made when resuming, by index of the pending interruption. */
  resume: Array<{ interruption: number; decision: 'approve' | 'reject'; always?: boolean; message?: string }>;
  tracing?: boolean;
}

// A 1×1 red PNG and a two-line text file.
const RED_PIXEL =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
const NOTES = `data:text/plain;base64,${Buffer.from('Trip to Berkeley\nPack a jacket?\n').toString('base64')}`;

export const CASES: Case[] = [
  {
    name: 'handoff-interruption',
    situation:
      'After an earlier turn in the same session, the Personal Assistant hands off to the Weather Assistant, whose ' +
      'get_weather call for Berkeley waits for approval. Resumed with an approval.',
    recipe: { previous_turns: ["What's 2+2?"], input: "What's the weather in Berkeley?" },
    resume: [{ interruption: 0, decision: 'approve' }],
  },
  {
    name: 'rejection',
    situation: 'The same interruption after a handoff, resumed with a rejection that carries a message.',
    recipe: { input: "What's the weather in Berkeley?" },
    resume: [{ interruption: 0, decision: 'reject', message: 'Weather lookups for Berkeley are not allowed today.' }],
  },
  {
    name: 'two-interruptions',
    situation:
      'One model reply calls get_weather twice (Berkeley, West Berkeley): two interruptions at once, after a handoff. ' +
      'Resumed approving the first and rejecting the second.',
    recipe: { input: 'Compare the weather in Berkeley and West Berkeley.' },
    resume: [
      { interruption: 0, decision: 'approve' },
      { interruption: 1, decision: 'reject', message: 'Only one city per request.' },
    ],
  },
  {
    name: 'sticky-approve',
    situation:
      'Two interruptions at once; before saving, the first is approved with "always approve". Resumed with no ' +
      'further decision: the sticky decision must approve the second call too.',
    recipe: {
      input: 'Compare the weather in Berkeley and West Berkeley.',
      decisions_before_saving: [{ interruption: 0, decision: 'approve', always: true }],
    },
    resume: [],
  },
  {
    name: 'sticky-reject',
    situation:
      'Two interruptions at once; before saving, the first is rejected with "always reject" and a message. Resumed ' +
      'with no further decision: the sticky rejection must reject the second call too, with the same message.',
    recipe: {
      input: 'Compare the weather in Berkeley and West Berkeley.',
      decisions_before_saving: [
        { interruption: 0, decision: 'reject', always: true, message: 'No weather lookups, please.' },
      ],
    },
    resume: [],
  },
  {
    name: 'image-and-file-input',
    situation: 'The original input is one user message with text, an image (data URL) and a file (inline data). Resumed with an approval.',
    recipe: {
      input: [
        {
          type: 'message',
          role: 'user',
          content: [
            { type: 'input_text', text: "What's the weather in Berkeley? My photo and notes are attached." },
            { type: 'input_image', image_url: RED_PIXEL, detail: 'auto' },
            { type: 'input_file', file_data: NOTES, filename: 'notes.txt' },
          ],
        },
      ],
    },
    resume: [{ interruption: 0, decision: 'approve' }],
  },
  {
    name: 'json-context',
    situation: 'The run context is plain JSON ({"units": "C", "user": "ada"}); get_weather reads units from it, so the resumed tool reports Celsius only if the context crossed.',
    recipe: { input: "What's the weather in Berkeley?", context: { units: 'C', user: 'ada' } },
    resume: [{ interruption: 0, decision: 'approve' }],
  },
  {
    name: 'trace-and-group',
    situation:
      'The run has a trace id, group id, workflow name and trace metadata (run configuration, tracing on without exporters). ' +
      'Resumed with tracing on: the finished run must still carry the same trace.',
    recipe: {
      input: "What's the weather in Berkeley?",
      trace: {
        trace_id: 'trace_0123456789abcdef0123456789abcdef',
        workflow_name: 'Portable vectors',
        group_id: 'portable-group-1',
        metadata: { case: 'trace-and-group' },
      },
    },
    resume: [{ interruption: 0, decision: 'approve' }],
    tracing: true,
  },
  {
    name: 'max-turns',
    situation:
      'max_turns is 2 and the run pauses in turn 2. Resuming runs the approved tool, then the next model call would be ' +
      'turn 3: the run must fail with max turns exceeded, so both current_turn and max_turns crossed.',
    recipe: { input: "What's the weather in Berkeley?", max_turns: 2 },
    resume: [{ interruption: 0, decision: 'approve' }],
  },
  {
    name: 'final-output',
    situation:
      'A finished run (the Personal Assistant answers directly): step final_output, with input and output guardrail ' +
      'results. Resuming returns the final output without calling the model.',
    recipe: { input: "What's 2+2?" },
    resume: [],
  },
];

const PINNED_SPAN_IDS = ['span_000000000000000000000001', 'span_000000000000000000000002', 'span_000000000000000000000003'];
const PINNED_TIME = '2000-01-01T00:00:00.000Z';

/** Pins the random ids and clock times of the current agent span (tracing on only). */
function pinVolatileFields(native: Record<string, any>): void {
  const ids = new Map<string, string>();
  const pin = (id: string) => {
    if (!ids.has(id)) ids.set(id, PINNED_SPAN_IDS[ids.size] ?? `span_${String(ids.size + 1).padStart(24, '0')}`);
    return ids.get(id)!;
  };
  const visit = (span: Record<string, any> | undefined | null) => {
    if (!span) return;
    span.id = pin(span.id);
    if (span.parent_id) span.parent_id = pin(span.parent_id);
    if (span.started_at) span.started_at = PINNED_TIME;
    if (span.ended_at) span.ended_at = PINNED_TIME;
    visit(span.previous_span);
  };
  visit(native.currentAgentSpan);
}

function completeRecipe(recipe: Case['recipe']): Recipe {
  return {
    previous_turns: recipe.previous_turns ?? [],
    input: recipe.input,
    context: recipe.context ?? null,
    max_turns: recipe.max_turns ?? 10,
    trace: recipe.trace ?? null,
    decisions_before_saving: recipe.decisions_before_saving ?? [],
  };
}

async function makeVector(spec: Case): Promise<Vector> {
  const recipe = completeRecipe(spec.recipe);
  const agents = vectorAgents();
  const runner = new Runner(
    recipe.trace
      ? {
          traceId: recipe.trace.trace_id,
          groupId: recipe.trace.group_id ?? undefined,
          workflowName: recipe.trace.workflow_name ?? undefined,
          traceMetadata: (recipe.trace.metadata ?? undefined) as Record<string, string> | undefined,
        }
      : {},
  );
  const session = recipe.previous_turns.length > 0 ? new MemorySession() : undefined;
  const options = {
    maxTurns: recipe.max_turns,
    ...(session ? { session } : {}),
    ...(recipe.context ? { context: structuredClone(recipe.context) } : {}),
  };
  const input: string | AgentInputItem[] =
    typeof recipe.input === 'string' ? recipe.input : recipe.input.map((item) => fromResponsesItem(item));
  const state = await withSilentTracing(recipe.trace !== null, async () => {
    for (const turn of recipe.previous_turns) await runner.run(agents.personalAssistant, turn, options);
    return (await runner.run(agents.personalAssistant, input, options)).state;
  });
  const interruptions = state.getInterruptions();
  for (const decision of recipe.decisions_before_saving) {
    const item = interruptions[decision.interruption];
    if (decision.decision === 'approve') state.approve(item, { alwaysApprove: decision.always });
    else state.reject(item, { alwaysReject: decision.always, ...(decision.message ? { message: decision.message } : {}) });
  }
  const nativeJson = state.toJSON() as unknown as Record<string, any>;
  pinVolatileFields(nativeJson);
  const native = JSON.stringify(nativeJson);
  const portable = nativeJsonToPortable(native);

  const decisions: Decision[] = spec.resume.map((decision) => {
    const item = interruptions[decision.interruption];
    if (!item) throw new Error(`${spec.name}: no interruption ${decision.interruption}`);
    return {
      tool: String(item.name),
      call_id: String((item.rawItem as { callId?: string }).callId),
      decision: decision.decision,
      always: decision.always ?? false,
      ...(decision.message !== undefined ? { message: decision.message } : {}),
    };
  });
  const resume = { decisions, tracing: spec.tracing ?? false };

  // The expected outcome is what resuming the native state itself gives.
  const fresh = vectorAgents();
  const expected = await resumeAndObserve(() => RunState.fromString(fresh.personalAssistant, native), fresh, resume);
  return {
    name: spec.name,
    producer: portable.producer,
    situation: spec.situation,
    scenario: SCENARIO,
    recipe,
    native,
    portable,
    resume,
    expected,
  };
}

async function main(): Promise<void> {
  const server = await useScriptedOpenAI(SCENARIO);
  try {
    const dir = join(VECTORS_DIR, 'typescript');
    mkdirSync(dir, { recursive: true });
    for (const spec of CASES) {
      const vector = await makeVector(spec);
      writeFileSync(join(dir, `${spec.name}.json`), `${JSON.stringify(vector, null, 2)}\n`);
      console.log(`wrote ${spec.name}.json`);
    }
  } finally {
    await server.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await main();
}
