"""The project's eight-turn reference conversation (spec/scenarios/reference-eight-turns.json).

A Personal Assistant that hands weather questions to a Weather Assistant whose
``get_weather`` tool needs approval for Berkeley, with an input guardrail
against the Moon and an output guardrail against the answer 47. The same
script drives Timestep and the bare SDK, so their conversations can be compared.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from agents import (
    Agent,
    GuardrailFunctionOutput,
    InputGuardrailTripwireTriggered,
    OutputGuardrailTripwireTriggered,
    RunContextWrapper,
    Runner,
    RunResult,
    RunResultStreaming,
    Session,
    function_tool,
    input_guardrail,
    output_guardrail,
)
from agents.items import TResponseInputItem
from agents.run_state import RunState

from timestep import RunInput

MODEL = "gpt-4.1"

# A 1×1 red PNG (the same image as typescript/test/support/referenceAgents.ts).
RED_SQUARE = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


@dataclass(frozen=True)
class Turn:
    input: str | list[TResponseInputItem]
    answer: str | None
    """The final output, or None when a guardrail rejects the turn."""
    tripped: Literal["input", "output"] | None = None
    """Which guardrail rejects the turn, if one does."""

    @property
    def outcome(self) -> dict[str, str]:
        """The expected outcome in the form of ``play`` (and the TypeScript ``playConversation``)."""
        return {"tripped": self.tripped} if self.tripped else {"output": str(self.answer)}


TURNS = [
    Turn("What's 2+2?", "2 + 2 = 4."),
    Turn("What's the weather in Oakland?", "The weather in Oakland: sunny, 68°F"),
    Turn("What's three times that number you calculated earlier?", "3 × 4 = 12."),
    Turn("What's the weather in Berkeley?", "The weather in Berkeley: foggy, 58°F"),
    Turn("What's the weather on the Dark Side of the Moon?", None, "input"),
    Turn("What's four times the last number we calculated minus one?", None, "output"),
    Turn("What's four times the last number we calculated minus six?", "4 × 12 − 6 = 42."),
    Turn(
        [
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "What do you see in this image?"},
                    {"type": "input_image", "image_url": RED_SQUARE, "detail": "auto"},
                ],
            }
        ],
        "I see a small red square.",
    ),
]


@dataclass
class ReferenceAgents:
    assistant: Agent[Any]
    weather_calls: list[str] = field(default_factory=list)
    """Every city get_weather actually ran for."""


def make_agents(
    *, guardrails_in_parallel: bool = True, on_weather_call: Callable[[str], None] | None = None
) -> ReferenceAgents:
    """The graph of typescript/test/support/referenceAgents.ts, rule for rule.

    ``on_weather_call`` is told every city get_weather runs for (e.g. to log it to a file).
    """
    agents = ReferenceAgents(assistant=Agent(name="placeholder"))

    async def needs_approval(_context: RunContextWrapper[Any], params: dict[str, Any], _call_id: str) -> bool:
        return "Berkeley" in str(params.get("city", ""))

    @function_tool(needs_approval=needs_approval)
    def get_weather(city: str) -> str:
        """Current weather for a city."""
        agents.weather_calls.append(city)
        if on_weather_call is not None:
            on_weather_call(city)
        return "foggy, 58°F" if city == "Berkeley" else "sunny, 68°F"

    @input_guardrail(name="no_moon", run_in_parallel=guardrails_in_parallel)
    def no_moon(_context: RunContextWrapper[Any], _agent: Agent[Any], input: Any) -> GuardrailFunctionOutput:
        mentions_moon = "moon" in json.dumps(input).lower()
        return GuardrailFunctionOutput(output_info={"mentionsMoon": mentions_moon}, tripwire_triggered=mentions_moon)

    @output_guardrail(name="no_47")
    def no_47(_context: RunContextWrapper[Any], _agent: Agent[Any], output: Any) -> GuardrailFunctionOutput:
        return GuardrailFunctionOutput(output_info={"output": output}, tripwire_triggered="47" in str(output))

    weather = Agent(
        name="Weather Assistant",
        instructions="You are a Weather Assistant. Use get_weather to answer questions about the weather.",
        handoff_description="Answers questions about the weather.",
        tools=[get_weather],
        model=MODEL,
    )
    agents.assistant = Agent(
        name="Personal Assistant",
        instructions="You are a Personal Assistant. Hand weather questions to the Weather Assistant.",
        handoffs=[weather],
        input_guardrails=[no_moon],
        output_guardrails=[no_47],
        model=MODEL,
    )
    return agents


Run = Callable[[Agent[Any], RunInput, Session], Awaitable[RunResult | RunResultStreaming]]
"""Runs one turn to completion (draining a stream) and returns the result."""

Checkpoint = Callable[[RunState[Any, Any]], Awaitable[RunState[Any, Any]]]
"""Persists an interrupted state and gives it back as a separate process would load it."""


def bare_sdk_run(stream: bool) -> Run:
    """The plain SDK's ``Runner.run`` (or ``run_streamed``, drained), with no Timestep in between."""

    async def run(agent: Agent[Any], input: RunInput, session: Session) -> RunResult | RunResultStreaming:
        if not stream:
            return await Runner.run(agent, input, session=session)
        result = Runner.run_streamed(agent, input, session=session)
        async for _event in result.stream_events():
            pass
        return result

    return run


def in_memory_checkpoint(agents: ReferenceAgents) -> Checkpoint:
    """The SDK's own round trip through ``to_string`` / ``from_string``, without a store."""

    async def checkpoint(state: RunState[Any, Any]) -> RunState[Any, Any]:
        return await RunState.from_string(agents.assistant, state.to_string())

    return checkpoint


async def play(
    agents: ReferenceAgents, session: Session, run: Run, checkpoint: Checkpoint, turns: Sequence[Turn] = TURNS
) -> list[dict[str, str]]:
    """Plays ``turns`` and returns their outcomes: ``{"output": ...}`` or ``{"tripped": "input" | "output"}``."""
    outcomes: list[dict[str, str]] = []
    for turn in turns:
        before = len(await session.get_items())
        try:
            result = await run(agents.assistant, turn.input, session)
            while result.interruptions:
                state = await checkpoint(result.to_state())
                for approval in state.get_interruptions():
                    state.approve(approval)
                result = await run(agents.assistant, state, session)
        except (InputGuardrailTripwireTriggered, OutputGuardrailTripwireTriggered) as error:
            # A rejected turn is removed from the conversation, whatever the SDK kept of it.
            while len(await session.get_items()) > before:
                await session.pop_item()
            outcomes.append({"tripped": "input" if isinstance(error, InputGuardrailTripwireTriggered) else "output"})
            continue
        outcomes.append({"output": result.final_output})
    return outcomes


async def converse(agents: ReferenceAgents, session: Session, run: Run, checkpoint: Checkpoint) -> list[str | None]:
    """Plays every turn and returns the final outputs (None for rejected turns)."""
    return [outcome.get("output") for outcome in await play(agents, session, run, checkpoint)]
