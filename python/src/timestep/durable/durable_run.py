"""Runs or resumes a durable run: journaled as it happens, replayed from its journal on resume."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from agents import Agent, RunConfig, Runner, RunResult, RunResultStreaming, Session
from agents.items import TResponseInputItem
from agents.models.interface import Model
from agents.run_state import RunState
from agents.stream_events import StreamEvent

from ..session.durable_session import DurableSession, store_target_of
from ..store.approval_decisions import apply_decisions, decisions_for
from ..store.connect import DatabaseHandle, StoreOptions, StoreTarget, describe_store_target
from ..store.database import Queryable
from ..store.identifiers import check_identifier

# The same computation RunStateStore uses, so both tables list pending calls alike.
from ..store.run_state_store import PendingApproval
from ..store.run_state_store import _pending_approvals_of as pending_approvals_of
from .durable_stream_events import record_stream_segment
from .errors import DurableRunConflictError, DurableRunMismatchError, DurableRunUnsupportedError
from .graph_fingerprint import graph_fingerprint
from .journal import RUN_JOURNAL_FORMAT, RUN_JOURNAL_VERSION, Json, LeasedRow, QueuedRow, RunJournal
from .journal_format import check_readable
from .journaled_agent_graph import journaled_agent_graph, refuse_unjournalable_graph
from .journaling_model import JournalingModel, JournalingModelProvider
from .replay_session import ReplaySession, every_item
from .run_lease import LeaseRenewal, check_lease_ms, new_lease_owner, owner_is_gone, take_lease
from .run_replay import RunReplay
from .segment_state import load_state, state_record

_Input = str | list[TResponseInputItem] | RunState[Any, Any]


@dataclass(frozen=True)
class DurableOptions:
    """The ``durable`` option of ``run_agent``: the run's id and the store its journal is in."""

    run_id: str
    """Names the run. A new id starts a durable run; a known one resumes it from its journal
    (same or another process, either language) instead of starting over."""
    connection_string: str | None = None
    """As ``StoreOptions.connection_string``: PostgreSQL URL, wins over everything else."""
    use_pglite: bool | None = None
    """As ``StoreOptions.use_pglite``."""
    pglite_path: str | os.PathLike[str] | None = None
    """As ``StoreOptions.pglite_path``."""
    timeout_ms: int | None = None
    """As ``StoreOptions.timeout_ms``."""
    lease_ms: int | None = None
    """How long the run's lease lasts, in ms (default 30 000); renewed every third of it while
    the run executes. A process that dies holds the run at most this long."""

    def store_options(self) -> StoreOptions:
        """The store part of these options."""
        return StoreOptions(self.connection_string, self.use_pglite, self.pglite_path, self.timeout_ms)


@dataclass(frozen=True)
class LeaseHolder:
    """How a call holds the run's lease."""

    owner: str
    lease_ms: int
    claimed: bool
    """A worker claimed the lease before calling; otherwise the call takes it itself."""


@dataclass(frozen=True)
class _SegmentPlan:
    segment: int
    start: Json
    # The segment already ended (finished or interrupted): this execution only replays it.
    ended: bool
    # It ended waiting for approvals.
    interrupted: bool
    # This call wrote its segment_started: nothing of it is stored yet.
    started_here: bool


def _input_items(input: str | list[TResponseInputItem]) -> list[Any]:
    # A string is one user message, written as both languages write it (spec/run-journal), so
    # either one's check of a resumed run's input (`_same_input`) accepts the other's journal.
    items = [{"type": "message", "role": "user", "content": input}] if isinstance(input, str) else input
    # As JSON, as the journal holds it.
    return [json.loads(json.dumps(item)) for item in items]


def _same_input(given: list[Any], original: list[Any]) -> bool:
    # A message item may leave out "type" (the SDKs read such items as messages).
    def normal(items: list[Any]) -> list[Any]:
        return [{"type": "message", **item} if isinstance(item, dict) and "role" in item else item for item in items]

    return normal(given) == normal(original)


def _is_empty_input(input: _Input) -> bool:
    """``[]`` or ``""``: the input of a call that resumes a run."""
    return input == "" or input == []


async def _session_record(session: Session | None) -> Json | None:
    if session is None:
        return None
    return {"id": session.session_id, "items_before": len(await every_item(session))}


