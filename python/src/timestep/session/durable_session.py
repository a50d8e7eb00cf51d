"""The SDK's ``Session`` (conversation history) kept in the Timestep store."""

from __future__ import annotations

import json
import os
import uuid
from typing import Any, Self

from agents.items import TResponseInputItem
from agents.memory.session_settings import SessionSettings, coerce_session_settings, resolve_session_limit

from ..errors import StoreClosedError
from ..store.connect import DatabaseHandle, StoreOptions, StoreTarget
from ..store.identifiers import check_identifier
from ..store.sdk_info import SDK_NAME
from ..store.storable_value import check_storable_json


def _check_items(items: object) -> None:
    """Raises ``TypeError`` for what is not a list of input items, which a run could not read back."""
    if not isinstance(items, list | tuple):
        raise TypeError(f"add_items(items): items must be a list of input items, got {type(items).__name__}. Nothing was written.")
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("type", item.get("role")), str):
            raise TypeError(
                f"add_items(items): item {index} is not an input item (a dict with a 'type' or 'role'): {item!r:.80}. "
                "Nothing was written."
            )


class DurableSession:
    """Conversation history that survives restarts and is shared with other processes.

    Rows are the OpenAI Responses API input items the Python SDK uses
    natively, so they are stored as they are; TypeScript reads the same rows
    (and writes its items in that form too, keeping its own form aside).
    """

    session_settings: SessionSettings | None = None
    """Part of the SDK's Session protocol: ``limit`` is the default of ``get_items``.

    A run's ``RunConfig(session_settings=...)`` overrides it for that run.
    """

    def __init__(
        self,
        session_id: str | None = None,
        *,
        connection_string: str | None = None,
        use_pglite: bool | None = None,
        pglite_path: str | os.PathLike[str] | None = None,
        timeout_ms: int | None = None,
        session_settings: SessionSettings | dict[str, Any] | None = None,
    ) -> None:
        """``session_id`` continues an existing conversation; a new random id otherwise.

        ``session_settings`` (or a dict of its fields), as for the SDK's own
        sessions: its ``limit`` is how many recent items ``get_items()`` returns.
        ``timeout_ms``: longest wait on the store (see ``StoreOptions.timeout_ms``).
        """
        # Coerced like the SDK's sessions do, so an unknown field is a TypeError here.
        self.session_settings = (
            SessionSettings() if session_settings is None else coerce_session_settings(session_settings)
        )
        self.session_id = check_identifier("session_id", session_id if session_id is not None else str(uuid.uuid4()))
        self._closed = False
        self._db = DatabaseHandle(
            StoreOptions(connection_string, use_pglite, pglite_path, timeout_ms), f"DurableSession {self.session_id}"
        )

    async def get_items(self, limit: int | None = None) -> list[TResponseInputItem]:
        """The conversation in order; with ``limit``, only its most recent ``limit`` items.

        Without ``limit``, ``session_settings.limit`` applies (None: every item).
        """
        limit = resolve_session_limit(limit, self.session_settings)
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool)):
            raise TypeError(f"get_items(limit): limit must be a whole number of items (or None for all), got {limit!r}.")
        db = await self._db.get()  # first: a closed session refuses every call, even one that reads nothing
        if limit is not None and limit <= 0:
            return []
        rows = await db.query(
            """SELECT item FROM (
                 SELECT id, item FROM timestep_session_items
                 WHERE session_id = %s ORDER BY id DESC LIMIT %s
               ) AS recent ORDER BY id""",
            [self.session_id, limit],
        )
        return [row["item"] for row in rows]

    async def add_items(self, items: list[TResponseInputItem]) -> None:
        """Appends ``items``; all or none.

        An item holding a NUL character, a lone surrogate, NaN or infinity raises
        ``UnstorableValueError`` (its ``path`` names the value) and nothing is written.
        """
        _check_items(items)
        if not items:
            # Checked here too, as nothing below runs: a closed session refuses every call.
            if self._closed:
                raise StoreClosedError(f"DurableSession {self.session_id} is closed; create a new one.")
            return
        texts = [json.dumps(item) for item in items]
        for index, (item, text) in enumerate(zip(items, texts, strict=True)):
            check_storable_json(text, item, f"$.items[{index}]")
        db = await self._db.get()
        # The Responses item is already this SDK's own form: no native copy is kept.
        values = ", ".join("(%s, %s::jsonb, %s, NULL)" for _ in items)
        params = [value for text in texts for value in (self.session_id, text, SDK_NAME)]
        await db.query(
            f"INSERT INTO timestep_session_items (session_id, item, native_sdk, native_item) VALUES {values}",
            params,
        )

    async def pop_item(self) -> TResponseInputItem | None:
        """Removes and returns the most recent item, e.g. to drop a turn a guardrail rejected."""
        db = await self._db.get()
        # One statement that locks the row it picks. Under READ COMMITTED a pop
        # that finds the newest row locked waits; if the other pop deleted it,
        # the locking step skips it and LIMIT takes the next newest instead (a
        # plain max(id) would delete nothing and return None). Waiting rather
        # than SKIP LOCKED keeps the order exact when a row is locked for
        # another reason, e.g. by a pop that then fails.
        rows = await db.query(
            """DELETE FROM timestep_session_items
               WHERE id = (
                 SELECT id FROM timestep_session_items WHERE session_id = %s
                 ORDER BY id DESC LIMIT 1 FOR UPDATE
               )
               RETURNING item""",
            [self.session_id],
        )
        return rows[0]["item"] if rows else None

    async def clear_session(self) -> None:
        db = await self._db.get()
        await db.query("DELETE FROM timestep_session_items WHERE session_id = %s", [self.session_id])

    async def close(self) -> None:
        """Releases the database. Further calls raise ``StoreClosedError``."""
        self._closed = True
        await self._db.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        # Closing matters: an open connection pool can keep asyncio.run from returning.
        await self.close()


def store_target_of(session: DurableSession) -> StoreTarget:
    """The store ``session`` keeps its items in: ``submit_run`` needs it to be the run's, which a worker reopens it in."""
    return session._db.target()
