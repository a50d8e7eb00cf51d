"""A copy of an agent graph whose function tools and model objects are journaled."""

from __future__ import annotations

import dataclasses
import weakref
from typing import Any

from agents import (
    Agent,
    ApplyPatchTool,
    ComputerTool,
    CustomTool,
    FunctionTool,
    Handoff,
    LocalShellTool,
    RunContextWrapper,
    ShellTool,
)
from agents.models.interface import Model
from agents.tool import Tool

from .errors import DurableRunUnsupportedError
from .journaling_model import JournalingModel
from .journaling_tools import journaled_tool
from .run_replay import RunReplay

# Tools whose effects happen outside a function call: they would run again on replay.
_UNJOURNALABLE_TOOLS: tuple[type[Any], ...] = (ComputerTool, LocalShellTool, ShellTool, ApplyPatchTool, CustomTool)


def journaled_agent_graph(root: Agent[Any], replay: RunReplay) -> Agent[Any]:
    """The graph reachable from ``root`` (through handoffs), copied with journaled tools and models.

    The user's agents are left untouched, so the same agents can run durably
    and not durably at once; the copies keep the names, which is all a
    RunState uses. Graphs with MCP servers or local shell, computer,
    apply-patch or custom tools are refused (``DurableRunUnsupportedError``).
    """
    copies: dict[int, Agent[Any]] = {}

    def copy_of(agent: Agent[Any]) -> Agent[Any]:
        existing = copies.get(id(agent))
        if existing is not None:
            return existing
        _refuse_unjournalable(agent, replay.journal.run_id)
        model = agent.model
        copy = agent.clone(
            tools=[_journaled(tool, replay) for tool in agent.tools],
            model=JournalingModel(model, replay) if isinstance(model, Model) else model,
        )
        copies[id(agent)] = copy  # before the handoffs, which may lead back here
        copy.handoffs = [_journaled_handoff(target, copy_of) for target in agent.handoffs]
        return copy

    return copy_of(root)


def _journaled(tool: Tool, replay: RunReplay) -> Tool:
    return journaled_tool(tool, replay) if isinstance(tool, FunctionTool) else tool


def _journaled_handoff(target: Agent[Any] | Handoff[Any, Any], copy_of: Any) -> Agent[Any] | Handoff[Any, Any]:
    if isinstance(target, Agent):
        copied: Agent[Any] = copy_of(target)
        return copied
    invoke = target.on_invoke_handoff

    async def on_invoke_handoff(context: RunContextWrapper[Any], arguments: str) -> Agent[Any]:
        chosen: Agent[Any] = copy_of(await invoke(context, arguments))
        return chosen

    handoff = dataclasses.replace(target, on_invoke_handoff=on_invoke_handoff)
    original = target._agent_ref() if target._agent_ref is not None else None
    if isinstance(original, Agent):
        handoff._agent_ref = weakref.ref(copy_of(original))
    return handoff


def refuse_unjournalable_graph(root: Agent[Any], run_id: str) -> None:
    """Raises ``DurableRunUnsupportedError`` for a graph durable runs cannot journal, before anything is written.

    Walks the agents reachable through handoffs; a handoff that picks its
    agent only when invoked is checked when the journaled graph is built.
    """
    seen: set[int] = set()
    pending = [root]
    while pending:
        agent = pending.pop()
        if id(agent) in seen:
            continue
        seen.add(id(agent))
        _refuse_unjournalable(agent, run_id)
        for target in agent.handoffs:
            target_agent = target if isinstance(target, Agent) else target._agent_ref() if target._agent_ref else None
            if isinstance(target_agent, Agent):
                pending.append(target_agent)


def _refuse_unjournalable(agent: Agent[Any], run_id: str) -> None:
    if agent.mcp_servers:
        raise DurableRunUnsupportedError(
            f"Agent {agent.name} uses MCP servers, whose tool calls durable runs cannot journal yet. "
            "Wrap the calls you need in function tools, or run this agent without the durable option.",
            run_id,
        )
    for tool in agent.tools:
        if isinstance(tool, _UNJOURNALABLE_TOOLS):
            raise DurableRunUnsupportedError(
                f"Agent {agent.name} has a local {tool.name} tool ({type(tool).__name__}), whose effects durable "
                "runs cannot journal yet. Wrap it in a function tool, or run this agent without the durable option.",
                run_id,
            )
