"""The agent graph a portable state is checked against."""

from __future__ import annotations

import pytest
from agents import Agent, function_tool, handoff

from timestep import AgentGraphMismatchError, InvalidRunStateError
from timestep.portable_state.agent_graph import build_graph, require_agent, require_tool


@function_tool
def lookup(query: str) -> str:
    """Looks something up."""
    return query


def test_graph_follows_handoffs_and_names_their_tools() -> None:
    billing = Agent(name="Billing", tools=[lookup])
    triage = Agent(name="Triage", handoffs=[billing, handoff(Agent(name="Refunds"), tool_name_override="refund_it")])
    graph = build_graph(triage)
    assert list(graph.agents) == ["Triage", "Billing", "Refunds"]
    assert [(entry.tool_name, entry.target_name) for entry in graph.handoffs["Triage"]] == [
        ("transfer_to_billing", "Billing"),
        ("refund_it", "Refunds"),
    ]
    assert graph.function_tools == {"Triage": set(), "Billing": {"lookup"}, "Refunds": set()}
    assert require_agent(graph, "Billing", "current_agent") is billing
    require_tool(graph, "Billing", "lookup", "generated_items[0]")


def test_missing_agents_and_tools_are_typed() -> None:
    graph = build_graph(Agent(name="Triage", tools=[lookup]))
    with pytest.raises(AgentGraphMismatchError, match='agent "Ghost" \\(current_agent\\).*it has "Triage"') as agent:
        require_agent(graph, "Ghost", "current_agent")
    assert (agent.value.agent_name, agent.value.tool_name) == ("Ghost", None)
    with pytest.raises(AgentGraphMismatchError, match='tool "delete_all" of agent "Triage".*it has "lookup"') as tool:
        require_tool(graph, "Triage", "delete_all", "step")
    assert (tool.value.agent_name, tool.value.tool_name) == ("Triage", "delete_all")


def test_two_agents_with_one_name_are_refused() -> None:
    with pytest.raises(InvalidRunStateError, match='Two different agents are named "Twin"'):
        build_graph(Agent(name="Root", handoffs=[Agent(name="Twin"), Agent(name="Twin")]))
