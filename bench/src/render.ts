/**
 * Re-renders bench/results/latest.md from latest.json without measuring again,
 * e.g. after the Python benchmark wrote python-latest.json:
 *   typescript/node_modules/.bin/tsx bench/src/render.ts [results dir]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './common.js';
import { renderMarkdown, type Results } from './report.js';

const dir = process.argv[2] ?? join(REPO_ROOT, 'bench', 'results');
const results = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as Results;
for (const row of results.rows) row.python = null; // refilled from python-latest.json if present
for (const target of results.targets) target.python = null;
const markdown = renderMarkdown(results, dir);
writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(dir, 'latest.md'), markdown);
console.log(`re-rendered ${join(dir, 'latest.md')}`);
