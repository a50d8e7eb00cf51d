"""The Agents SDK's own session tests, run against DurableSession on both stores.

Ported from openai/openai-agents-python (read at commit 7f7a44f; scenarios and
assertions kept, code written anew against DurableSession):

- tests/memory/test_session.py
- tests/memory/test_session_limit.py
- tests/extensions/memory/test_sqlalchemy_session.py (its backend-independent cases)
- tests/extensions/memory/test_async_sqlite_session.py (its backend-independent cases)
- tests/extensions/memory/test_redis_session.py, test_dapr_session.py, test_mongodb_session.py
  (their backend-independent cases: special characters, problematic strings,
  concurrent writers, limit 0)

The model is the SDK's own scripted test model (agents.testing.ScriptedModel),
as upstream; the store is real. Upstream closed-session cases expect the
backend's RuntimeError; DurableSession raises StoreClosedError.

Left out, because they test something DurableSession does not have:

- SQLite files, locks and connections: test_sqlite_session_close_closes_worker_thread_connections
  (thread-local sqlite3 connections; a closed store's connections: test_session_concurrency.py),
  test_sqlite_session_file_lock_is_shared_across_instances (its process-local file lock; the
  behaviour it guards, two sessions writing one database at once, is
  test_two_sessions_on_one_store_write_at_once here), test_sqlite_session_failed_clear_session_rolls_back,
  test_sqlite_session_failed_pop_item_releases_write_lock, test_sqlite_session_rollback_failure_evicts_connection,
  test_sqlite_session_close_retries_quarantined_connection (they drop SQLite tables or make
  sqlite3 fail to force a rollback), test_sqlite_session_post_commit_cancellation_propagates_after_known_outcome
  and test_await_mutation_cancellation_hides_later_failure_without_loop_error (the SDK's
  _await_mutation helper and SQLiteSession's worker thread).
- Corrupt rows: test_sqlite_session_pop_item_skips_corrupt_most_recent,
  test_sqlite_session_pop_item_returns_none_after_dropping_only_corrupt_rows,
  test_sqlite_session_get_items_limit_skips_corrupt_newest_rows,
  test_sqlite_session_get_items_session_settings_limit_skips_corrupt_rows and the same cases of
  the extension backends: items are a jsonb column, so PostgreSQL refuses a row that is not JSON.
- SQLAlchemySession's storage and engine: test_sqlalchemy_session_defaults_to_escaped_non_ascii_storage,
  test_sqlalchemy_session_can_store_non_ascii_without_escaping (its text column; jsonb keeps
  non-ASCII as it is, test_unicode_content), test_sqlite_fallback_reserves_writer_before_tail_claim,
  test_pop_item_supports_unknown_delete_rowcount, test_pop_item_retries_returning_claim_lost_to_concurrent_delete,
  test_mutation_cancellation_waits_for_transaction_exit (fake SQLAlchemy sessions and dialects),
  test_add_items_concurrent_first_access_with_create_tables, ..._first_write_after_tables_exist,
  test_add_items_waits_for_transient_sqlite_write_lock, ..._across_sessions_with_shared_engine,
  test_add_items_cancelled_waiter_does_not_strand_table_init_lock,
  test_create_tables_false_does_not_allocate_shared_init_lock (its create_tables lock; the store
  migrates itself, concurrently: test_store_connection.py), test_engine_property_* (no engine),
  test_sqlite_configuration_registry_* (its SQLite engine registry). The shuffled-result fake
  of test_get_items_same_timestamp_consistent_order is left out; its scenario (equal
  created_at) and assertions are kept.
- AsyncSQLiteSession's connection life cycle: test_cancelled_close_*, test_post_commit_cancellation_*,
  test_failed_add_items_rolls_back_and_reuses_connection, test_failed_clear_session_rolls_back,
  test_failed_pop_item_releases_write_lock, test_failed_initialization_closes_candidate_connection,
  test_cancelled_add_items_rolls_back_write_transaction, test_operation_failure_then_cancellation_during_rollback,
  test_rollback_failure_closes_and_evicts_connection, test_close_retries_*, test_cancelled_initialization_*,
  test_initialization_failure_then_cancellation_during_candidate_close,
  test_cancelled_connect_closes_eventually_acquired_connection (aiosqlite connections, failures
  injected into them).
- Redis, Dapr and MongoDB: every other case tests that service's client, TTLs, key prefixes,
  consistency levels, ETags, batch documents, pings or ownership of an injected client.
- Other session kinds: test_openai_conversations_session.py (the OpenAI Conversations API),
  test_openai_responses_compaction_session.py (the compaction wrapper and the responses.compact
  API), test_encrypt_session.py and test_advanced_sqlite_session.py (wrappers and SQLite
  branching over an underlying session), test_session_persistence_sanitize.py (the runner's
  item sanitising, no session), test_session_context_wrapper.py (the runner's calls into
  context-aware sessions; DurableSession takes the plain calls, which every runner case here makes).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import threading
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from agents import Agent, RunConfig, Runner, SessionSettings, TResponseInputItem
from agents.testing import ScriptedModel, assistant_message
from store_support import Sql

from timestep import DurableSession, StoreClosedError, UnstorableValueError

RUNNER_METHODS = ["run", "run_sync", "run_streamed"]


def _run_sync_in_its_own_loop(agent: Agent[Any], input_data: Any, **kwargs: Any) -> Any:
    """Runner.run_sync as an application calls it: in a thread with an event loop of its own."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        return Runner.run_sync(agent, input_data, **kwargs)
    finally:
        loop.close()


