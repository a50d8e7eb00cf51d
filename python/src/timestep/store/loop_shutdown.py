"""Runs clean-up in an event loop just before it shuts down.

asyncio objects and psycopg's async connections belong to the loop that made
them, so the store keeps them per loop. A loop run by ``asyncio.run`` (or an
``asyncio.Runner``) finalises its async generators before closing; an async
generator left waiting in that loop is the last chance to close them there.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable

# Strong references: the loop itself tracks its async generators weakly.
_watchers: dict[asyncio.AbstractEventLoop, AsyncGenerator[None, None]] = {}
_guard = threading.Lock()


async def _watch(cleanup: Callable[[], Awaitable[None]]) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        with _guard:
            _watchers.pop(asyncio.get_running_loop(), None)
        await cleanup()


async def at_loop_shutdown(cleanup: Callable[[], Awaitable[None]]) -> None:
    """Awaits ``cleanup`` in the running loop when it shuts down, once per loop (the first one registered wins)."""
    loop = asyncio.get_running_loop()
    with _guard:
        for stale in [other for other in _watchers if other.is_closed()]:
            del _watchers[stale]  # closed without shutting down: nothing left to run in it
        if loop in _watchers:
            return
        watcher = _watchers[loop] = _watch(cleanup)
    # Started here, so the loop's first-iteration hook registers it with this loop.
    await watcher.asend(None)
