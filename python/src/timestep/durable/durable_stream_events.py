"""Reading a streamed durable run with positions, to continue it after a crash or after approvals."""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass

from agents import RunResultStreaming
from agents.stream_events import RawResponsesStreamEvent, StreamEvent

from .journaling_model import ReplayedResponseCompleted

# The segment each durable stream executes, by id(result): RunResultStreaming is an unhashable
# dataclass, so no WeakKeyDictionary; a finalizer drops the entry before the id can be reused.
_stream_segments: dict[int, int] = {}


def record_stream_segment(result: RunResultStreaming, segment: int) -> None:
    """Notes that ``result`` streams segment ``segment`` of its run (see ``DurableStreamEvent.segment``)."""
    _stream_segments[id(result)] = segment
    weakref.finalize(result, _stream_segments.pop, id(result), None)


@dataclass(frozen=True)
class DurableStreamPosition:
    """Where a client stands in a durable run's stream: the next event it wants."""

    segment: int
    offset: int


@dataclass(frozen=True)
class DurableStreamEvent:
    """One event of a durable run's stream."""

    segment: int
    """The run's segment the event belongs to: 0 from its start, one more each time it continues
    after approvals (with a ``RunState``, or with decisions stored by ``timestep runs
    approve|reject`` on a resume)."""
    offset: int | None
    """Position of the event among the segment's item and agent events (0, 1, ...), the same in
    every execution of the run; None for raw model events (text deltas), which only a live
    model call produces."""
    event: StreamEvent


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _first_offset(from_offset: int | DurableStreamPosition, segment: int) -> int:
    position = DurableStreamPosition(segment, from_offset) if isinstance(from_offset, int) else from_offset
    if not isinstance(position, DurableStreamPosition) or not _is_count(position.offset) or not _is_count(position.segment):
        raise ValueError(
            "durable_stream_events: from_offset must be a non-negative integer offset or a DurableStreamPosition "
            f"of such integers, got {from_offset!r}."
        )
    if position.segment > segment:
        raise ValueError(
            f"durable_stream_events: the position {from_offset!r} is in segment {position.segment}, after segment {segment} "
            "that this stream executes; a resume streams the run's latest segment, so the position belongs to another run."
        )
    # The client has seen nothing of a segment later than its position: it gets all of it.
    return position.offset if position.segment == segment else 0


async def durable_stream_events(
    result: RunResultStreaming, from_offset: int | DurableStreamPosition = 0
) -> AsyncIterator[DurableStreamEvent]:
    """Reads a streamed durable run (``run_agent(..., stream=True, durable=...)``) from ``from_offset``.

    ``from_offset`` is an offset in this stream's segment, or a
    ``DurableStreamPosition``. A client that keeps the position after the last
    event it handled resumes the run after a crash (or after approvals) and
    passes it: it gets every later event once and none it already had. Raw
    model events of calls replayed from the journal are left out (the client
    saw that call's output already); a call that was in flight when the
    process died streams again from its start.
    """
    segment = _stream_segments.get(id(result), 0)
    first = _first_offset(from_offset, segment)
    following = 0
    async for event in result.stream_events():
        if isinstance(event, RawResponsesStreamEvent):
            if following >= first and not isinstance(event.data, ReplayedResponseCompleted):
                yield DurableStreamEvent(segment, None, event)
            continue
        offset = following
        following += 1
        if offset >= first:
            yield DurableStreamEvent(segment, offset, event)
