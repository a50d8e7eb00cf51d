"""Python native run state (``RunState.to_json()``) → portable run state version 1.

The field mapping is spec/portable-run-state/README.md ("Python"). Anything
version 1 cannot express raises ``UnportableRunStateError``; the native state
itself stays usable in Python.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from agents import AgentOutputSchema
from agents.run_state import RunState

from ..store.sdk_info import SDK_NAME, SDK_VERSION
from .errors import UnportableRunStateError
from .validate import PORTABLE_RUN_STATE_FORMAT

Json = dict[str, Any]

_ITEM_TYPES = {
    "message_output_item": "message_output",
    "tool_call_item": "tool_call",
    "tool_call_output_item": "tool_call_output",
    "handoff_call_item": "handoff_call",
    "handoff_output_item": "handoff_output",
    "reasoning_item": "reasoning",
    "tool_approval_item": "tool_approval",
}


def _refuse(what: str) -> UnportableRunStateError:
    return UnportableRunStateError(
        f"The run state holds {what}, which portable run state version 1 cannot express; "
        "it resumes in Python only."
    )


def _require_absent(native: Json) -> None:
    """Refuses the native fields marked "cannot cross" in the mapping."""
    context = native.get("context") or {}
    blockers = {
        "input queued on the paused run (pending_input)": native.get("pending_input"),
        "a server-managed conversation (conversation_id)": native.get("conversation_id"),
        "a server-managed conversation (previous_response_id)": native.get("previous_response_id"),
        "a server-managed conversation (auto_previous_response_id)": native.get("auto_previous_response_id"),
        "hosted MCP approvals": context.get("hosted_mcp_approvals"),
        "an agent-as-tool input (tool_input)": context.get("tool_input"),
        "an unfinished session write (pending_session_write)": native.get("pending_session_write"),
        "an unrecoverable run (terminal_unrecoverable)": native.get("terminal_unrecoverable"),
        "a sandbox session": native.get("sandbox"),
    }
    for what, value in blockers.items():
        if value:
            raise _refuse(what)


def _agent(reference: Json | None, where: str) -> str:
    if not reference or not reference.get("name"):
        raise _refuse(f"an item without an agent ({where})")
    if reference.get("identity"):
        raise _refuse(f'two agents named "{reference["name"]}" ({where}); portable states name agents')
    name: str = reference["name"]
    return name


def _details(value: Any) -> dict[str, int]:
    """Python keeps one details object per request: numeric entries are summed, others dropped."""
    entries = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
    summed: dict[str, int] = {}
    for entry in entries:
        for key, number in (entry or {}).items():
            if isinstance(number, int) and not isinstance(number, bool):
                summed[key] = summed.get(key, 0) + number
    return summed


def _usage(usage: Json | None) -> Json:
    usage = usage or {}
    converted: Json = {key: usage.get(key, 0) for key in ("requests", "input_tokens", "output_tokens", "total_tokens")}
    for key in ("input_tokens_details", "output_tokens_details"):
        details = _details(usage.get(key))
        if details:
            converted[key] = details
    return converted


def _is_function_tool(item: Json) -> bool:
    return (item.get("tool_origin") or {}).get("type", "function") == "function" and (
        item.get("raw_item") or {}
    ).get("type") in ("function_call", "function_call_output")


def _generated_item(item: Json, index: int, handoff_targets: dict[str | None, str | None]) -> Json:
    where = f"generated_items[{index}]"
    kind = _ITEM_TYPES.get(item.get("type", ""))
    if kind is None:
        raise _refuse(f'a generated item of type "{item.get("type")}" ({where})')
    if kind in ("tool_call", "tool_call_output", "tool_approval") and not _is_function_tool(item):
        raise _refuse(f"a call of a tool that is not a function tool ({where})")
    raw = copy.deepcopy(item["raw_item"])
    if kind == "handoff_output":
        converted = {
            "type": kind,
            "agent": _agent(item.get("source_agent") or item.get("agent"), where),
            "target_agent": _agent(item.get("target_agent"), where),
            "raw": raw,
        }
    else:
        converted = {"type": kind, "agent": _agent(item.get("agent"), where), "raw": raw}
    if kind == "handoff_call" and raw.get("call_id") in handoff_targets:
        converted["target_agent"] = handoff_targets[raw["call_id"]]
    if kind == "tool_approval":
        converted["tool_name"] = item.get("tool_name") or raw.get("name")
    return converted


def _handoff_targets(items: list[Json]) -> dict[str | None, str | None]:
    """call_id → target agent, from the handoff outputs."""
    return {
        (item.get("raw_item") or {}).get("call_id"): (item.get("target_agent") or {}).get("name")
        for item in items
        if item.get("type") == "handoff_output_item" and (item.get("target_agent") or {}).get("name")
    }


def _final_text(native: Json) -> str:
    """The text of the messages of the last model response: a text agent's final output."""
    responses = native.get("model_responses") or []
    text = ""
    for output in responses[-1].get("output", []) if responses else []:
        if output.get("type") == "message":
            text += "".join(part.get("text") or "" for part in output.get("content", []) if part.get("type") == "output_text")
    return text