async def run_agent_with(runner_method: str, agent: Agent[Any], input_data: Any, **kwargs: Any) -> Any:
    if runner_method == "run":
        return await Runner.run(agent, input_data, **kwargs)
    if runner_method == "run_sync":
        return await asyncio.to_thread(_run_sync_in_its_own_loop, agent, input_data, **kwargs)
    result = Runner.run_streamed(agent, input_data, **kwargs)
    async for _event in result.stream_events():
        pass
    return result


def scripted_agent() -> tuple[Agent[Any], ScriptedModel]:
    model = ScriptedModel()
    return Agent(name="test", model=model), model


def last_input(model: ScriptedModel) -> list[Any]:
    return cast(list[Any], model.calls[-1].input)


@pytest.fixture
async def session_of(store_options: dict[str, Any], unique_id: str) -> AsyncIterator[Callable[..., DurableSession]]:
    """Makes DurableSessions on the store under test, each id unique to the test; closes them after."""
    made: list[DurableSession] = []

    def make(name: str = "session", **kwargs: Any) -> DurableSession:
        session = DurableSession(f"{unique_id}-{name}", **store_options, **kwargs)
        made.append(session)
        return session

    yield make
    for session in made:
        await session.close()


# --- tests/memory/test_session.py -------------------------------------------------


@pytest.mark.parametrize("runner_method", RUNNER_METHODS)
async def test_session_memory_basic_functionality(session_of: Any, runner_method: str) -> None:
    session = session_of()
    agent, model = scripted_agent()
    model.enqueue([assistant_message("San Francisco")])
    first = await run_agent_with(runner_method, agent, "What city is the Golden Gate Bridge in?", session=session)
    assert first.final_output == "San Francisco"

    model.enqueue([assistant_message("California")])
    second = await run_agent_with(runner_method, agent, "What state is it in?", session=session)
    assert second.final_output == "California"
    assert len(last_input(model)) > 1  # the second turn saw the conversation so far


@pytest.mark.parametrize("runner_method", RUNNER_METHODS)
async def test_session_memory_with_explicit_instance(session_of: Any, runner_method: str) -> None:
    session = session_of()
    agent, model = scripted_agent()
    model.enqueue([assistant_message("Hello")])
    assert (await run_agent_with(runner_method, agent, "Hi there", session=session)).final_output == "Hello"
    model.enqueue([assistant_message("I remember you said hi")])
    result = await run_agent_with(runner_method, agent, "Do you remember what I said?", session=session)
    assert result.final_output == "I remember you said hi"


@pytest.mark.parametrize("runner_method", RUNNER_METHODS)
async def test_session_memory_disabled(runner_method: str) -> None:
    agent, model = scripted_agent()
    model.enqueue([assistant_message("Hello")])
    assert (await run_agent_with(runner_method, agent, "Hi there")).final_output == "Hello"
    model.enqueue([assistant_message("I don't remember")])
    result = await run_agent_with(runner_method, agent, "Do you remember what I said?")
    assert result.final_output == "I don't remember"
    assert len(last_input(model)) == 1  # no session: only the new message


