"""Portable run state version 1 → a live Python ``RunState``.

The field mapping is spec/portable-run-state/README.md ("Python"): this
builds the SDK's own native JSON from the portable form and lets
``RunState.from_json`` derive the rest (item metadata from the agent graph,
the tool-invocation ledger); per-call decisions about pending interruptions are
then re-applied through ``approve`` / ``reject`` so the SDK binds them to the
calls, and sticky decisions are restored agent-scoped.
"""

from __future__ import annotations

import copy
from typing import Any

from agents import Agent
from agents._tool_invocation import tool_invocation_approval_scope, tool_invocation_identity_and_scope
from agents.run_state import CURRENT_SCHEMA_VERSION, RunState

from .agent_graph import AgentGraph, build_graph, describe_graph, require_agent, require_tool
from .errors import AgentGraphMismatchError
from .to_portable import Json
from .validate import parse_portable_run_state

_ITEM_TYPES = {
    "message_output": "message_output_item",
    "tool_call": "tool_call_item",
    "tool_call_output": "tool_call_output_item",
    "handoff_call": "handoff_call_item",
    "handoff_output": "handoff_output_item",
    "reasoning": "reasoning_item",
    "tool_approval": "tool_approval_item",
}


def _fold(name: str) -> str:
    return "".join(character for character in name.lower() if character.isalnum())


def _handoff_tool(graph: AgentGraph, source: str, target: str | None, producer_name: str) -> str:
    """Our SDK's tool name for the handoff ``source`` → ``target`` (or the one ``producer_name`` names)."""
    for entry in graph.handoffs.get(source, []):
        if entry.target_name == target or (target is None and _fold(producer_name).endswith(_fold(entry.target_name))):
            return entry.tool_name
    raise AgentGraphMismatchError(
        f'The run state hands off from agent "{source}" to "{target or producer_name}", but "{source}" has no such '
        f"handoff in the agent graph (it has {describe_graph(graph)}).",
        source,
        producer_name,
    )


def _renames(portable: Json, graph: AgentGraph) -> dict[str, str]:
    """call_id → our handoff tool name, for every handoff call."""
    renames: dict[str, str] = {}
    for index, item in enumerate(portable["generated_items"]):
        if item["type"] == "handoff_call":
            source = item.get("agent") or portable["current_agent"]
            require_agent(graph, source, f"generated_items[{index}]")
            renames[item["raw"]["call_id"]] = _handoff_tool(graph, source, item.get("target_agent"), item["raw"]["name"])
    return renames


def _renamed(raw: Json, renames: dict[str, str]) -> Json:
    raw = copy.deepcopy(raw)
    if raw.get("type") == "function_call" and raw.get("call_id") in renames:
        raw["name"] = renames[raw["call_id"]]
    return raw


def _usage(usage: Json) -> Json:
    return {
        "requests": usage["requests"],
        "input_tokens": usage["input_tokens"],
        "input_tokens_details": [usage.get("input_tokens_details") or {"cached_tokens": 0}],
        "output_tokens": usage["output_tokens"],
        "output_tokens_details": [usage.get("output_tokens_details") or {"reasoning_tokens": 0}],
        "total_tokens": usage["total_tokens"],
        "request_usage_entries": [],
    }


def _output_text(raw: Json) -> Any:
    output = raw.get("output")
    if isinstance(output, list):
        return "".join(part.get("text", "") for part in output if isinstance(part, dict))
    return output


def _item(item: Json, index: int, graph: AgentGraph, renames: dict[str, str], current: str) -> Json:
    agent = item.get("agent") or current
    require_agent(graph, agent, f"generated_items[{index}]")
    native: Json = {"type": _ITEM_TYPES[item["type"]], "raw_item": _renamed(item["raw"], renames), "agent": {"name": agent}}
    if item["type"] == "handoff_output":
        target = item.get("target_agent") or current
        require_agent(graph, target, f"generated_items[{index}]")
        native |= {"source_agent": {"name": agent}, "target_agent": {"name": target}}
    elif item["type"] == "tool_call_output":
        native["output"] = _output_text(item["raw"])
    elif item["type"] in ("tool_call", "tool_approval"):
        tool = item.get("tool_name") or item["raw"].get("name")
        if item["raw"].get("call_id") not in renames:
            require_tool(graph, agent, tool, f"generated_items[{index}]")
        native["tool_name"] = tool
    return native


