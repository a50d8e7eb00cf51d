"""A model response as a journal entry and back (spec/run-journal, ``model_response``).

The output is kept in the Responses API item format, which is this SDK's own,
and usage in its snake_case names, so a resumer in either language replays it.
"""

from __future__ import annotations

from typing import Any

from agents.items import ModelResponse, TResponseOutputItem
from agents.usage import Usage, deserialize_usage
from openai.types.responses import ResponseOutputItem, ResponseOutputMessage, ResponseOutputText
from pydantic import TypeAdapter, ValidationError

from .journal import Json

_OUTPUT_ITEM: TypeAdapter[ResponseOutputItem] = TypeAdapter(ResponseOutputItem)


def usage_to_journal(usage: Usage) -> Json:
    return {
        "requests": usage.requests,
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "input_tokens_details": usage.input_tokens_details.model_dump(mode="json", exclude_none=True),
        "output_tokens_details": usage.output_tokens_details.model_dump(mode="json", exclude_none=True),
    }


def response_to_journal(response: ModelResponse, ordinal: int, input_items: int) -> Json:
    return {
        "ordinal": ordinal,
        "input_items": input_items,
        "response_id": response.response_id,
        "request_id": response.request_id,
        "usage": usage_to_journal(response.usage),
        # What the SDK itself sends back as input items: the fields the provider set.
        "output": [item.model_dump(mode="json", exclude_unset=True) for item in response.output],
        "provider_data": None,
    }


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
    return ModelResponse(
        output=[_output_item(item) for item in body["output"]],
        usage=deserialize_usage(usage),
        response_id=body["response_id"],
        request_id=body["request_id"],
    )