@pytest.mark.parametrize("runner_method", RUNNER_METHODS)
async def test_session_memory_different_sessions(session_of: Any, runner_method: str) -> None:
    agent, model = scripted_agent()
    first, second = session_of("1"), session_of("2")
    model.enqueue([assistant_message("I like cats")])
    assert (await run_agent_with(runner_method, agent, "I like cats", session=first)).final_output == "I like cats"
    model.enqueue([assistant_message("I like dogs")])
    assert (await run_agent_with(runner_method, agent, "I like dogs", session=second)).final_output == "I like dogs"
    model.enqueue([assistant_message("Yes, you mentioned cats")])
    result = await run_agent_with(runner_method, agent, "What did I say I like?", session=first)
    assert result.final_output == "Yes, you mentioned cats"
    assert not any("dogs" in str(item.get("content")) for item in last_input(model))


async def test_session_memory_direct(session_of: Any) -> None:
    session = session_of()
    items: list[TResponseInputItem] = [
        {"role": "user", "content": "Hello"},
        {"role": "assistant", "content": "Hi there!"},
    ]
    await session.add_items(items)
    retrieved = await session.get_items()
    assert len(retrieved) == 2
    assert (retrieved[0].get("role"), retrieved[0].get("content")) == ("user", "Hello")
    assert (retrieved[1].get("role"), retrieved[1].get("content")) == ("assistant", "Hi there!")
    await session.clear_session()
    assert len(await session.get_items()) == 0


async def test_closed_session_rejects_empty_add_items(session_of: Any) -> None:
    # Fails before the fix: add_items([]) returned early without looking at the session.
    session = session_of()
    await session.close()
    with pytest.raises(StoreClosedError, match="is closed"):
        await session.add_items([])


async def test_session_memory_pop_item(session_of: Any) -> None:
    session = session_of()
    assert await session.pop_item() is None
    items: list[TResponseInputItem] = [
        {"role": "user", "content": "Hello"},
        {"role": "assistant", "content": "Hi there!"},
        {"role": "user", "content": "How are you?"},
    ]
    await session.add_items(items)
    assert len(await session.get_items()) == 3

    popped = await session.pop_item()
    assert popped is not None and (popped.get("role"), popped.get("content")) == ("user", "How are you?")
    remaining = await session.get_items()
    assert len(remaining) == 2 and remaining[-1].get("content") == "Hi there!"

    popped = await session.pop_item()
    assert popped is not None and (popped.get("role"), popped.get("content")) == ("assistant", "Hi there!")
    popped = await session.pop_item()
    assert popped is not None and (popped.get("role"), popped.get("content")) == ("user", "Hello")
    assert await session.pop_item() is None
    assert len(await session.get_items()) == 0


async def test_session_memory_pop_different_sessions(session_of: Any) -> None:
    first, second = session_of("1"), session_of("2")
    await first.add_items([{"role": "user", "content": "Session 1 message"}])
    await second.add_items(
        [{"role": "user", "content": "Session 2 message 1"}, {"role": "user", "content": "Session 2 message 2"}]
    )
    popped = await second.pop_item()
    assert popped is not None and popped.get("content") == "Session 2 message 2"
    assert [item.get("content") for item in await first.get_items()] == ["Session 1 message"]
    assert [item.get("content") for item in await second.get_items()] == ["Session 2 message 1"]


async def test_session_get_items_with_limit(session_of: Any) -> None:
    session = session_of()
    contents = ["Message 1", "Response 1", "Message 2", "Response 2", "Message 3", "Response 3"]
    await session.add_items(
        [{"role": "user" if n % 2 == 0 else "assistant", "content": text} for n, text in enumerate(contents)]
    )
    everything = await session.get_items()
    assert len(everything) == 6
    assert (everything[0].get("content"), everything[-1].get("content")) == ("Message 1", "Response 3")
    assert [item.get("content") for item in await session.get_items(limit=2)] == ["Message 3", "Response 3"]
    assert [item.get("content") for item in await session.get_items(limit=4)] == contents[2:]
    latest_10 = await session.get_items(limit=10)
    assert len(latest_10) == 6 and latest_10[0].get("content") == "Message 1"
    assert len(await session.get_items(limit=0)) == 0


@pytest.mark.parametrize("runner_method", RUNNER_METHODS)
async def test_session_memory_appends_list_input_by_default(session_of: Any, runner_method: str) -> None:
    session = session_of()
    agent, model = scripted_agent()
    initial_history: list[TResponseInputItem] = [
        {"role": "user", "content": "Earlier message"},
        {"role": "assistant", "content": "Saved reply"},
    ]
    await session.add_items(initial_history)
    list_input = [{"role": "user", "content": "Test message"}]
    model.enqueue([assistant_message("This should run")])
    await run_agent_with(runner_method, agent, list_input, session=session)
    assert last_input(model) == initial_history + list_input


