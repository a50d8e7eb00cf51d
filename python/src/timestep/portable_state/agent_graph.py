"""The agents reachable from a run's starting agent through handoffs, by name.

States (native or portable) name agents and tools; loading one means finding
each name here, with a typed error naming whatever is missing.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from agents import Agent, FunctionTool, Handoff, handoff

from ..errors import InvalidRunStateError
from .errors import AgentGraphMismatchError


@dataclass(frozen=True)
class HandoffEntry:
    tool_name: str
    target_name: str


@dataclass
class AgentGraph:
    root: Agent[Any]
    agents: dict[str, Agent[Any]] = field(default_factory=dict)
    handoffs: dict[str, list[HandoffEntry]] = field(default_factory=dict)
    function_tools: dict[str, set[str]] = field(default_factory=dict)


def build_graph(starting_agent: Agent[Any]) -> AgentGraph:
    """Walks the handoffs of ``starting_agent``; agent names must be unique in the graph."""
    if not isinstance(starting_agent, Agent):
        raise TypeError("Loading a run state needs the starting Agent of the run.")
    graph = AgentGraph(root=starting_agent)
    queue: deque[Agent[Any]] = deque([starting_agent])
    while queue:
        agent = queue.popleft()
        known = graph.agents.get(agent.name)
        if known is agent:
            continue
        if known is not None:
            raise InvalidRunStateError(
                f'Two different agents are named "{agent.name}" in the graph of "{starting_agent.name}"; '
                "portable states name agents, so names must be unique."
            )
        graph.agents[agent.name] = agent
        entries = []
        for item in agent.handoffs:
            described = item if isinstance(item, Handoff) else handoff(item)
            entries.append(HandoffEntry(described.tool_name, described.agent_name))
            target = _handoff_target(item)
            if target is not None:
                queue.append(target)
        graph.handoffs[agent.name] = entries
        graph.function_tools[agent.name] = {tool.name for tool in agent.tools if isinstance(tool, FunctionTool)}
    return graph


def _handoff_target(item: Agent[Any] | Handoff[Any, Any]) -> Agent[Any] | None:
    """The agent a handoff leads to, when known without running it."""
    if isinstance(item, Agent):
        return item
    # handoff() keeps a weak reference to its agent; the SDK's own RunState reads it the same way.
    reference = getattr(item, "_agent_ref", None)
    target = reference() if reference is not None else None
    return target if isinstance(target, Agent) else None


def describe_graph(graph: AgentGraph) -> str:
    return ", ".join(f'"{name}"' for name in graph.agents)


def require_agent(graph: AgentGraph, name: str, where: str) -> Agent[Any]:
    """The agent called ``name``, or ``AgentGraphMismatchError``."""
    agent = graph.agents.get(name)
    if agent is None:
        raise AgentGraphMismatchError(
            f'The run state names agent "{name}" ({where}), but the agent graph reachable from '
            f'"{graph.root.name}" has no such agent (it has {describe_graph(graph)}). Load it with the '
            "agents the run was started with.",
            name,
        )
    return agent


def require_tool(graph: AgentGraph, agent_name: str, tool_name: str, where: str) -> None:
    """Checks that agent ``agent_name`` has function tool ``tool_name``, or ``AgentGraphMismatchError``."""
    tools = graph.function_tools.get(agent_name, set())
    if tool_name not in tools:
        listed = ", ".join(f'"{tool}"' for tool in sorted(tools)) or "none"
        raise AgentGraphMismatchError(
            f'The run state needs tool "{tool_name}" of agent "{agent_name}" ({where}), but that agent has no '
            f"such function tool (it has {listed}). Load it with the agents and tools the run was started with.",
            agent_name,
            tool_name,
        )


def require_known_agents(graph: AgentGraph, native: dict[str, Any]) -> None:
    """Checks that a Python native state (``RunState.to_json()``) names only agents of ``graph``."""
    current = native.get("current_agent") or {}
    if current.get("name"):
        require_agent(graph, current["name"], "current_agent")
    for index, item in enumerate(native.get("generated_items") or []):
        for key in ("agent", "source_agent", "target_agent"):
            reference = item.get(key) or {}
            if reference.get("name"):
                require_agent(graph, reference["name"], f"generated_items[{index}].{key}")
