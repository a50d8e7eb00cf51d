"""The user's session as one segment of a durable run sees it."""

from __future__ import annotations

import sys

from agents import Session
from agents.items import TResponseInputItem
from agents.memory.session_settings import SessionSettings


async def every_item(session: Session) -> list[TResponseInputItem]:
    """All of the session's items, whatever default ``limit`` its ``session_settings`` set."""
    settings = session.session_settings
    limited = settings is not None and settings.limit is not None
    return await session.get_items(sys.maxsize if limited else None)


class ReplaySession:
    """The items the session held when the segment first started, then the items this segment adds.

    A replay adds the same items again, in the same order; those an earlier
    execution already stored (counted once, when the replay starts) are
    skipped, so the session never holds an item twice. This relies on the
    session being appended only through the run while the run is unfinished.
    """

    def __init__(self, inner: Session, items_before: int, already_stored: int) -> None:
        self._inner = inner
        self._items_before = items_before
        # Items an earlier execution of this segment already stored.
        self._already_stored = already_stored
        # Items this segment has added so far, stored or skipped.
        self._added = 0
        self.session_id = inner.session_id
        self.session_settings: SessionSettings | None = inner.session_settings

    @staticmethod
    async def open(inner: Session, items_before: int) -> ReplaySession:
        stored = len(await every_item(inner))
        return ReplaySession(inner, items_before, max(0, stored - items_before))

    async def get_items(self, limit: int | None = None) -> list[TResponseInputItem]:
        visible = (await every_item(self._inner))[: self._items_before + self._added]
        if limit is None:
            return visible
        return [] if limit <= 0 else visible[-limit:]

    async def add_items(self, items: list[TResponseInputItem]) -> None:
        skip = min(len(items), max(0, self._already_stored - self._added))
        self._added += len(items)
        if skip < len(items):
            await self._inner.add_items(items[skip:])

    async def pop_item(self) -> TResponseInputItem | None:
        # Only what this segment added may be removed (e.g. a turn a guardrail rejected).
        if self._added == 0:
            return None
        removed = await self._inner.pop_item()
        if removed is not None:
            self._added -= 1
        return removed

    async def clear_session(self) -> None:
        await self._inner.clear_session()
        self._added = 0
