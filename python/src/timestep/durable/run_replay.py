"""One execution of a run segment: what the journal holds, and what this execution appends."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from contextvars import ContextVar
from typing import TypeVar

from agents.items import ModelResponse

from .errors import DurableRunDivergedError
from .journal import Json, RunJournal
from .journaled_response import response_from_journal, response_to_journal

T = TypeVar("T")

# The run whose journaled tool is running in this context. An agent used as a tool runs its own
# agent with the run's model provider, so its model calls reach the journaling model too; they
# belong to the tool call, whose result the journal keeps, not to the run.
_running_tool: ContextVar[RunReplay | None] = ContextVar("timestep_running_tool", default=None)


class RunReplay:
    """Shared by the journaling model and the journaling tools of one run execution.

    What the journal already holds is replayed instead of being requested or
    executed again; everything new is appended as it happens, and stored
    before anything outside the run (a tool's side effect, a session write,
    the segment's end) acts on it.
    """

    def __init__(self, journal: RunJournal, segment: int, streamed: bool) -> None:
        self.journal = journal
        self.segment = segment
        # A streamed run's consumer sees each response and tool result as it comes: they are stored at once.
        self._streamed = streamed
        self._responses: dict[int, Json] = {}
        self._results: dict[str, Json] = {}
        # Tool calls an earlier execution started; those without a result are in doubt.
        self._started_earlier: set[str] = set()
        self._reported_in_doubt: set[str] = set()
        for entry in journal.entries:
            if entry.kind == "model_response":
                self._responses[int(str(entry.key))] = entry.body
            elif entry.kind == "tool_result" and entry.key is not None:
                self._results[entry.key] = entry.body
            elif entry.kind == "tool_started" and entry.key is not None:
                self._started_earlier.add(entry.key)
            elif entry.kind == "tool_in_doubt" and entry.key is not None:
                self._reported_in_doubt.add(entry.key)
        # Ordinals count responses over the whole run; this segment continues after the earlier ones.
        self._next_ordinal = sum(1 for entry in journal.entries if entry.kind == "model_response" and entry.segment < segment)

    async def run_tool(self, work: Awaitable[T]) -> T:
        """Awaits a journaled tool's own code: model calls made meanwhile are the tool's, not the run's."""
        token = _running_tool.set(self)
        try:
            return await work
        finally:
            _running_tool.reset(token)

    @property
    def inside_tool(self) -> bool:
        """True for a model call made by one of this run's tools (an agent used as a tool): not journaled, not replayed."""
        return _running_tool.get() is self

    def replay_response(self, input_items: int) -> ModelResponse | None:
        """The recorded response of the next model call, or None when the call must be made."""
        recorded = self._responses.get(self._next_ordinal)
        if recorded is None:
            return None
        if recorded["input_items"] != input_items:
            raise DurableRunDivergedError(
                f"Durable run {self.journal.run_id} diverged from its journal: model call {self._next_ordinal} "
                f"was recorded with {recorded['input_items']} input items, the replay asks with {input_items}. "
                'Something the agent does between model calls is not deterministic (see "Durable runs" in the README).',
                self.journal.run_id,
            )
        self._next_ordinal += 1
        return response_from_journal(recorded)

    async def record_response(self, response: ModelResponse, input_items: int) -> None:
        """Journals a response that was just received.

        Unless the run is streamed, it is stored with the journal's next write,
        which comes before anything outside the run acts on it: a tool's
        ``tool_started``, a session write, the segment's end. (Storing it alone
        would cost a round trip per turn.)
        """
        ordinal = self._next_ordinal
        body = response_to_journal(response, input_items)
        self.journal.append_unstored(self.segment, "model_response", str(ordinal), body)
        self._responses[ordinal] = body
        self._next_ordinal += 1
        if self._streamed:
            await self.journal.flush()

    def tool_key(self, call_id: str) -> str:
        """Journal key of a tool call: the ordinal of the response that asked for it, and its call id.

        Call ids are unique only within a response for some providers. Tools
        run after the response of their turn, so that is the latest one.
        """
        return f"{self._next_ordinal - 1}:{call_id}"

    def recorded_result(self, key: str) -> Json | None:
        return self._results.get(key)

    def is_in_doubt(self, key: str) -> bool:
        """Started by an earlier execution that died before journaling the result."""
        return key in self._started_earlier and key not in self._results

    def has_calls_in_doubt(self) -> bool:
        return any(key not in self._results for key in self._started_earlier)

    async def report_in_doubt(self, key: str, body: Json) -> None:
        if key in self._reported_in_doubt:
            return
        self._reported_in_doubt.add(key)
        await self.journal.append(self.segment, "tool_in_doubt", key, body)

    async def tool_started(self, key: str) -> None:
        """Stores that the call ``key`` is about to run (with every entry before it); the tool runs after this returns."""
        await self.journal.append(self.segment, "tool_started", key, {})

    async def tool_finished(self, key: str, body: Json) -> None:
        """Journals a tool's result.

        Unless the run is streamed, the run goes on while it is written (its
        session items wait for it): until it is stored a crash leaves the call
        in doubt, as a crash just before this would.
        """
        self.journal.append_unstored(self.segment, "tool_result", key, body)
        self._results[key] = body
        if self._streamed:
            await self.journal.flush()
        else:
            self.journal.flush_in_background()
            # Lets the write go out now rather than at the run's next wait (its next model call, after
            # the SDK's processing of the turn), which would widen the window that leaves the call in doubt.
            await asyncio.sleep(0)