@pytest.mark.parametrize("runner_method", RUNNER_METHODS)
async def test_session_callback_prepared_input(session_of: Any, runner_method: str) -> None:
    session = session_of()
    agent, model = scripted_agent()
    initial_history: list[TResponseInputItem] = [
        {"role": "user", "content": "Hello there."},
        {"role": "assistant", "content": "Hi, I'm here to assist you."},
    ]
    await session.add_items(initial_history)

    def only_user_messages(history: list[Any], new_input: list[Any]) -> list[Any]:
        return [item for item in history if item["role"] == "user"] + new_input

    new_turn_input = [{"role": "user", "content": "What your name?"}]
    model.enqueue([assistant_message("I'm gpt-4o")])
    await run_agent_with(
        runner_method,
        agent,
        new_turn_input,
        session=session,
        run_config=RunConfig(session_input_callback=only_user_messages),
    )
    assert last_input(model) == [initial_history[0], new_turn_input[0]]


@pytest.mark.parametrize("runner_method", RUNNER_METHODS)
async def test_session_callback_repeating_history_does_not_grow_session(session_of: Any, runner_method: str) -> None:
    session = session_of()
    agent, model = scripted_agent()

    def repeat_first(history: list[Any], new_input: list[Any]) -> list[Any]:
        return new_input if not history else history + [history[0]] + new_input

    for turn in range(3):
        model.enqueue([assistant_message(f"assistant {turn}")])
        await run_agent_with(
            runner_method, agent, f"user {turn}", session=session, run_config=RunConfig(session_input_callback=repeat_first)
        )
    stored = await session.get_items()
    assert [item.get("content") for item in stored if item.get("role") == "user"] == ["user 0", "user 1", "user 2"]
    assert len(stored) == 6


async def test_unicode_content(session_of: Any) -> None:
    session = session_of()
    await session.add_items(
        [
            {"role": "user", "content": "こんにちは"},
            {"role": "assistant", "content": "😊👍"},
            {"role": "user", "content": "Привет"},
            {"role": "assistant", "content": "café"},
        ]
    )
    assert [item.get("content") for item in await session.get_items()] == ["こんにちは", "😊👍", "Привет", "café"]


async def test_special_characters_and_sql_injection(session_of: Any) -> None:
    session = session_of()
    contents = [
        "O'Reilly",
        "DROP TABLE sessions;",
        '"SELECT * FROM users WHERE name = "admin";"',
        "Robert'); DROP TABLE students;--",
        "Normal message",
    ]
    await session.add_items([{"role": "user", "content": text} for text in contents])
    retrieved = await session.get_items()
    assert len(retrieved) == len(contents)
    assert [item.get("content") for item in retrieved] == contents


# Its threads close their loops with loop.close() alone, without shutting
# them down as asyncio.run and Runner.run_sync do, so the pools of those loops
# are left to the garbage collector, which reports their pending tasks. They are
# collected within this test so that those reports do not land on later tests.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_concurrent_access_from_threads_each_with_its_own_event_loop(session_of: Any) -> None:
    # Upstream test_sqlite_session_concurrent_access (issue 13 item 5): five
    # threads, each running its own event loop, add to one session object.
    session = session_of()
    items: list[TResponseInputItem] = [{"role": "user", "content": f"Message {i}"} for i in range(10)]

    def add_item(item: TResponseInputItem) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        loop.run_until_complete(session.add_items([item]))
        loop.close()

    def add_all() -> None:
        with concurrent.futures.ThreadPoolExecutor(max_workers=5) as executor:
            list(executor.map(add_item, items))

    await asyncio.to_thread(add_all)
    contents = {item.get("content") for item in await session.get_items()}
    assert contents == {f"Message {i}" for i in range(10)}
    gc.collect()


async def test_two_sessions_on_one_store_write_at_once(session_of: Any) -> None:
    first, second = session_of("1"), session_of("2")
    await asyncio.gather(
        first.add_items([{"role": "user", "content": "session_1"}]),
        second.add_items([{"role": "user", "content": "session_2"}]),
    )
    assert [item.get("content") for item in await first.get_items()] == ["session_1"]
    assert [item.get("content") for item in await second.get_items()] == ["session_2"]


async def test_failed_add_items_writes_nothing_and_the_session_stays_usable(session_of: Any) -> None:
    session = session_of()
    unserialisable = cast(TResponseInputItem, {"role": "user", "content": object()})
    with pytest.raises(TypeError):
        await session.add_items([{"role": "user", "content": "same batch"}, unserialisable])
    assert await session.get_items() == []
    await session.add_items([{"role": "user", "content": "after failure"}])
    assert [item.get("content") for item in await session.get_items()] == ["after failure"]


