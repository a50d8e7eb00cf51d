"""The fingerprint of the agent graph a durable run needs (spec/run-journal, "Graph fingerprint")."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from typing import Any, TypedDict

from agents import Agent, FunctionTool, Handoff


class GraphEntry(TypedDict):
    """One agent of a graph, in the canonical form the fingerprint hashes."""

    name: str
    tools: list[str]
    handoffs: list[str]


def handoff_agent(target: Agent[Any] | Handoff[Any, Any]) -> Agent[Any] | None:
    """The agent a handoff leads to, when the SDK keeps its object (``Handoff`` holds a weak reference)."""
    if isinstance(target, Agent):
        return target
    agent = target._agent_ref() if target._agent_ref is not None else None
    return agent if isinstance(agent, Agent) else None


def reachable_agents(root: Agent[Any]) -> Iterator[Agent[Any]]:
    """``root`` and every agent reachable from it through handoffs whose agent object is known, each once."""
    seen: set[int] = set()
    pending = [root]
    while pending:
        agent = pending.pop()
        if id(agent) in seen:
            continue
        seen.add(id(agent))
        yield agent
        # Reversed onto the stack, so agents are visited depth first in handoff order, as TypeScript does.
        pending.extend(reversed([t for t in map(handoff_agent, agent.handoffs) if t is not None]))


def agent_graph(root: Agent[Any]) -> list[GraphEntry]:
    """The canonical list of the agents reachable from ``root``: each once by name, sorted by name (code points)."""
    entries: dict[str, GraphEntry] = {}
    for agent in reachable_agents(root):
        if agent.name in entries:
            continue
        handoffs = [target.name if isinstance(target, Agent) else target.agent_name for target in agent.handoffs]
        entries[agent.name] = {
            "name": agent.name,
            "tools": sorted({tool.name for tool in agent.tools if isinstance(tool, FunctionTool)}),
            "handoffs": sorted(set(handoffs)),
        }
    return [entries[name] for name in sorted(entries)]


def fingerprint_of(graph: Sequence[GraphEntry]) -> str:
    """SHA-256 (lowercase hex) of a canonical graph list's JSON text."""
    # Rebuilt so the key order is name, tools, handoffs whatever the given dicts hold.
    canonical = [{"name": e["name"], "tools": e["tools"], "handoffs": e["handoffs"]} for e in graph]
    text = json.dumps(canonical, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def graph_fingerprint(root: Agent[Any]) -> str:
    """Identifies the agent graph a run needs; equal in both languages for the same agents, tools and handoffs."""
    return fingerprint_of(agent_graph(root))
