import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { DurableSession, runAgent } from '../../src/index.js';
import type { StoreOptions } from '../../src/store/connect.js';
import { freshAppDirectory, testDatabaseUrl, useScriptedOpenAI } from '../support/environment.js';
import type { ModelServer } from '../../../testing/model-server/server.mjs';
import { MODEL_CALLS, STEPS, STEPPER_INPUT, stepAgent, stepCounts } from './stepAgent.js';
import {
  childArgs,
  conversation,
  journaledModelCalls,
  ruleOfCall,
  runChild,
  storedJournal,
  type ChildLine,
} from './support.js';

/**
 * kill -9 during a twenty-turn tool-using durable run: a child process runs
 * (or resumes) the run and is killed at random points — while starting and
 * replaying, right after a step's tool started, a little later (journal
 * writes, model calls) — and is resumed by the next child until the run is
 * done. 50 kills per store, as CI runs it (TIMESTEP_KILL_LOOPS=N for fewer or
 * more). The scripted model server answers each of the run's 21 model
 * calls with its own rule, so its request log shows which calls were sent.
 */
const KILLS = Number(process.env.TIMESTEP_KILL_LOOPS ?? 50);

let server: ModelServer;
before(async () => {
  server = await useScriptedOpenAI('durable-twenty-steps');
});
after(() => server.close());

// A seeded generator, so a failing sequence of kill points can be replayed.
function random(seed: number): () => number {
  let x = seed;
  return () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');

/** When to kill the next child: at its `ready` line, or `afterSteps` step lines plus `delayMs`. */
type KillPoint = { at: 'ready' } | { at: 'step'; afterSteps: number; delayMs: number };

function killer(point: KillPoint | undefined) {
  let steps = 0;
  return (line: ChildLine, kill: () => void) => {
    if (!point) return;
    if (point.at === 'ready' && line.event === 'ready') kill();
    if (point.at === 'step' && line.event === 'step' && ++steps === point.afterSteps) setTimeout(kill, point.delayMs);
  };
}

async function killLoop(store: StoreOptions, seed: number): Promise<Record<string, number>> {
  const next = random(seed);
  const runId = `kill-loop-${randomUUID()}`;
  const sessionId = randomUUID();
  const file = join(freshAppDirectory(), 'effects.txt');

  // The reference: the same run, uninterrupted and not durable.
  // Closed before the children start, so that with the embedded store they host it themselves.
  const reference = new DurableSession(store);
  await runAgent(stepAgent({ effectsFile: join(freshAppDirectory(), 'reference.txt') }), STEPPER_INPUT, reference, false, {
    maxTurns: 30,
  });
  const expected = await conversation(reference);
  await reference.close();

  const reportedInDoubt = new Set<number>();
  let kills = 0;
  let doneLine: ChildLine | undefined;
  while (!doneLine) {
    const journaled = journaledModelCalls(await storedJournal(store, runId));
    const stepsDone = stepCounts(read(file)).size;
    // Kill at step lines while enough steps remain for the kills still to come, else while starting.
    const killsLeft = KILLS - kills;
    const room = (STEPS - 2 - stepsDone) / (2 * Math.max(killsLeft, 1));
    const point: KillPoint | undefined =
      killsLeft === 0
        ? undefined
        : next() < room
          ? { at: 'step', afterSteps: 1 + Math.floor(next() * Math.min(2, Math.max(1, room))), delayMs: Math.floor(next() * 12) }
          : { at: 'ready' };
    const firstRequest = server.requests.length;
    const { lines, killed } = await runChild(childArgs(store, runId, sessionId, file), killer(point));

    const sent = new Set(server.requests.slice(firstRequest).map((request) => request.ruleId));
    for (let ordinal = 0; ordinal < journaled; ordinal++) {
      assert.ok(!sent.has(ruleOfCall(ordinal)), `journaled model call ${ordinal} was sent again after kill ${kills}`);
    }
    for (const line of lines) {
      if (line.event === 'in_doubt') for (const call of line.calls) reportedInDoubt.add(JSON.parse(call.arguments).step);
    }
    if (killed) kills++;
    else doneLine = lines.at(-1);
  }

  assert.equal(kills, KILLS, 'the run was killed as often as asked');
  assert.deepEqual(doneLine, { event: 'done', finalOutput: 'All 20 steps are recorded.' });

  const journal = await storedJournal(store, runId);
  assert.equal(journaledModelCalls(journal), MODEL_CALLS, 'each model call journaled once');
  for (const entry of journal) {
    if (entry.kind === 'tool_in_doubt') reportedInDoubt.add(JSON.parse(entry.body.arguments).step);
  }
  const counts = stepCounts(read(file));
  for (let step = 1; step <= STEPS; step++) {
    const runs = counts.get(step) ?? 0;
    assert.ok(runs >= 1, `step ${step} ran`);
    assert.ok(runs === 1 || reportedInDoubt.has(step), `step ${step} ran ${runs} times without being reported in doubt`);
  }

  const session = new DurableSession({ sessionId, ...store });
  assert.deepEqual(await conversation(session), expected, 'same conversation as an uninterrupted run');
  await session.close();
  return { kills, inDoubt: reportedInDoubt.size, repeatedEffects: [...counts.values()].filter((n) => n > 1).length };
}

describe('kill -9 during a durable twenty-turn run', () => {
  test('embedded store, hosted by whichever child runs', { timeout: 30 * 60_000 }, async (t) => {
    t.diagnostic(JSON.stringify(await killLoop({ pglitePath: join(freshAppDirectory(), 'pglite') }, 7919)));
  });

  test('PostgreSQL', { timeout: 30 * 60_000 }, async (t) => {
    t.diagnostic(JSON.stringify(await killLoop({ connectionString: testDatabaseUrl() }, 104_729)));
  });
});
