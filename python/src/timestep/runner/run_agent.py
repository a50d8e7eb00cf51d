"""Runs an agent, optionally streaming, with its conversation in a session."""

from __future__ import annotations

import asyncio
from typing import Any, Literal, TypedDict, Unpack, overload

from agents import Agent, RunConfig, RunHooks, Runner, RunResult, RunResultStreaming, Session
from agents.items import TResponseInputItem
from agents.models.interface import ModelProvider
from agents.run_error_handlers import RunErrorHandlers
from agents.run_state import RunState

from ..durable.durable_run import DurableOptions, run_durably
from ..models.multi_model_provider import MultiModelProvider

RunInput = str | list[TResponseInputItem] | RunState[Any, Any]
"""New input, or a ``RunState`` to resume."""


class RunAgentOptions(TypedDict, total=False):
    """Everything ``Runner.run`` accepts besides the agent, the input and the session."""

    context: Any
    max_turns: int | None
    hooks: RunHooks[Any] | None
    run_config: RunConfig | dict[str, Any] | None
    error_handlers: RunErrorHandlers[Any] | None
    previous_response_id: str | None
    auto_previous_response_id: bool
    conversation_id: str | None


# Providers closed after a streamed run ends; asyncio keeps only weak references to tasks.
_closing: set[asyncio.Task[None]] = set()


def _close_when_finished(result: RunResultStreaming, provider: ModelProvider) -> None:
    def close(_: object) -> None:
        task = asyncio.ensure_future(provider.aclose())
        _closing.add(task)
        task.add_done_callback(_closing.discard)

    assert result.run_loop_task is not None
    result.run_loop_task.add_done_callback(close)


@overload
async def run_agent(
    agent: Agent[Any],
    input: RunInput,
    session: Session | None = None,
    stream: Literal[False] = False,
    *,
    durable: DurableOptions | None = None,
    **options: Unpack[RunAgentOptions],
) -> RunResult: ...


@overload
async def run_agent(
    agent: Agent[Any],
    input: RunInput,
    session: Session | None,
    stream: Literal[True],
    *,
    durable: DurableOptions | None = None,
    **options: Unpack[RunAgentOptions],
) -> RunResultStreaming: ...


@overload
async def run_agent(
    agent: Agent[Any],
    input: RunInput,
    session: Session | None = None,
    stream: bool = False,
    *,
    durable: DurableOptions | None = None,
    **options: Unpack[RunAgentOptions],
) -> RunResult | RunResultStreaming: ...


async def run_agent(
    agent: Agent[Any],
    input: RunInput,
    session: Session | None = None,
    stream: bool = False,
    *,
    durable: DurableOptions | None = None,
    **options: Unpack[RunAgentOptions],
) -> RunResult | RunResultStreaming:
    """Runs ``agent`` on ``input`` with the conversation kept in ``session``.

    Returns the SDK's own result: a ``RunResult``, or a ``RunResultStreaming``
    when ``stream`` is true (read it with ``stream_events()`` or
    ``consume_result``). SDK errors propagate with their types. Without a
    ``run_config``, models are resolved by ``MultiModelProvider``
    (``gpt-4.1``, ``ollama/llama3.2``, ...). With ``durable``, the run is
    journaled and a known run id resumes from its journal instead of starting
    over (see ``DurableOptions`` and README "Durable runs").
    """
    if not isinstance(input, str | list | RunState):
        raise TypeError(f"run_agent(input): input must be a string, a list of input items or a RunState, got {type(input).__name__}.")
    owned: MultiModelProvider | None = None
    if options.get("run_config") is None:
        # Created per run and closed after it, as the SDK does with its own default provider.
        owned = MultiModelProvider()
        options["run_config"] = RunConfig(model_provider=owned)
    if not stream:
        try:
            if durable is not None:
                return await run_durably(agent, input, session, False, dict(options), durable)
            return await Runner.run(agent, input, session=session, **options)
        finally:
            if owned is not None:
                await owned.aclose()
    try:
        if durable is not None:
            result = await run_durably(agent, input, session, True, dict(options), durable)
            assert isinstance(result, RunResultStreaming)
        else:
            result = Runner.run_streamed(agent, input, session=session, **options)
    except BaseException:
        if owned is not None:
            await owned.aclose()
        raise
    if owned is not None:
        _close_when_finished(result, owned)
    return result