async def test_session_add_items_exception_propagates_in_streamed(session_of: Any) -> None:
    # Upstream replaces add_items with one that raises; here the store itself
    # refuses the input (a NUL character), which the stream must report, not hang on.
    session = session_of()
    agent, model = scripted_agent()
    model.enqueue([assistant_message("This should not be reached")])
    result = Runner.run_streamed(agent, "Hello \0", session=session)

    async def consume_stream() -> None:
        async for _event in result.stream_events():
            pass

    with pytest.raises(UnstorableValueError, match="NUL"):
        await asyncio.wait_for(consume_stream(), timeout=5.0)


async def test_session_settings_default(session_of: Any) -> None:
    # Issue 13 item 6: session_settings was None, not the SDK's default settings.
    session = session_of()
    assert isinstance(session.session_settings, SessionSettings)
    assert session.session_settings.limit is None


@pytest.mark.parametrize("use_dictionary", [False, True], ids=["settings", "dictionary"])
async def test_session_settings_constructor(session_of: Any, use_dictionary: bool) -> None:
    session = session_of(session_settings={"limit": 5} if use_dictionary else SessionSettings(limit=5))
    assert isinstance(session.session_settings, SessionSettings)
    assert session.session_settings.limit == 5


async def test_session_settings_constructor_normalizes_dictionary(session_of: Any) -> None:
    session = session_of(session_settings={"limit": 0})
    assert isinstance(session.session_settings, SessionSettings)
    assert session.session_settings.limit == 0
    assert session.session_settings.resolve({"limit": 4}).limit == 4


def test_session_settings_rejects_unknown_dictionary_fields() -> None:
    with pytest.raises(TypeError, match="Unknown session settings: limitt"):
        DurableSession("invalid_settings_test", session_settings={"limitt": 1})


async def test_get_items_uses_session_settings_limit(session_of: Any) -> None:
    # Issue 13 item 6: get_items() ignored session_settings.limit.
    session = session_of(session_settings=SessionSettings(limit=3))
    await session.add_items([{"role": "user", "content": f"Message {i}"} for i in range(5)])
    retrieved = await session.get_items()
    assert len(retrieved) == 3
    assert [item.get("content") for item in retrieved] == ["Message 2", "Message 3", "Message 4"]


async def test_get_items_explicit_limit_overrides_session_settings(session_of: Any) -> None:
    session = session_of(session_settings=SessionSettings(limit=5))
    await session.add_items([{"role": "user", "content": f"Message {i}"} for i in range(10)])
    retrieved = await session.get_items(limit=2)
    assert [item.get("content") for item in retrieved] == ["Message 8", "Message 9"]


async def test_session_settings_resolve() -> None:
    base = SessionSettings(limit=100)
    final = base.resolve(SessionSettings(limit=50))
    assert final.limit == 50
    assert base.limit == 100
    assert base.resolve(None).limit == 100


async def test_runner_with_session_settings_override(session_of: Any) -> None:
    session = session_of(session_settings=SessionSettings(limit=100))
    await session.add_items([{"role": "user", "content": f"Turn {i}"} for i in range(10)])
    agent, model = scripted_agent()
    model.enqueue([assistant_message("Got it")])
    await Runner.run(
        agent, "New question", session=session, run_config=RunConfig(session_settings=SessionSettings(limit=2))
    )
    history = [item for item in last_input(model) if item.get("content") != "New question"]
    assert len(history) == 2


async def test_runner_uses_the_session_settings_limit(session_of: Any) -> None:
    # As test_runner_with_session_settings_limit (MongoDB): the session's own limit applies to runs.
    session = session_of(session_settings={"limit": 2})
    await session.add_items([{"role": "user", "content": f"Turn {i}"} for i in range(10)])
    agent, model = scripted_agent()
    model.enqueue([assistant_message("Got it")])
    await Runner.run(agent, "New question", session=session)
    assert [item.get("content") for item in last_input(model)] == ["Turn 8", "Turn 9", "New question"]


# --- tests/memory/test_session_limit.py ---------------------------------------------