def _step(step: Json | None, graph: AgentGraph) -> Json | None:
    if step is None or step["type"] in ("final_output", "handoff"):
        # A finished run has no current step in Python (see README); a handoff step is between turns.
        return None
    if step["type"] == "run_again":
        return {"type": "next_step_run_again"}
    interruptions = []
    for index, pending in enumerate(step["interruptions"]):
        where = f"step.interruptions[{index}]"
        require_agent(graph, pending["agent"], where)
        require_tool(graph, pending["agent"], pending["tool_name"], where)
        interruptions.append(
            {"type": "tool_approval_item", "raw_item": copy.deepcopy(pending["raw"]),
             "agent": {"name": pending["agent"]}, "tool_name": pending["tool_name"]}
        )
    return {"type": "next_step_interruption", "data": {"interruptions": interruptions}}


def _sticky_scope(tool: str) -> str | None:
    """The SDK's approval scope of a function tool: it depends on the tool's identity, not on a call."""
    probe = {"type": "function_call", "call_id": "scope", "name": tool, "arguments": "{}"}
    scope = tool_invocation_approval_scope(probe, tool_name=tool)
    return scope[1] if scope is not None else None


def _ledger(items: list[Json]) -> Json:
    """The SDK's tool-invocation ledger of the calls still waiting for a result.

    Identities come from the SDK itself. Calls that already have an output
    are left out: the SDK accepts them unbound, and binding them would need
    the exact role the SDK gave them when they ran.
    """
    outputs = {item["raw_item"].get("call_id") for item in items if item["type"].endswith("_output_item")}
    ledger: Json = {}
    for item in items:
        if item["type"] != "tool_call_item" or item["raw_item"].get("call_id") in outputs:
            continue
        identity = tool_invocation_identity_and_scope(item["raw_item"], tool_name=item["tool_name"])
        if identity is not None:
            kind, call_id, scope, fingerprint = identity
            ledger[call_id] = {"type": kind, "approval_scope": scope, "fingerprint": fingerprint,
                               "executed": False, "completed": False}
    return ledger


def _decision(record: Json, sticky_only: bool) -> Json:
    """The SDK's approval record; per-call decisions are left to approve/reject when ``sticky_only``."""
    decision: Json = {
        "approved": record["approved"] if record["approved"] is True or not sticky_only else [],
        "rejected": record["rejected"] if record["rejected"] is True or not sticky_only else [],
    }
    if record.get("rejection_messages") and not sticky_only:
        decision["rejection_messages"] = record["rejection_messages"]
    if record.get("sticky_rejection_message") is not None:
        decision["sticky_rejection_message"] = record["sticky_rejection_message"]
    return decision


def _guardrails(results: list[Json], kind: str, extra: Json) -> list[Json]:
    return [
        {"guardrail": {"type": kind, "name": result["name"]},
         "output": {"tripwireTriggered": result["tripwire_triggered"], "outputInfo": result.get("output_info")}}
        | extra
        for result in results
    ]


