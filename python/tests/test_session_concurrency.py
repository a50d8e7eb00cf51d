"""DurableSession under concurrent use: pops racing on PostgreSQL, one session shared by event loops and threads."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
from agents import Agent, RunContextWrapper, Runner
from agents.run_state import RunState
from agents.testing import ScriptedModel, assistant_message

from timestep import DurableSession, RunStateStore, StoreClosedError


def message(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


async def connections_named(postgres_url: str, application_name: str) -> int:
    """How many connections to the PostgreSQL server carry ``application_name``, once closed ones are gone.

    A client that closes its connection does not wait for the server's backend to exit, which
    stays in ``pg_stat_activity`` a moment longer: a count above 0 is read again until it drops,
    for up to 5 s (a connection still open never does).
    """
    deadline = time.monotonic() + 5
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as probe:
        while True:
            # Each statement sees a fresh snapshot of pg_stat_activity.
            await probe.execute("SELECT pg_stat_clear_snapshot()")
            cursor = await probe.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [application_name]
            )
            row = await cursor.fetchone()
            assert row is not None
            if int(row[0]) == 0 or time.monotonic() > deadline:
                return int(row[0])
            await asyncio.sleep(0.05)


async def test_concurrent_pops_each_take_a_distinct_item(store_options: dict[str, Any], unique_id: str) -> None:
    # Issue 13 item 2: under READ COMMITTED a pop that lost the race for the
    # newest row used to delete nothing and return None, leaving items behind.
    items = [message(f"item {n}") for n in range(20)]
    sessions = [DurableSession(unique_id, **store_options) for _ in range(4)]
    try:
        await sessions[0].add_items(items)
        popped = await asyncio.gather(*(sessions[n % 4].pop_item() for n in range(20)))
        assert None not in popped
        assert sorted(str(item.get("content")) for item in popped if item is not None) == sorted(
            item["content"] for item in items
        )
        assert await sessions[0].get_items() == []
        assert await sessions[0].pop_item() is None
    finally:
        for session in sessions:
            await session.close()


async def test_one_session_used_from_many_threads_each_with_its_own_event_loop(
    store_options: dict[str, Any], unique_id: str
) -> None:
    # Issue 13 item 5: the session's connections belonged to the first event
    # loop, so 9 of 10 writes from other loops failed ("attached to a different loop").
    session = DurableSession(unique_id, **store_options)
    await session.add_items([message("from the test's loop")])

    def add_in_a_new_event_loop(n: int) -> None:
        asyncio.run(session.add_items([message(f"from thread {n}")]))

    await asyncio.to_thread(lambda: list(ThreadPoolExecutor(max_workers=5).map(add_in_a_new_event_loop, range(10))))
    contents = {item["content"] for item in await session.get_items()}  # type: ignore[typeddict-item]
    assert contents == {"from the test's loop"} | {f"from thread {n}" for n in range(10)}
    await session.close()
    with pytest.raises(StoreClosedError):  # closed for every loop, not only the one that closed it
        await asyncio.to_thread(asyncio.run, session.get_items())


async def test_one_run_state_store_used_from_many_threads(store_options: dict[str, Any], unique_id: str) -> None:
    agent = Agent(name="Assistant")
    store = RunStateStore(agent, run_id=unique_id, **store_options)
    state = RunState(RunContextWrapper(context={}), "hello", agent)

    def save_in_a_new_event_loop(_: int) -> int:
        return asyncio.run(store.save(state)).version

    with ThreadPoolExecutor(max_workers=4) as pool:
        versions = await asyncio.to_thread(lambda: sorted(pool.map(save_in_a_new_event_loop, range(8))))
    assert versions == list(range(1, 9))
    assert [version.version for version in await store.history()] == versions
    assert isinstance(await store.load(), RunState)
    await store.close()


async def test_store_calls_leave_no_task_running_in_the_callers_event_loop(
    store_options: dict[str, Any], unique_id: str
) -> None:
    # asyncio.run cancels whatever tasks are left when its coroutine returns and
    # waits for them: a pool worker that caught that cancellation made it hang
    # for ever (about one run in two of this file, with psycopg_pool).
    session = DurableSession(unique_id, **store_options)
    store = RunStateStore(Agent(name="Assistant"), run_id=unique_id, **store_options)

    async def use_both_then_list_other_tasks() -> set[str]:
        await asyncio.gather(*(session.add_items([message(f"item {n}")]) for n in range(12)))
        await store.save(RunState(RunContextWrapper(context={}), "hello", Agent(name="Assistant")))
        return {task.get_name() for task in asyncio.all_tasks() if task is not asyncio.current_task()}

    try:
        assert await asyncio.to_thread(asyncio.run, use_both_then_list_other_tasks()) == set()
        assert len(await session.get_items()) == 12
    finally:
        await session.close()
        await store.close()


async def test_each_event_loop_closes_its_connections_when_it_shuts_down(postgres_url: str, unique_id: str) -> None:
    # PostgreSQL only: the embedded store serves every client on one backend.
    name = f"ts-{unique_id[-12:]}"
    session = DurableSession(unique_id, connection_string=f"{postgres_url}?application_name={name}")

    def add_in_a_new_event_loop(n: int) -> None:
        asyncio.run(session.add_items([message(f"from thread {n}")]))

    with ThreadPoolExecutor(max_workers=3) as pool:
        await asyncio.to_thread(lambda: list(pool.map(add_in_a_new_event_loop, range(6))))
    assert len(await session.get_items()) == 6
    await session.close()
    assert await connections_named(postgres_url, name) == 0  # asyncio.run closed each thread's pool; close() the test loop's


async def test_run_sync_in_a_thread_closes_its_connections_after_every_run(postgres_url: str, unique_id: str) -> None:
    # Runner.run_sync keeps the thread's loop open and shuts down its async
    # generators after each run, which closes that loop's pools; the next run
    # must open fresh ones that are closed the same way, not reuse a closed database.
    name = f"ts-{unique_id[-12:]}"
    session = DurableSession(unique_id, connection_string=f"{postgres_url}?application_name={name}")
    model = ScriptedModel()
    agent = Agent(name="test", model=model)

    def two_runs_on_one_loop() -> list[str]:
        outputs = []
        for text in ("first", "second"):
            model.enqueue([assistant_message(f"reply to {text}")])
            outputs.append(Runner.run_sync(agent, text, session=session).final_output)
        return outputs

    assert await asyncio.to_thread(two_runs_on_one_loop) == ["reply to first", "reply to second"]
    assert await connections_named(postgres_url, name) == 0  # nothing left open by the thread's loop
    assert [item.get("content") for item in await session.get_items() if item.get("role") == "user"] == [
        "first",
        "second",
    ]
    await session.close()
