"""An interruption saved in one language is decided and resumed in the other, on both stores."""

from __future__ import annotations

import json
from typing import Any

import pytest
from agents import Runner
from normalise import normalise_conversation
from store_support import run_typescript, store_argument
from vector_agents import vector_agents
from vectors import AGENT_NAMES

from timestep import RunStateStore

QUESTION = "What's the weather in Berkeley?"
REJECTION = "Weather lookups for Berkeley are not allowed today."
BERKELEY_RUN = [{"tool": "get_weather", "arguments": {"city": "Berkeley"}}]


def typescript_step(store_options: dict[str, Any], run_id: str, *arguments: str) -> dict[str, Any]:
    """Runs typescript/test/cross-language/runStep.ts and returns its JSON line."""
    result: dict[str, Any] = json.loads(
        run_typescript(["test/cross-language/runStep.ts", store_argument(store_options), run_id, *arguments])
    )
    return result


def decide(state: Any, decision: str) -> None:
    for item in state.get_interruptions():
        if decision == "approve":
            state.approve(item)
        else:
            state.reject(item, rejection_message=REJECTION)


async def python_only(decision: str) -> tuple[Any, list[dict[str, Any]]]:
    """The single-language reference: final output and normalised conversation of a Python run."""
    agents = vector_agents()
    state = (await Runner.run(agents.personal_assistant, QUESTION)).to_state()
    decide(state, decision)
    result = await Runner.run(agents.personal_assistant, state)
    return result.final_output, normalise_conversation(result.to_input_list(), AGENT_NAMES)


def decision_arguments(decision: str) -> list[str]:
    return [decision] if decision == "approve" else [decision, REJECTION]


@pytest.mark.parametrize("decision", ["approve", "reject"])
async def test_paused_in_python_resumed_in_typescript(
    decision: str, vectors_server: str, store_options: dict[str, Any], unique_id: str
) -> None:
    agents = vector_agents()
    store = RunStateStore(agents.personal_assistant, run_id=unique_id, **store_options)
    paused = await Runner.run(agents.personal_assistant, QUESTION)
    await store.save(paused.to_state())

    resumed = typescript_step(store_options, unique_id, "resume", *decision_arguments(decision))

    final_output, conversation = await python_only(decision)
    assert (resumed["final_output"], resumed["conversation"]) == (final_output, conversation)
    assert resumed["tool_runs"] == (BERKELEY_RUN if decision == "approve" else [])
    assert agents.tool_runs == []  # nothing ran in Python
    # TypeScript saved the finished run as version 2; Python loads it from its portable form.
    assert [version.status for version in await store.history()] == ["interrupted", "final"]
    assert (await store.load()).get_interruptions() == []
    await store.close()


@pytest.mark.parametrize("decision", ["approve", "reject"])
async def test_paused_in_typescript_resumed_in_python(
    decision: str, vectors_server: str, store_options: dict[str, Any], unique_id: str
) -> None:
    store_ready = RunStateStore(vector_agents().personal_assistant, run_id=unique_id, **store_options)
    await store_ready.history()  # the embedded store is served before TypeScript joins it
    paused = typescript_step(store_options, unique_id, "pause", QUESTION)
    assert paused["interruptions"] == [
        {"agent": "Weather Assistant", "tool": "get_weather", "arguments": '{"city":"Berkeley"}'}
    ]

    agents = vector_agents()
    store = RunStateStore(agents.personal_assistant, run_id=unique_id, **store_options)
    state = await store.load()
    decide(state, decision)
    result = await Runner.run(agents.personal_assistant, state)
    await store.save(result.to_state())

    final_output, conversation = await python_only(decision)
    assert result.final_output == final_output
    assert normalise_conversation(result.to_input_list(), AGENT_NAMES) == conversation
    assert agents.tool_runs == (BERKELEY_RUN if decision == "approve" else [])
    assert [version.status for version in await store.history()] == ["interrupted", "final"]
    await store.close()
    await store_ready.close()
