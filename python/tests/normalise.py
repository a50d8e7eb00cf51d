"""The normalised conversation of spec/portable-run-state/vectors/README.md."""

from __future__ import annotations

import json
import re
from typing import Any


def normalise_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower())


def tool_label(name: str, agent_names: list[str]) -> str:
    for agent in agent_names:
        if normalise_name(name) == "transfer_to_" + normalise_name(agent):
            return f"handoff:{agent}"
    return name


def parse_if_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _message(item: dict[str, Any]) -> dict[str, Any]:
    content = item.get("content")
    text, attachments = (content, []) if isinstance(content, str) else ("", [])
    for part in content if isinstance(content, list) else []:
        kind = part.get("type")
        if kind in ("input_text", "output_text"):
            text += str(part.get("text"))
        elif kind == "refusal":
            text += str(part.get("refusal"))
        elif kind == "input_image":
            attachments.append({"type": "image"})
        elif kind == "input_file":
            filename = part.get("filename")
            attachments.append({"type": "file", "filename": filename if isinstance(filename, str) else None})
    normalised = {"kind": "message", "role": item["role"], "text": text}
    return normalised | {"attachments": attachments} if attachments else normalised


def _output(output: Any) -> Any:
    if isinstance(output, str):
        return parse_if_json(output)
    if isinstance(output, list):
        return parse_if_json("".join(part["text"] for part in output if isinstance(part.get("text"), str)))
    return output


def normalise_conversation(items: list[dict[str, Any]], agent_names: list[str]) -> list[dict[str, Any]]:
    """Responses API input items → normalised items (no ids, handoffs as ``handoff:<agent>``)."""
    names = {item["call_id"]: item["name"] for item in items if item.get("type") == "function_call"}
    normalised: list[dict[str, Any]] = []
    for item in items:
        kind = item.get("type")
        if "role" in item and kind in (None, "message"):
            normalised.append(_message(item))
        elif kind == "function_call":
            normalised.append(
                {"kind": "tool_call", "name": tool_label(item["name"], agent_names),
                 "arguments": parse_if_json(item["arguments"])}
            )
        elif kind == "function_call_output":
            name = names.get(item["call_id"], "")
            normalised.append(
                {"kind": "tool_output", "name": tool_label(name, agent_names) if name else "",
                 "output": _output(item["output"])}
            )
        elif kind == "reasoning":
            normalised.append({"kind": "reasoning", "summary": [part.get("text") for part in item.get("summary", [])]})
        else:
            normalised.append({"kind": kind})
    return normalised
