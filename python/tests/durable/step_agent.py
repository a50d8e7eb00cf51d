"""The agent of the durable-run tests, twin of typescript/test/durable/stepAgent.ts.

Scenario spec/scenarios/durable-twenty-steps.json: it calls ``record_step``
twenty times, one step per model call. The tool's side effect is a line
appended to a file, so a test can count how often each step really ran.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from agents import Agent, AgentUpdatedStreamEvent, RunItemStreamEvent, StreamEvent, function_tool

from timestep import idempotent

STEPS = 20
STEPPER_INPUT = f"Record {STEPS} steps."
MODEL_CALLS = STEPS + 1
"""One model call per step and one for the final answer."""
FINAL_OUTPUT = "All 20 steps are recorded."


def step_agent(
    effects_file: Path,
    on_step: Callable[[int], Awaitable[None]] | None = None,
    declare_idempotent: bool = False,
) -> Agent[Any]:
    async def record_step(step: int) -> str:
        if on_step is not None:
            await on_step(step)
        with effects_file.open("a") as effects:
            effects.write(f"step {step}\n")
        return f"step {step} done"

    tool = function_tool(record_step, name_override="record_step", description_override="Records that a step was done.")
    return Agent(
        name="Durable Stepper",
        instructions="You are the Durable Stepper. Record each step with record_step.",
        model="gpt-4.1",
        tools=[idempotent(tool) if declare_idempotent else tool],
    )


def step_counts(effects_file: Path) -> Counter[int]:
    """How many times each step's side effect ran, from the effects file."""
    text = effects_file.read_text() if effects_file.exists() else ""
    return Counter(int(line.removeprefix("step ")) for line in text.splitlines() if line)


def every_step_once(effects_file: Path) -> bool:
    return step_counts(effects_file) == Counter(dict.fromkeys(range(1, STEPS + 1), 1))


def event_summary(event: StreamEvent) -> str:
    """A stream event in a few words that do not depend on object identity or key order."""
    if isinstance(event, AgentUpdatedStreamEvent):
        return f"agent_updated {event.new_agent.name}"
    if not isinstance(event, RunItemStreamEvent):
        return event.type
    raw = event.item.raw_item
    field = (lambda name: raw.get(name, "")) if isinstance(raw, dict) else (lambda name: getattr(raw, name, ""))
    output = getattr(event.item, "output", "")
    content = field("content")
    text = "".join(getattr(part, "text", "") for part in content) if isinstance(content, list) else ""
    return " | ".join([event.name, event.item.type, field("call_id") or "", field("arguments") or "", str(output), text])
