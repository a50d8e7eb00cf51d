import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/environment.js';

/**
 * Values reach SQL only as bound parameters. Every `${…}` inside a SQL
 * template literal of the product code must be one of the fixed fragments
 * below (column lists and generated placeholder lists), never a value.
 */
const ALLOWED_FRAGMENTS = new Set(['METADATA_COLUMNS', 'CHAIN_METADATA_COLUMNS', 'LATEST', 'UNDECIDED', 'UNDECIDED_DURABLE', 'FINISHED_BEFORE', 'JOURNAL_ENTRY_COUNT', "rows.join(', ')", 'params.length - 1', 'params.length']);
const SQL_WORDS = /\b(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP)\b/;

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(directory, entry.name)) : entry.name.endsWith('.ts') ? [join(directory, entry.name)] : [],
  );
}

test('SQL in the TypeScript package interpolates no values', () => {
  const offenders: string[] = [];
  let sqlTemplates = 0;
  for (const file of sourceFiles(join(REPO_ROOT, 'typescript/src'))) {
    const source = readFileSync(file, 'utf8');
    for (const template of source.matchAll(/`([^`]*)`/g)) {
      if (!SQL_WORDS.test(template[1])) continue;
      sqlTemplates++;
      for (const [, expression] of template[1].matchAll(/\$\{([^}]*)\}/g)) {
        if (!ALLOWED_FRAGMENTS.has(expression.trim())) offenders.push(`${file}: \${${expression}}`);
      }
    }
  }
  assert.ok(sqlTemplates >= 5, 'the scan found the SQL it is meant to check');
  assert.deepEqual(offenders, []);
});
