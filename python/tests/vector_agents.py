"""The agent graph of the golden vectors, as spec/portable-run-state/vectors/README.md defines it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from agents import (
    Agent,
    GuardrailFunctionOutput,
    RunContextWrapper,
    function_tool,
    input_guardrail,
    output_guardrail,
)

PERSONAL_ASSISTANT = "Personal Assistant"
WEATHER_ASSISTANT = "Weather Assistant"


def weather_for(city: str, units: object) -> str:
    foggy = "Berkeley" in city
    temperature = ("14°C" if foggy else "20°C") if units == "C" else ("58°F" if foggy else "68°F")
    return f"{city}: {'foggy' if foggy else 'sunny'}, {temperature}"


@dataclass
class VectorAgents:
    personal_assistant: Agent[Any]
    weather_assistant: Agent[Any]
    tool_runs: list[dict[str, Any]] = field(default_factory=list)
    """Every get_weather call that actually ran, in order."""


def vector_agents() -> VectorAgents:
    tool_runs: list[dict[str, Any]] = []

    async def needs_approval(_context: RunContextWrapper[Any], params: dict[str, Any], _call_id: str) -> bool:
        return "Berkeley" in params["city"]

    @function_tool(needs_approval=needs_approval)
    def get_weather(context: RunContextWrapper[Any], city: str) -> str:
        """Current weather for a city."""
        tool_runs.append({"tool": "get_weather", "arguments": {"city": city}})
        units = context.context.get("units") if isinstance(context.context, dict) else None
        return weather_for(city, units)

    @input_guardrail(name="no_moon", run_in_parallel=False)
    def no_moon(_context: RunContextWrapper[Any], _agent: Agent[Any], given: Any) -> GuardrailFunctionOutput:
        mentions_moon = "moon" in json.dumps(given).lower()
        return GuardrailFunctionOutput(output_info={"mentions_moon": mentions_moon}, tripwire_triggered=mentions_moon)

    @output_guardrail(name="no_47")
    def no_47(_context: RunContextWrapper[Any], _agent: Agent[Any], output: Any) -> GuardrailFunctionOutput:
        contains_47 = "47" in str(output)
        return GuardrailFunctionOutput(output_info={"contains_47": contains_47}, tripwire_triggered=contains_47)

    weather_assistant = Agent(
        name=WEATHER_ASSISTANT,
        instructions="You are a Weather Assistant. Use get_weather to answer questions about the weather.",
        handoff_description="Answers questions about the weather.",
        model="gpt-4.1",
        tools=[get_weather],
    )
    personal_assistant = Agent(
        name=PERSONAL_ASSISTANT,
        instructions="You are a Personal Assistant. Hand weather questions to the Weather Assistant.",
        model="gpt-4.1",
        handoffs=[weather_assistant],
        input_guardrails=[no_moon],
        output_guardrails=[no_47],
    )
    return VectorAgents(personal_assistant, weather_assistant, tool_runs)