async def _plan_segment(
    journal: RunJournal,
    agent: Agent[Any],
    input: _Input,
    session: Session | None,
    max_turns: int | None,
    lease: LeaseHolder,
) -> _SegmentPlan:
    """Decides which segment this call executes, writing its ``segment_started`` when it starts one.

    Refuses (before writing anything) a call that does not fit the journal.
    ``max_turns`` is the caller's (None: it passed none; no limit is refused before this).
    """
    run_id = journal.run_id

    async def start_body(source: _Input) -> Json:
        return {
            "format": RUN_JOURNAL_FORMAT,
            "version": RUN_JOURNAL_VERSION,
            "agent": agent.name,
            "input": None if isinstance(source, RunState) else _input_items(source),
            "state": state_record(source) if isinstance(source, RunState) else None,
            "session": await _session_record(session),
            "max_turns": max_turns,
        }

    if journal.run is None:
        # Empty input means "resume": with no run to resume (a mistyped id, another store), starting
        # one on nothing would only send the session's history to the model again.
        if _is_empty_input(input):
            raise DurableRunMismatchError(
                f"Durable run {run_id} does not exist in this store, so there is nothing to resume; "
                "pass the run's input to start it. Nothing was written.",
                run_id,
            )
        start = await start_body(input)
        row = LeasedRow(graph_fingerprint(agent), lease.owner, lease.lease_ms)
        await journal.create(start["session"]["id"] if start["session"] else None, start, row)
        return _SegmentPlan(0, start, False, False, True)

    def mismatch(what: str) -> DurableRunMismatchError:
        return DurableRunMismatchError(f"Cannot resume durable run {run_id}: {what}. Nothing was written.", run_id)

    if journal.run.agent != agent.name:
        raise mismatch(f"it started with agent {journal.run.agent}, this call passes {agent.name}")
    session_id = session.session_id if session is not None else None
    if journal.run.session_id != session_id:
        raise mismatch(f"it runs in session {journal.run.session_id or '(none)'}, this call passes {session_id or '(none)'}")
    starts = [entry for entry in journal.entries if entry.kind == "segment_started"]
    last = starts[-1]
    ended = next((e for e in journal.entries if e.kind == "segment_ended" and e.segment == last.segment), None)
    if isinstance(input, RunState):
        if ended is None or ended.body.get("outcome") != "interrupted":
            raise mismatch(
                "a RunState continues a durable run only when the run is waiting for approvals; "
                "to resume it after a crash, pass the original input or []"
            )
        start = await start_body(input)
        await _hold_lease(journal, lease)
        await journal.append(last.segment + 1, "segment_started", None, start)
        return _SegmentPlan(last.segment + 1, start, False, False, True)
    # Whatever segment it is in, a run is resumed with the input it started with (or []).
    if not _is_empty_input(input) and not _same_input(_input_items(input), starts[0].body["input"] or []):
        raise mismatch("the input differs from the one it was started with (pass the same input, or [])")
    # Every execution of a segment (a worker's too) uses the limit it started with, so another
    # limit passed now would be ignored: say so instead.
    recorded = last.body["max_turns"]
    if max_turns is not None and recorded is not None and max_turns != recorded:
        raise mismatch(f"it runs with max_turns {recorded}, this call passes {max_turns} (pass the same limit, or none)")
    await _hold_lease(journal, lease)
    interrupted = ended is not None and ended.body.get("outcome") == "interrupted"
    return _SegmentPlan(last.segment, last.body, ended is not None, interrupted, False)


async def _hold_lease(journal: RunJournal, lease: LeaseHolder) -> None:
    """Takes the run's lease for a direct call.

    Refuses (nothing written) a live lease of another owner unless that owner
    no longer drives the run (``owner_is_gone``).
    """
    if lease.claimed:
        return
    run = journal.run
    assert run is not None
    held = run.lease_live and run.lease_owner is not None and run.lease_owner != lease.owner
    stale = run.lease_owner if held and run.lease_owner is not None and owner_is_gone(run.lease_owner, journal.run_id) else None
    if not await take_lease(journal.db, journal.run_id, lease.owner, lease.lease_ms, stale):
        raise DurableRunConflictError(
            f"Durable run {journal.run_id} is being driven by {run.lease_owner or 'another process'} (its lease is "
            "live). Let that process finish it, or resume the run once its lease has expired. Nothing was written.",
            journal.run_id,
        )


