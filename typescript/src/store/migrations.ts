import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.js';
import { IncompatibleStoreError } from '../errors.js';

/**
 * The SQL migrations live once, in the repository's language-neutral
 * `spec/migrations`, and are read by both languages. A published package
 * carries a build-time copy in its own `migrations/` folder.
 */
const CANDIDATE_DIRECTORIES = [
  new URL('../../migrations/', import.meta.url), // installed package: <pkg>/dist/store -> <pkg>/migrations
  new URL('../../../spec/migrations/', import.meta.url), // repository checkout: typescript/{src,dist}/store
];

export interface Migration {
  /** Position in the ordered list, starting at 1. */
  version: number;
  name: string;
  sql: string;
}

export function migrationsDirectory(): string {
  for (const candidate of CANDIDATE_DIRECTORIES) {
    const path = fileURLToPath(candidate);
    if (existsSync(path)) return path;
  }
  throw new Error('Timestep SQL migrations not found; the package is incomplete, reinstall it.');
}

/** The migrations in order; the position in the list is the version. */
export function loadMigrations(directory = migrationsDirectory()): Migration[] {
  return readdirSync(directory)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file, index) => ({
      version: index + 1,
      name: file.replace(/\.sql$/, ''),
      sql: readFileSync(`${directory}/${file}`, 'utf8'),
    }));
}

// Any constant works; both languages use this one so their migrators exclude each other.
const MIGRATION_LOCK_KEY = 7_405_733_001;

/**
 * Brings the schema up to date. Safe when several processes (in either
 * language) start at once: the transaction-scoped advisory lock makes them
 * take turns, and each applies only what is not yet recorded.
 */
export async function migrate(db: Database, migrations = loadMigrations()): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.exec(`CREATE TABLE IF NOT EXISTS timestep_migrations (
      version    integer     PRIMARY KEY,
      name       text        NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const [{ current }] = await tx.query<{ current: number }>(
      'SELECT coalesce(max(version), 0)::int AS current FROM timestep_migrations',
    );
    if (current > migrations.length) {
      throw new IncompatibleStoreError(
        `This store's schema is version ${current}, newer than this Timestep knows (${migrations.length}). Upgrade Timestep.`,
      );
    }
    for (const migration of migrations.slice(current)) {
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO timestep_migrations (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ]);
    }
  });
}
