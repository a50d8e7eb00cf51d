"""A model response as a journal entry and back (spec/run-journal, ``model_response``).

The output is kept in the Responses API item format, which is this SDK's own,
and usage in its snake_case names, so a resumer in either language replays it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Any

from agents.handoffs import Handoff
from agents.items import ModelResponse, TResponseOutputItem
from agents.tool import Tool
from agents.usage import Usage, deserialize_usage
from openai.types.responses import ResponseFunctionToolCall, ResponseOutputItem, ResponseOutputMessage, ResponseOutputText
from pydantic import TypeAdapter, ValidationError

from .journal import Json

_OUTPUT_ITEM: TypeAdapter[ResponseOutputItem] = TypeAdapter(ResponseOutputItem)


def _journaled_details(details: Json) -> Json | None:
    """A details record, or None when every count is zero: what deserialize_usage assumes when it is absent."""
    return details if any(count for count in details.values()) else None


def usage_to_journal(usage: Usage) -> Json:
    """Usage without the fields that hold what a reader assumes when they are absent.

    ``requests`` 1, ``total_tokens`` input + output, a details record all zeros.
    """
    journaled: Json = {}
    if usage.requests != 1:
        journaled["requests"] = usage.requests
    journaled["input_tokens"] = usage.input_tokens
    journaled["output_tokens"] = usage.output_tokens
    if usage.total_tokens != usage.input_tokens + usage.output_tokens:
        journaled["total_tokens"] = usage.total_tokens
    for name, details in (
        ("input_tokens_details", usage.input_tokens_details.model_dump(mode="json", exclude_none=True)),
        ("output_tokens_details", usage.output_tokens_details.model_dump(mode="json", exclude_none=True)),
    ):
        if (kept := _journaled_details(details)) is not None:
            journaled[name] = kept
    return journaled


def response_to_journal(response: ModelResponse, input_items: int) -> Json:
    """The entry's body; its key is the response's ordinal."""
    body: Json = {"input_items": input_items}
    # Ids are left out when the provider gave none, as the TypeScript writer does.
    if response.response_id:
        body["response_id"] = response.response_id
    if response.request_id:
        body["request_id"] = response.request_id
    body["usage"] = usage_to_journal(response.usage)
    # What the SDK itself sends back as input items: the fields the provider set.
    body["output"] = [item.model_dump(mode="json", exclude_unset=True) for item in response.output]
    return body


def _output_item(item: Json) -> TResponseOutputItem:
    try:
        return _OUTPUT_ITEM.validate_python(item)
    except ValidationError:
        if item.get("type") != "message":
            raise
    # An assistant message from a provider without message ids (the other SDK keeps it so):
    # built without validation, as the SDK does when it loads such a message from a RunState.
    content = [
        ResponseOutputText.model_construct(**part) if isinstance(part, dict) and part.get("type") == "output_text" else part
        for part in item.get("content", [])
    ]
    return ResponseOutputMessage.model_construct(**{**item, "content": content})


def response_from_journal(body: Json) -> ModelResponse:
    usage: dict[str, Any] = body["usage"]
    assumed = {"requests": 1, "total_tokens": usage.get("input_tokens", 0) + usage.get("output_tokens", 0)}
    return ModelResponse(
        output=[_output_item(item) for item in body["output"]],
        usage=deserialize_usage({**assumed, **usage}),
        response_id=body.get("response_id"),
        request_id=body.get("request_id"),
    )


def _folded(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def with_own_tool_names(response: ModelResponse, tools: Sequence[Tool], handoffs: Sequence[Handoff[Any, Any]]) -> ModelResponse:
    """A replayed response with its calls named as this SDK names their tools.

    The SDKs spell default tool names differently: a handoff's
    (``transfer_to_Billing_Desk`` in JS, ``transfer_to_billing_desk`` here) and an
    agent used as a tool (``Billing_Desk``, ``billing_desk``). So a response the
    other language journaled may ask for a tool this SDK would not find: a call
    whose name the request does not offer takes the name of the one offered tool
    or handoff it equals folded (lowercased, non-alphanumerics dropped), as the
    portable run state does for handoffs.
    """
    offered = [handoff.tool_name for handoff in handoffs] + [name for tool in tools if isinstance(name := getattr(tool, "name", None), str)]

    def own_name(name: str) -> str:
        if name in offered:
            return name
        matches = [offered_name for offered_name in offered if _folded(offered_name) == _folded(name)]
        return matches[0] if len(matches) == 1 else name

    output = [
        item.model_copy(update={"name": own_name(item.name)}) if isinstance(item, ResponseFunctionToolCall) else item
        for item in response.output
    ]
    return dataclasses.replace(response, output=output)
