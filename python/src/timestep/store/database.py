"""The one database interface the store is written against.

Both targets, a PostgreSQL server and the embedded store's server, speak the
PostgreSQL protocol and share one adapter; nothing above this layer knows
which one it talks to. SQL uses psycopg's ``%s`` placeholders.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

Row = dict[str, Any]


class Queryable(Protocol):
    """Something SQL can be sent to: the database itself or an open transaction."""

    async def query(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        """Runs one parameterised statement and returns its rows (none for statements without)."""
        ...

    async def exec(self, script: str) -> None:
        """Runs a script of several statements without parameters (migrations only)."""
        ...


class Database(Queryable, Protocol):
    def transaction(self) -> AbstractAsyncContextManager[Queryable]:
        """One transaction: committed if the block completes, rolled back if it raises."""
        ...

    async def close(self) -> None: ...
