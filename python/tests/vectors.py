"""Reading, making and resuming golden vectors (spec/portable-run-state/vectors/README.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from agents import MaxTurnsExceeded, RunConfig, Runner, set_trace_processors, set_tracing_disabled
from agents.run_state import RunState
from normalise import normalise_conversation
from vector_agents import PERSONAL_ASSISTANT, WEATHER_ASSISTANT, VectorAgents

VECTORS_DIR = Path(__file__).resolve().parents[2] / "spec/portable-run-state/vectors"
AGENT_NAMES = [PERSONAL_ASSISTANT, WEATHER_ASSISTANT]

Vector = dict[str, Any]


def vector_files(language: str) -> list[Path]:
    return sorted((VECTORS_DIR / language).glob("*.json"))


def read_vector(path: Path) -> Vector:
    vector: Vector = json.loads(path.read_text(encoding="utf-8"))
    return vector


@contextmanager
def tracing(enabled: bool) -> Iterator[None]:
    """Tracing on without processors (nothing exported), or off."""
    set_trace_processors([])
    set_tracing_disabled(not enabled)
    try:
        yield
    finally:
        set_tracing_disabled(True)


def run_config(trace: dict[str, Any] | None) -> RunConfig:
    if trace is None:
        return RunConfig()
    return RunConfig(
        trace_id=trace["trace_id"],
        workflow_name=trace.get("workflow_name") or "Agent workflow",
        group_id=trace.get("group_id"),
        trace_metadata=trace.get("metadata"),
    )


def apply_decision(state: RunState[Any, Any], item: Any, decision: dict[str, Any]) -> None:
    if decision["decision"] == "approve":
        state.approve(item, always_approve=decision.get("always", False))
    else:
        state.reject(item, always_reject=decision.get("always", False), rejection_message=decision.get("message"))


def _trace_of(native: dict[str, Any]) -> dict[str, Any] | None:
    trace = native.get("trace")
    if not trace:
        return None
    return {
        "trace_id": trace["id"],
        "workflow_name": trace.get("workflow_name"),
        "group_id": trace.get("group_id"),
        "metadata": trace.get("metadata") or {},
    }


def observe_finished(portable: dict[str, Any]) -> Vector:
    """What resuming a finished state gives: its final output, without a model call.

    The Python SDK cannot express this in a ``RunState`` (a finished state has
    no current step, and running it runs the turn again), so a finished state
    is observed from its portable form.
    """
    given = portable["original_input"]
    items = [{"role": "user", "content": given}] if isinstance(given, str) else list(given)
    items += [item["raw"] for item in portable["generated_items"]]
    return {
        "final_output": portable["step"]["output"],
        "conversation": normalise_conversation(items, AGENT_NAMES),
        "tool_runs": [],
        "interruptions": [],
    }


async def resume_and_observe(state: RunState[Any, Any], agents: VectorAgents, resume: dict[str, Any]) -> Vector:
    """Steps 2 to 4 of "Resuming a vector" on a loaded state."""
    pending = {item.call_id: item for item in state.get_interruptions()}
    for decision in resume["decisions"]:
        item = pending[decision["call_id"]]
        assert item.name == decision["tool"], f"call {decision['call_id']} is {item.name}, not {decision['tool']}"
        apply_decision(state, item, decision)
    try:
        result = await Runner.run(agents.personal_assistant, state)
    except MaxTurnsExceeded:
        return {"final_output": None, "conversation": None, "tool_runs": agents.tool_runs, "interruptions": [],
                "error": "max_turns_exceeded"}
    observed: Vector = {
        "final_output": result.final_output,
        "conversation": normalise_conversation(result.to_input_list(), AGENT_NAMES),
        "tool_runs": agents.tool_runs,
        "interruptions": [
            {"agent": item.agent.name, "tool": item.name, "arguments": json.loads(item.arguments or "{}")}
            for item in result.interruptions
        ],
    }
    if resume.get("tracing"):
        observed["trace"] = _trace_of(result.to_state().to_json())
    return observed
