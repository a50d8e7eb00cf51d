"""A durable run using an agent as a tool, resumed in the same and in the other language.

The nested agent's model calls belong to the tool call, whose result the journal keeps, so a
resume replays the run without them; and the SDKs name the tool differently (``Billing_Desk``
in TypeScript, ``billing_desk`` here), so the resumer replays the call under its own name. The
TypeScript half is typescript/test/cross-language/agentToolRun.ts; the scenario is
spec/scenarios/durable-agent-tool.json.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from agents import Agent, RunResult, RunResultStreaming, function_tool
from durable.durable_support import model_requests
from model_server_support import scripted_server
from store_support import run_typescript, store_argument

from timestep import DurableOptions, DurableSession, consume_result, run_agent

AGENT_TOOL_INPUT = "Please refund order 7."
AGENT_TOOL_OUTPUT = "Done: refunded 7."
RULES_BEFORE_APPROVAL = ["triage-ask-billing", "billing-answer", "triage-refund"]


@pytest.fixture(scope="module")
def agent_tool_server() -> Iterator[str]:
    yield from scripted_server("durable-agent-tool", {"OPENAI_AGENTS_DISABLE_TRACING": "1"})


def triage_agent(refunds: Path) -> Agent[Any]:
    """The agents of typescript/test/durable/agentToolAgents.ts, rule for rule."""
    billing = Agent(name="Billing Desk", instructions="You are the Billing Desk. Answer refund questions.", model="gpt-4.1")

    @function_tool(needs_approval=True)
    def refund(orderId: str) -> str:  # noqa: N803 - the argument name the model sends
        """Refund an order."""
        with refunds.open("a", encoding="utf-8") as file:
            file.write(f"python {orderId}\n")
        return f"refunded {orderId}"

    return Agent(
        name="Triage",
        instructions="You are the Triage agent. Ask the billing desk, then refund.",
        model="gpt-4.1",
        tools=[billing.as_tool(tool_name=None, tool_description="Answers billing questions."), refund],
    )


async def finish(agent: Agent[Any], session: DurableSession, durable: DurableOptions, stream: bool) -> Any:
    """Resumes the run with ``[]``, approving every interruption, until it ends; returns its output."""

    async def run(input: Any) -> RunResult | RunResultStreaming:
        return await consume_result(await run_agent(agent, input, session, stream, durable=durable, max_turns=10))

    result = await run([])
    assert [item.name for item in result.interruptions] == ["refund"], "replayed to the same approval"
    while result.interruptions:
        state = result.to_state()
        for item in result.interruptions:
            state.approve(item)
        result = await run(state)
    return result.final_output


@pytest.mark.parametrize("stream", [False, True], ids=["run", "stream"])
async def test_resuming_in_python_replays_without_the_tools_model_calls(
    store_options: dict[str, Any], unique_id: str, tmp_path: Path, agent_tool_server: str, stream: bool
) -> None:
    refunds = tmp_path / "refunds.txt"
    agent = triage_agent(refunds)
    durable = DurableOptions(run_id=f"agent-tool-{unique_id}", **store_options)
    first = len(model_requests(agent_tool_server))
    async with DurableSession(unique_id, **store_options) as session:
        started = await run_agent(agent, AGENT_TOOL_INPUT, session, durable=durable, max_turns=10)
        assert [item.name for item in started.interruptions] == ["refund"]
        assert model_requests(agent_tool_server)[first:] == RULES_BEFORE_APPROVAL
        assert await finish(agent, session, durable, stream) == AGENT_TOOL_OUTPUT
    assert model_requests(agent_tool_server)[first + 3 :] == ["triage-done"], "nothing journaled was asked again"
    assert refunds.read_text() == "python 7\n"


@pytest.mark.parametrize("first_language", ["typescript", "python"], ids=["ts-then-py", "py-then-ts"])
async def test_a_run_started_in_one_language_finishes_in_the_other(
    store_options: dict[str, Any], unique_id: str, tmp_path: Path, agent_tool_server: str, first_language: str
) -> None:
    refunds = tmp_path / "refunds.txt"
    run_id = f"agent-tool-{unique_id}"
    durable = DurableOptions(run_id=run_id, **store_options)

    def typescript(mode: str) -> Any:
        arguments = [store_argument(store_options), run_id, unique_id, str(refunds), mode]
        return json.loads(run_typescript(["test/cross-language/agentToolRun.ts", *arguments]))

    first = len(model_requests(agent_tool_server))
    async with DurableSession(unique_id, **store_options) as session:
        await session.get_items()  # the embedded store is served before TypeScript joins it
        if first_language == "typescript":
            assert typescript("start") == {"interrupted": ["refund"]}
            output = await finish(triage_agent(refunds), session, durable, False)
        else:
            started = await run_agent(triage_agent(refunds), AGENT_TOOL_INPUT, session, durable=durable, max_turns=10)
            assert [item.name for item in started.interruptions] == ["refund"]
            output = typescript("resume")["output"]
    assert output == AGENT_TOOL_OUTPUT
    assert model_requests(agent_tool_server)[first:] == [*RULES_BEFORE_APPROVAL, "triage-done"]
    second_language = "python" if first_language == "typescript" else "typescript"
    assert refunds.read_text() == f"{second_language} 7\n", "the approved refund ran once, where the run finished"