@pytest.mark.parametrize("runner_method", RUNNER_METHODS)
async def test_session_limit_parameter(session_of: Any, runner_method: str) -> None:
    session = session_of()
    agent, model = scripted_agent()
    for n in (1, 2, 3):
        model.enqueue([assistant_message(f"Reply {n}")])
        await run_agent_with(runner_method, agent, f"Message {n}", session=session)
    assert len(await session.get_items()) == 6

    model.enqueue([assistant_message("Reply 4")])
    await run_agent_with(
        runner_method, agent, "Message 4", session=session, run_config=RunConfig(session_settings=SessionSettings(limit=2))
    )
    received = last_input(model)
    assert len(received) == 3
    assert received[0].get("content") == "Message 3"
    assert received[1].get("content")[0]["text"] == "Reply 3"
    assert received[2].get("content") == "Message 4"


@pytest.mark.parametrize("runner_method", RUNNER_METHODS)
async def test_session_limit_drops_unmatched_history_function_call_output(session_of: Any, runner_method: str) -> None:
    session = session_of()
    history = cast(
        list[TResponseInputItem],
        [
            {"role": "user", "content": "What is the weather?"},
            {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "call_1", "output": "sunny"},
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "It is sunny.", "annotations": []}],
            },
        ],
    )
    await session.add_items(history)
    assert await session.get_items(limit=2) == history[-2:]

    agent, model = scripted_agent()
    model.enqueue([assistant_message("Tomorrow is sunny too.")])
    await run_agent_with(
        runner_method,
        agent,
        "What about tomorrow?",
        session=session,
        run_config=RunConfig(session_settings=SessionSettings(limit=2)),
    )
    assert last_input(model) == [history[-1], {"role": "user", "content": "What about tomorrow?"}]


@pytest.mark.parametrize("runner_method", RUNNER_METHODS)
async def test_session_limit_zero(session_of: Any, runner_method: str) -> None:
    session = session_of()
    agent, model = scripted_agent()
    for n in (1, 2):
        model.enqueue([assistant_message(f"Reply {n}")])
        await run_agent_with(runner_method, agent, f"Message {n}", session=session)
    model.enqueue([assistant_message("Reply 3")])
    await run_agent_with(
        runner_method, agent, "Message 3", session=session, run_config=RunConfig(session_settings=SessionSettings(limit=0))
    )
    received = last_input(model)
    assert len(received) == 1 and received[0].get("content") == "Message 3"


@pytest.mark.parametrize("runner_method", RUNNER_METHODS)
async def test_session_limit_none_gets_all_history(session_of: Any, runner_method: str) -> None:
    session = session_of()
    agent, model = scripted_agent()
    for n in range(1, 6):
        model.enqueue([assistant_message(f"Reply {n}")])
        await run_agent_with(runner_method, agent, f"Message {n}", session=session)
    assert len(await session.get_items()) == 10
    model.enqueue([assistant_message("Reply 6")])
    await run_agent_with(
        runner_method,
        agent,
        "Message 6",
        session=session,
        run_config=RunConfig(session_settings=SessionSettings(limit=None)),
    )
    received = last_input(model)
    assert len(received) == 11
    assert (received[0].get("content"), received[-1].get("content")) == ("Message 1", "Message 6")


@pytest.mark.parametrize("runner_method", RUNNER_METHODS)
async def test_session_limit_larger_than_history(session_of: Any, runner_method: str) -> None:
    session = session_of()
    agent, model = scripted_agent()
    model.enqueue([assistant_message("Reply 1")])
    await run_agent_with(runner_method, agent, "Message 1", session=session)
    model.enqueue([assistant_message("Reply 2")])
    await run_agent_with(
        runner_method, agent, "Message 2", session=session, run_config=RunConfig(session_settings=SessionSettings(limit=100))
    )
    received = last_input(model)
    assert len(received) == 3
    assert received[0].get("content") == "Message 1"
    assert received[1].get("content")[0]["text"] == "Reply 1"
    assert received[2].get("content") == "Message 2"


# --- tests/extensions/memory: backend-independent cases ---------------------------------


async def test_direct_ops(session_of: Any) -> None:
    session = session_of()
    await session.add_items([{"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Hi there!"}])
    retrieved = await session.get_items()
    assert [item.get("content") for item in retrieved] == ["Hello", "Hi there!"]
    popped = await session.pop_item()
    assert popped is not None and popped.get("content") == "Hi there!"
    assert [item.get("content") for item in await session.get_items()] == ["Hello"]
    await session.clear_session()
    assert len(await session.get_items()) == 0


async def test_runner_integration(session_of: Any) -> None:
    session = session_of()
    agent, model = scripted_agent()
    model.enqueue([assistant_message("San Francisco")])
    assert (await Runner.run(agent, "What city is the Golden Gate Bridge in?", session=session)).final_output == (
        "San Francisco"
    )
    model.enqueue([assistant_message("California")])
    assert (await Runner.run(agent, "What state is it in?", session=session)).final_output == "California"
    received = last_input(model)
    assert len(received) > 1
    assert any("Golden Gate Bridge" in str(item.get("content", "")) for item in received)


