"""Brings a store's schema up to date with the SQL files shared with TypeScript."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import IncompatibleStoreError
from .database import Database

# The migrations live once, in the repository's language-neutral spec/migrations.
# A built package carries a copy in its own migrations/ folder (see hatch_build.py).
_PACKAGE = Path(__file__).resolve().parent.parent
_CANDIDATE_DIRECTORIES = (
    _PACKAGE / "migrations",  # built package
    _PACKAGE.parent.parent.parent / "spec" / "migrations",  # checkout: <repo>/python/src/timestep
)

# Any constant works; both languages use this one so their migrators exclude each other.
MIGRATION_LOCK_KEY = 7_405_733_001


@dataclass(frozen=True)
class Migration:
    version: int
    """Position in the ordered list, starting at 1."""
    name: str
    sql: str


def migrations_directory() -> Path:
    for candidate in _CANDIDATE_DIRECTORIES:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("Timestep SQL migrations not found; the package is incomplete, reinstall it.")


def load_migrations(directory: Path | None = None) -> list[Migration]:
    """The migrations in name order; the position in the list is the version."""
    files = sorted((directory or migrations_directory()).glob("*.sql"), key=lambda path: path.name)
    return [
        Migration(version=index + 1, name=path.stem, sql=path.read_text(encoding="utf-8"))
        for index, path in enumerate(files)
    ]


async def migrate(db: Database, migrations: list[Migration] | None = None) -> None:
    """Applies every migration the store has not recorded yet.

    Safe when several processes (in either language) start at once: the
    transaction-scoped advisory lock makes them take turns, and each applies
    only what is not yet recorded.
    """
    migrations = load_migrations() if migrations is None else migrations
    async with db.transaction() as tx:
        await tx.query("SELECT pg_advisory_xact_lock(%s)", [MIGRATION_LOCK_KEY])
        await tx.exec(
            """CREATE TABLE IF NOT EXISTS timestep_migrations (
      version    integer     PRIMARY KEY,
      name       text        NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )"""
        )
        [row] = await tx.query("SELECT coalesce(max(version), 0)::int AS current FROM timestep_migrations")
        current: int = row["current"]
        if current > len(migrations):
            raise IncompatibleStoreError(
                f"This store's schema is version {current}, newer than this Timestep knows "
                f"({len(migrations)}). Upgrade Timestep."
            )
        for migration in migrations[current:]:
            await tx.exec(migration.sql)
            await tx.query(
                "INSERT INTO timestep_migrations (version, name) VALUES (%s, %s)",
                [migration.version, migration.name],
            )
