"""Waits for a run to finish, streamed or not."""

from __future__ import annotations

from typing import TypeVar

from agents import RunResult, RunResultStreaming

TResult = TypeVar("TResult", RunResult, RunResultStreaming)


async def consume_result(result: TResult) -> TResult:
    """Returns ``result`` once its run is complete.

    A streamed result is drained (its events are read and discarded); a plain
    result is returned as is. An error raised during a streamed run is raised
    here, with its SDK type.
    """
    if isinstance(result, RunResultStreaming):
        async for _event in result.stream_events():
            pass  # reading the events is what lets the run advance
    return result