async def test_session_isolation_with_the_runner(session_of: Any) -> None:
    first, second = session_of("1"), session_of("2")
    agent, model = scripted_agent()
    model.enqueue([assistant_message("I like cats.")])
    await Runner.run(agent, "I like cats.", session=first)
    model.enqueue([assistant_message("I like dogs.")])
    await Runner.run(agent, "I like dogs.", session=second)
    model.enqueue([assistant_message("You said you like cats.")])
    result = await Runner.run(agent, "What animal did I say I like?", session=first)
    assert "cats" in result.final_output.lower() and "dogs" not in result.final_output.lower()
    assert not any("dogs" in str(item.get("content", "")) for item in last_input(model))


async def test_get_items_with_limit_and_limit_zero(session_of: Any) -> None:
    session = session_of()
    items: list[TResponseInputItem] = [
        {"role": "user", "content": "1"},
        {"role": "assistant", "content": "2"},
        {"role": "user", "content": "3"},
        {"role": "assistant", "content": "4"},
    ]
    await session.add_items(items)
    assert [item.get("content") for item in await session.get_items(limit=2)] == ["3", "4"]
    assert len(await session.get_items()) == 4
    assert len(await session.get_items(limit=10)) == 4
    assert await session.get_items(limit=0) == []


async def test_pop_from_empty_session(session_of: Any) -> None:
    assert await session_of().pop_item() is None


async def test_add_empty_items_list(session_of: Any) -> None:
    session = session_of()
    assert len(await session.get_items()) == 0
    await session.add_items([])
    assert len(await session.get_items()) == 0


async def test_concurrent_pop_item_returns_each_row_once(session_of: Any) -> None:
    writer = session_of("shared")
    other = session_of("shared")
    await writer.add_items([{"role": "user", "content": "first"}, {"role": "assistant", "content": "second"}])
    popped = await asyncio.wait_for(asyncio.gather(writer.pop_item(), other.pop_item()), timeout=10)
    assert {item["content"] for item in popped if item is not None} == {"first", "second"}  # type: ignore[typeddict-item]


async def test_concurrent_writers_keep_every_item(session_of: Any) -> None:
    session = session_of()

    async def add_messages(start: int, count: int) -> None:
        await session.add_items([{"role": "user", "content": f"Message {start + i}"} for i in range(count)])

    await asyncio.gather(add_messages(0, 5), add_messages(5, 5), add_messages(10, 5))
    retrieved = await session.get_items()
    assert len(retrieved) == 15
    assert {item.get("content") for item in retrieved} == {f"Message {i}" for i in range(15)}