async def _decided_by_store(db: Queryable, run_id: str, state: RunState[Any, Any]) -> bool:
    """Applies the decisions ``timestep runs approve|reject`` stored for the run; True when no call is left undecided."""
    apply_decisions(state, await decisions_for(db, run_id))
    return not pending_approvals_of(state)


def _pending_of(result: RunResult | RunResultStreaming) -> list[PendingApproval]:
    return pending_approvals_of(result.to_state()) if result.interruptions else []


async def _segment_input(start: Json, graph: Agent[Any], run_id: str, context: Any) -> _Input:
    """What the SDK runs the segment from: its journaled input, or its journaled RunState."""
    if start["state"] is None:
        items: list[TResponseInputItem] = start["input"]
        return items
    return await load_state(start["state"], graph, run_id, context)


def _journaling_config(config: RunConfig, replay: RunReplay) -> RunConfig:
    """``config`` (the configuration the call would use without the durable option) with its models journaled."""
    model = config.model
    return dataclasses.replace(
        config,
        model_provider=JournalingModelProvider(config.model_provider, replay),
        model=JournalingModel(model, replay) if isinstance(model, Model) else model,
    )


def _refuse_unsupported_options(options: dict[str, Any], run_id: str) -> None:
    if options.get("previous_response_id") or options.get("conversation_id") or options.get("auto_previous_response_id"):
        raise DurableRunUnsupportedError(
            "Durable runs keep the conversation themselves; previous_response_id, auto_previous_response_id "
            "and conversation_id are not supported.",
            run_id,
        )
    # The journal records "no limit given" as null, and a resume that passes none (a worker's)
    # would then run under the SDK's default limit: refuse rather than fail such a run later.
    if "max_turns" in options and options["max_turns"] is None:
        raise DurableRunUnsupportedError(
            "A durable run needs a turn limit; max_turns=None (no limit) is not supported. Pass a number, e.g. max_turns=100.",
            run_id,
        )
    _check_max_turns(options.get("max_turns"))


def _check_max_turns(max_turns: object) -> None:
    """The journal records the limit for every execution of the run, so one it cannot run under is refused first."""
    if max_turns is not None and (isinstance(max_turns, bool) or not isinstance(max_turns, int) or max_turns < 1):
        raise ValueError(f"max_turns must be a whole number of at least 1, got {max_turns!r}. Nothing was written.")


# Tasks recording a streamed run's end, by run id (kept here too because asyncio holds only weak
# references to tasks). A consumer may be done with the stream before its end is recorded (one that
# awaits run_loop_task), so a call on the run in this process waits for the recording first.
_recording_ends: dict[str, asyncio.Task[None]] = {}


async def run_durably(
    agent: Agent[Any],
    input: _Input,
    session: Session | None,
    stream: bool,
    options: dict[str, Any],
    durable: DurableOptions,
) -> RunResult | RunResultStreaming:
    """Runs (or resumes) the durable run ``durable.run_id``.

    Every model response and tool result is journaled as it happens, and
    whatever the journal already holds is replayed instead of being requested
    or executed again. ``options`` are ``Runner.run``'s, with a ``RunConfig``.
    The call holds the run's lease while it executes (spec/run-journal, "Leases and workers").
    """
    lease = LeaseHolder(new_lease_owner(), check_lease_ms(durable.lease_ms), claimed=False)
    return await execute_durably(agent, input, session, stream, options, durable, lease)


