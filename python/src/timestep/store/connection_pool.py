"""The connections of one database in one event loop, kept for reuse.

It runs no tasks of its own. psycopg_pool's pool keeps maintenance workers
running as tasks of the loop, and ``asyncio.run`` cancels every task left when
its coroutine returns and waits for them. A worker cancelled while it runs a
job catches the cancellation (to keep its pool consistent) and waits for the
next job, so the loop never finished closing: ``asyncio.run`` of a store call
in a thread hung for ever, about once in two runs of the concurrency tests.
Here a connection is made by the caller that needs it, and the idle ones are
closed when the loop shuts down (``loop_shutdown``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable

from psycopg import AsyncConnection
from psycopg.pq import TransactionStatus

from .database import Row


class PoolExhausted(Exception):
    """Every connection stayed in use for the whole wait."""


class ConnectionPool:
    """At most ``max_size`` connections, made on demand; a caller waits ``timeout`` seconds for a free one."""

    def __init__(
        self,
        connect: Callable[[], Awaitable[AsyncConnection[Row]]],
        *,
        max_size: int,
        timeout: float,
        idle: Iterable[AsyncConnection[Row]] = (),
    ) -> None:
        """``idle``: connections already made (e.g. the one that found the server), used first."""
        self._connect = connect
        self._free = asyncio.Semaphore(max_size)
        self._idle = list(idle)
        self._closed = False
        self.max_size = max_size
        self.timeout = timeout

    async def acquire(self) -> AsyncConnection[Row]:
        """An idle connection, else a new one. Raises ``PoolExhausted`` after ``timeout``."""
        if self._free.locked():
            try:
                await asyncio.wait_for(self._free.acquire(), self.timeout)
            except TimeoutError:
                raise PoolExhausted from None
        else:
            await self._free.acquire()  # free: returns without suspending (wait_for would start a task)
        try:
            while self._idle:
                connection = self._idle.pop()
                if not connection.closed:
                    return connection
            return await self._connect()
        except BaseException:
            self._free.release()
            raise

    async def release(self, connection: AsyncConnection[Row]) -> None:
        """Keeps ``connection`` for reuse if it is open and outside a transaction, else closes it."""
        try:
            reusable = not self._closed and connection.info.transaction_status == TransactionStatus.IDLE
            if reusable:
                self._idle.append(connection)
            else:
                await connection.close()
        finally:
            self._free.release()

    async def close(self) -> None:
        """Closes the idle connections now and the ones in use when they are released."""
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.close()
