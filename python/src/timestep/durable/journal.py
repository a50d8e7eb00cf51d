"""One durable run's journal in the store (spec/run-journal)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any, Literal

from psycopg.errors import UniqueViolation

from ..store.database import Database
from ..store.run_state_store import PendingApproval
from .errors import DurableRunConflictError

RUN_JOURNAL_FORMAT = "timestep.run-journal"
"""Format name written into every ``segment_started`` entry."""
RUN_JOURNAL_VERSION = 1
"""Layout version written into every ``segment_started`` entry; a reader refuses others."""

DurableRunStatus = Literal["queued", "running", "interrupted", "finished", "failed"]
JournalEntryKind = Literal["segment_started", "model_response", "tool_started", "tool_result", "tool_in_doubt", "segment_ended"]

Json = dict[str, Any]
"""An entry body: JSON with snake_case keys, as described in spec/run-journal."""


@dataclass(frozen=True)
class JournalEntry:
    seq: int
    segment: int
    kind: JournalEntryKind
    key: str | None
    body: Json


@dataclass(frozen=True)
class DurableRunRow:
    run_id: str
    session_id: str | None
    agent: str
    status: DurableRunStatus
    graph: str | None
    lease_owner: str | None
    lease_live: bool
    """The lease is held and has not expired (by the store's clock)."""
    attempts: int
    pending_approvals: list[PendingApproval]


@dataclass(frozen=True)
class LeasedRow:
    """A new run's row, driven by this process under ``owner``'s lease."""

    graph: str
    owner: str
    lease_ms: int


@dataclass(frozen=True)
class QueuedRow:
    """A new run's row, queued for a worker (no lease)."""

    graph: str


NewRunRow = LeasedRow | QueuedRow


class RunJournal:
    """The run's entries as read when it was opened, and appends.

    Appends are serialised (tools of one turn may run concurrently) and
    numbered ``seq = last + 1``, so a second writer of the run collides on the
    primary key instead of forking its history.
    """

    def __init__(self, db: Database, run_id: str, run: DurableRunRow | None, entries: list[JournalEntry]) -> None:
        self._db = db
        self.run_id = run_id
        self.run = run
        self.entries: tuple[JournalEntry, ...] = tuple(entries)
        self._last_seq = entries[-1].seq if entries else 0
        self._lock = asyncio.Lock()
        self.failure: Exception | None = None
        """The error of a failed append: the run cannot go on, whatever the SDK made of the error."""

    @staticmethod
    async def open(db: Database, run_id: str) -> RunJournal:
        runs = await db.query(
            "SELECT run_id, session_id, agent, status, graph, lease_owner, attempts, pending_approvals,"
            " (lease_owner IS NOT NULL AND lease_expires_at >= now()) AS lease_live"
            " FROM timestep_durable_runs WHERE run_id = %s",
            [run_id],
        )
        rows = await db.query("SELECT seq, segment, kind, key, body FROM timestep_run_journal WHERE run_id = %s ORDER BY seq", [run_id])
        run = DurableRunRow(**runs[0]) if runs else None
        return RunJournal(db, run_id, run, [JournalEntry(**row) for row in rows])

    async def create(self, session_id: str | None, body: Json, row: NewRunRow) -> None:
        """Creates the run's row (first segment of a new run) and appends its first entry, atomically."""
        leased = isinstance(row, LeasedRow)
        async with self._lock:
            try:
                async with self._db.transaction() as tx:
                    await tx.query(
                        "INSERT INTO timestep_durable_runs"
                        " (run_id, session_id, agent, status, graph, lease_owner, lease_expires_at, attempts)"
                        " VALUES (%s, %s, %s, %s, %s, %s,"
                        " CASE WHEN %s THEN now() + %s * interval '1 millisecond' END, %s)",
                        [
                            self.run_id,
                            session_id,
                            body["agent"],
                            "running" if leased else "queued",
                            row.graph,
                            row.owner if isinstance(row, LeasedRow) else None,
                            leased,
                            row.lease_ms if isinstance(row, LeasedRow) else 0,
                            1 if leased else 0,
                        ],
                    )
                    await tx.query(
                        "INSERT INTO timestep_run_journal (run_id, seq, segment, kind, key, body)"
                        " VALUES (%s, 1, 0, 'segment_started', NULL, %s::jsonb)",
                        [self.run_id, json.dumps(body)],
                    )
            except UniqueViolation as error:
                raise self._failed(self._conflict()) from error
            except Exception as error:
                self.failure = error
                raise
            self._last_seq = 1

    async def append(self, segment: int, kind: JournalEntryKind, key: str | None, body: Json) -> None:
        """Appends one entry after every append already requested."""
        async with self._lock:
            seq = self._last_seq + 1
            try:
                await self._db.query(
                    "INSERT INTO timestep_run_journal (run_id, seq, segment, kind, key, body) VALUES (%s, %s, %s, %s, %s, %s::jsonb)",
                    [self.run_id, seq, segment, kind, key, json.dumps(body)],
                )
            except UniqueViolation as error:
                raise self._failed(self._conflict()) from error
            except Exception as error:
                self.failure = error
                raise
            self._last_seq = seq

    @property
    def db(self) -> Database:
        return self._db

    async def end(self, status: Literal["interrupted", "finished", "failed"], pending: list[PendingApproval], owner: str) -> None:
        """Records how the run ended and releases ``owner``'s lease in one statement.

        A process whose lease another one has taken since changes nothing.
        """
        async with self._lock:
            await self._db.query(
                "UPDATE timestep_durable_runs SET status = %s, pending_approvals = %s::jsonb,"
                " lease_owner = NULL, lease_expires_at = NULL, updated_at = now()"
                " WHERE run_id = %s AND lease_owner = %s",
                [status, json.dumps(pending), self.run_id, owner],
            )

    def _failed(self, error: Exception) -> Exception:
        self.failure = error
        return error

    def _conflict(self) -> DurableRunConflictError:
        return DurableRunConflictError(
            f"Another process is running durable run {self.run_id} (its journal changed under this one). "
            "Let that process finish it, or resume the run again once it has stopped.",
            self.run_id,
        )