async def execute_durably(
    agent: Agent[Any],
    input: _Input,
    session: Session | None,
    stream: bool,
    options: dict[str, Any],
    durable: DurableOptions,
    lease: LeaseHolder,
) -> RunResult | RunResultStreaming:
    """``run_durably`` for a caller that holds ``lease`` already or takes it itself (``lease.claimed``)."""
    run_id = check_identifier("run_id", durable.run_id)
    _refuse_unsupported_options(options, run_id)
    refuse_unjournalable_graph(agent, run_id)
    if (recording_end := _recording_ends.get(run_id)) is not None:
        await asyncio.shield(recording_end)
    handle = DatabaseHandle(durable.store_options(), f"Durable run {run_id}")
    journal: RunJournal | None = None
    renewal: LeaseRenewal | None = None

    async def stop_renewing() -> None:
        nonlocal renewal
        if renewal is not None:
            await renewal.stop()
            renewal = None

    async def failed(failed_journal: RunJournal | None, error: BaseException | None) -> None:
        # This process drives the run until its end is recorded (owner_is_gone): the renewal stops last.
        try:
            await _mark_failed(failed_journal, error, lease.owner)
        finally:
            await stop_renewing()

    try:
        db = await handle.get()
        segment_input = input
        # A streamed call replays a segment that ended waiting for approvals without streaming it
        # first: if stored decisions decide every pending call, it streams the continuation instead.
        # Otherwise it replays the segment again, streamed, to return the interruption.
        stream_interruption = False
        # Each pass executes one segment; a pass that replays an interrupted segment whose calls
        # are all decided by stored decisions continues with the next segment in the same call.
        while True:
            journal = await RunJournal.open(db, run_id)
            check_readable(journal)
            plan = await _plan_segment(journal, agent, segment_input, session, options.get("max_turns"), lease)
            lease = dataclasses.replace(lease, claimed=True)  # held from here on, by this call
            if renewal is None:
                renewal = LeaseRenewal(db, run_id, lease.owner, lease.lease_ms)
            streamed = stream and (stream_interruption or not plan.interrupted)
            replay = RunReplay(journal, plan.segment, streamed)
            graph = journaled_agent_graph(agent, replay)
            config = options.get("run_config")
            run_options = {
                **options,
                "run_config": _journaling_config(RunConfig(**config) if isinstance(config, dict) else config or RunConfig(), replay),
            }
            start = plan.start
            if start["max_turns"] is not None:
                run_options["max_turns"] = start["max_turns"]
            # A streamed run's consumer may read the session as the events come, so its writes are awaited.
            run_session = None
            if session is not None:
                items_before = start["session"]["items_before"]
                run_session = await ReplaySession.open(session, items_before, journal, not streamed, plan.started_here)
            run_input = await _segment_input(start, graph, run_id, options.get("context"))

            # Bound as defaults: these closures outlive this pass of the loop (a stream ends later).
            async def finish(
                result: RunResult | RunResultStreaming, plan: _SegmentPlan = plan, opened: RunJournal = journal, owner: str = lease.owner
            ) -> None:
                outcome: Literal["interrupted", "finished"] = "interrupted" if result.interruptions else "finished"
                # This process drives the run until its end is recorded (owner_is_gone).
                try:
                    await opened.end(outcome, _pending_of(result), owner, None if plan.ended else (plan.segment, outcome))
                finally:
                    await stop_renewing()

            async def fail(error: BaseException | None, opened: RunJournal = journal) -> None:
                await failed(opened, error)

            if streamed:
                streaming = Runner.run_streamed(graph, run_input, session=run_session, **run_options)
                record_stream_segment(streaming, plan.segment)
                _record_end_of_stream(run_id, streaming, finish, fail, handle)
                return streaming
            result = await Runner.run(graph, run_input, session=run_session, **run_options)
            await journal.flush()
            if plan.ended and result.interruptions:
                state = result.to_state()
                if await _decided_by_store(db, run_id, state):
                    segment_input = state
                    continue
            if stream:
                stream_interruption = True
                continue
            await finish(result)
            await handle.close()
            return result
    except BaseException as error:
        # A journal write that failed inside a tool reaches here wrapped by the SDK (UserError):
        # raise what really stopped the run (e.g. DurableRunConflictError).
        failure = journal.failure if journal is not None else None
        # A call refused before it held the lease changes nothing.
        await failed(journal if lease.claimed else None, failure or error)
        await handle.close()
        if failure is not None and failure is not error:
            raise failure from error
        raise


def _refuse_session_of_another_store(session: DurableSession, run_store: StoreTarget, run_id: str) -> None:
    """A worker reopens a submitted run's session by id in the run's store.

    In another store it would find another conversation (or none) and add the run's items there.
    """
    session_store = store_target_of(session)
    if session_store != run_store:
        raise DurableRunMismatchError(
            f"Durable run {run_id} would run in {describe_store_target(run_store)}, but its DurableSession keeps its items in "
            f"{describe_store_target(session_store)}; a worker reopens the session in the run's store. Give the session and "
            "the run the same store options. Nothing was written.",
            run_id,
        )


