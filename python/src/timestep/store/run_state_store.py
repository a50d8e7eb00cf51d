"""Saves the versions of a run and loads them back as live ``RunState``s."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Generic, Literal, NoReturn, Self, TypedDict, TypeVar, get_args

from agents import Agent
from agents.run_state import RunState

from ..errors import InvalidRunStateError, RunStateNotFoundError
from ..portable_state.agent_graph import build_graph, require_known_agents
from ..portable_state.errors import UnportableRunStateError
from ..portable_state.from_portable import from_portable_run_state
from ..portable_state.to_portable import to_portable_run_state
from .approval_decisions import apply_decisions, decisions_for
from .connect import DatabaseHandle, StoreOptions
from .database import Queryable, Row
from .identifiers import check_identifier
from .sdk_info import SDK_NAME, SDK_VERSION
from .state_delta import apply_delta, apply_delta_document, delta_document, diff
from .storable_value import check_storable_json
from .version_table import METADATA_COLUMNS, EncodedState, append_version, find_version, read_chain

TContext = TypeVar("TContext")

RunStatus = Literal["interrupted", "checkpoint", "final"]
"""interrupted: waiting for approvals; checkpoint: mid-run; final: the run finished."""

_STATUSES: tuple[RunStatus, ...] = get_args(RunStatus)

# Versions are PostgreSQL integers.
_MAX_VERSION = 2**31 - 1


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


# The longest run of delta versions between full ones (spec/state-delta): a
# state saved again and again with small changes would otherwise make loading
# read thousands of rows before its deltas reach twice the full version's size.
_MAX_DELTAS = 32


@dataclass(frozen=True)
class _LastSaved:
    """The version this store saved last, kept as the base of the next version's delta."""

    version: int
    sha256: str
    """The checksum of its native text."""
    native: Any
    """json.loads of the native text stored (whole) for it."""
    portable: Any
    """Its portable form as JSON, or None."""
    full_size: int
    """Bytes of the native text of the latest full version at or below it."""
    deltas_size: int
    """Bytes of the native delta documents stored since that full version."""
    deltas: int
    """How many delta versions were stored since that full version."""


@dataclass(frozen=True)
class _Encoded:
    """A version as it goes into its row, with the sizes the next version's encoding depends on."""

    state: EncodedState
    full_size: int
    """Bytes of the native text of the latest full version at or below it."""
    deltas_size: int
    """Bytes of the native delta documents stored since that full version, its own included."""
    deltas: int
    """How many delta versions were stored since that full version, itself included."""


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
    """The interruptions still waiting for a decision.

    approve()/reject() record the decision in the state's context and leave the
    interruption in place until the run resumes, so decided calls are left out.
    """
    # RunState has no public accessor for its context wrapper, which holds the decisions.
    decisions = getattr(state, "_context", None)
    approvals: list[PendingApproval] = []
    for item in state.get_interruptions():
        raw = item.raw_item
        call_id = raw.get("call_id") if isinstance(raw, dict) else getattr(raw, "call_id", None)
        tool = item.tool_name or item.name
        if decisions is not None and call_id and tool and decisions.is_tool_approved(tool, call_id) is not None:
            continue
        approvals.append(
            {"agent": item.agent.name, "tool": item.name or "unknown", "call_id": call_id, "arguments": item.arguments}
        )
    return approvals


