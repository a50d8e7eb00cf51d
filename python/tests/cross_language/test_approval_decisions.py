"""A decision stored by `timestep runs approve|reject` (the TypeScript CLI) is applied by Python's RunStateStore.load."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import pytest
from agents import Runner
from store_support import CLI, run_typescript, store_argument
from vector_agents import vector_agents

from timestep import RunStateStore

QUESTION = "What's the weather in Berkeley?"
REJECTION = "Weather lookups for Berkeley are not allowed today."
BERKELEY_RUN = [{"tool": "get_weather", "arguments": {"city": "Berkeley"}}]


async def python_only(decision: str) -> Any:
    """The final output of the same run decided in-process, for comparison."""
    agents = vector_agents()
    state = (await Runner.run(agents.personal_assistant, QUESTION)).to_state()
    for item in state.get_interruptions():
        if decision == "approve":
            state.approve(item)
        else:
            state.reject(item, rejection_message=REJECTION)
    return (await Runner.run(agents.personal_assistant, state)).final_output


def timestep_runs(store_options: dict[str, Any], *arguments: str) -> subprocess.CompletedProcess[str]:
    """`timestep runs ... --json` on the store of ``store_options`` (TIMESTEP_DB_URL, else TIMESTEP_HOME's embedded store)."""
    env = {key: value for key, value in os.environ.items() if key != "TIMESTEP_DB_URL"}
    if store_options.get("connection_string"):
        env["TIMESTEP_DB_URL"] = store_options["connection_string"]
    return subprocess.run(
        ["node", str(CLI), "runs", *arguments, "--json"], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def call_id_of(state: Any) -> str:
    raw = state.get_interruptions()[0].raw_item
    return str(raw["call_id"] if isinstance(raw, dict) else raw.call_id)


@pytest.mark.parametrize("decision", ["approve", "reject"])
async def test_decided_with_the_cli_resumed_in_python(
    decision: str, vectors_server: str, store_options: dict[str, Any], unique_id: str
) -> None:
    agents = vector_agents()
    store = RunStateStore(agents.personal_assistant, run_id=unique_id, **store_options)
    paused = (await Runner.run(agents.personal_assistant, QUESTION)).to_state()
    await store.save(paused)
    call_id = call_id_of(paused)

    decided = timestep_runs(store_options, decision, unique_id, call_id, "--reason", REJECTION, "--by", "carol")
    assert decided.returncode == 0, decided.stderr
    assert json.loads(decided.stdout)["decision"]["decidedBy"] == "carol"
    again = timestep_runs(store_options, "approve", unique_id, call_id, "--reason", "twice")
    assert again.returncode == 4
    assert json.loads(again.stderr)["error"]["type"] == "ApprovalAlreadyDecidedError"

    resumed_agents = vector_agents()
    state = await RunStateStore(resumed_agents.personal_assistant, run_id=unique_id, **store_options).load()
    result = await Runner.run(resumed_agents.personal_assistant, state)
    assert result.final_output == await python_only(decision)
    assert resumed_agents.tool_runs == (BERKELEY_RUN if decision == "approve" else [])
    assert agents.tool_runs == []
    await store.close()


async def test_paused_in_typescript_approved_with_the_cli_resumed_in_python(
    vectors_server: str, store_options: dict[str, Any], unique_id: str
) -> None:
    store = RunStateStore(vector_agents().personal_assistant, run_id=unique_id, **store_options)
    await store.history()  # the embedded store is served before TypeScript joins it
    run_typescript(["test/cross-language/runStep.ts", store_argument(store_options), unique_id, "pause", QUESTION])
    [pending] = [call for call in json.loads(timestep_runs(store_options, "pending").stdout)["pending"] if call["runId"] == unique_id]
    assert (pending["tool"], pending["arguments"]) == ("get_weather", '{"city":"Berkeley"}')

    approved = timestep_runs(store_options, "approve", unique_id, pending["callId"], "--reason", "fine")
    assert approved.returncode == 0, approved.stderr

    agents = vector_agents()
    state = await RunStateStore(agents.personal_assistant, run_id=unique_id, **store_options).load()
    result = await Runner.run(agents.personal_assistant, state)
    assert result.final_output == await python_only("approve")
    assert agents.tool_runs == BERKELEY_RUN
    await store.close()