async def submit_run(
    agent: Agent[Any],
    input: str | list[TResponseInputItem],
    session: Session | None = None,
    *,
    durable: DurableOptions,
    max_turns: int | None = None,
) -> None:
    """Submits a durable run for a worker (``RunWorker``, ``python -m timestep.worker``).

    Writes the run's row (``queued``, no lease) and its first journal entry, and
    executes nothing. The session, if any, must be a Timestep ``DurableSession``
    in the same store, so that the worker can reopen it by id. ``max_turns``
    (default: the SDK's) is the turn limit the worker runs it with.
    """
    run_id = check_identifier("run_id", durable.run_id)
    refuse_unjournalable_graph(agent, run_id)
    if session is not None and not isinstance(session, DurableSession):
        raise DurableRunUnsupportedError(
            "A submitted run is resumed by a worker, which reopens its session by id as a Timestep DurableSession; "
            f"{type(session).__name__} cannot be reopened that way. Pass a DurableSession (in the run's store) or "
            "no session. Nothing was written.",
            run_id,
        )
    _check_max_turns(max_turns)
    if _is_empty_input(input) or not isinstance(input, str | list):
        raise DurableRunMismatchError(
            f"Durable run {run_id} needs its input (a string or a list of input items) to be submitted. Nothing was written.",
            run_id,
        )
    handle = DatabaseHandle(durable.store_options(), f"Durable run {run_id}")
    if session is not None:
        _refuse_session_of_another_store(session, handle.target(), run_id)
    try:
        journal = await RunJournal.open(await handle.get(), run_id)
        if journal.run is not None:
            raise DurableRunConflictError(
                f"Durable run {run_id} exists already (status {journal.run.status}); submit a new run id. Nothing was written.",
                run_id,
            )
        start: Json = {
            "format": RUN_JOURNAL_FORMAT,
            "version": RUN_JOURNAL_VERSION,
            "agent": agent.name,
            "input": _input_items(input),
            "state": None,
            "session": await _session_record(session),
            "max_turns": max_turns,
        }
        await journal.create(start["session"]["id"] if start["session"] else None, start, QueuedRow(graph_fingerprint(agent)))
    finally:
        await handle.close()


def _record_end_of_stream(
    run_id: str,
    streamed: RunResultStreaming,
    finish: Callable[[RunResultStreaming], Awaitable[None]],
    fail: Callable[[BaseException | None], Awaitable[None]],
    handle: DatabaseHandle,
) -> None:
    """The stream's consumer drives the run; its end is journaled when it comes.

    The stream ends for the consumer only after that, so a resume that
    follows a finished stream finds the segment ended (and does not end it twice).
    """
    recorded: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def record(task: asyncio.Task[Any]) -> None:
        try:
            error = None if task.cancelled() else task.exception()
            # A run its consumer cancelled (result.cancel(), either mode) stopped mid-run: it is
            # recorded as failed, as an aborted run is, so that a resume continues it.
            cancelled = getattr(streamed, "_cancel_mode", "none") != "none"
            if error is None and not task.cancelled() and streamed.is_complete and not cancelled:
                await finish(streamed)
            else:
                await fail(error)
        except Exception:  # noqa: BLE001, S110 - the consumer sees the run's own error through the stream
            pass
        finally:
            await handle.close()
            recorded.set_result(None)

    def done(task: asyncio.Task[Any]) -> None:
        recording = asyncio.ensure_future(record(task))
        _recording_ends[run_id] = recording
        recording.add_done_callback(lambda _: _recording_ends.pop(run_id, None))

    assert streamed.run_loop_task is not None
    streamed.run_loop_task.add_done_callback(done)
    events = streamed.stream_events

    async def stream_events() -> AsyncIterator[StreamEvent]:
        try:
            async for event in events():
                yield event
        except Exception:
            await asyncio.shield(recorded)  # the run's failure too is recorded before the consumer sees it
            raise
        await asyncio.shield(recorded)

    streamed.stream_events = stream_events  # type: ignore[method-assign]


async def _mark_failed(journal: RunJournal | None, error: BaseException | None, owner: str) -> None:
    """Records that the run stopped with an error (releasing the lease), unless another process drives it now."""
    # (Callers call it only while holding the lease: a direct call refused as a mismatch changes nothing,
    # while a worker's claimed run that does not fit its agents is failed, so max_attempts bounds its retries.)
    if journal is None or isinstance(error, DurableRunConflictError):
        return
    try:
        await journal.end("failed", [], owner)
    except Exception:  # noqa: BLE001, S110 - the original error matters more; the lease expires and a resumer retries
        pass
