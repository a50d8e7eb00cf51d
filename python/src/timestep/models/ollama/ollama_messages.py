"""Conversion of the Agents SDK's conversation items into Ollama chat messages."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from agents.exceptions import UserError
from agents.items import TResponseInputItem

OllamaMessage = dict[str, Any]
"""An Ollama chat message; its ``images`` are raw bytes (see ``_decode_image`` for why)."""


def to_ollama_messages(
    system_instructions: str | None, input: str | list[TResponseInputItem]
) -> list[OllamaMessage]:
    """The messages of an Ollama chat request: ``system_instructions`` first, then the conversation.

    Ollama has one assistant message per turn, so an assistant message and the function
    calls (and reasoning) of the same turn are merged into it. Raises ``UserError`` for
    items Ollama cannot represent (hosted, computer, shell and patch tool calls; file
    inputs; image URLs).
    """
    messages: list[OllamaMessage] = []
    if system_instructions:
        messages.append({"role": "system", "content": system_instructions})
    if isinstance(input, str):
        messages.append({"role": "user", "content": input})
        return messages
    _Conversation(messages).add_all(input)
    return messages


class _Conversation:
    """Appends converted items to ``messages``, holding the assistant turn being assembled."""

    def __init__(self, messages: list[OllamaMessage]) -> None:
        self._messages = messages
        self._assistant: OllamaMessage | None = None
        # Responses items name a function call only on the call itself, while Ollama
        # pairs results with calls by tool name.
        self._call_names: dict[str, str] = {}

    def add_all(self, items: Iterable[TResponseInputItem]) -> None:
        for item in items:
            self._add(item)
        self._flush()

    def _add(self, item: Mapping[str, Any]) -> None:
        item_type = item.get("type")
        if "role" in item:
            role = item["role"]
            if role == "assistant":
                # A second text message means a new turn; function calls streamed before
                # the text still belong to the turn the text opens.
                if self._assistant is not None and self._assistant["content"]:
                    self._flush()
                self._open_assistant()["content"] = _assistant_text(item["content"])
            else:
                self._flush()
                if role == "user":
                    self._messages.append(_user_message(item["content"]))
                else:
                    self._messages.append({"role": "system", "content": _plain_text(item["content"])})
        elif item_type == "reasoning":
            # Only raw reasoning text is thinking; other providers' summaries or encrypted
            # reasoning mean nothing to an Ollama model.
            thinking = "".join(part["text"] for part in item.get("content") or [])
            if not thinking:
                return
            # Reasoning precedes the rest of its turn, so it always starts a new one.
            if self._assistant is not None and (
                self._assistant["content"] or self._assistant["tool_calls"] or "thinking" in self._assistant
            ):
                self._flush()
            self._open_assistant()["thinking"] = thinking
        elif item_type == "function_call":
            self._call_names[item["call_id"]] = item["name"]
            arguments = _parse_arguments(item["name"], item.get("arguments", ""))
            self._open_assistant()["tool_calls"].append(
                {"function": {"name": item["name"], "arguments": arguments}}
            )
        elif item_type == "function_call_output":
            self._flush()
            name = self._call_names.get(item["call_id"])
            message: OllamaMessage = {"role": "tool", **_tool_output(name, item["output"])}
            if name is not None:
                message["tool_name"] = name
            self._messages.append(message)
        else:
            raise UserError(
                f"Ollama models cannot replay {item_type} items from the conversation history."
            )

    def _open_assistant(self) -> OllamaMessage:
        if self._assistant is None:
            self._assistant = {"role": "assistant", "content": "", "tool_calls": []}
        return self._assistant

    def _flush(self) -> None:
        if self._assistant is None:
            return
        if not self._assistant["tool_calls"]:
            del self._assistant["tool_calls"]
        self._messages.append(self._assistant)
        self._assistant = None


def _assistant_text(content: str | Iterable[Mapping[str, Any]]) -> str:
    if isinstance(content, str):
        return content
    texts: list[str] = []
    for part in content:
        if part.get("type") == "output_text":
            texts.append(part["text"])
        elif part.get("type") == "refusal":
            texts.append(part["refusal"])
    return "".join(texts)


def _plain_text(content: str | Iterable[Mapping[str, Any]]) -> str:
    """System and developer messages: text parts only."""
    if isinstance(content, str):
        return content
    return "\n".join(part["text"] for part in content if part.get("type") == "input_text")


def _user_message(content: str | Iterable[Mapping[str, Any]]) -> OllamaMessage:
    if isinstance(content, str):
        return {"role": "user", "content": content}
    texts: list[str] = []
    images: list[bytes] = []
    for part in content:
        part_type = part.get("type")
        if part_type == "input_text":
            texts.append(part["text"])
        elif part_type == "input_image":
            images.append(_decode_image(part.get("image_url")))
        else:
            raise UserError(f"Ollama models do not accept {part_type} content in user messages.")
    message: OllamaMessage = {"role": "user", "content": "\n".join(texts)}
    if images:
        message["images"] = images
    return message


def _tool_output(name: str | None, output: Any) -> OllamaMessage:
    """``content`` (and ``images``) of the tool message for a function call's output."""
    if isinstance(output, str):
        return {"content": output}
    parts = [output] if isinstance(output, Mapping) else output
    texts: list[str] = []
    images: list[bytes] = []
    for part in parts:
        part_type = part.get("type")
        if part_type in ("input_text", "text"):
            texts.append(part["text"])
        elif part_type == "input_image":
            images.append(_decode_image(part.get("image_url")))
        else:
            raise UserError(f"Ollama models do not accept {part_type} output from the tool {name}.")
    fields: OllamaMessage = {"content": "\n".join(texts)}
    if images:
        fields["images"] = images
    return fields


def _parse_arguments(name: str, arguments: str) -> dict[str, Any]:
    """Ollama wants tool-call arguments as an object; the SDK keeps the model's JSON text."""
    try:
        parsed = json.loads(arguments or "{}")
    except json.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, dict):
        raise UserError(
            f"The arguments of the function call {name} in the history are not a JSON object: "
            f"{arguments}"
        )
    return parsed


_BASE64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def _decode_image(image: str | None) -> bytes:
    """Image bytes from a data URL or bare base64.

    Bytes rather than the base64 string go to the ``ollama`` client because it treats any
    string that names an existing file as a path and uploads that file instead.
    """
    if not isinstance(image, str):
        raise UserError(
            "Ollama models need every image inline, as a data URL or base64; file ids cannot be used."
        )
    if _URL.match(image):
        raise UserError(
            f"Ollama models need every image inline, as a data URL or base64, not a URL: {image}"
        )
    data = image[image.find(",") + 1 :] if image.startswith("data:") else image
    compact = re.sub(r"\s+", "", data)
    if not _BASE64.match(compact):
        raise UserError("An image for an Ollama model is neither a base64 data URL nor base64.")
    return base64.b64decode(compact)
