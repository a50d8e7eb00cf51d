"""The user's session as one segment of a durable run sees it."""

from __future__ import annotations

import sys

from agents import Session
from agents.items import TResponseInputItem
from agents.memory.session_settings import SessionSettings

from .journal import RunJournal


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

    Items are written after the journal entries they come from are stored, so
    a replay never meets items of a response or tool result the journal lost.
    In the background (``background``): the run goes on to its next model call
    while they are written, and a failed write fails the journal's next write.
    """

    def __init__(self, inner: Session, items_before: int, already_stored: int, journal: RunJournal, background: bool) -> None:
        self._inner = inner
        self._items_before = items_before
        # Items an earlier execution of this segment already stored.
        self._already_stored = already_stored
        self._journal = journal
        self._background = background
        # Items this segment has added so far, stored or skipped.
        self._added = 0
        self.session_id = inner.session_id
        self.session_settings: SessionSettings | None = inner.session_settings

    @staticmethod
    async def open(inner: Session, items_before: int, journal: RunJournal, background: bool, started_here: bool) -> ReplaySession:
        """``started_here``: the segment was started by this execution, so none of its items can be stored yet."""
        stored = items_before if started_here else len(await every_item(inner))
        return ReplaySession(inner, items_before, max(0, stored - items_before), journal, background)

    async def get_items(self, limit: int | None = None) -> list[TResponseInputItem]:
        await self._journal.flush()  # the writes queued before, done
        visible = (await every_item(self._inner))[: self._items_before + self._added]
        if limit is None:
            return visible
        return [] if limit <= 0 else visible[-limit:]

    async def add_items(self, items: list[TResponseInputItem]) -> None:
        skip = min(len(items), max(0, self._already_stored - self._added))
        self._added += len(items)
        if skip == len(items):
            return
        new = items[skip:]

        async def write() -> None:
            await self._inner.add_items(new)

        if self._background:
            self._journal.after_stored(write)
        else:
            await self._journal.flush()
            await write()

    async def pop_item(self) -> TResponseInputItem | None:
        # Only what this segment added may be removed (e.g. a turn a guardrail rejected).
        if self._added == 0:
            return None
        await self._journal.flush()
        removed = await self._inner.pop_item()
        if removed is not None:
            self._added -= 1
        return removed

    async def clear_session(self) -> None:
        await self._journal.flush()
        await self._inner.clear_session()
        self._added = 0
