"""Saves the versions of a run and loads them back as live ``RunState``s."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Generic, Literal, Self, TypedDict, TypeVar

from agents import Agent
from agents.run_state import RunState

from ..errors import InvalidRunStateError, RunStateConflictError, RunStateNotFoundError
from ..portable_state.agent_graph import build_graph, require_known_agents
from ..portable_state.errors import UnportableRunStateError
from ..portable_state.from_portable import from_portable_run_state
from ..portable_state.to_portable import to_portable_run_state
from .connect import DatabaseHandle, StoreOptions
from .database import Row
from .identifiers import check_identifier
from .sdk_info import SDK_NAME, SDK_VERSION

TContext = TypeVar("TContext")

RunStatus = Literal["interrupted", "checkpoint", "final"]
"""interrupted: waiting for approvals; checkpoint: mid-run; final: the run finished."""


class PendingApproval(TypedDict):
    """A tool call waiting for a human decision, as stored in ``pending_approvals``."""

    agent: str
    tool: str
    call_id: str | None
    arguments: str | None


@dataclass(frozen=True)
class RunStateVersion:
    """What the store knows about one saved version, without the state itself."""

    run_id: str
    version: int
    session_id: str | None
    status: RunStatus
    current_agent: str | None
    created_at: datetime
    sdk_name: str
    sdk_version: str
    sdk_schema_version: str
    pending_approvals: list[PendingApproval]


_METADATA_COLUMNS = (
    "run_id, version, session_id, status, current_agent, created_at, "
    "sdk_name, sdk_version, sdk_schema_version, pending_approvals"
)


def _status_of(head: dict[str, Any]) -> RunStatus:
    step = head.get("current_step") or {}
    if step.get("type") == "next_step_interruption":
        return "interrupted"
    # The SDK clears current_step once the run has produced its final output;
    # a state that has not run a turn yet has none either.
    if not step and (head.get("current_turn") or 0) > 0:
        return "final"
    return "checkpoint"


def _pending_approvals_of(state: RunState[Any, Any]) -> list[PendingApproval]:
    approvals: list[PendingApproval] = []
    for item in state.get_interruptions():
        raw = item.raw_item
        call_id = raw.get("call_id") if isinstance(raw, dict) else getattr(raw, "call_id", None)
        approvals.append(
            {"agent": item.agent.name, "tool": item.name or "unknown", "call_id": call_id, "arguments": item.arguments}
        )
    return approvals


def _portable_or_none(state: RunState[Any, Any]) -> str | None:
    """The portable form as JSON text, or None when the state holds something it cannot carry."""
    try:
        return json.dumps(to_portable_run_state(state))
    except UnportableRunStateError:
        return None


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _to_version(row: Row) -> RunStateVersion:
    return RunStateVersion(**{field.name: row[field.name] for field in fields(RunStateVersion)})


class RunStateStore(Generic[TContext]):
    """Saves the versions of one run and loads them back as live ``RunState``s.

    Every ``save`` appends a version; nothing is overwritten, so any past
    version can be loaded. The database is chosen by ``connection_string``,
    then ``TIMESTEP_DB_URL``, then the embedded store in the app directory.
    """

    def __init__(
        self,
        agent: Agent[Any],
        *,
        session_id: str | None = None,
        run_id: str | None = None,
        connection_string: str | None = None,
        use_pglite: bool | None = None,
        pglite_path: str | os.PathLike[str] | None = None,
    ) -> None:
        """
        Args:
            agent: the starting agent of the run; loaded states are bound to its agent graph.
            session_id: the conversation the run belongs to, recorded with every version.
            run_id: identifies the run; defaults to ``session_id``, else a new random id.
        """
        if agent is None:
            raise TypeError("RunStateStore needs agent: the starting agent that loaded states are bound to.")
        self._agent = agent
        self.session_id = None if session_id is None else check_identifier("session_id", session_id)
        default_run_id = session_id if session_id is not None else str(uuid.uuid4())
        self.run_id = check_identifier("run_id", run_id if run_id is not None else default_run_id)
        self._db = DatabaseHandle(
            StoreOptions(connection_string, use_pglite, pglite_path), f"RunStateStore for run {self.run_id}"
        )

    async def save(
        self,
        state: RunState[TContext, Any] | str,
        *,
        status: RunStatus | None = None,
        expected_version: int | None = None,
    ) -> RunStateVersion:
        """Appends ``state`` as the run's next version and returns what was recorded.

        Accepts a ``RunState`` or the string of ``state.to_string()``. With
        ``expected_version`` (0 for the first save), nothing is written and
        ``RunStateConflictError`` is raised if the store holds another latest version.
        """
        text, parsed = await self._serialise(state)
        head = json.loads(text)
        portable = _portable_or_none(parsed)
        db = await self._db.get()
        async with db.transaction() as tx:
            # Saves of one run take turns, so versions are gap-free and a stale
            # expected_version is caught instead of silently forking history.
            await tx.query("SELECT pg_advisory_xact_lock(hashtextextended(%s, 7405733))", [self.run_id])
            [row] = await tx.query(
                "SELECT coalesce(max(version), 0)::int AS latest FROM timestep_run_states WHERE run_id = %s",
                [self.run_id],
            )
            latest: int = row["latest"]
            if expected_version is not None and expected_version != latest:
                raise RunStateConflictError(
                    f"Run {self.run_id} is at version {latest}, not {expected_version}: another writer saved it "
                    "first. Load the latest version and decide again.",
                    self.run_id,
                    expected_version,
                    latest,
                )
            [inserted] = await tx.query(
                f"""INSERT INTO timestep_run_states
                      (run_id, version, session_id, status, current_agent, sdk_name, sdk_version,
                       sdk_schema_version, native_state, native_sha256, pending_approvals, portable_state)
                    VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s::jsonb)
                    RETURNING {_METADATA_COLUMNS}""",
                [
                    self.run_id,
                    latest + 1,
                    self.session_id,
                    status or _status_of(head),
                    (head.get("current_agent") or {}).get("name"),
                    SDK_NAME,
                    SDK_VERSION,
                    head.get("$schemaVersion", "unknown"),
                    text,
                    _sha256(text),
                    json.dumps(_pending_approvals_of(parsed)),
                    portable,
                ],
            )
        return _to_version(inserted)

    async def _serialise(self, state: RunState[TContext, Any] | str) -> tuple[str, RunState[Any, Any]]:
        if isinstance(state, RunState):
            text = state.to_string()
            # Cheap check instead of a full reparse: the state must name only
            # agents of this store's graph, or load() could never bind it.
            require_known_agents(build_graph(self._agent), json.loads(text))
            return text, state
        if isinstance(state, str):
            # Validated by parsing it the way load() will, so nothing unloadable is stored.
            return state, await self._parse(state, "save")
        raise InvalidRunStateError(
            "save() takes a RunState (e.g. result.to_state()) or its to_string(); "
            f"got {type(state).__name__}."
        )

    async def _parse(self, text: str, during: Literal["save", "load"], context: Any = None) -> RunState[Any, Any]:
        try:
            return await RunState.from_string(self._agent, text, context_override=context)
        except Exception as error:
            raise InvalidRunStateError(
                f"Cannot {during} run state for run {self.run_id}: {error} "
                f'(check that it is a {SDK_NAME} RunState and that agent "{self._agent.name}" '
                "is the run's starting agent)."
            ) from error

    async def load(self, *, version: int | None = None, context: TContext | None = None) -> RunState[TContext, Any]:
        """Loads the latest version (or ``version``) as a live ``RunState`` bound to the agent.

        ``context`` replaces the serialised context, e.g. to restore objects that are not JSON.
        A version saved by the TypeScript SDK is built from its portable form.
        """
        db = await self._db.get()
        columns = f"{_METADATA_COLUMNS}, native_state, native_sha256, portable_state"
        if version is None:
            rows = await db.query(
                f"SELECT {columns} FROM timestep_run_states WHERE run_id = %s ORDER BY version DESC LIMIT 1",
                [self.run_id],
            )
        else:
            rows = await db.query(
                f"SELECT {columns} FROM timestep_run_states WHERE run_id = %s AND version = %s",
                [self.run_id, version],
            )
        if not rows:
            raise RunStateNotFoundError(
                f"No saved state for run {self.run_id}. Save one first with store.save(result.to_state())."
                if version is None
                else f"Run {self.run_id} has no version {version}; store.history() lists the saved versions.",
                self.run_id,
                version,
            )
        row = rows[0]
        if row["sdk_name"] != SDK_NAME:
            if row["portable_state"] is None:
                raise InvalidRunStateError(
                    f"Version {row['version']} of run {self.run_id} was saved by {row['sdk_name']} "
                    f"{row['sdk_version']} without a portable form (it holds something the portable format "
                    "cannot carry); resume it in that SDK."
                )
            # Saved by the other language: build this SDK's state from the portable form.
            # Its typed errors (unknown version, agent or tool missing) pass through as they are.
            return await from_portable_run_state(row["portable_state"], self._agent, context=context)
        if _sha256(row["native_state"]) != row["native_sha256"]:
            raise InvalidRunStateError(
                f"Version {row['version']} of run {self.run_id} is damaged in storage (checksum mismatch); "
                "load an earlier version."
            )
        return await self._parse(row["native_state"], "load", context)

    async def history(self) -> list[RunStateVersion]:
        """Every saved version of the run, oldest first."""
        db = await self._db.get()
        rows = await db.query(
            f"SELECT {_METADATA_COLUMNS} FROM timestep_run_states WHERE run_id = %s ORDER BY version",
            [self.run_id],
        )
        return [_to_version(row) for row in rows]

    async def clear(self) -> int:
        """Deletes every saved version of this run and returns how many there were."""
        db = await self._db.get()
        rows = await db.query("DELETE FROM timestep_run_states WHERE run_id = %s RETURNING version", [self.run_id])
        return len(rows)

    async def close(self) -> None:
        """Releases the database. Further calls raise ``StoreClosedError``."""
        await self._db.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        # Closing matters: an open connection pool can keep asyncio.run from returning.
        await self.close()
