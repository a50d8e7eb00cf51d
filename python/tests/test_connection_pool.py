"""The per-loop connection pool, on real connections to the test PostgreSQL server."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import psycopg
import pytest
from psycopg import AsyncConnection
from psycopg.rows import dict_row

from timestep.store.connection_pool import ConnectionPool, PoolExhausted
from timestep.store.database import Row

Connect = Callable[[], Awaitable[AsyncConnection[Row]]]


@pytest.fixture
def connect(postgres_url: str) -> Connect:
    async def open_one() -> AsyncConnection[Row]:
        connection: AsyncConnection[Row] = await AsyncConnection.connect(postgres_url, autocommit=True, row_factory=dict_row)
        return connection

    return open_one


async def test_a_released_connection_is_reused(connect: Connect) -> None:
    pool = ConnectionPool(connect, max_size=2, timeout=5)
    first = await pool.acquire()
    await pool.release(first)
    assert await pool.acquire() is first
    await pool.release(first)
    await pool.close()
    assert first.closed


async def test_past_max_size_a_caller_waits_for_a_release_else_gets_pool_exhausted(connect: Connect) -> None:
    pool = ConnectionPool(connect, max_size=2, timeout=0.2)
    held = [await pool.acquire(), await pool.acquire()]
    assert held[0] is not held[1]
    with pytest.raises(PoolExhausted):
        await pool.acquire()

    waiter = asyncio.ensure_future(pool.acquire())
    await asyncio.sleep(0)  # one turn of the loop: the waiter is now queued
    assert not waiter.done()
    await pool.release(held[0])
    assert await waiter is held[0]
    for connection in (held[0], held[1]):
        await pool.release(connection)
    await pool.close()


async def test_a_connection_released_inside_a_transaction_is_closed_not_reused(connect: Connect) -> None:
    pool = ConnectionPool(connect, max_size=1, timeout=5)
    connection = await pool.acquire()
    await connection.execute("BEGIN")
    await pool.release(connection)
    assert connection.closed
    fresh = await pool.acquire()
    assert fresh is not connection
    await pool.release(fresh)
    await pool.close()


async def test_a_failed_connect_gives_its_place_back(connect: Connect) -> None:
    failures = iter([True, False])

    async def fails_once() -> AsyncConnection[Row]:
        if next(failures):
            raise psycopg.OperationalError("refused")
        return await connect()

    pool = ConnectionPool(fails_once, max_size=1, timeout=0.2)
    with pytest.raises(psycopg.OperationalError):
        await pool.acquire()
    connection = await pool.acquire()  # not PoolExhausted: the failed attempt holds no place
    await pool.release(connection)
    await pool.close()


async def test_after_close_connections_in_use_are_closed_when_released(connect: Connect) -> None:
    pool = ConnectionPool(connect, max_size=2, timeout=5)
    idle, in_use = await pool.acquire(), await pool.acquire()
    await pool.release(idle)
    await pool.close()
    assert idle.closed
    assert not in_use.closed
    await pool.release(in_use)
    assert in_use.closed
