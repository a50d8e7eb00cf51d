"""Durable runs (``run_agent(..., durable=DurableOptions(run_id=...))``) on both stores.

Twin of typescript/test/durable/durableRun.test.ts. The scripted model server
answers each of the run's 21 model calls with its own rule, so its request log
shows which calls were sent; the tool's effects file shows which steps ran.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, Literal

import pytest
from agents import Agent, AgentUpdatedStreamEvent, LocalShellTool, RunConfig, RunResultStreaming, StreamEvent
from agents.run_config import CallModelData, ModelInputData
from durable.durable_support import (
    conversation,
    journaled_model_calls,
    kill_at_step,
    model_requests,
    rule_of_call,
    run_child,
    store_decision,
    store_target,
    stored_journal,
    stored_run_status,
)
from durable.step_agent import (
    FINAL_OUTPUT,
    MODEL_CALLS,
    STEPPER_INPUT,
    STEPS,
    event_summary,
    every_step_once,
    step_agent,
    step_counts,
)
from normalise import normalise_conversation
from store_support import Sql

from timestep import (
    DurableOptions,
    DurableRunConflictError,
    DurableRunDivergedError,
    DurableRunMismatchError,
    DurableRunUnreadableError,
    DurableRunUnsupportedError,
    DurableSession,
    DurableStreamPosition,
    InvalidIdentifierError,
    consume_result,
    durable_stream_events,
    run_agent,
    submit_run,
)
from timestep.durable.durable_stream_events import record_stream_segment

pytestmark = pytest.mark.usefixtures("stepper_server")


def normalise(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return normalise_conversation(items, ["Durable Stepper"])


def effects() -> Path:
    return Path(tempfile.mkdtemp(prefix="ts-effects-")) / "effects.txt"


def durable(store_options: dict[str, Any], run_id: str) -> DurableOptions:
    return DurableOptions(run_id=run_id, **store_options)


async def test_a_durable_run_equals_a_plain_run_and_resuming_it_finished_makes_no_calls(
    store_options: dict[str, Any], stepper_server: str
) -> None:
    async with DurableSession(**store_options) as plain_session, DurableSession(**store_options) as session:
        plain = await run_agent(step_agent(effects()), STEPPER_INPUT, plain_session, max_turns=30)

        run_id = f"finished-{uuid.uuid4()}"
        file = effects()
        agent = step_agent(file)
        before = len(model_requests(stepper_server))
        first = await run_agent(agent, STEPPER_INPUT, session, durable=durable(store_options, run_id), max_turns=30)
        assert len(model_requests(stepper_server)) - before == MODEL_CALLS
        assert first.final_output == plain.final_output == FINAL_OUTPUT
        assert await conversation(session) == await conversation(plain_session)
        assert every_step_once(file)

        after_run = len(model_requests(stepper_server))
        for again_input in (STEPPER_INPUT, []):
            again = await run_agent(agent, again_input, session, durable=durable(store_options, run_id), max_turns=30)
            assert again.final_output == first.final_output
        assert len(model_requests(stepper_server)) == after_run, "no model call was sent again"
        assert every_step_once(file)
        assert await conversation(session) == await conversation(plain_session), "no item was added twice"
        assert journaled_model_calls(await stored_journal(store_options, run_id)) == MODEL_CALLS


async def test_a_session_that_returns_only_recent_items_gets_no_item_twice(store_options: dict[str, Any], stepper_server: str) -> None:
    run_id = f"limited-{uuid.uuid4()}"
    file = effects()
    agent = step_agent(file)
    limited = {"session_settings": {"limit": 5}}
    async with DurableSession(**store_options, **limited) as plain, DurableSession(**store_options, **limited) as session:
        await run_agent(step_agent(effects()), STEPPER_INPUT, plain, max_turns=30)
        first = await run_agent(agent, STEPPER_INPUT, session, durable=durable(store_options, run_id), max_turns=30)
        sent = len(model_requests(stepper_server))
        again = await run_agent(agent, [], session, durable=durable(store_options, run_id), max_turns=30)
        assert again.final_output == first.final_output == FINAL_OUTPUT
        assert len(model_requests(stepper_server)) == sent
        everything = [dict(item) for item in await session.get_items(limit=1000)]
        assert len(everything) == 1 + 2 * 20 + 1, "no item stored twice"
        assert normalise(everything) == normalise([dict(item) for item in await plain.get_items(limit=1000)])


async def test_a_streamed_durable_run_is_journaled_and_resumes_without_calls(store_options: dict[str, Any], stepper_server: str) -> None:
    run_id = f"streamed-{uuid.uuid4()}"
    file = effects()
    agent = step_agent(file)
    async with DurableSession(**store_options) as session:
        before = len(model_requests(stepper_server))
        streamed = await run_agent(agent, STEPPER_INPUT, session, True, durable=durable(store_options, run_id), max_turns=30)
        offsets = [event.offset async for event in durable_stream_events(streamed) if event.offset is not None]
        # The agent, then each step's call and output, then the final message.
        assert offsets == list(range(1 + 2 * 20 + 1))
        assert len(model_requests(stepper_server)) - before == MODEL_CALLS
        replayed = await run_agent(agent, [], session, durable=durable(store_options, run_id), max_turns=30)
        assert replayed.final_output == streamed.final_output == FINAL_OUTPUT
        # A replayed stream yields the same numbered events, without the model's raw events.
        again = await run_agent(agent, [], session, True, durable=durable(store_options, run_id), max_turns=30)
        events = [event async for event in durable_stream_events(again, 5)]
        assert [event.offset for event in events] == offsets[5:]
        await consume_result(again)
        assert len(model_requests(stepper_server)) - before == MODEL_CALLS
        assert every_step_once(file)


async def test_a_stream_awaited_through_its_run_loop_task_is_resumed_at_once_in_the_same_process(
    store_options: dict[str, Any], stepper_server: str
) -> None:
    # The SDK's run_loop_task ends before the run's end is journaled; the resume waits for that, so it
    # neither takes the lease from the call still recording it nor reports a conflict.
    run_id = f"run-loop-task-{uuid.uuid4()}"
    agent = step_agent(effects())
    async with DurableSession(**store_options) as session:
        streamed = await run_agent(agent, STEPPER_INPUT, session, True, durable=durable(store_options, run_id), max_turns=30)
        assert isinstance(streamed, RunResultStreaming) and streamed.run_loop_task is not None
        await streamed.run_loop_task
        before = len(model_requests(stepper_server))
        resumed = await run_agent(agent, [], session, durable=durable(store_options, run_id), max_turns=30)
        assert resumed.final_output == FINAL_OUTPUT
        assert model_requests(stepper_server)[before:] == []
        assert [entry.kind for entry in await stored_journal(store_options, run_id)].count("segment_ended") == 1


async def test_a_resumed_stream_continues_from_the_offset_the_client_gives_with_no_event_twice(
    store_options: dict[str, Any],
) -> None:
    # What a client of an uninterrupted streamed run sees.
    async with DurableSession(**store_options) as reference:
        uninterrupted = await run_agent(
            step_agent(effects(), declare_idempotent=True),
            STEPPER_INPUT,
            reference,
            True,
            durable=durable(store_options, f"stream-reference-{uuid.uuid4()}"),
            max_turns=30,
        )
        expected = [event_summary(numbered.event) async for numbered in durable_stream_events(uninterrupted) if numbered.offset is not None]

    # The same run, its process killed twice mid-stream; each resume asks for the offsets after the last one seen.
    run_id = f"stream-{uuid.uuid4()}"
    session_id = str(uuid.uuid4())
    file = effects()
    seen: list[tuple[int, str]] = []
    for kill_after in (9, 14, None):
        start = seen[-1][0] + 1 if seen else 0
        received = 0

        def kill_when(line: dict[str, Any], kill: Callable[[], None], limit: int | None = kill_after) -> None:
            nonlocal received
            if line["event"] == "stream":
                received += 1
                if received == limit:
                    kill()

        child = run_child(
            "python",
            [store_target(store_options), run_id, session_id, str(file), "--idempotent", "--stream", "--from", str(start)],
            kill_when,
        )
        assert child.killed == (kill_after is not None), "killed mid-stream, or ran to the end"
        seen += [(line["offset"], line["summary"]) for line in child.lines if line["event"] == "stream"]
    assert [offset for offset, _ in seen] == list(range(len(expected))), "every offset once, in order"
    assert [summary for _, summary in seen] == expected
    assert every_step_once(file)


async def read_numbered(result: RunResultStreaming, from_offset: int | DurableStreamPosition = 0) -> list[tuple[int, int, str]]:
    """The numbered events of a durable stream, as (segment, offset, summary)."""
    return [
        (numbered.segment, numbered.offset, event_summary(numbered.event))
        async for numbered in durable_stream_events(result, from_offset)
        if numbered.offset is not None
    ]


async def test_a_streamed_resume_applies_stored_decisions_and_streams_the_continuation_as_the_next_segment(
    store_options: dict[str, Any], stepper_server: str, sql: Sql
) -> None:
    run_id = f"stream-decided-{uuid.uuid4()}"
    session_id = str(uuid.uuid4())
    file = effects()
    before = len(model_requests(stepper_server))
    run_child("python", [store_target(store_options), run_id, session_id, str(file), "--hang-at", "4"], kill_at_step(4))
    agent = step_agent(file)
    async with DurableSession(session_id, **store_options) as session:
        # The first resume finds the call in doubt and ends segment 0 waiting for its approval.
        first = await consume_result(await run_agent(agent, [], session, True, durable=durable(store_options, run_id), max_turns=30))
        [in_doubt] = first.interruptions
        call_id = in_doubt.call_id
        assert call_id is not None
        journal_before = await stored_journal(store_options, run_id)

        # Undecided: the stream replays the interruption, and nothing new is journaled.
        waiting = await run_agent(agent, [], session, True, durable=durable(store_options, run_id), max_turns=30)
        replayed = await read_numbered(waiting)
        assert [item.call_id for item in waiting.interruptions] == [call_id]
        assert replayed and all(segment == 0 for segment, _, _ in replayed)
        assert await stored_journal(store_options, run_id) == journal_before
        assert await stored_run_status(store_options, run_id) == "interrupted"

        await store_decision(sql, run_id, call_id)
        # The client passes the position after the last event it handled: everything of the new segment is later.
        continued = await run_agent(agent, [], session, True, durable=durable(store_options, run_id), max_turns=30)
        events = await read_numbered(continued, DurableStreamPosition(0, len(replayed)))
        assert continued.final_output == FINAL_OUTPUT
        assert all(segment == 1 for segment, _, _ in events), "the continuation is segment 1"
        assert [offset for _, offset, _ in events] == list(range(len(events))), "offsets from 0, none left out"
        # (The Python SDK starts every stream with the agent, a stream continued from a RunState too.)
        assert events[0][2] == "agent_updated Durable Stepper"
        assert events[1][2].startswith(f"tool_output | tool_call_output_item | {call_id} |"), "then the approved call's output"
        assert events[-1][2].endswith(FINAL_OUTPUT), "and streams up to the final answer"
        assert every_step_once(file)
        assert len(model_requests(stepper_server)) - before == MODEL_CALLS, "every model call was sent once"
        journal = await stored_journal(store_options, run_id)
        assert [entry.segment for entry in journal if entry.kind == "segment_started"] == [0, 1]
        assert journal[: len(journal_before)] == journal_before

        # Resuming the finished run streams segment 1 again from the journal: a position in it skips what was seen.
        again = await run_agent(agent, [], session, True, durable=durable(store_options, run_id), max_turns=30)
        assert await read_numbered(again, DurableStreamPosition(1, 5)) == events[5:]
        assert len(model_requests(stepper_server)) - before == MODEL_CALLS, "the replay sent nothing"
        later = await run_agent(agent, [], session, True, durable=durable(store_options, run_id), max_turns=30)
        with pytest.raises(ValueError, match="segment 1"):
            await read_numbered(later, DurableStreamPosition(2, 0))
        await consume_result(later)


class _Stream:
    """Stands in for a RunResultStreaming: durable_stream_events only iterates its events."""

    def __init__(self, count: int) -> None:
        self.count = count

    async def stream_events(self) -> AsyncIterator[StreamEvent]:
        for _ in range(self.count):
            yield AgentUpdatedStreamEvent(new_agent=Agent(name="Durable Stepper"))


async def test_a_stream_position_in_an_earlier_segment_yields_every_event_and_a_later_one_is_refused() -> None:
    stream = _Stream(3)
    record_stream_segment(stream, 2)

    async def offsets(from_offset: Any) -> list[tuple[int, int | None]]:
        return [(numbered.segment, numbered.offset) async for numbered in durable_stream_events(stream, from_offset)]

    assert await offsets(1) == [(2, 1), (2, 2)], "an offset is one in the stream's segment"
    assert await offsets(DurableStreamPosition(2, 1)) == [(2, 1), (2, 2)]
    assert await offsets(DurableStreamPosition(1, 7)) == [(2, 0), (2, 1), (2, 2)]
    assert await offsets(DurableStreamPosition(2, 3)) == []
    with pytest.raises(ValueError, match="belongs to another run"):
        await offsets(DurableStreamPosition(3, 0))
    for invalid in (-1, True, 1.5, "1", DurableStreamPosition(0, -1), DurableStreamPosition(-1, 0), DurableStreamPosition(True, 0)):
        with pytest.raises(ValueError, match="non-negative integer"):
            await offsets(invalid)
    assert [numbered.segment async for numbered in durable_stream_events(_Stream(1))] == [0], "a stream of no durable run: segment 0"


async def test_a_call_in_doubt_comes_back_as_an_approval_and_approving_runs_it_once_more(
    store_options: dict[str, Any], stepper_server: str
) -> None:
    run_id = f"in-doubt-{uuid.uuid4()}"
    session_id = str(uuid.uuid4())
    file = effects()
    before = len(model_requests(stepper_server))
    killed = run_child("python", [store_target(store_options), run_id, session_id, str(file), "--hang-at", "3"], kill_at_step(3))
    assert killed.killed
    assert len(model_requests(stepper_server)) - before == 3, "three model calls before the crash"

    agent = step_agent(file)
    async with DurableSession(session_id, **store_options) as session:
        resumed = await run_agent(agent, STEPPER_INPUT, session, durable=durable(store_options, run_id), max_turns=30)
        assert len(model_requests(stepper_server)) - before == 3, "the resume replayed the journaled calls"
        assert [json.loads(item.arguments or "null") for item in resumed.interruptions] == [{"step": 3}]
        journal = await stored_journal(store_options, run_id)
        assert [entry.kind for entry in journal].count("tool_in_doubt") == 1, "the journal records the call in doubt"

        state = resumed.to_state()
        state.approve(resumed.interruptions[0])
        finished = await run_agent(agent, state, session, durable=durable(store_options, run_id), max_turns=30)
        assert finished.final_output == FINAL_OUTPUT
        assert len(model_requests(stepper_server)) - before == MODEL_CALLS, "every model call was sent once"
        assert every_step_once(file)  # step 3 hung before its effect, so running it again made it happen once


async def test_rejecting_a_call_in_doubt_gives_the_model_the_rejection(store_options: dict[str, Any], stepper_server: str) -> None:
    run_id = f"reject-{uuid.uuid4()}"
    session_id = str(uuid.uuid4())
    file = effects()
    before = len(model_requests(stepper_server))
    run_child("python", [store_target(store_options), run_id, session_id, str(file), "--hang-at", "3"], kill_at_step(3))
    agent = step_agent(file)
    async with DurableSession(session_id, **store_options) as session:
        resumed = await run_agent(agent, [], session, durable=durable(store_options, run_id), max_turns=30)
        assert len(resumed.interruptions) == 1
        state = resumed.to_state()
        state.reject(resumed.interruptions[0])
        finished = await run_agent(agent, state, session, durable=durable(store_options, run_id), max_turns=30)
        assert finished.final_output == "A step was not approved; stopping."
        assert step_counts(file) == {1: 1, 2: 1}, "the rejected step never ran"
        assert model_requests(stepper_server)[before:] == ["step-1", "step-2", "step-3", "rejected"]


async def test_a_call_in_doubt_of_an_idempotent_tool_is_run_again_without_asking(
    store_options: dict[str, Any], stepper_server: str
) -> None:
    run_id = f"idempotent-{uuid.uuid4()}"
    session_id = str(uuid.uuid4())
    file = effects()
    before = len(model_requests(stepper_server))
    run_child("python", [store_target(store_options), run_id, session_id, str(file), "--hang-at", "5", "--idempotent"], kill_at_step(5))
    async with DurableSession(session_id, **store_options) as session:
        result = await run_agent(
            step_agent(file, declare_idempotent=True), [], session, durable=durable(store_options, run_id), max_turns=30
        )
        assert result.interruptions == []
        assert result.final_output == FINAL_OUTPUT
        assert len(model_requests(stepper_server)) - before == MODEL_CALLS
        assert every_step_once(file)


async def test_a_replay_that_asks_for_something_else_than_the_journal_recorded_is_refused(
    store_options: dict[str, Any], stepper_server: str
) -> None:
    run_id = f"diverged-{uuid.uuid4()}"
    agent = step_agent(effects())
    async with DurableSession(**store_options) as session:
        await run_agent(agent, STEPPER_INPUT, session, durable=durable(store_options, run_id), max_turns=30)
        journal = await stored_journal(store_options, run_id)
        before = len(model_requests(stepper_server))

        # A filter that drops the oldest item makes the replayed requests differ from the journaled ones.
        def drop_first(data: CallModelData[Any]) -> ModelInputData:
            return ModelInputData(input=data.model_data.input[1:], instructions=data.model_data.instructions)

        with pytest.raises(DurableRunDivergedError) as raised:
            await run_agent(
                agent,
                [],
                session,
                durable=durable(store_options, run_id),
                max_turns=30,
                run_config=RunConfig(call_model_input_filter=drop_first),
            )
        assert raised.value.run_id == run_id
        assert len(model_requests(stepper_server)) == before, "nothing was sent"
        assert len(await stored_journal(store_options, run_id)) == len(journal), "nothing was written"


async def test_resuming_with_other_input_another_session_or_another_turn_limit_is_refused_and_changes_nothing_stored(
    store_options: dict[str, Any],
) -> None:
    run_id = f"mismatch-{uuid.uuid4()}"
    agent = step_agent(effects())
    async with DurableSession(**store_options) as session, DurableSession(**store_options) as other:
        await run_agent(agent, STEPPER_INPUT, session, durable=durable(store_options, run_id), max_turns=30)
        journal = await stored_journal(store_options, run_id)
        with pytest.raises(DurableRunMismatchError):
            await run_agent(agent, "Something else.", session, durable=durable(store_options, run_id))
        with pytest.raises(DurableRunMismatchError):
            await run_agent(agent, [], other, durable=durable(store_options, run_id))
        renamed = agent.clone(name="Someone Else")
        with pytest.raises(DurableRunMismatchError):
            await run_agent(renamed, [], session, durable=durable(store_options, run_id))
        with pytest.raises(DurableRunMismatchError, match="max_turns 30, this call passes 5"):
            await run_agent(agent, [], session, durable=durable(store_options, run_id), max_turns=5)
        assert len(await stored_journal(store_options, run_id)) == len(journal)
        resumed = await run_agent(agent, [], session, durable=durable(store_options, run_id))
        assert resumed.final_output == "All 20 steps are recorded.", "no limit passed: the recorded one applies"
        # A refused call never held the lease, so it cannot mark the run failed.
        assert await stored_run_status(store_options, run_id) == "finished"


async def test_what_durable_runs_cannot_journal_is_refused_before_anything_is_written(
    store_options: dict[str, Any],
) -> None:
    run_id = f"unsupported-{uuid.uuid4()}"
    agent = step_agent(effects())
    with pytest.raises(DurableRunUnsupportedError):
        await run_agent(agent, STEPPER_INPUT, None, durable=durable(store_options, run_id), previous_response_id="r_1")
    with pytest.raises(DurableRunUnsupportedError, match="turn limit"):
        await run_agent(agent, STEPPER_INPUT, None, durable=durable(store_options, run_id), max_turns=None)
    # A limit the journal would record for every later execution, which none could run under.
    for bad_limit in (0, "3", True, 2.5):
        with pytest.raises(ValueError, match="max_turns must be a whole number of at least 1"):
            await run_agent(agent, STEPPER_INPUT, None, durable=durable(store_options, run_id), max_turns=bad_limit)
    with pytest.raises(InvalidIdentifierError):
        await run_agent(agent, STEPPER_INPUT, None, durable=durable(store_options, ""))
    # Empty input resumes; a run id with no run (mistyped, another store) has nothing to resume.
    for resume in ([], ""):
        with pytest.raises(DurableRunMismatchError, match="does not exist in this store, so there is nothing to resume"):
            await run_agent(agent, resume, None, durable=durable(store_options, run_id))
    with_shell = agent.clone(tools=[*agent.tools, LocalShellTool(executor=lambda request: "")])
    with pytest.raises(DurableRunUnsupportedError, match="local_shell"):
        await run_agent(with_shell, STEPPER_INPUT, None, durable=durable(store_options, run_id))
    assert await stored_journal(store_options, run_id) == ()


async def test_a_lease_this_process_no_longer_renews_is_taken_over_at_once_and_one_it_renews_is_not(
    store_options: dict[str, Any], sql: Sql
) -> None:
    run_id = f"own-lease-{uuid.uuid4()}"
    session_id = str(uuid.uuid4())
    file = effects()
    at_step_3 = asyncio.Event()
    release_step_3 = asyncio.Event()

    async def block_at_step_3(step: int) -> None:
        if step == 3:
            at_step_3.set()
            await release_step_3.wait()

    options = durable(store_options, run_id)
    async with DurableSession(session_id, **store_options) as session, DurableSession(session_id, **store_options) as other:
        blocking = step_agent(file, on_step=block_at_step_3)
        driving = asyncio.ensure_future(run_agent(blocking, STEPPER_INPUT, session, durable=options, max_turns=30))
        await at_step_3.wait()
        # Driven by a call of this process: another call here is refused, as one of another process would be.
        with pytest.raises(DurableRunConflictError):
            await run_agent(step_agent(file), [], other, durable=options, max_turns=30)
        release_step_3.set()
        assert (await driving).final_output == FINAL_OUTPUT

        # A lease of this process that no call renews (a call that ended while the store was away
        # could not release it) does not make the next call wait for it to expire.
        abandoned = f"{socket.gethostname()}/{os.getpid()}/{'0' * 16}"
        await sql(
            "UPDATE timestep_durable_runs SET status = 'running', lease_owner = %s, lease_expires_at = now() + interval '1 hour'"
            " WHERE run_id = %s",
            (abandoned, run_id),
        )
        resumed = await run_agent(step_agent(file), [], other, durable=options, max_turns=30)
        assert resumed.final_output == FINAL_OUTPUT
    assert await stored_run_status(store_options, run_id) == "finished"
    assert every_step_once(file)
    assert journaled_model_calls(await stored_journal(store_options, run_id)) == MODEL_CALLS


@pytest.mark.parametrize(
    ("damage", "params", "message"),
    [
        (
            "UPDATE timestep_run_journal SET body = jsonb_set(body, '{version}', '2') WHERE run_id = %s AND seq = 1",
            (),
            r"entry 1 \(segment_started\).*journal version 2.*upgrade Timestep",
        ),
        (
            "INSERT INTO timestep_run_journal (run_id, seq, segment, kind, key, body) VALUES (%s, 2, 0, 'model_response', '0', %s::jsonb)",
            (json.dumps({"input_items": 1, "usage": {"input_tokens": 1, "output_tokens": 1}}),),
            r"entry 2 \(model_response\).*output is not a list of items",
        ),
    ],
    ids=["newer-version", "response-without-output"],
)
async def test_a_journal_this_version_cannot_read_is_refused_naming_the_entry_and_nothing_is_written(
    store_options: dict[str, Any], sql: Sql, stepper_server: str, damage: str, params: tuple[Any, ...], message: str
) -> None:
    run_id = f"unreadable-{uuid.uuid4()}"
    agent = step_agent(effects())
    await submit_run(agent, STEPPER_INPUT, durable=durable(store_options, run_id), max_turns=30)
    await sql(damage, (run_id, *params))
    journal_before = await stored_journal(store_options, run_id)
    before = len(model_requests(stepper_server))
    with pytest.raises(DurableRunUnreadableError, match=message) as raised:
        await run_agent(agent, [], durable=durable(store_options, run_id), max_turns=30)
    assert "Nothing was written" in str(raised.value)
    assert len(model_requests(stepper_server)) == before, "no model call"
    assert await stored_journal(store_options, run_id) == journal_before
    [(status, attempts, owner)] = await sql("SELECT status, attempts, lease_owner FROM timestep_durable_runs WHERE run_id = %s", (run_id,))
    assert (status, attempts, owner) == ("queued", 0, None)


async def test_two_resumers_driving_one_run_at_once_still_make_each_side_effect_once(
    store_options: dict[str, Any],
) -> None:
    run_id = f"race-{uuid.uuid4()}"
    session_id = str(uuid.uuid4())
    file = effects()
    agent = step_agent(file)
    async with DurableSession(session_id, **store_options) as first, DurableSession(session_id, **store_options) as second:
        outcomes = await asyncio.gather(
            *(run_agent(agent, STEPPER_INPUT, s, durable=durable(store_options, run_id), max_turns=30) for s in (first, second)),
            return_exceptions=True,
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                assert isinstance(outcome, DurableRunConflictError), repr(outcome)
            else:
                assert outcome.final_output == FINAL_OUTPUT
        assert any(not isinstance(outcome, BaseException) for outcome in outcomes)
        finished = await run_agent(agent, [], first, durable=durable(store_options, run_id), max_turns=30)
        assert finished.final_output == FINAL_OUTPUT
        assert every_step_once(file)
        assert journaled_model_calls(await stored_journal(store_options, run_id)) == MODEL_CALLS


async def test_a_writer_that_gets_ahead_while_a_tool_runs_stops_the_run_with_a_conflict(store_options: dict[str, Any], sql: Sql) -> None:
    run_id = f"conflict-{uuid.uuid4()}"
    file = effects()

    async def other_writer(step: int) -> None:
        # Another process appends to the journal while step 2 runs (as a second resumer would).
        if step == 2:
            await sql(
                """INSERT INTO timestep_run_journal (run_id, seq, segment, kind, key, body)
                   SELECT run_id, max(seq) + 1, 0, 'tool_in_doubt', 'other', '{}'::jsonb
                   FROM timestep_run_journal WHERE run_id = %s GROUP BY run_id""",
                (run_id,),
            )

    with pytest.raises(DurableRunConflictError) as raised:
        await run_agent(step_agent(file, other_writer), STEPPER_INPUT, None, durable=durable(store_options, run_id))
    assert raised.value.run_id == run_id
    assert step_counts(file) == {1: 1, 2: 1}, "the run stopped at the write that collided"
    journal = await stored_journal(store_options, run_id)
    assert [entry.kind for entry in journal][-2:] == ["tool_started", "tool_in_doubt"], "its result was not written"


@pytest.mark.parametrize("stream", [False, True], ids=["run", "stream"])
async def test_every_turn_is_journaled_in_order_with_no_number_skipped(store_options: dict[str, Any], stream: bool) -> None:
    # Responses and results wait to be written with the next entry; the journal still reads as one entry per step.
    run_id = f"in-order-{uuid.uuid4()}"
    async with DurableSession(**store_options) as session:
        options = durable(store_options, run_id)
        result = await consume_result(await run_agent(step_agent(effects()), STEPPER_INPUT, session, stream, durable=options, max_turns=30))
        assert result.final_output == FINAL_OUTPUT
    journal = await stored_journal(store_options, run_id)
    assert [entry.seq for entry in journal] == list(range(1, len(journal) + 1))
    assert all(entry.segment == 0 for entry in journal)
    expected: list[tuple[str, str | None]] = [("segment_started", None)]
    responses = [entry for entry in journal if entry.kind == "model_response"]
    assert len(responses) == MODEL_CALLS
    for ordinal, response in enumerate(responses[:STEPS]):
        [call_id] = [item["call_id"] for item in response.body["output"] if item["type"] == "function_call"]
        key = f"{ordinal}:{call_id}"
        expected += [("model_response", str(ordinal)), ("tool_started", key), ("tool_result", key)]
    expected += [("model_response", str(STEPS)), ("segment_ended", None)]
    assert [(entry.kind, entry.key) for entry in journal] == expected
    assert await stored_run_status(store_options, run_id) == "finished"


class SessionWriteFailed(Exception):
    """What the failing session raises, so a test can tell it from any other error."""


class FailingSession(DurableSession):
    """A DurableSession whose write of the items ``fails_on`` picks raises (and stores nothing)."""

    def __init__(self, fails_on: Callable[[list[Any]], bool], session_id: str, **store_options: Any) -> None:
        super().__init__(session_id, **store_options)
        self._fails_on = fails_on

    async def add_items(self, items: list[Any]) -> None:
        if self._fails_on(items):
            raise SessionWriteFailed(f"session {self.session_id} refused {len(items)} items")
        await super().add_items(items)


def _output_of_step(step: int) -> Callable[[list[Any]], bool]:
    return lambda items: any(item.get("type") == "function_call_output" and item.get("output") == f"step {step} done" for item in items)


def _the_answer(items: list[Any]) -> bool:
    return any(item.get("role") == "assistant" for item in items)


@pytest.mark.parametrize("failing", ["step-2", "answer"])
async def test_a_session_write_that_fails_in_the_background_fails_the_run_and_a_resume_finishes_it(
    store_options: dict[str, Any], stepper_server: str, failing: str
) -> None:
    # A non-streamed run writes the session while its next model call goes out: the failure must still stop it.
    run_id = f"session-fails-{uuid.uuid4()}"
    session_id = str(uuid.uuid4())
    file = effects()
    agent = step_agent(file)
    async with DurableSession(**store_options) as plain:
        await run_agent(step_agent(effects()), STEPPER_INPUT, plain, max_turns=30)
        expected = await conversation(plain)

    fails_on = _output_of_step(2) if failing == "step-2" else _the_answer
    async with FailingSession(fails_on, session_id, **store_options) as session:
        with pytest.raises(SessionWriteFailed):
            await run_agent(agent, STEPPER_INPUT, session, durable=durable(store_options, run_id), max_turns=30)
    assert await stored_run_status(store_options, run_id) == "failed"
    journal = await stored_journal(store_options, run_id)
    assert [entry.seq for entry in journal] == list(range(1, len(journal) + 1))
    assert "segment_ended" not in [entry.kind for entry in journal]
    journaled = journaled_model_calls(journal)
    if failing == "step-2":
        # The next tool's tool_started is the write that met the failure: step 3 never ran, and
        # nothing after the failed write was stored (no call of step 3 left in doubt).
        assert step_counts(file) == {1: 1, 2: 1}
        assert journaled == 2
        assert (journal[-1].kind, journal[-1].key) == ("tool_result", journal[-2].key)
    else:
        assert every_step_once(file)
        assert journaled == MODEL_CALLS

    before = len(model_requests(stepper_server))
    async with DurableSession(session_id, **store_options) as session:
        resumed = await run_agent(agent, [], session, durable=durable(store_options, run_id), max_turns=30)
        assert resumed.final_output == FINAL_OUTPUT
        assert model_requests(stepper_server)[before:] == [rule_of_call(n) for n in range(journaled, MODEL_CALLS)]
        assert every_step_once(file)
        assert await conversation(session) == expected, "the items of the failed write, stored once"
    assert await stored_run_status(store_options, run_id) == "finished"


@pytest.mark.parametrize("mode", ["immediate", "after_turn"])
async def test_a_stream_its_consumer_cancels_is_not_recorded_as_finished_and_a_resume_finishes_the_run(
    store_options: dict[str, Any], stepper_server: str, mode: Literal["immediate", "after_turn"]
) -> None:
    run_id = f"stream-cancelled-{uuid.uuid4()}"
    file = effects()
    agent = step_agent(file)
    async with DurableSession(**store_options) as session:
        streamed = await run_agent(agent, STEPPER_INPUT, session, True, durable=durable(store_options, run_id), max_turns=30)
        assert isinstance(streamed, RunResultStreaming)
        async for event in streamed.stream_events():
            if event.type == "run_item_stream_event" and event.name == "tool_output":
                streamed.cancel(mode)  # and read on, as the SDK asks, until the stream ends
        assert await stored_run_status(store_options, run_id) == "failed", "stopped mid-run: resumable, not finished"

        resumed = await run_agent(agent, [], session, durable=durable(store_options, run_id), max_turns=30)
        assert resumed.final_output == FINAL_OUTPUT
        assert every_step_once(file)
        assert await stored_run_status(store_options, run_id) == "finished"


async def test_a_consumed_stream_that_failed_has_its_run_recorded_as_failed_so_the_same_process_resumes_it_at_once(
    store_options: dict[str, Any], stepper_server: str
) -> None:
    run_id = f"stream-fails-{uuid.uuid4()}"
    session_id = str(uuid.uuid4())
    file = effects()
    agent = step_agent(file)
    async with FailingSession(_the_answer, session_id, **store_options) as session:
        streamed = await run_agent(agent, STEPPER_INPUT, session, True, durable=durable(store_options, run_id), max_turns=30)
        with pytest.raises(SessionWriteFailed):
            await consume_result(streamed)
    # Read right after the stream ended: its end is journaled (and the lease released) before the consumer sees it.
    assert await stored_run_status(store_options, run_id) == "failed"

    before = len(model_requests(stepper_server))
    async with DurableSession(session_id, **store_options) as session:
        resumed = await consume_result(await run_agent(agent, [], session, True, durable=durable(store_options, run_id), max_turns=30))
        assert resumed.final_output == FINAL_OUTPUT
        assert model_requests(stepper_server)[before:] == []
        assert every_step_once(file)
        assert await stored_run_status(store_options, run_id) == "finished", "and the resumed stream's end, before it ends"
