import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freshAppDirectory, useScriptedOpenAI } from '../support/environment.js';
import { childEnv, fixturePath, spawnTsx, succeeded } from '../fixtures/helpers.js';
import type { ModelServer } from '../../../testing/model-server/server.mjs';

let server: ModelServer;
before(async () => {
  server = await useScriptedOpenAI('reference-eight-turns'); // children inherit OPENAI_BASE_URL
});
after(() => server.close());

const RUN = fixturePath('crossProcessRun.ts');

async function lastJsonLine(child: ReturnType<typeof spawnTsx>) {
  const { stdout } = await succeeded(child);
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, any>;
}

test('two processes resuming the same interrupted run: exactly one proceeds and the tool runs once', async () => {
  const home = freshAppDirectory();
  const weatherLog = join(home, 'weather.log');
  const env = childEnv({ TIMESTEP_HOME: home, SESSION_ID: `race-${randomUUID()}`, WEATHER_LOG: weatherLog });

  const interrupted = await lastJsonLine(spawnTsx(RUN, ['interrupt'], env));
  const version = String(interrupted.saved.version);
  const racers = await Promise.all([lastJsonLine(spawnTsx(RUN, ['claim', version], env)), lastJsonLine(spawnTsx(RUN, ['claim', version], env))]);

  assert.deepEqual(racers.map((racer) => racer.claimed).sort(), [false, true], 'exactly one racer claimed the run');
  const calls = readFileSync(weatherLog, 'utf8').split('\n').filter(Boolean);
  assert.deepEqual(calls, ['Oakland', 'Berkeley'], 'the approved tool ran exactly once');
});
