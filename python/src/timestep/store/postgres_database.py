"""A PostgreSQL-protocol server reached through a psycopg connection pool.

Both targets use this adapter: a PostgreSQL server given by URL, and the
embedded store, which a Node process serves on a unix socket.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg import AsyncConnection
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row

from ..errors import StoreTimeoutError, StoreUnavailableError
from .connection_pool import ConnectionPool, PoolExhausted
from .connection_string import redact_passwords
from .database import Queryable, Row
from .deadline import DeadlinePassed, within
from .store_timeout import DEFAULT_STORE_TIMEOUT_MS

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


# With server timeouts the server cancels a statement at the limit itself
# (cleanly: the transaction rolls back); the client's own deadline comes this
# much later, so it fires only when the server cannot answer at all.
_CLIENT_GRACE_SECONDS = 1.0


def _is_server_timeout(error: psycopg.Error) -> bool:
    """The server cancelled a statement at statement_timeout (57014 is also a cancel by request) or lock_timeout."""
    if isinstance(error, psycopg.errors.LockNotAvailable):
        return True
    return isinstance(error, psycopg.errors.QueryCanceled) and "statement timeout" in str(error)


def _is_connection_failure(error: psycopg.Error) -> bool:
    if not isinstance(error, psycopg.OperationalError):
        return False
    state = error.sqlstate
    # No SQLSTATE: libpq's own errors, e.g. "server closed the connection unexpectedly".
    return state is None or state.startswith("08") or state in _SERVER_GONE


async def _run(connection: AsyncConnection[Row], sql: str, params: Sequence[object]) -> list[Row]:
    cursor = await connection.execute(sql, params)
    return await cursor.fetchall() if cursor.description is not None else []


_Limit = Callable[[AsyncConnection[Row], Awaitable[Any]], Awaitable[Any]]


class _Transaction:
    """The ``Queryable`` of one open transaction."""

    def __init__(self, connection: AsyncConnection[Row], limit: _Limit) -> None:
        self._connection = connection
        self._limit = limit

    async def query(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        rows: list[Row] = await self._limit(self._connection, _run(self._connection, sql, params))
        return rows

    async def exec(self, script: str) -> None:
        await self._limit(self._connection, self._connection.execute(script))


class PostgresDatabase:
    """Runs statements on pooled connections and reports a lost server as ``StoreUnavailableError``."""

    def __init__(
        self,
        conninfo: str,
        *,
        description: str,
        advice: str,
        start_server: Callable[[], Awaitable[None]] | None = None,
        timeout_ms: int = DEFAULT_STORE_TIMEOUT_MS,
        server_timeouts: bool = False,
    ) -> None:
        """
        Args:
            conninfo: libpq connection string or URL.
            description: names the database in errors, without a password.
            advice: what to do when it is unavailable.
            start_server: awaited before every (re)connection; starts the server if needed.
            timeout_ms: longest wait for a connection or one statement's answer (``StoreTimeoutError``).
            server_timeouts: also have the server cancel a statement (a lock wait included) at
                the limit, with ``statement_timeout``. For a real PostgreSQL server; the
                embedded store's host answers for itself.
        """
        self._conninfo = conninfo
        self._timeout_ms = timeout_ms
        self._deadline_seconds = timeout_ms / 1000 + (_CLIENT_GRACE_SECONDS if server_timeouts else 0)
        self._connect_options = {**_CONNECTION_OPTIONS, **_limits(conninfo, timeout_ms, server_timeouts)}
        self._description = description
        self._advice = advice
        self._start_server = start_server
        self._pool: ConnectionPool | None = None
        self._opening = asyncio.Lock()

    async def query(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        async with self._connection() as connection:
            rows: list[Row] = await self._limit(connection, _run(connection, sql, params))
            return rows

    async def exec(self, script: str) -> None:
        async with self._connection() as connection:
            await self._limit(connection, connection.execute(script))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Queryable]:
        # BEGIN and COMMIT by hand (the connections are autocommit), so each
        # round trip of the transaction has the deadline too.
        async with self._connection() as connection:
            await self._limit(connection, connection.execute("BEGIN"))
            try:
                yield _Transaction(connection, self._limit)
            except BaseException:
                if not connection.closed:
                    try:
                        await self._limit(connection, connection.execute("ROLLBACK"))
                    except Exception:  # noqa: BLE001 - the first error is the one to report
                        pass  # the connection was cut or lost: the server rolls back, the pool discards it
                raise
            await self._limit(connection, connection.execute("COMMIT"))

    async def close(self) -> None:
        async with self._opening:
            pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[AsyncConnection[Row]]:
        pool, connection = await self._check_out()
        lost: psycopg.Error | None = None
        try:
            yield connection
        except psycopg.Error as error:
            if _is_server_timeout(error):
                raise self._timed_out(str(error).strip()) from error
            if not _is_connection_failure(error):
                raise
            lost = error
        finally:
            await pool.release(connection)
        if lost is not None:
            await self._discard(pool)
            raise self._unavailable(lost)

    async def _check_out(self) -> tuple[ConnectionPool, AsyncConnection[Row]]:
        # A server restart leaves every idle connection dead. Checking one before
        # use finds that out before anything of ours is sent, so the pool is
        # replaced and the call goes ahead on a fresh connection, or fails fast
        # while the server is still down.
        pool = await self._open_pool()
        connection = await self._get_connection(pool)
        try:
            await self._limit(connection, connection.execute(""))
            return pool, connection
        except StoreTimeoutError:
            await pool.release(connection)  # cut: the pool closes it
            raise
        except psycopg.Error:
            await pool.release(connection)
        await self._discard(pool)
        pool = await self._open_pool()
        return pool, await self._get_connection(pool)

    async def _get_connection(self, pool: ConnectionPool) -> AsyncConnection[Row]:
        try:
            return await pool.acquire()
        except PoolExhausted:
            raise StoreTimeoutError(
                f"{self._description} gave no connection within {pool.timeout:g} s "
                f"(all {pool.max_size} in use). {self._advice} "
                "The limit is the timeout_ms option or TIMESTEP_STORE_TIMEOUT_MS."
            ) from None

    async def _open_pool(self) -> ConnectionPool:
        async with self._opening:
            if self._pool is None:
                first = await self._reach_server()
                self._pool = ConnectionPool(
                    self._connect, max_size=_POOL_SIZE, timeout=self._timeout_ms / 1000, idle=[first]
                )
            return self._pool

    async def _reach_server(self) -> AsyncConnection[Row]:
        """A first connection; a started server is resolved again if connecting finds it gone.

        Nothing was sent when connecting fails, so trying the next host is safe:
        the host may have exited just after it was found, and another process
        (or this one) becomes the host.
        """
        if self._start_server is None:
            return await self._connect()
        for _ in range(_RESOLVE_ATTEMPTS - 1):
            await self._start_server()
            try:
                return await self._connect()
            except StoreTimeoutError:
                raise  # there, but not answering: looking again would only wait again
            except StoreUnavailableError:
                pass  # gone: resolve the host again
        await self._start_server()
        return await self._connect()

    async def _connect(self) -> AsyncConnection[Row]:
        """A new connection; a failure to connect is ``StoreTimeoutError`` or ``StoreUnavailableError``."""
        try:
            connection: AsyncConnection[Row] = await AsyncConnection.connect(self._conninfo, **self._connect_options)
            return connection
        except psycopg.Error as error:
            failure = error
        # Raised outside the except block, so the driver's error is not attached as context.
        if isinstance(failure, psycopg.errors.ConnectionTimeout):
            raise self._timed_out(str(failure).strip())
        raise self._unavailable(failure)

    async def _limit(self, connection: AsyncConnection[Row], operation: Awaitable[Any]) -> Any:
        """Awaits one round trip on ``connection``, or raises ``StoreTimeoutError`` past the deadline."""
        try:
            return await within(connection, operation, self._deadline_seconds)
        except DeadlinePassed as passed:
            raise self._timed_out(str(passed)) from None

    def _timed_out(self, reason: str) -> StoreTimeoutError:
        # ``reason`` is never the driver's connection error, which could show a password.
        return StoreTimeoutError(
            f"{self._description} did not answer within {self._timeout_ms} ms ({reason}): the server is "
            "stopped or overloaded, or another client holds what this call needs (a lock on the run). "
            "Retry, or raise the limit (timeout_ms option or TIMESTEP_STORE_TIMEOUT_MS)."
        )

    async def _discard(self, pool: ConnectionPool) -> None:
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


def _limits(conninfo: str, timeout_ms: int, server_timeouts: bool) -> dict[str, Any]:
    """Connection parameters that bound connecting and, with ``server_timeouts``, each statement."""
    # libpq takes whole seconds, at least 2.
    limits: dict[str, Any] = {"connect_timeout": max(2, math.ceil(timeout_ms / 1000))}
    if server_timeouts:
        try:
            given = str(conninfo_to_dict(conninfo).get("options") or "")
        except psycopg.Error:
            given = ""  # connecting reports what is wrong with it
        limits["options"] = f"{given} -c statement_timeout={timeout_ms}".strip()
    return limits
