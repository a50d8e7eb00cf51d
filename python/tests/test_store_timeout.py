"""The store's time limit (``timeout_ms`` / ``TIMESTEP_STORE_TIMEOUT_MS``) and PostgreSQL sessions holding what a save needs."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import psycopg
import pytest
from agents import Agent, RunContextWrapper
from agents.run_state import RunState

from timestep import DurableSession, RunStateStore, StoreTimeoutError
from timestep.store.store_timeout import store_timeout_ms

LIMIT_MS = 2_000
# Timers on a loaded two-core machine fire late; the error must still come close to the limit.
LATE_SECONDS = 2.5


def test_the_limit_comes_from_the_option_then_the_environment_then_30_s() -> None:
    assert store_timeout_ms(None, {}) == 30_000
    assert store_timeout_ms(None, {"TIMESTEP_STORE_TIMEOUT_MS": "1500"}) == 1_500
    assert store_timeout_ms(250, {"TIMESTEP_STORE_TIMEOUT_MS": "1500"}) == 250
    wanted = r"TIMESTEP_STORE_TIMEOUT_MS must be a whole number of milliseconds from 1 to 2147483647 \(about 24 days\); got '2s'"
    with pytest.raises(ValueError, match=wanted):
        store_timeout_ms(None, {"TIMESTEP_STORE_TIMEOUT_MS": "2s"})
    with pytest.raises(ValueError, match="timeout_ms store option must be a whole number"):
        store_timeout_ms(0, {})
    # Past what PostgreSQL's statement_timeout (and a Node timer) holds: refused, not failing every connection later.
    assert store_timeout_ms(2**31 - 1, {}) == 2**31 - 1
    with pytest.raises(ValueError):
        store_timeout_ms(2**31, {})
    with pytest.raises(ValueError):
        store_timeout_ms(None, {"TIMESTEP_STORE_TIMEOUT_MS": str(2**31)})
    with pytest.raises(ValueError):
        DurableSession("s", use_pglite=True, timeout_ms=-1)


def checkpoint(agent: Agent[Any], n: int) -> RunState[Any, Any]:
    return RunState(RunContextWrapper(context={"checkpoint": n}), f"checkpoint {n}", agent)


async def assert_times_out(store: RunStateStore, state: RunState[Any, Any]) -> None:
    started = time.monotonic()
    with pytest.raises(StoreTimeoutError, match=f"within {LIMIT_MS} ms"):
        await store.save(state)
    waited = time.monotonic() - started
    assert LIMIT_MS / 1000 - 0.05 <= waited < LIMIT_MS / 1000 + LATE_SECONDS, f"raised after {waited:.2f} s"


async def test_a_server_that_accepts_but_never_answers_raises_store_timeout_error_without_the_password() -> None:
    async def stay_silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # takes the connection, says nothing

    silent = await asyncio.start_server(stay_silent, "127.0.0.1", 0)
    port = silent.sockets[0].getsockname()[1]
    session = DurableSession("s", connection_string=f"postgresql://app:s3cret-pw@127.0.0.1:{port}/db", timeout_ms=LIMIT_MS)
    try:
        started = time.monotonic()
        with pytest.raises(StoreTimeoutError) as timed_out:
            await session.get_items()
        waited = time.monotonic() - started
        assert "s3cret-pw" not in f"{timed_out.value} {timed_out.value.__cause__}"
        assert LIMIT_MS / 1000 - 0.05 <= waited < LIMIT_MS / 1000 + LATE_SECONDS, f"raised after {waited:.2f} s"
    finally:
        await session.close()
        silent.close()


async def test_a_session_holding_the_runs_advisory_lock_makes_a_save_time_out(postgres_url: str, unique_id: str) -> None:
    agent = Agent(name="Waiter", instructions="Saves checkpoints.")
    store = RunStateStore(agent, run_id=unique_id, connection_string=postgres_url, timeout_ms=LIMIT_MS)
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as holder:
        try:
            await store.save(checkpoint(agent, 1))
            await holder.execute("SELECT pg_advisory_lock(hashtextextended(%s, 7405733))", [unique_id])
            await assert_times_out(store, checkpoint(agent, 2))
            await holder.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 7405733))", [unique_id])
            await store.save(checkpoint(agent, 2))
            assert [entry.version for entry in await store.history()] == [1, 2]
        finally:
            await store.clear()
            await store.close()


async def test_a_sessions_uncommitted_row_for_the_next_version_makes_a_save_time_out(postgres_url: str, unique_id: str) -> None:
    agent = Agent(name="Waiter", instructions="Saves checkpoints.")
    store = RunStateStore(agent, run_id=unique_id, connection_string=postgres_url, timeout_ms=LIMIT_MS)
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as holder:
        try:
            await store.save(checkpoint(agent, 1))
            await holder.execute("BEGIN")
            # A copy of version 1 as version 2, not committed: its primary key is locked.
            await holder.execute(
                """INSERT INTO timestep_run_states
                     SELECT (jsonb_populate_record(NULL::timestep_run_states, to_jsonb(s) || '{"version": 2}')).*
                     FROM timestep_run_states s WHERE run_id = %s AND version = 1""",
                [unique_id],
            )
            await assert_times_out(store, checkpoint(agent, 2))
            await holder.execute("ROLLBACK")
            await store.save(checkpoint(agent, 2))
            assert [entry.version for entry in await store.history()] == [1, 2]
        finally:
            await store.clear()
            await store.close()
