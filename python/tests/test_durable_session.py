"""DurableSession on the embedded store and on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from agents import Agent, Runner, function_tool
from agents.memory.session import Session
from agents.testing import ScriptedModel, assistant_message, function_call
from store_support import Sql

from timestep import DurableSession, InvalidIdentifierError, StoreClosedError, UnstorableValueError


def message(role: str, text: str) -> dict[str, Any]:
    return {"role": role, "content": text}


async def test_items_are_kept_in_order_and_survive_a_new_session_object(
    store_options: dict[str, Any], unique_id: str
) -> None:
    session = DurableSession(unique_id, **store_options)
    assert isinstance(session, Session)
    items = [message("user", "one"), message("assistant", "two"), message("user", "three")]
    await session.add_items(items[:2])
    await session.add_items([])
    await session.add_items(items[2:])
    await session.close()

    reopened = DurableSession(unique_id, **store_options)
    assert await reopened.get_items() == items
    assert await reopened.get_items(limit=2) == items[1:]
    assert await reopened.get_items(limit=10) == items
    assert await reopened.get_items(limit=0) == []
    await reopened.close()


@pytest.mark.parametrize("limit", [1.5, float("nan"), float("inf"), "2", True])
async def test_get_items_refuses_a_limit_that_is_not_a_whole_number(store_options: dict[str, Any], unique_id: str, limit: Any) -> None:
    session = DurableSession(unique_id, **store_options)
    await session.add_items([{"role": "user", "content": "one"}])
    try:
        with pytest.raises(TypeError, match="whole number"):
            await session.get_items(limit=limit)
        assert len(await session.get_items()) == 1
    finally:
        await session.close()


async def test_pop_item_and_clear_session(store_options: dict[str, Any], unique_id: str) -> None:
    session = DurableSession(unique_id, **store_options)
    other = DurableSession(f"{unique_id}-other", **store_options)
    await session.add_items([message("user", "keep"), message("user", "drop")])
    await other.add_items([message("user", "elsewhere")])

    assert await session.pop_item() == message("user", "drop")
    assert await session.get_items() == [message("user", "keep")]
    await session.clear_session()
    assert await session.get_items() == []
    assert await session.pop_item() is None
    assert await other.get_items() == [message("user", "elsewhere")]  # sessions are separate
    await session.close()
    await other.close()


async def test_rows_hold_the_responses_item_and_no_native_copy(
    store_options: dict[str, Any], unique_id: str, sql: Sql
) -> None:
    session = DurableSession(unique_id, **store_options)
    call = {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": '{"city":"Oakland"}'}
    await session.add_items([call])
    rows = await sql(
        "SELECT item, native_sdk, native_item FROM timestep_session_items WHERE session_id = %s",
        (unique_id,),
    )
    assert rows == [(call, "openai-agents", None)]
    await session.close()


async def test_reads_items_written_by_the_typescript_session(
    store_options: dict[str, Any], unique_id: str, sql: Sql
) -> None:
    session = DurableSession(unique_id, **store_options)
    await session.get_items()  # opens (and migrates) the store
    # Shaped as typescript/src/session/durableSession.ts writes a tool result.
    responses_item = {"type": "function_call_output", "call_id": "call_1", "output": "sunny in Oakland"}
    js_item = {
        "type": "function_call_result",
        "callId": "call_1",
        "name": "get_weather",
        "status": "completed",
        "output": {"type": "text", "text": "sunny in Oakland"},
    }
    await sql(
        "INSERT INTO timestep_session_items (session_id, item, native_sdk, native_item) "
        "VALUES (%s, %s::jsonb, '@openai/agents', %s::jsonb)",
        (unique_id, json.dumps(responses_item), json.dumps(js_item)),
    )
    await session.add_items([message("assistant", "It is sunny.")])
    assert await session.get_items() == [responses_item, message("assistant", "It is sunny.")]
    await session.pop_item()
    assert await session.pop_item() == responses_item
    await session.close()


async def test_closed_session_refuses_every_call(store_options: dict[str, Any], unique_id: str) -> None:
    async with DurableSession(unique_id, **store_options) as session:
        await session.get_items()
    calls = (
        session.get_items,
        lambda: session.get_items(0),
        lambda: session.add_items([message("user", "x")]),
        session.pop_item,
        session.clear_session,
    )
    for call in calls:
        with pytest.raises(StoreClosedError, match=unique_id):
            await call()


async def test_what_is_not_a_list_of_input_items_is_refused_and_nothing_is_written(
    store_options: dict[str, Any], unique_id: str
) -> None:
    async with DurableSession(unique_id, **store_options) as session:
        for bad in (None, "hi", {"role": "user", "content": "hi"}):
            with pytest.raises(TypeError, match="items must be a list of input items"):
                await session.add_items(bad)  # type: ignore[arg-type]
        for bad_item in (None, "hi", {}, {"content": "no type or role"}, ["role", "user"]):
            with pytest.raises(TypeError, match=r"item 1 is not an input item .* Nothing was written"):
                await session.add_items([message("user", "kept out too"), bad_item])  # type: ignore[list-item]
        assert await session.get_items() == []


async def test_calls_in_flight_when_the_session_is_closed_finish(store_options: dict[str, Any], unique_id: str) -> None:
    # A limit no other store here uses gives the session a database of its own, which close() really closes.
    session = DurableSession(unique_id, timeout_ms=29_999, **store_options)
    await session.get_items()  # opened: the calls below go straight to it
    added = [session.add_items([message("user", f"m{n}")]) for n in range(20)]
    await asyncio.gather(*added, session.close())
    with pytest.raises(StoreClosedError):
        await session.get_items()
    async with DurableSession(unique_id, **store_options) as reopened:
        assert len(await reopened.get_items()) == 20


async def test_ids_with_quotes_and_sql_characters_round_trip(store_options: dict[str, Any], unique_id: str) -> None:
    tricky = f"{unique_id} o'clock \"x\"; DELETE FROM timestep_session_items; -- %s $1"
    session = DurableSession(tricky, **store_options)
    await session.add_items([message("user", "hi")])
    reopened = DurableSession(tricky, **store_options)
    assert await reopened.get_items() == [message("user", "hi")]
    await session.close()
    await reopened.close()


@pytest.mark.parametrize("bad_id", ["", "x" * 513, "nul\0inside"], ids=["empty", "too-long", "nul"])
def test_unusable_session_ids_are_rejected(bad_id: str) -> None:
    with pytest.raises(InvalidIdentifierError, match="session_id"):
        DurableSession(bad_id)


def test_session_id_defaults_to_a_new_uuid() -> None:
    first, second = DurableSession(), DurableSession()
    assert len(first.session_id) == 36 and first.session_id != second.session_id


@pytest.mark.parametrize(
    ("bad_item", "path", "kind"),
    [
        (message("user", "nul \0 inside"), "$.items[1].content", "NUL"),
        (
            {"type": "function_call_output", "call_id": "call_1", "output": "half \ud83d of an emoji"},
            "$.items[1].output",
            "lone surrogate",
        ),
        (
            {"role": "user", "content": [{"type": "input_text", "text": "x", "score": float("nan")}]},
            "$.items[1].content[0].score",
            "is NaN",
        ),
        ({"role": "user", "content": "x", "meta": {"big": float("inf")}}, "$.items[1].meta.big", "is Infinity"),
        ({"role": "user", "content": "x", "meta": {"key\0": 1}}, '$.items[1].meta["key\\u0000"]', "NUL"),
    ],
    ids=["nul", "lone-surrogate", "nan", "infinity", "nul-in-key"],
)
async def test_unstorable_items_are_refused_and_nothing_is_written(
    store_options: dict[str, Any], unique_id: str, bad_item: dict[str, Any], path: str, kind: str
) -> None:
    # Issue 13 item 4: these crashed with a raw database error (NaN was stored as invalid JSON).
    session = DurableSession(unique_id, **store_options)
    await session.add_items([message("user", "kept")])
    with pytest.raises(UnstorableValueError, match=kind) as refused:
        await session.add_items([message("user", "same batch"), bad_item])  # type: ignore[list-item]
    assert refused.value.path == path
    assert await session.get_items() == [message("user", "kept")]
    await session.close()


def test_session_ids_with_lone_surrogates_are_rejected() -> None:
    with pytest.raises(InvalidIdentifierError, match="session_id contains a lone surrogate"):
        DurableSession("conversation-\udc00")


async def test_a_tool_output_the_store_cannot_hold_fails_the_run_with_a_typed_error(
    store_options: dict[str, Any], unique_id: str
) -> None:
    # Issue 13 item 4: the run crashed with the driver's raw error when the
    # session saved a tool output holding a NUL character.
    @function_tool
    def read_file() -> str:
        """Reads a binary file as text."""
        return "header\0payload"

    model = ScriptedModel()
    model.enqueue([function_call("read_file", {}, call_id="call_nul")])
    model.enqueue([assistant_message("done")])
    agent = Agent(name="Reader", model=model, tools=[read_file])
    session = DurableSession(unique_id, **store_options)
    with pytest.raises(UnstorableValueError, match="NUL") as refused:
        await Runner.run(agent, "Read it", session=session)
    assert refused.value.path.endswith(".output")
    assert [item.get("content") for item in await session.get_items()] == ["Read it"]
    await session.close()
