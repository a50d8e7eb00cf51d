// The original design's baseline: one Node process per query. Opens the PGlite
// data directory given, runs one INSERT (the same transaction as
// RunStateStore.save: advisory lock, max(version), INSERT) or one SELECT of the
// latest version, prints the result as one JSON line, closes PGlite and exits.
//   node spawn_query.mjs insert <dataDir>   < {"params": [...12 values]}
//   node spawn_query.mjs select <dataDir> <runId>
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(join(repo, 'typescript', 'package.json'));
const { PGlite } = await import(pathToFileURL(require.resolve('@electric-sql/pglite')).href);

const [mode, dataDir, runId] = process.argv.slice(2);
const db = new PGlite(dataDir);
let out;
if (mode === 'insert') {
  const { params } = JSON.parse(readFileSync(0, 'utf8'));
  out = await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 7405733))', [params[0]]);
    const { rows } = await tx.query('SELECT coalesce(max(version), 0)::int AS latest FROM timestep_run_states WHERE run_id = $1', [params[0]]);
    const version = rows[0].latest + 1;
    await tx.query(
      `INSERT INTO timestep_run_states
         (run_id, version, session_id, status, current_agent, sdk_name, sdk_version,
          sdk_schema_version, native_state, native_sha256, pending_approvals, portable_state)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12::jsonb)`,
      [params[0], version, ...params.slice(1)],
    );
    return { version };
  });
} else if (mode === 'select') {
  const { rows } = await db.query(
    'SELECT version, native_state, native_sha256 FROM timestep_run_states WHERE run_id = $1 ORDER BY version DESC LIMIT 1',
    [runId],
  );
  out = rows[0] ?? null;
} else {
  throw new Error(`usage: spawn_query.mjs insert|select <dataDir> [runId]`);
}
await db.close();
process.stdout.write(JSON.stringify(out) + '\n');