def _step(native: Json, structured_output: bool) -> Json | None:
    step = native.get("current_step")
    if step is None:
        if (native.get("current_turn") or 0) == 0:
            return None  # not started
        # The SDK clears current_step once the run has its final output.
        text = _final_text(native)
        return {"type": "final_output", "output": json.loads(text) if structured_output else text}
    if step.get("type") == "next_step_run_again":
        return {"type": "run_again"}
    if step.get("type") != "next_step_interruption":
        raise _refuse(f'a current step of type "{step.get("type")}"')
    interruptions = []
    for index, item in enumerate((step.get("data") or {}).get("interruptions") or []):
        if not _is_function_tool(item):
            raise _refuse("an approval of a tool that is not a function tool")
        raw = copy.deepcopy(item["raw_item"])
        agent = _agent(item.get("agent"), f"current_step.interruptions[{index}]")
        interruptions.append({"agent": agent, "tool_name": item.get("tool_name") or raw.get("name"), "raw": raw})
    return {"type": "interruption", "interruptions": interruptions}


def _approvals(context: Json) -> Json:
    def record(decision: Json) -> Json:
        converted = {"approved": decision["approved"], "rejected": decision["rejected"]}
        for key in ("rejection_messages", "sticky_rejection_message"):
            if decision.get(key) is not None:
                converted[key] = decision[key]
        return converted

    approvals = {tool: record(decision) for tool, decision in (context.get("approvals") or {}).items()}
    for entry in context.get("function_tool_approvals") or []:
        approvals[entry["tool_key"]] = record(entry["decision"]) | {
            "agent": _agent(entry.get("agent"), "function_tool_approvals")
        }
    return approvals


def _guardrail_results(results: list[Json]) -> list[Json]:
    return [
        {
            "name": result["guardrail"]["name"],
            "tripwire_triggered": bool(result["output"].get("tripwireTriggered")),
            "output_info": result["output"].get("outputInfo"),
        }
        for result in results
    ]


def _context(context: Json) -> Any:
    meta = context.get("context_meta") or {}
    if meta.get("omitted") or meta.get("requires_deserializer"):
        return None  # not plain JSON
    return copy.deepcopy(context.get("context"))


def _trace(trace: Json | None) -> Json | None:
    if not trace or not trace.get("id"):
        return None
    return {
        "trace_id": trace["id"],
        "workflow_name": trace.get("workflow_name"),
        "group_id": trace.get("group_id"),
        "metadata": trace.get("metadata"),
    }


def native_json_to_portable(native: Json | str, *, structured_output: bool = False) -> Json:
    """The portable form of a Python native state (``RunState.to_json()`` or its text).

    ``structured_output``: the current agent has a non-text output type, so a
    finished run's output is the JSON of its last message rather than the text.
    """
    if isinstance(native, str):
        native = json.loads(native)
    assert isinstance(native, dict)
    _require_absent(native)
    context = native.get("context") or {}
    items = native.get("generated_items") or []
    targets = _handoff_targets(items)
    return {
        "format": PORTABLE_RUN_STATE_FORMAT,
        "version": 1,
        "producer": {
            "sdk": SDK_NAME,
            "sdk_version": SDK_VERSION,
            "native_schema_version": str(native.get("$schemaVersion")),
        },
        "current_agent": _agent(native.get("current_agent"), "current_agent"),
        "current_turn": native.get("current_turn") or 0,
        "max_turns": native.get("max_turns"),
        "original_input": copy.deepcopy(native.get("original_input")),
        "generated_items": [_generated_item(item, index, targets) for index, item in enumerate(items)],
        "model_responses": [
            {"response_id": response.get("response_id"), "output": copy.deepcopy(response["output"]),
             "usage": _usage(response.get("usage"))}
            for response in native.get("model_responses") or []
        ],
        "usage": _usage(context.get("usage")),
        "step": _step(native, structured_output),
        "approvals": _approvals(context),
        "tool_use_tracker": copy.deepcopy(native.get("tool_use_tracker") or {}),
        "input_guardrail_results": _guardrail_results(native.get("input_guardrail_results") or []),
        "output_guardrail_results": _guardrail_results(native.get("output_guardrail_results") or []),
        "trace": _trace(native.get("trace")),
        "context": _context(context),
    }


def to_portable_run_state(state: RunState[Any, Any]) -> Json:
    """The portable form of a live Python ``RunState``."""
    agent = state._current_agent
    output_type = agent.output_type if agent is not None else None
    structured = output_type is not None and output_type is not str and not (
        isinstance(output_type, AgentOutputSchema) and output_type.is_plain_text()
    )
    return native_json_to_portable(state.to_json(), structured_output=structured)
