import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { RunState, run, type RunResult } from '@openai/agents';
import { fromPortableRunState } from '../../src/portable-state/fromPortable.js';
import { nativeJsonToPortable, toPortableRunState } from '../../src/portable-state/toPortable.js';
import { parsePortableRunState } from '../../src/portable-state/validate.js';
import type { ModelServer } from '../../../testing/model-server/server.mjs';
import { useScriptedOpenAI } from '../support/environment.js';
import { CASES, SCENARIO } from './generateVectors.js';
import { vectorAgents } from './vectorAgents.js';
import { pythonVectorsDirExists, readVector, resumeAndObserve, vectorFiles, withSilentTracing, type Vector } from './vectors.js';

let server: ModelServer;
before(async () => {
  server = await useScriptedOpenAI(SCENARIO);
});
after(() => server.close());

const typescriptVectors = vectorFiles('typescript').map(readVector);

describe('TypeScript golden vectors', () => {
  test('one vector per situation, none missing or extra', () => {
    assert.deepEqual(
      typescriptVectors.map((vector) => vector.name).sort(),
      CASES.map((spec) => spec.name).sort(),
      'spec/portable-run-state/vectors/typescript/ holds exactly the generated situations (re-run generateVectors.ts)',
    );
    for (const path of vectorFiles('typescript')) {
      assert.equal(readVector(path).name, basename(path, '.json'));
    }
  });

  for (const vector of typescriptVectors) {
    describe(vector.name, () => {
      test('native → portable equals the committed portable form', () => {
        assert.equal(vector.producer.sdk, '@openai/agents');
        assert.deepEqual(nativeJsonToPortable(vector.native), vector.portable);
        assert.deepEqual(parsePortableRunState(vector.portable), vector.portable, 'the portable form passes the schema');
      });

      test('resuming the native state gives the expected outcome (the vector is sound)', async () => {
        const agents = vectorAgents();
        const observed = await resumeAndObserve(() => RunState.fromString(agents.personalAssistant, vector.native), agents, vector.resume);
        assert.deepEqual(observed, vector.expected);
      });

      test('portable → native resumes to the expected conversation and tool runs', async () => {
        const agents = vectorAgents();
        const observed = await resumeAndObserve(
          () => fromPortableRunState(structuredClone(vector.portable), agents.personalAssistant),
          agents,
          vector.resume,
        );
        assert.deepEqual(observed, vector.expected);
      });

      test('native → portable → native resumes exactly like the native state (TS round trip)', async () => {
        const native = vectorAgents();
        const viaPortable = vectorAgents();
        const direct = await resumeRaw(await RunState.fromString(native.personalAssistant, vector.native), native, vector);
        const roundTripped = await resumeRaw(
          await fromPortableRunState(toPortableRunState(await RunState.fromString(viaPortable.personalAssistant, vector.native)), viaPortable.personalAssistant),
          viaPortable,
          vector,
        );
        assert.deepEqual(roundTripped, direct);
      });

      test('portable → native → portable is stable', async () => {
        const agents = vectorAgents();
        // With tracing disabled the SDK drops a loaded state's trace (native states too).
        const again = await withSilentTracing(vector.resume.tracing, async () =>
          toPortableRunState(await fromPortableRunState(structuredClone(vector.portable), agents.personalAssistant)),
        );
        // The writer is the same SDK, so even the producer matches.
        assert.deepEqual(again, vector.portable);
      });
    });
  }
});

/** Resumes with the vector's decisions; the history and items as the SDK gives them, minus provider echo fields. */
async function resumeRaw(state: RunState<any, any>, agents: ReturnType<typeof vectorAgents>, vector: Vector) {
  for (const decision of vector.resume.decisions) {
    const item = state.getInterruptions().find((i) => (i.rawItem as { callId?: string }).callId === decision.call_id)!;
    if (decision.decision === 'approve') state.approve(item, { alwaysApprove: decision.always });
    else state.reject(item, { alwaysReject: decision.always, message: decision.message });
  }
  let result: RunResult<any, any> | undefined;
  let error: string | undefined;
  try {
    result = await run(agents.personalAssistant, state);
  } catch (caught) {
    error = caught instanceof Error ? caught.constructor.name : String(caught);
  }
  const strip = (value: unknown) => JSON.parse(JSON.stringify(value, (key, v) => (key === 'providerData' ? undefined : v)));
  return {
    error,
    finalOutput: result?.finalOutput,
    history: strip(result?.history ?? []),
    newItems: strip(result?.newItems.map((item) => item.toJSON()) ?? []),
    // Token totals cross; the per-request breakdown of the run total does not (see the README).
    usage: result
      ? (({ requests, inputTokens, outputTokens, totalTokens }) => ({ requests, inputTokens, outputTokens, totalTokens }))(
          result.state.usage,
        )
      : undefined,
    toolRuns: agents.toolRuns,
    currentTurn: result ? (result.state.toJSON() as { currentTurn: number }).currentTurn : undefined,
  };
}

describe('Python golden vectors', () => {
  const files = vectorFiles('python');
  test('the Python vectors folder, once it exists, holds vectors', () => {
    if (pythonVectorsDirExists()) {
      assert.ok(files.length > 0, 'spec/portable-run-state/vectors/python/ exists but holds no *.json vector');
    }
  });

  for (const path of files) {
    const vector = readVector(path);
    test(`${vector.name}: portable → JS native resumes to the Python run's outcome`, async () => {
      assert.equal(vector.producer.sdk, 'openai-agents', 'vectors/python/ holds vectors the Python SDK produced');
      const portable = parsePortableRunState(vector.portable);
      const agents = vectorAgents();
      const observed = await resumeAndObserve(
        () => fromPortableRunState(structuredClone(portable), agents.personalAssistant),
        agents,
        vector.resume,
      );
      assert.deepEqual(observed, vector.expected);
    });
  }
});
