"""A deadline on one round trip through a psycopg connection.

Cancelling psycopg's own wait is no way to give up on a server that stopped
answering: on cancellation psycopg first asks the server to cancel the query
and waits for that (up to ten more seconds), and a stopped server answers
neither. Instead the connection is cut: its socket is shut down, so the
driver's wait ends at once with a broken connection, which the pool then
discards.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Awaitable
from typing import Any, TypeVar

from psycopg import AsyncConnection

T = TypeVar("T")

# After the cut, the driver notices within a moment; this only bounds a surprise.
_AFTER_CUT_SECONDS = 1.0


class DeadlinePassed(Exception):
    """The round trip did not finish within its deadline; its connection was cut."""


def _cut(connection: AsyncConnection[Any]) -> None:
    with contextlib.suppress(Exception):  # already closed: nothing to cut
        descriptor = connection.pgconn.socket
        # A duplicate descriptor: shutting it down ends the connection for the
        # driver too, while the driver's own descriptor stays open until it closes it.
        with socket.socket(fileno=os.dup(descriptor)) as duplicate:
            duplicate.shutdown(socket.SHUT_RDWR)


def _collect(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved, so it is not reported as never retrieved


async def within(connection: AsyncConnection[Any], operation: Awaitable[T], seconds: float) -> T:
    """Awaits ``operation`` on ``connection``; raises ``DeadlinePassed`` after ``seconds``, with the connection cut."""
    task = asyncio.ensure_future(operation)
    try:
        done, _ = await asyncio.wait({task}, timeout=seconds)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if done:
        return task.result()
    _cut(connection)
    await asyncio.wait({task}, timeout=_AFTER_CUT_SECONDS)
    task.add_done_callback(_collect)
    raise DeadlinePassed(f"no answer within {seconds:g} s")
