"""Waits for a run to finish, streamed or not."""

from __future__ import annotations

from typing import overload

from agents import RunResult, RunResultStreaming


@overload
async def consume_result(result: RunResult) -> RunResult: ...


@overload
async def consume_result(result: RunResultStreaming) -> RunResultStreaming: ...


@overload
async def consume_result(result: RunResult | RunResultStreaming) -> RunResult | RunResultStreaming: ...


async def consume_result(result: RunResult | RunResultStreaming) -> RunResult | RunResultStreaming:
    """Returns ``result`` once its run is complete.

    A streamed result is drained (its events are read and discarded); a plain
    result is returned as is. An error raised during a streamed run is raised
    here, with its SDK type.
    """
    if isinstance(result, RunResultStreaming):
        async for _event in result.stream_events():
            pass  # reading the events is what lets the run advance
    return result