def _check_version(name: str, value: object, lowest: int, advice: str) -> None:
    """A version number argument must be an int the table can hold (bool is not a number here)."""
    if isinstance(value, bool) or not isinstance(value, int) or not lowest <= value <= _MAX_VERSION:
        raise InvalidRunStateError(
            f"{name} must be a whole number from {lowest} to {_MAX_VERSION}{advice}, got {value!r}."
        )


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
        agent: Agent[TContext],
        *,
        session_id: str | None = None,
        run_id: str | None = None,
        connection_string: str | None = None,
        use_pglite: bool | None = None,
        pglite_path: str | os.PathLike[str] | None = None,
        timeout_ms: int | None = None,
    ) -> None:
        """
        Args:
            agent: the starting agent of the run; loaded states are bound to its agent graph.
            session_id: the conversation the run belongs to, recorded with every version.
            run_id: identifies the run; defaults to ``session_id``, else a new random id.
            timeout_ms: longest wait on the store (see ``StoreOptions.timeout_ms``).
        """
        if agent is None:
            raise TypeError("RunStateStore needs agent: the starting agent that loaded states are bound to.")
        self._agent = agent
        self.session_id = None if session_id is None else check_identifier("session_id", session_id)
        default_run_id = session_id if session_id is not None else str(uuid.uuid4())
        self.run_id = check_identifier("run_id", run_id if run_id is not None else default_run_id)
        self._db = DatabaseHandle(
            StoreOptions(connection_string, use_pglite, pglite_path, timeout_ms), f"RunStateStore for run {self.run_id}"
        )
        self._last_saved: _LastSaved | None = None

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
        if status is not None and status not in _STATUSES:
            raise InvalidRunStateError(
                f"status must be one of {', '.join(map(repr, _STATUSES))} or None (derived from the state), "
                f"got {status!r}."
            )
        if expected_version is not None:
            _check_version("expected_version", expected_version, 0, " (0 for the run's first save)")
        try:
            return await self._save(state, status, expected_version)
        except BaseException:
            # Whatever failed, the run may have moved on: the next save starts a full version.
            self._last_saved = None
            raise

    async def _save(
        self, state: RunState[TContext, Any] | str, status: RunStatus | None, expected_version: int | None
    ) -> RunStateVersion:
        text, parsed = await self._serialise(state)
        native = json.loads(text)
        check_storable_json(text, native, "$.state")
        portable_text = _portable_or_none(parsed)
        portable = None if portable_text is None else json.loads(portable_text)
        checksum = _sha256(text)
        full = _Encoded(EncodedState("full", text, portable_text), len(text.encode("utf-8")), 0, 0)
        encoded = self._as_delta(text, native, portable, expected_version) or full
        values: list[object] = [
            self.run_id,
            self.session_id,
            status or _status_of(native),
            (native.get("current_agent") or {}).get("name"),
            SDK_NAME,
            SDK_VERSION,
            native.get("$schemaVersion", "unknown"),
            checksum,
            json.dumps(_pending_approvals_of(parsed)),
        ]
        db = await self._db.get()
        row, stored = await append_version(db, self.run_id, values, encoded.state, full.state, expected_version)
        version = _to_version(row)
        self._remember(version.version, checksum, native, portable, encoded if stored is encoded.state else full)
        return version

    def _as_delta(
        self, text: str, native: Any, portable: Any, expected_version: int | None
    ) -> _Encoded | None:
        """The version as a delta on the one this store saved last, when the spec allows one."""
        last = self._last_saved
        if last is None or (expected_version is not None and expected_version != last.version):
            return None
        if portable is not None and last.portable is None:
            return None  # a portable delta cannot start from a version without a portable form
        if last.deltas >= _MAX_DELTAS:
            return None  # loading reads at most this many deltas
        ops = diff(last.native, native)
        native_state = json.dumps(delta_document(last.version, ops), separators=(",", ":"))
        size = len(native_state.encode("utf-8"))
        if last.deltas_size + size >= 2 * last.full_size:
            return None  # time for a full version: the deltas since the last one stay below twice its size
        # The delta must give back these exact bytes, checked before writing: a
        # string saved with other formatting (or numbers json.dumps writes
        # differently) is stored whole.
        if json.dumps(apply_delta(last.native, ops), indent=2) != text:
            return None
        portable_state = (
            None
            if portable is None
            else json.dumps(delta_document(last.version, diff(last.portable, portable)), separators=(",", ":"))
        )
        return _Encoded(
            EncodedState("delta", native_state, portable_state, last.version, last.sha256),
            last.full_size,
            last.deltas_size + size,
            last.deltas + 1,
        )

    def _remember(self, version: int, sha256: str, native: Any, portable: Any, encoded: _Encoded) -> None:
        last = self._last_saved
        if last is not None and last.version > version:
            return  # a concurrent save of this store got further
        self._last_saved = _LastSaved(
            version, sha256, native, portable, encoded.full_size, encoded.deltas_size, encoded.deltas
        )

    async def _serialise(self, state: RunState[TContext, Any] | str) -> tuple[str, RunState[Any, Any]]:
        if isinstance(state, RunState):
            try:
                text = state.to_string()
            except (TypeError, ValueError) as error:  # json.dumps: circular or not JSON
                raise InvalidRunStateError(
                    f"Cannot save run state for run {self.run_id}: it cannot be written as JSON ({error}). "
                    "Keep the run context JSON-compatible (no cycles, sets, bytes or other objects), "
                    "and give such objects back with load(context=...)."
                ) from error
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
        if version is not None:
            _check_version("version", version, 1, " (store.history() lists them)")
        db = await self._db.get()
        rows = await read_chain(db, SDK_NAME, self.run_id, version)
        if not rows:
            await self._missing(db, version)
        row = rows[-1]
        if row["sdk_name"] != SDK_NAME:
            # Saved by the other language: build this SDK's state from the portable form.
            # Its typed errors (unknown version, agent or tool missing) pass through as they are.
            state = await from_portable_run_state(self._rebuild_portable(rows), self._agent, context=context)
        else:
            state = await self._parse(self._rebuild_native(rows), "load", context)
        # Decisions `timestep runs approve|reject` stored take effect here, when the run is next loaded.
        if state.get_interruptions():
            apply_decisions(state, await decisions_for(db, self.run_id))
        return state

    async def _missing(self, db: Queryable, version: int | None) -> NoReturn:
        """Raised when load() found no chain: the version does not exist, or its chain is broken."""
        found = await find_version(db, self.run_id, version)
        if found is not None:
            raise InvalidRunStateError(
                f"Version {found} of run {self.run_id} cannot be rebuilt: its storage is damaged "
                "(no full version at or below it). Load a later version or save the run again."
            )
        raise RunStateNotFoundError(
            f"No saved state for run {self.run_id}. Save one first with store.save(result.to_state())."
            if version is None
            else f"Run {self.run_id} has no version {version}; store.history() lists the saved versions.",
            self.run_id,
            version,
        )

    def _check_chain(self, rows: list[Row]) -> None:
        """Every row after the full one is a delta of the same SDK on the row before it."""
        target = rows[-1]
        for previous, row in zip(rows, rows[1:], strict=False):
            if row["version"] != previous["version"] + 1 or row["sdk_name"] != target["sdk_name"]:
                raise InvalidRunStateError(
                    f"Version {target['version']} of run {self.run_id} cannot be rebuilt: its storage is damaged "
                    f"(version {row['version']} does not follow version {previous['version']} of the same SDK). "
                    "Load an earlier version."
                )

    def _rebuild_native(self, rows: list[Row]) -> str:
        """The native text of the chain's last version, checked against its checksum."""
        self._check_chain(rows)
        target = rows[-1]
        if len(rows) == 1:
            text: str = target["native_state"]  # a full version is its own text, whatever its formatting
        else:
            try:
                value = json.loads(rows[0]["native_state"])
                for row in rows[1:]:
                    value = apply_delta_document(
                        value, json.loads(row["native_state"]), row["version"], run_id=self.run_id
                    )
            except ValueError as error:  # not JSON
                raise InvalidRunStateError(
                    f"Version {target['version']} of run {self.run_id} is damaged in storage ({error}); "
                    "load an earlier version."
                ) from error
            text = json.dumps(value, indent=2)
        if _sha256(text) != target["native_sha256"]:
            raise InvalidRunStateError(
                f"Version {target['version']} of run {self.run_id} is damaged in storage (checksum mismatch); "
                "load an earlier version."
            )
        return text

    def _rebuild_portable(self, rows: list[Row]) -> Any:
        """The portable form of the chain's last version (written by the other SDK)."""
        target = rows[-1]
        if target["portable_state"] is None:
            raise InvalidRunStateError(
                f"Version {target['version']} of run {self.run_id} was saved by {target['sdk_name']} "
                f"{target['sdk_version']} without a portable form (it holds something the portable format "
                "cannot carry); resume it in that SDK."
            )
        self._check_chain(rows)
        for row in rows:
            if row["portable_state"] is None:
                raise InvalidRunStateError(
                    f"Version {target['version']} of run {self.run_id} cannot be rebuilt: its storage is damaged "
                    f"(version {row['version']} of its chain has no portable form). Load an earlier version."
                )
        value = rows[0]["portable_state"]
        for row in rows[1:]:
            value = apply_delta_document(value, row["portable_state"], row["version"], run_id=self.run_id)
        return value

    async def history(self) -> list[RunStateVersion]:
        """Every saved version of the run, oldest first."""
        db = await self._db.get()
        rows = await db.query(
            f"SELECT {METADATA_COLUMNS} FROM timestep_run_states WHERE run_id = %s ORDER BY version",
            [self.run_id],
        )
        return [_to_version(row) for row in rows]

    async def clear(self) -> int:
        """Deletes every saved version of this run and returns how many there were."""
        db = await self._db.get()
        self._last_saved = None
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