def portable_to_native_json(portable: Json, graph: AgentGraph) -> Json:
    """The Python native JSON of a validated portable state, checked against ``graph``."""
    current = portable["current_agent"]
    require_agent(graph, current, "current_agent")
    renames = _renames(portable, graph)
    responses = [
        {"usage": _usage(response["usage"]), "output": [_renamed(raw, renames) for raw in response["output"]],
         "response_id": response.get("response_id"), "request_id": None}
        for response in portable["model_responses"]
    ]
    approvals: Json = {}
    function_approvals: list[Json] = []
    for tool, record in portable["approvals"].items():
        if record.get("agent"):
            require_agent(graph, record["agent"], f"approvals.{tool}")
            decision = _decision(record, sticky_only=True)
            scope = _sticky_scope(tool) if True in (record["approved"], record["rejected"]) else None
            function_approvals.append(
                {"agent": {"name": record["agent"]}, "tool_key": tool,
                 "decision": decision | ({"sticky_scope": scope} if scope else {})}
            )
        else:
            approvals[tool] = _decision(record, sticky_only=False)
    step = portable["step"]
    native_items = [_item(item, index, graph, renames, current) for index, item in enumerate(portable["generated_items"])]
    native_step = _step(step, graph)
    final_output = step["output"] if step and step["type"] == "final_output" else None
    trace = portable.get("trace")
    context = portable.get("context")
    native: Json = {
        "$schemaVersion": CURRENT_SCHEMA_VERSION,
        "current_turn": portable["current_turn"],
        "current_agent": {"name": current},
        "original_input": copy.deepcopy(portable["original_input"]),
        "pending_input": [],
        "model_responses": responses,
        "context": {
            "usage": _usage(portable["usage"]),
            "approvals": approvals,
            "function_tool_approvals": function_approvals,
            "tool_invocations": _ledger(native_items),
            "context": {} if context is None else copy.deepcopy(context),
        },
        "tool_use_tracker": {
            agent: [_tracked_tool(graph, agent, name) for name in names]
            for agent, names in (portable.get("tool_use_tracker") or {}).items()
        },
        "max_turns": portable.get("max_turns") or 10,
        "no_active_agent_run": True,
        "input_guardrail_results": _guardrails(portable.get("input_guardrail_results") or [], "input", {}),
        "output_guardrail_results": _guardrails(
            portable.get("output_guardrail_results") or [], "output",
            {"agentOutput": final_output, "agent": {"name": current}},
        ),
        "generated_items": native_items,
        "current_step": native_step,
        "last_model_response": responses[-1] if responses else None,
        "last_processed_response": _processed_response(native_items, native_step),
        "trace": None if not trace else {
            "object": "trace", "id": trace["trace_id"], "workflow_name": trace.get("workflow_name"),
            "group_id": trace.get("group_id"), "metadata": trace.get("metadata"),
        },
    }
    return native


def _processed_response(items: list[Json], step: Json | None) -> Json | None:
    """What the SDK processed of the last model response: the pending function calls of an interruption."""
    if step is None or step["type"] != "next_step_interruption":
        return None
    interruptions = step["data"]["interruptions"]
    pending = {item["raw_item"]["call_id"] for item in interruptions}
    calls = [item for item in items if item["type"] == "tool_call_item" and item["raw_item"].get("call_id") in pending]
    empty: Json = {key: [] for key in ("computer_actions", "custom_tool_actions", "local_shell_actions",
                                       "shell_actions", "apply_patch_actions", "handoffs", "mcp_approval_requests")}
    return empty | {
        "new_items": calls,
        "tools_used": [item["tool_name"] for item in calls],
        "functions": [{"tool_call": item["raw_item"], "tool": {"name": item["tool_name"]}} for item in calls],
        "interruptions": interruptions,
        "mcp_tool_bindings": {},
    }


def _tracked_tool(graph: AgentGraph, agent: str, name: str) -> str:
    """A tool-use tracker entry in our SDK's names: a producer's handoff tool becomes ours."""
    for entry in graph.handoffs.get(agent, []):
        if _fold(name) == _fold(f"transfer_to_{entry.target_name}"):
            return entry.tool_name
    return name


async def from_portable_run_state(
    portable: Json | str, starting_agent: Agent[Any], *, context: Any = None
) -> RunState[Any, Agent[Any]]:
    """A live ``RunState`` of ``starting_agent``'s graph from a portable run state (any producer).

    Raises ``InvalidRunStateError`` (malformed), ``UnsupportedRunStateVersionError``
    or ``AgentGraphMismatchError``; ``context`` replaces the state's own.
    """
    parsed = parse_portable_run_state(portable)
    graph = build_graph(starting_agent)
    native = portable_to_native_json(parsed, graph)
    state = await RunState.from_json(starting_agent, native, context_override=context)
    pending = {item.call_id: item for item in state.get_interruptions()}
    for record in parsed["approvals"].values():
        for decided, apply in ((record["approved"], _approve), (record["rejected"], _reject)):
            for call_id in decided if isinstance(decided, list) else []:
                if call_id in pending:
                    apply(state, pending[call_id], record)
    return state


def _approve(state: RunState[Any, Any], item: Any, _record: Json) -> None:
    state.approve(item)


def _reject(state: RunState[Any, Any], item: Any, record: Json) -> None:
    message = (record.get("rejection_messages") or {}).get(item.call_id)
    state.reject(item, rejection_message=message)
