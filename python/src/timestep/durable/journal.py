"""One durable run's journal in the store (spec/run-journal)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
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


def _insert_entries(run_id: str, entries: list[JournalEntry]) -> tuple[str, list[object]]:
    """An INSERT of ``entries`` and its parameters."""
    # One row of placeholders per entry: the values only ever travel as parameters.
    rows = ", ".join(["(%s, %s, %s, %s, %s, %s::jsonb)"] * len(entries))
    params: list[object] = []
    for entry in entries:
        params += [run_id, entry.seq, entry.segment, entry.kind, entry.key, json.dumps(entry.body)]
    return f"INSERT INTO timestep_run_journal (run_id, seq, segment, kind, key, body) VALUES {rows}", params


class RunJournal:
    """The run's entries as read when it was opened, and appends.

    Entries are numbered ``seq = last + 1`` when appended, so a second writer
    of the run collides on the primary key instead of forking its history,
    and written in order by one queue (tools of one turn may run
    concurrently); entries waiting in the queue are written together, in one
    INSERT.
    """

    def __init__(self, db: Database, run_id: str, run: DurableRunRow | None, entries: list[JournalEntry]) -> None:
        self._db = db
        self.run_id = run_id
        self.run = run
        self.entries: tuple[JournalEntry, ...] = tuple(entries)
        self._last_seq = entries[-1].seq if entries else 0
        self._unwritten: list[JournalEntry] = []
        """Appended, numbered, not yet sent to the store."""
        # The queue: each step runs after the one before it has settled. Steps are tasks, not
        # holders of a lock, so that one queued without being awaited (``after_stored``) takes
        # its place in line at once; the set keeps them referenced until they are done.
        self._tail: asyncio.Task[Any] | None = None
        self._queued: set[asyncio.Task[Any]] = set()
        self.failure: Exception | None = None
        """What stopped the journal: a conflict (kept because the SDK may wrap what a tool raised
        before the caller sees it), a failed write, or work done in the background. Every later
        write raises it."""

    @staticmethod
    async def open(db: Database, run_id: str) -> RunJournal:
        runs = await db.query(
            "SELECT run_id, session_id, agent, status, graph, lease_owner, attempts, pending_approvals,"
            " (lease_owner IS NOT NULL AND lease_expires_at >= now()) AS lease_live"
            " FROM timestep_durable_runs WHERE run_id = %s",
            [run_id],
        )
        if not runs:
            return RunJournal(db, run_id, None, [])  # entries exist only with their run's row
        rows = await db.query("SELECT seq, segment, kind, key, body FROM timestep_run_journal WHERE run_id = %s ORDER BY seq", [run_id])
        return RunJournal(db, run_id, DurableRunRow(**runs[0]), [JournalEntry(**row) for row in rows])

    async def create(self, session_id: str | None, body: Json, row: NewRunRow) -> None:
        """Creates the run's row (first segment of a new run) and appends its first entry, atomically."""
        leased = isinstance(row, LeasedRow)

        async def insert() -> None:
            try:
                # One statement, so one round trip: it is atomic like a transaction of two INSERTs.
                await self._db.query(
                    "WITH run AS ("
                    " INSERT INTO timestep_durable_runs"
                    " (run_id, session_id, agent, status, graph, lease_owner, lease_expires_at, attempts)"
                    " VALUES (%s, %s, %s, %s, %s, %s,"
                    " CASE WHEN %s THEN now() + %s * interval '1 millisecond' END, %s)"
                    " RETURNING run_id)"
                    " INSERT INTO timestep_run_journal (run_id, seq, segment, kind, key, body)"
                    " SELECT run_id, 1, 0, 'segment_started', NULL, %s::jsonb FROM run",
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
                        json.dumps(body),
                    ],
                )
            except UniqueViolation as error:
                raise self._failed(self._conflict()) from error
            except Exception as error:
                self.failure = error
                raise
            self._last_seq = 1

        await self._in_turn(insert)

    async def append(self, segment: int, kind: JournalEntryKind, key: str | None, body: Json) -> None:
        """Appends one entry after every entry appended before; returns once all of them are stored."""
        self.append_unstored(segment, kind, key, body)
        await self.flush()

    def append_unstored(self, segment: int, kind: JournalEntryKind, key: str | None, body: Json) -> None:
        """Appends one entry without waiting for the store; the next write (``append``, ``flush``, ``after_stored``) stores it.

        For an entry nothing outside the run has acted on yet, whose loss in a
        crash costs only a request made again; what does act on it (a tool's
        side effect, a session write, the segment's end) waits for a write first.
        """
        self._last_seq += 1
        self._unwritten.append(JournalEntry(self._last_seq, segment, kind, key, body))

    async def flush(self) -> None:
        """Returns once every entry appended so far, and the work queued before, is stored."""
        await self._in_turn(self._write_unwritten)

    def after_stored(self, work: Callable[[], Awaitable[None]]) -> None:
        """Runs ``work`` once every entry appended so far is stored, in order with the journal's writes.

        The caller does not wait for it: if it fails, its error becomes
        ``failure`` and the journal's next write raises it.
        """

        # Only the entries appended so far: a later one (say a tool's tool_started, appended while
        # this waits) must not be stored by a step whose work then fails, as if its tool had run.
        upto = self._last_seq

        async def write_then_work() -> None:
            try:
                await self._write_unwritten(upto)
                await work()
            except Exception as error:  # noqa: BLE001 - kept for the next write, which raises it
                if self.failure is None:
                    self.failure = error

        self._queue(write_then_work)

    def flush_in_background(self) -> None:
        """Starts writing every entry appended so far, without waiting for it (as ``after_stored``)."""

        async def nothing() -> None:
            pass

        self.after_stored(nothing)

    async def _write_unwritten(self, upto: int | None = None) -> None:
        """Writes the waiting entries (those numbered up to ``upto``), in one INSERT."""
        entries = self._take_unwritten(upto)
        if entries:
            sql, params = _insert_entries(self.run_id, entries)
            await self._writing(sql, params)

    def _take_unwritten(self, upto: int | None = None) -> list[JournalEntry]:
        """The waiting entries numbered up to ``upto``, taken off the queue; raises what stopped the journal."""
        if self.failure is not None:
            raise self.failure
        entries = [entry for entry in self._unwritten if upto is None or entry.seq <= upto]
        self._unwritten = self._unwritten[len(entries) :]
        return entries

    async def _writing(self, sql: str, params: list[object]) -> None:
        # If this fails, the entries are lost and their numbers taken: nothing may be written after them (failure).
        try:
            await self._db.query(sql, params)
        except UniqueViolation as error:
            raise self._failed(self._conflict()) from error
        except Exception as error:
            self.failure = error
            raise

    @property
    def db(self) -> Database:
        return self._db

    async def end(
        self,
        status: Literal["interrupted", "finished", "failed"],
        pending: list[PendingApproval],
        owner: str,
        ending: tuple[int, Literal["interrupted", "finished"]] | None = None,
    ) -> None:
        """Records how the run ended and releases ``owner``'s lease, once the work queued before is done.

        ``ending`` (segment, outcome) appends the segment's ``segment_ended`` after every
        waiting entry; the entries and the run's row are written in one statement. A
        process whose lease another one has taken since changes only the journal.
        """
        if ending is not None:
            self.append_unstored(ending[0], "segment_ended", None, {"outcome": ending[1]})
        update = (
            "UPDATE timestep_durable_runs SET status = %s, pending_approvals = %s::jsonb,"
            " lease_owner = NULL, lease_expires_at = NULL, updated_at = now()"
            " WHERE run_id = %s AND lease_owner = %s"
        )
        update_params: list[object] = [status, json.dumps(pending), self.run_id, owner]

        async def write() -> None:
            entries = [] if status == "failed" else self._take_unwritten()
            if not entries:
                await self._db.query(update, update_params)
                return
            insert, params = _insert_entries(self.run_id, entries)
            # A data-modifying WITH runs whether or not the UPDATE matches: the entries are stored as an append would.
            await self._writing(f"WITH appended AS ({insert}) {update}", params + update_params)

        # After the queued writes, but whatever stopped the journal: a failed run is recorded as failed.
        await self._in_turn(write)

    def _queue(self, step: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        """Runs ``step`` after every step queued before it has settled, whatever their outcome."""
        previous = self._tail

        async def in_turn() -> None:
            if previous is not None and not previous.done():
                await asyncio.wait([previous])
            await step()

        task = asyncio.ensure_future(in_turn())
        self._tail = task
        self._queued.add(task)
        task.add_done_callback(self._settled)
        return task

    async def _in_turn(self, step: Callable[[], Awaitable[None]]) -> None:
        # Shielded: a caller that is cancelled leaves its write to finish, so the steps after it stay in order.
        await asyncio.shield(self._queue(step))

    def _settled(self, task: asyncio.Task[Any]) -> None:
        self._queued.discard(task)
        # Retrieved here so that a step nobody awaits any more (its caller was cancelled) logs no
        # "exception was never retrieved"; a caller that awaits it still gets the error.
        if not task.cancelled():
            task.exception()

    def _failed(self, error: Exception) -> Exception:
        self.failure = error
        return error

    def _conflict(self) -> DurableRunConflictError:
        return DurableRunConflictError(
            f"Another process is running durable run {self.run_id} (its journal changed under this one). "
            "Let that process finish it, or resume the run again once it has stopped.",
            self.run_id,
        )
