"""The rows of ``timestep_run_states``: appending a version and reading the
chain of rows a version is rebuilt from (spec/state-delta, "Storing" and
"Reading"). ``RunStateStore`` decides what goes in a row; this module only
knows how rows are written and read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from psycopg.errors import UniqueViolation

from ..errors import RunStateConflictError
from .database import Database, Queryable, Row

METADATA_COLUMNS = (
    "run_id, version, session_id, status, current_agent, created_at, "
    "sdk_name, sdk_version, sdk_schema_version, pending_approvals"
)


@dataclass(frozen=True)
class EncodedState:
    """A version's state as it goes into its row: whole, or a delta on ``base_version``."""

    encoding: Literal["full", "delta"]
    native_state: str
    portable_state: str | None
    base_version: int | None = None
    """The version a delta applies to; None for a full version."""
    base_sha256: str | None = None
    """The checksum of that version's native text."""


# One statement per save, so a save is usually one round trip and one commit:
# the version is the run's latest + 1, and with a required latest (a delta's
# base or the caller's expected_version) nothing is inserted if the run has
# moved on. A delta's base must also have the checksum its writer holds (the
# run may have been cleared and saved again up to the same number). Two saves
# racing for the same version: the primary key lets one in. The statement
# inserts nothing while another save of the run holds the run's lock (_LOCK),
# so a save that lost a race is not overtaken forever.
_INSERT = f"""INSERT INTO timestep_run_states
      (run_id, session_id, status, current_agent, sdk_name, sdk_version, sdk_schema_version,
       native_sha256, pending_approvals, native_state, portable_state, state_encoding, version)
    SELECT %s::text, %s::text, %s::text, %s::text, %s::text, %s::text, %s::text,
       %s::text, %s::jsonb, %s::text, %s::jsonb, %s::text, latest + 1
    FROM (SELECT coalesce(max(version), 0) AS latest FROM timestep_run_states WHERE run_id = %s) AS run
    WHERE (%s::int IS NULL OR latest = %s::int)
      AND (%s::text IS NULL OR EXISTS (
        SELECT 1 FROM timestep_run_states base
        WHERE base.run_id = %s AND base.version = latest AND base.native_sha256 = %s::text))
      AND pg_try_advisory_xact_lock(hashtextextended(%s, 7405733))
    RETURNING {METADATA_COLUMNS}"""

# Saves of one run that find it busy take turns on this lock; under it a
# statement sees every version saved before it, so it goes through.
_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended(%s, 7405733))"

# Turns taken before giving up, when writers that do not take turns keep
# saving the run's next version first.
_SAVE_ATTEMPTS = 10

# The rows a version is rebuilt from: the latest full version at or below it,
# then every delta up to it. Only the form the reader uses is transferred: the
# native state of its own SDK's rows, the portable state of the other SDK's.
_READ_CHAIN = """WITH target AS (
      SELECT max(version) AS version FROM timestep_run_states
      WHERE run_id = %s AND (%s::int IS NULL OR version = %s::int)
    ), chain_start AS (
      SELECT max(s.version) AS version FROM timestep_run_states s, target
      WHERE s.run_id = %s AND s.version <= target.version AND s.state_encoding = 'full'
    )
    SELECT s.version, s.sdk_name, s.sdk_version, s.state_encoding, s.native_sha256,
      CASE WHEN s.sdk_name = %s THEN s.native_state END AS native_state,
      CASE WHEN s.sdk_name = %s THEN NULL ELSE s.portable_state END AS portable_state
    FROM timestep_run_states s, target, chain_start
    WHERE s.run_id = %s AND s.version BETWEEN chain_start.version AND target.version
    ORDER BY s.version"""


async def _insert(
    db: Queryable, run_id: str, values: list[object], state: EncodedState, expected_version: int | None
) -> Row | None:
    """Appends the version unless the run's latest is not the one required (a delta's base or expected_version)."""
    required = expected_version if state.base_version is None else state.base_version
    rows = await db.query(
        _INSERT,
        [
            *values,
            state.native_state,
            state.portable_state,
            state.encoding,
            run_id,
            required,
            required,
            state.base_sha256,
            run_id,
            state.base_sha256,
            run_id,
        ],
    )
    return rows[0] if rows else None


async def latest_version(db: Queryable, run_id: str) -> int:
    """The run's latest version, 0 when it has none."""
    [row] = await db.query(
        "SELECT coalesce(max(version), 0)::int AS latest FROM timestep_run_states WHERE run_id = %s", [run_id]
    )
    latest: int = row["latest"]
    return latest


async def _conflict(db: Queryable, run_id: str, expected_version: int) -> RunStateConflictError:
    latest = await latest_version(db, run_id)
    return RunStateConflictError(
        f"Run {run_id} is at version {latest}, not {expected_version}: another writer saved it "
        "first. Load the latest version and decide again.",
        run_id,
        expected_version,
        latest,
    )


async def append_version(
    db: Database,
    run_id: str,
    values: list[object],
    state: EncodedState,
    full: EncodedState,
    expected_version: int | None,
) -> tuple[Row, EncodedState]:
    """Appends the run's next version and returns its row and how it was stored.

    ``values`` are the row's columns up to ``pending_approvals`` (see ``_INSERT``).
    It is stored as ``state`` if the run is where that requires (its delta base,
    or ``expected_version``), else — without ``expected_version`` — whole, as
    ``full``. With ``expected_version`` and the run at another version, nothing is
    written and ``RunStateConflictError`` is raised.
    """
    stored = state
    try:
        inserted = await _insert(db, run_id, values, stored, expected_version)
    except UniqueViolation:
        # A concurrent save took the version after the one expected.
        if expected_version is not None:
            raise await _conflict(db, run_id, expected_version) from None
        inserted = None
    # Otherwise take turns with the run's other saves.
    for _ in range(_SAVE_ATTEMPTS):
        if inserted is not None:
            return inserted, stored
        try:
            async with db.transaction() as tx:
                await tx.query(_LOCK, [run_id])
                inserted = await _insert(tx, run_id, values, stored, expected_version)
                if inserted is None and expected_version is None and stored is not full:
                    stored = full  # the run moved on from the delta's base
                    inserted = await _insert(tx, run_id, values, stored, None)
                if inserted is None:
                    # Under the lock only a run at another version than expected_version stops it.
                    assert expected_version is not None
                    raise await _conflict(tx, run_id, expected_version)
        except UniqueViolation:
            # A writer that does not take turns saved that version first.
            if expected_version is not None:
                raise await _conflict(db, run_id, expected_version) from None
            stored, inserted = full, None
    latest = await latest_version(db, run_id)
    raise RunStateConflictError(
        f"Run {run_id} could not be saved: other writers took its next version {_SAVE_ATTEMPTS} times "
        f"(it is at version {latest}). Save again.",
        run_id,
        latest,
        latest,
    )


async def read_chain(db: Queryable, reader_sdk: str, run_id: str, version: int | None) -> list[Row]:
    """The rows ``version`` (or the latest) is rebuilt from, oldest first; none if it does not exist."""
    return await db.query(
        _READ_CHAIN, [run_id, version, version, run_id, reader_sdk, reader_sdk, run_id]
    )


async def find_version(db: Queryable, run_id: str, version: int | None) -> int | None:
    """``version`` if the run has it (or its latest version when None), else None."""
    rows = await db.query(
        "SELECT max(version) AS version FROM timestep_run_states "
        "WHERE run_id = %s AND (%s::int IS NULL OR version = %s::int)",
        [run_id, version, version],
    )
    found: int | None = rows[0]["version"] if rows else None
    return found
