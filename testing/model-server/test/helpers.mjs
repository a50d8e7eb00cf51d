// Shared helpers for the model-server tests.
//
// The real clients (openai, @openai/agents, ollama, zod) are loaded from the
// TypeScript package's node_modules, because the server itself must stay free
// of npm dependencies and the tests should exercise exactly the client
// versions the project ships with.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(here, '..', '..', '..');
export const serverPath = join(repoRoot, 'testing', 'model-server', 'server.mjs');
export const referenceScenarioPath = join(repoRoot, 'spec', 'scenarios', 'reference-eight-turns.json');
export const echoScenarioPath = join(repoRoot, 'spec', 'scenarios', 'echo.json');
const nodeModules = join(repoRoot, 'typescript', 'node_modules');

/**
 * Imports a package's ESM entry from typescript/node_modules. (A bare
 * `import 'openai'` would resolve relative to this file, where there is no
 * node_modules.)
 *
 * @param {string} name  package name, e.g. '@openai/agents'
 */
export async function importFromTypescript(name) {
  const packageDir = join(nodeModules, name);
  const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  let entry = pkg.exports?.['.'] ?? pkg.module ?? pkg.main;
  while (entry && typeof entry === 'object') entry = entry.import ?? entry.default;
  return import(pathToFileURL(join(packageDir, entry)).href);
}

/** A 4×4 red PNG as a data URL: the image of turn 8. */
export const RED_SQUARE_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAEElEQVR4nGP4z8AARwzEcQCukw/x0F8jngAAAABJRU5ErkJggg==';
export const RED_SQUARE_DATA_URL = `data:image/png;base64,${RED_SQUARE_BASE64}`;

/**
 * POSTs JSON; returns status, content type and the whole body as text
 * (streamed bodies included).
 * @param {string} url
 * @param {unknown} body
 */
export async function postJson(url, body) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, contentType: response.headers.get('content-type'), text: await response.text() };
}

/**
 * Parses an SSE body into `{ event, data }` records (data JSON-parsed unless
 * it is `[DONE]`).
 * @param {string} text
 */
export function parseSse(text) {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      /** @type {{ event?: string, data?: any }} */
      const record = {};
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) record.event = line.slice(7);
        if (line.startsWith('data: ')) {
          const data = line.slice(6);
          record.data = data === '[DONE]' ? data : JSON.parse(data);
        }
      }
      return record;
    });
}

/**
 * The eight user turns of the reference scenario with the final answers the
 * scenario scripts for them.
 */
export const REFERENCE_TURNS = [
  { text: "What's 2+2?", answer: '2 + 2 = 4.' },
  { text: "What's the weather in Oakland?", answer: 'The weather in Oakland: sunny in Oakland' },
  { text: "What's three times that number you calculated earlier?", answer: '3 × 4 = 12.' },
  { text: "What's the weather in Berkeley?", answer: 'The weather in Berkeley: sunny in Berkeley' },
  { text: "What's the weather on the Dark Side of the Moon?", answer: "I can't check the weather on the Moon." },
  { text: "What's four times the last number we calculated minus one?", answer: '4 × 12 − 1 = 47.' },
  { text: "What's four times the last number we calculated minus six?", answer: '4 × 12 − 6 = 42.' },
  { text: 'What do you see in this image?', image: true, answer: 'I see a small red square.' },
];

/** Rule ids the reference conversation should hit, in order. */
export const REFERENCE_RULE_IDS = [
  'math-two-plus-two',
  'handoff-to-weather-oakland',
  'weather-lookup-oakland',
  'weather-answer-oakland',
  'math-three-times',
  'handoff-to-weather-berkeley',
  'weather-lookup-berkeley',
  'weather-answer-berkeley',
  'moon-weather',
  'math-four-times-minus-one',
  'math-four-times-minus-six',
  'image-description',
];
