"""A PostgreSQL-protocol server reached through a psycopg connection pool.

Both targets use this adapter: a PostgreSQL server given by URL, and the
embedded store, which a Node process serves on a unix socket.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from ..errors import StoreUnavailableError
from .connection_string import redact_passwords
from .database import Queryable, Row

_POOL_SIZE = 10
# Times a started server is looked for again when it vanishes before a connection.
_RESOLVE_ATTEMPTS = 3

_CONNECTION_OPTIONS: dict[str, Any] = {
    # Transactions are explicit (Database.transaction), as in the TypeScript adapter.
    "autocommit": True,
    "row_factory": dict_row,
    # Never prepare statements server-side: the embedded store's server runs
    # every client on one backend, where psycopg's per-connection statement
    # names would collide.
    "prepare_threshold": None,
}

# 08xxx: connection exceptions; 57P01-03: the server is shutting down or starting.
_SERVER_GONE = ("57P01", "57P02", "57P03")


def _is_connection_failure(error: psycopg.Error) -> bool:
    if not isinstance(error, psycopg.OperationalError):
        return False
    state = error.sqlstate
    # No SQLSTATE: libpq's own errors, e.g. "server closed the connection unexpectedly".
    return state is None or state.startswith("08") or state in _SERVER_GONE


async def _run(connection: AsyncConnection[Row], sql: str, params: Sequence[object]) -> list[Row]:
    cursor = await connection.execute(sql, params)
    return await cursor.fetchall() if cursor.description is not None else []


class _Transaction:
    """The ``Queryable`` of one open transaction."""

    def __init__(self, connection: AsyncConnection[Row]) -> None:
        self._connection = connection

    async def query(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        return await _run(self._connection, sql, params)

    async def exec(self, script: str) -> None:
        await self._connection.execute(script)


class PostgresDatabase:
    """Runs statements on pooled connections and reports a lost server as ``StoreUnavailableError``."""

    def __init__(
        self,
        conninfo: str,
        *,
        description: str,
        advice: str,
        start_server: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """
        Args:
            conninfo: libpq connection string or URL.
            description: names the database in errors, without a password.
            advice: what to do when it is unavailable.
            start_server: awaited before every (re)connection; starts the server if needed.
        """
        self._conninfo = conninfo
        self._description = description
        self._advice = advice
        self._start_server = start_server
        self._pool: AsyncConnectionPool[AsyncConnection[Row]] | None = None
        self._opening = asyncio.Lock()
        # Every connection the pools made, so close() can close them itself (see there).
        self._connections: weakref.WeakSet[AsyncConnection[Row]] = weakref.WeakSet()

    async def query(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        async with self._connection() as connection:
            return await _run(connection, sql, params)

    async def exec(self, script: str) -> None:
        async with self._connection() as connection:
            await connection.execute(script)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Queryable]:
        async with self._connection() as connection, connection.transaction():
            yield _Transaction(connection)

    async def close(self) -> None:
        async with self._opening:
            pool, self._pool = self._pool, None
        if pool is not None:
            try:
                await pool.close()
            finally:
                # When asyncio.run ends a loop it cancels the pool's workers first;
                # pool.close() then stops before closing its idle connections.
                for connection in list(self._connections):
                    if not connection.closed:
                        await connection.close()

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[AsyncConnection[Row]]:
        pool, connection = await self._check_out()
        lost: psycopg.Error | None = None
        try:
            yield connection
        except psycopg.Error as error:
            if not _is_connection_failure(error):
                raise
            lost = error
        finally:
            await pool.putconn(connection)
        if lost is not None:
            await self._discard(pool)
            raise self._unavailable(lost)

    async def _check_out(self) -> tuple[AsyncConnectionPool[AsyncConnection[Row]], AsyncConnection[Row]]:
        # A server restart leaves every idle connection dead. Checking one before
        # use finds that out before anything of ours is sent, so the pool is
        # replaced and the call goes ahead on a fresh connection, or fails fast
        # while the server is still down.
        pool = await self._open_pool()
        connection = await self._get_connection(pool)
        try:
            await AsyncConnectionPool.check_connection(connection)
            return pool, connection
        except psycopg.Error:
            await pool.putconn(connection)
        await self._discard(pool)
        pool = await self._open_pool()
        return pool, await self._get_connection(pool)

    async def _get_connection(
        self, pool: AsyncConnectionPool[AsyncConnection[Row]]
    ) -> AsyncConnection[Row]:
        try:
            return await pool.getconn()
        except PoolTimeout as error:
            raise StoreUnavailableError(
                f"{self._description} gave no connection within {pool.timeout:g} s "
                f"(all {_POOL_SIZE} in use, or the server stopped answering). {self._advice}"
            ) from error

    async def _open_pool(self) -> AsyncConnectionPool[AsyncConnection[Row]]:
        async with self._opening:
            if self._pool is None:
                await self._reach_server()
                pool: AsyncConnectionPool[AsyncConnection[Row]] = AsyncConnectionPool(
                    self._conninfo,
                    kwargs=_CONNECTION_OPTIONS,
                    min_size=1,
                    max_size=_POOL_SIZE,
                    open=False,
                    configure=self._track,
                )
                await pool.open()
                self._pool = pool
            return self._pool

    async def _track(self, connection: AsyncConnection[Row]) -> None:
        self._connections.add(connection)

    async def _reach_server(self) -> None:
        """Probes the server; a started server is resolved again if the probe finds it gone.

        Nothing was sent when a probe fails, so trying the next host is safe:
        the host may have exited just after it was found, and another process
        (or this one) becomes the host.
        """
        if self._start_server is None:
            await self._probe()
            return
        for attempt in range(_RESOLVE_ATTEMPTS):
            await self._start_server()
            try:
                await self._probe()
                return
            except StoreUnavailableError:
                if attempt == _RESOLVE_ATTEMPTS - 1:
                    raise

    async def _probe(self) -> None:
        # The pool retries failed connections quietly in the background, so a
        # server that is down would surface only as a timeout; one direct
        # connection first fails fast, with the reason.
        try:
            probe = await AsyncConnection.connect(self._conninfo, **_CONNECTION_OPTIONS)
        except psycopg.Error as error:
            failure = error
        else:
            await probe.close()
            return
        # Raised outside the except block, so the driver's error is not attached as context.
        raise self._unavailable(failure)

    async def _discard(self, pool: AsyncConnectionPool[AsyncConnection[Row]]) -> None:
        async with self._opening:
            if self._pool is pool:
                self._pool = None
        await pool.close()

    def _unavailable(self, error: psycopg.Error) -> StoreUnavailableError:
        detail = str(error).strip() or type(error).__name__
        reason = redact_passwords(detail, self._conninfo)
        unavailable = StoreUnavailableError(f"{self._description} is unavailable ({reason}). {self._advice}")
        # Chain the driver's error for debugging, unless its text shows the password.
        unavailable.__cause__ = error if reason == detail else None
        unavailable.__suppress_context__ = True
        return unavailable