async def test_first_access_from_two_event_loops_at_once(session_of: Any) -> None:
    """test_add_items_concurrent_first_access_with_shared_session_cross_loop."""
    session = session_of()
    barrier = threading.Barrier(2)
    results: list[tuple[str, str]] = []
    results_lock = threading.Lock()

    def worker(content: str) -> None:
        async def run() -> None:
            barrier.wait()
            await asyncio.wait_for(session.add_items([{"role": "user", "content": content}]), timeout=30)

        try:
            asyncio.run(run())
            status = "ok"
        except Exception as error:
            status = type(error).__name__
        with results_lock:
            results.append((content, status))

    threads = [threading.Thread(target=worker, args=(content,)) for content in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        await asyncio.to_thread(thread.join)
    assert sorted(results) == [("one", "ok"), ("two", "ok")]
    assert sorted(str(item.get("content")) for item in await session.get_items()) == ["one", "two"]


async def test_first_access_of_separate_sessions_from_two_event_loops(store_options: dict[str, Any], unique_id: str) -> None:
    """test_add_items_concurrent_first_access_across_from_url_sessions_cross_loop."""
    barrier = threading.Barrier(2)
    results: dict[str, tuple[str, Any]] = {}
    results_lock = threading.Lock()

    def worker(session_id: str, content: str) -> None:
        async def run() -> list[TResponseInputItem]:
            session = DurableSession(session_id, **store_options)
            barrier.wait()
            try:
                await asyncio.wait_for(session.add_items([{"role": "user", "content": content}]), timeout=30)
                return await session.get_items()
            finally:
                await session.close()

        try:
            outcome: tuple[str, Any] = ("ok", asyncio.run(run()))
        except Exception as error:
            outcome = (type(error).__name__, str(error))
        with results_lock:
            results[session_id] = outcome

    threads = [
        threading.Thread(target=worker, args=(f"{unique_id}-a", "one")),
        threading.Thread(target=worker, args=(f"{unique_id}-b", "two")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        await asyncio.to_thread(thread.join)
    assert [status for status, _ in results.values()] == ["ok", "ok"]
    assert results[f"{unique_id}-a"][1][0].get("content") == "one"
    assert results[f"{unique_id}-b"][1][0].get("content") == "two"


def message_item(item_id: str, text: str) -> TResponseInputItem:
    return cast(
        TResponseInputItem,
        {
            "id": item_id,
            "type": "message",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
        },
    )


def reasoning_item(item_id: str, text: str) -> TResponseInputItem:
    return cast(TResponseInputItem, {"id": item_id, "type": "reasoning", "summary": [{"type": "summary_text", "text": text}]})


def ids(items: list[TResponseInputItem]) -> list[str]:
    return [cast(dict[str, Any], item)["id"] for item in items]


async def test_get_items_same_timestamp_consistent_order(session_of: Any, sql: Sql) -> None:
    session = session_of()
    await session.add_items([message_item("older_same_ts", "old")])
    await session.add_items([reasoning_item("rs_same_ts", "..."), message_item("msg_same_ts", "...")])
    shared = datetime(2025, 10, 15, 17, 26, 39, 132483, tzinfo=UTC)
    await sql("UPDATE timestep_session_items SET created_at = %s WHERE session_id = %s", (shared, session.session_id))
    assert ids(await session.get_items()) == ["older_same_ts", "rs_same_ts", "msg_same_ts"]
    assert ids(await session.get_items(limit=2)) == ["rs_same_ts", "msg_same_ts"]


async def test_pop_item_same_timestamp_returns_latest(session_of: Any, sql: Sql) -> None:
    session = session_of()
    await session.add_items([reasoning_item("rs_pop_same_ts", "..."), message_item("msg_pop_same_ts", "...")])
    shared = datetime(2025, 10, 15, 17, 26, 39, 132483, tzinfo=UTC)
    await sql("UPDATE timestep_session_items SET created_at = %s WHERE session_id = %s", (shared, session.session_id))
    popped = await session.pop_item()
    assert popped is not None and cast(dict[str, Any], popped)["id"] == "msg_pop_same_ts"
    assert ids(await session.get_items()) == ["rs_pop_same_ts"]


async def test_get_items_orders_by_id_for_ties(session_of: Any, sql: Sql) -> None:
    session = session_of()
    await session.add_items(
        [reasoning_item("rs_first", "..."), message_item("msg_second", "..."), message_item("msg_third", "...")]
    )
    # Later rows given an earlier timestamp: order is still insertion order.
    await sql(
        "UPDATE timestep_session_items SET created_at = now() - (id * interval '1 second') WHERE session_id = %s",
        (session.session_id,),
    )
    assert ids(await session.get_items()) == ["rs_first", "msg_second", "msg_third"]


async def test_json_special_characters_and_problematic_strings(session_of: Any) -> None:
    session = session_of()
    contents = [
        "O'Reilly",
        '{"nested": "json"}',
        'Quote: "Hello world"',
        "Line1\nLine2\tTabbed",
        "DROP TABLE sessions;",
        '"SELECT * FROM users WHERE name = "admin";"',
        "Robert'); DROP TABLE students;--",
        '{"malicious": "json"}',
        "\\n\\t\\r Special escapes",
        "Normal message",
    ]
    await session.add_items([{"role": "user", "content": text} for text in contents])
    assert [item.get("content") for item in await session.get_items()] == contents


async def test_closed_operations_raise(session_of: Any) -> None:
    session = session_of()
    await session.add_items([{"role": "user", "content": "before close"}])
    await session.close()
    for call in (
        session.get_items,
        lambda: session.add_items([{"role": "user", "content": "after close"}]),
        session.pop_item,
        session.clear_session,
    ):
        with pytest.raises(StoreClosedError, match="is closed"):
            await call()


async def test_close_before_use_is_terminal(session_of: Any) -> None:
    session = session_of()
    await session.close()
    with pytest.raises(StoreClosedError, match="is closed"):
        await session.get_items()


async def test_close_is_idempotent(session_of: Any) -> None:
    session = session_of()
    await session.add_items([{"role": "user", "content": "before close"}])
    await asyncio.gather(session.close(), session.close())
    await session.close()
    with pytest.raises(StoreClosedError, match="is closed"):
        await session.get_items()
