"""The project's eight-turn reference conversation (spec/scenarios/reference-eight-turns.json).

A Personal Assistant that hands weather questions to a Weather Assistant whose
``get_weather`` tool needs approval for Berkeley, with an input guardrail
against the Moon and an output guardrail against the answer 47. The same
script drives Timestep and the bare SDK, so their conversations can be compared.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from agents import (
    Agent,
    GuardrailFunctionOutput,
    InputGuardrailTripwireTriggered,
    OutputGuardrailTripwireTriggered,
    RunContextWrapper,
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

MODEL = "gpt-4.1-mini"

# A 4x4 red PNG.
RED_SQUARE = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAEElEQVR4nGP4z8AARwzEcQCukw/x0F8jngAAAABJRU5ErkJggg=="
)


@dataclass(frozen=True)
class Turn:
    input: str | list[TResponseInputItem]
    answer: str | None
    """The final output, or None when a guardrail rejects the turn."""


TURNS = [
    Turn("What's 2+2?", "2 + 2 = 4."),
    Turn("What's the weather in Oakland?", "The weather in Oakland: sunny in Oakland"),
    Turn("What's three times that number you calculated earlier?", "3 × 4 = 12."),
    Turn("What's the weather in Berkeley?", "The weather in Berkeley: sunny in Berkeley"),
    Turn("What's the weather on the Dark Side of the Moon?", None),
    Turn("What's four times the last number we calculated minus one?", None),
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


def make_agents(*, guardrails_in_parallel: bool) -> ReferenceAgents:
    agents = ReferenceAgents(assistant=Agent(name="placeholder"))

    async def needs_approval(_context: RunContextWrapper[Any], params: dict[str, Any], _call_id: str) -> bool:
        return params.get("city") == "Berkeley"

    @function_tool(needs_approval=needs_approval)
    def get_weather(city: str) -> str:
        """Current weather for a city."""
        agents.weather_calls.append(city)
        return f"sunny in {city}"

    @input_guardrail(run_in_parallel=guardrails_in_parallel)
    def no_moon(_context: RunContextWrapper[Any], _agent: Agent[Any], input: Any) -> GuardrailFunctionOutput:
        return GuardrailFunctionOutput(output_info=None, tripwire_triggered="moon" in json.dumps(input).lower())

    @output_guardrail
    def no_47(_context: RunContextWrapper[Any], _agent: Agent[Any], output: Any) -> GuardrailFunctionOutput:
        return GuardrailFunctionOutput(output_info=None, tripwire_triggered="47" in str(output))

    weather = Agent(
        name="Weather Assistant",
        instructions="You are the Weather Assistant. Use get_weather to answer.",
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


async def converse(agents: ReferenceAgents, session: Session, run: Run, checkpoint: Checkpoint) -> list[str | None]:
    """Plays every turn and returns the final outputs (None for rejected turns)."""
    outputs: list[str | None] = []
    for turn in TURNS:
        before = len(await session.get_items())
        try:
            result = await run(agents.assistant, turn.input, session)
        except (InputGuardrailTripwireTriggered, OutputGuardrailTripwireTriggered):
            # A rejected turn is removed from the conversation, whatever the SDK kept of it.
            while len(await session.get_items()) > before:
                await session.pop_item()
            outputs.append(None)
            continue
        if result.interruptions:
            state = await checkpoint(result.to_state())
            for approval in state.get_interruptions():
                state.approve(approval)
            result = await run(agents.assistant, state, session)
        outputs.append(result.final_output)
    return outputs
