"""RunStateStore on the embedded store and on PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from importlib.metadata import version
from typing import Any

import pytest
from agents import Agent, RunContextWrapper, RunResult, function_tool
from agents.run_state import CURRENT_SCHEMA_VERSION, RunState
from store_support import Sql

from timestep import (
    AgentGraphMismatchError,
    InvalidIdentifierError,
    InvalidRunStateError,
    RunStateConflictError,
    RunStateNotFoundError,
    RunStateStore,
    StoreClosedError,
    consume_result,
    run_agent,
)


def weather_agent() -> Agent[Any]:
    @function_tool(needs_approval=True)
    def get_weather(city: str) -> str:
        """Current weather for a city."""
        return f"sunny in {city}"

    return Agent(
        name="Weather Assistant",
        instructions="You are the Weather Assistant. Use get_weather to answer.",
        tools=[get_weather],
        model="gpt-4.1-mini",
    )


async def interrupted(agent: Agent[Any]) -> RunResult:
    """A run of the scripted server stopped at get_weather(Berkeley), waiting for approval."""
    result = await run_agent(agent, "What's the weather in Berkeley?")
    assert len(result.interruptions) == 1
    return result


async def test_save_and_load_round_trip_resumes_the_run(
    model_server: str, store_options: dict[str, Any], unique_id: str
) -> None:
    agent = weather_agent()
    state = (await interrupted(agent)).to_state()
    store = RunStateStore(agent, run_id=unique_id, **store_options)
    await store.save(state)
    await store.close()

    reopened = RunStateStore(agent, run_id=unique_id, **store_options)
    loaded = await reopened.load()
    [approval] = loaded.get_interruptions()
    assert (approval.name, approval.arguments) == ("get_weather", '{"city":"Berkeley"}')
    loaded.approve(approval)
    finished = await consume_result(await run_agent(agent, loaded, stream=True))
    assert finished.final_output == "The weather in Berkeley: sunny in Berkeley"
    await reopened.close()


async def test_history_records_statuses_and_queryable_pending_approvals(
    model_server: str, store_options: dict[str, Any], unique_id: str, sql: Sql
) -> None:
    agent = weather_agent()
    store = RunStateStore(agent, session_id=unique_id, **store_options)
    assert store.run_id == unique_id  # defaults to the session id
    fresh = RunState(RunContextWrapper(context={}), "hello", agent)
    await store.save(fresh)
    result = await interrupted(agent)
    state = result.to_state()
    await store.save(state)
    native = state.to_string()
    state.approve(state.get_interruptions()[0])
    finished = await run_agent(agent, state)
    await store.save(finished.to_state())

    history = await store.history()
    assert [(v.version, v.status) for v in history] == [(1, "checkpoint"), (2, "interrupted"), (3, "final")]
    assert all(v.session_id == unique_id and v.current_agent == "Weather Assistant" for v in history)
    call_id = result.interruptions[0].raw_item.call_id  # type: ignore[union-attr]
    assert history[1].pending_approvals == [
        {"agent": "Weather Assistant", "tool": "get_weather", "call_id": call_id, "arguments": '{"city":"Berkeley"}'}
    ]
    assert history[0].pending_approvals == history[2].pending_approvals == []

    waiting = await sql(
        "SELECT version FROM timestep_run_states WHERE run_id = %s AND pending_approvals @> %s::jsonb",
        (unique_id, json.dumps([{"tool": "get_weather"}])),
    )
    assert waiting == [(2,)]
    [row] = await sql(
        "SELECT sdk_name, sdk_version, sdk_schema_version, native_state, native_sha256 "
        "FROM timestep_run_states WHERE run_id = %s AND version = 2",
        (unique_id,),
    )
    assert row[:3] == ("openai-agents", version("openai-agents"), CURRENT_SCHEMA_VERSION)
    assert row[3] == native  # the SDK's own serialisation, byte for byte
    assert row[4] == hashlib.sha256(row[3].encode()).hexdigest()
    await store.close()


async def test_load_a_past_version_and_clear(
    model_server: str, store_options: dict[str, Any], unique_id: str
) -> None:
    agent = weather_agent()
    store = RunStateStore(agent, run_id=unique_id, **store_options)
    state = (await interrupted(agent)).to_state()
    await store.save(state)
    state.approve(state.get_interruptions()[0])
    await store.save((await run_agent(agent, state)).to_state())

    assert (await store.load()).get_interruptions() == []
    assert len((await store.load(version=1)).get_interruptions()) == 1
    with pytest.raises(RunStateNotFoundError) as unknown:
        await store.load(version=3)
    assert (unknown.value.run_id, unknown.value.version) == (unique_id, 3)

    assert await store.clear() == 2
    assert await store.history() == []
    with pytest.raises(RunStateNotFoundError, match="No saved state"):
        await store.load()
    await store.close()


async def test_expected_version_conflict_writes_nothing(store_options: dict[str, Any], unique_id: str) -> None:
    agent = weather_agent()
    state = RunState(RunContextWrapper(context={}), "hello", agent)
    store = RunStateStore(agent, run_id=unique_id, **store_options)
    first = await store.save(state, expected_version=0)
    with pytest.raises(RunStateConflictError) as conflict:
        await store.save(state, expected_version=0)
    assert (conflict.value.expected_version, conflict.value.actual_version) == (0, 1)
    assert [v.version for v in await store.history()] == [first.version] == [1]
    assert (await store.save(state, expected_version=1, status="final")).status == "final"
    await store.close()


async def test_no_saved_state(store_options: dict[str, Any], unique_id: str) -> None:
    store = RunStateStore(weather_agent(), run_id=unique_id, **store_options)
    with pytest.raises(RunStateNotFoundError) as missing:
        await store.load()
    assert (missing.value.run_id, missing.value.version) == (unique_id, None)
    await store.close()


async def test_closed_store_refuses_every_call(store_options: dict[str, Any], unique_id: str) -> None:
    agent = weather_agent()
    async with RunStateStore(agent, run_id=unique_id, **store_options) as store:
        await store.history()
    await store.close()  # closing twice is harmless
    state = RunState(RunContextWrapper(context={}), "hello", agent)
    for call in (lambda: store.save(state), store.load, store.history, store.clear):
        with pytest.raises(StoreClosedError, match="closed"):
            await call()


async def test_bad_input_is_rejected_and_nothing_is_written(
    store_options: dict[str, Any], unique_id: str, sql: Sql
) -> None:
    agent = weather_agent()
    store = RunStateStore(agent, run_id=unique_id, **store_options)
    good = RunState(RunContextWrapper(context={}), "hello", agent)
    await store.save(good)
    other_graph = RunStateStore(Agent(name="Somebody Else"), run_id=unique_id, **store_options)

    text = good.to_string()
    for bad in ("not a run state", text[: len(text) // 2], json.dumps({"$schemaVersion": "0.1"}), 42):
        with pytest.raises(InvalidRunStateError, match=unique_id if not isinstance(bad, int) else "RunState"):
            await store.save(bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidRunStateError, match="agent not found") as wrong_graph:
        await other_graph.save(text)
    assert wrong_graph.value.__cause__ is not None  # the SDK's own error
    with pytest.raises(InvalidRunStateError):
        await other_graph.load()

    assert await sql("SELECT version FROM timestep_run_states WHERE run_id = %s", (unique_id,)) == [(1,)]
    await store.close()
    await other_graph.close()


async def test_saving_a_state_of_another_agent_graph_writes_nothing(
    store_options: dict[str, Any], unique_id: str
) -> None:
    stranger = Agent(name="Somebody Else")
    store = RunStateStore(weather_agent(), run_id=unique_id, **store_options)
    with pytest.raises(AgentGraphMismatchError, match='"Somebody Else" \\(current_agent\\)') as mismatch:
        await store.save(RunState(RunContextWrapper(context={}), "hello", stranger))
    assert (mismatch.value.agent_name, mismatch.value.tool_name) == ("Somebody Else", None)
    assert isinstance(mismatch.value, InvalidRunStateError)
    assert await store.history() == []
    await store.close()


async def test_damaged_and_foreign_rows_are_not_loaded(
    store_options: dict[str, Any], unique_id: str, sql: Sql
) -> None:
    agent = weather_agent()
    store = RunStateStore(agent, run_id=unique_id, **store_options)
    await store.save(RunState(RunContextWrapper(context={}), "hello", agent))
    await store.save(RunState(RunContextWrapper(context={}), "hello", agent))
    await sql(
        "UPDATE timestep_run_states SET native_state = native_state || ' ' WHERE run_id = %s AND version = 1",
        (unique_id,),
    )
    await sql(
        "UPDATE timestep_run_states SET sdk_name = '@openai/agents', sdk_version = '0.20.0', portable_state = NULL "
        "WHERE run_id = %s AND version = 2",
        (unique_id,),
    )
    with pytest.raises(InvalidRunStateError, match="checksum"):
        await store.load(version=1)
    with pytest.raises(InvalidRunStateError, match="@openai/agents 0.20.0 without a portable form"):
        await store.load()
    await store.close()


async def test_ids_with_quotes_and_sql_characters_round_trip(store_options: dict[str, Any], unique_id: str) -> None:
    agent = weather_agent()
    tricky = f"{unique_id} it's \"quoted\"; DROP TABLE timestep_run_states; -- %s $1 \\ ü"
    store = RunStateStore(agent, run_id=tricky, session_id=tricky + "'", **store_options)
    await store.save(RunState(RunContextWrapper(context={}), "hello", agent))
    reopened = RunStateStore(agent, run_id=tricky, **store_options)
    [saved] = await reopened.history()
    assert (saved.run_id, saved.session_id) == (tricky, tricky + "'")
    assert isinstance(await reopened.load(), RunState)
    await store.close()
    await reopened.close()


@pytest.mark.parametrize("bad_id", ["", "x" * 513, "nul\0inside"], ids=["empty", "too-long", "nul"])
def test_unusable_ids_are_rejected(bad_id: str) -> None:
    with pytest.raises(InvalidIdentifierError):
        RunStateStore(weather_agent(), run_id=bad_id)
    with pytest.raises(InvalidIdentifierError):
        RunStateStore(weather_agent(), session_id=bad_id)


def test_longest_allowed_id_is_accepted() -> None:
    assert RunStateStore(weather_agent(), run_id="x" * 512).run_id == "x" * 512


def test_run_id_defaults_to_a_new_uuid() -> None:
    first, second = RunStateStore(weather_agent()), RunStateStore(weather_agent())
    assert len(first.run_id) == 36 and first.run_id != second.run_id
    assert first.session_id is None
