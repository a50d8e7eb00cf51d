"""Reading a streamed durable run with offsets, to continue it after a crash."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from agents import RunResultStreaming
from agents.stream_events import RawResponsesStreamEvent, StreamEvent

from .journaling_model import ReplayedResponseCompleted


@dataclass(frozen=True)
class DurableStreamEvent:
    """One event of a durable run's stream."""

    offset: int | None
    """Position of the event among the run's item and agent events (0, 1, ...), the same in
    every execution of the run; None for raw model events (text deltas), which only a live
    model call produces."""
    event: StreamEvent


async def durable_stream_events(result: RunResultStreaming, from_offset: int = 0) -> AsyncIterator[DurableStreamEvent]:
    """Reads a streamed durable run (``run_agent(..., stream=True, durable=...)``) from offset ``from_offset``.

    A client that keeps the offset of the last event it handled resumes the
    run after a crash and passes that offset + 1: it gets every later event
    once and none it already had. Raw model events of calls replayed from the
    journal are left out (the client saw that call's output already); a call
    that was in flight when the process died streams again from its start.
    Offsets count one ``run_agent`` call's stream: a run continued with a
    ``RunState`` (after approvals) starts at 0.
    """
    if isinstance(from_offset, bool) or not isinstance(from_offset, int) or from_offset < 0:
        raise ValueError(f"durable_stream_events: from_offset must be a non-negative integer, got {from_offset!r}.")
    following = 0
    async for event in result.stream_events():
        if isinstance(event, RawResponsesStreamEvent):
            if following >= from_offset and not isinstance(event.data, ReplayedResponseCompleted):
                yield DurableStreamEvent(None, event)
            continue
        offset = following
        following += 1
        if offset >= from_offset:
            yield DurableStreamEvent(offset, event)
