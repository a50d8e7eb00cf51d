"""Conversion of Ollama chat replies, whole or streamed, into the Agents SDK's model
responses and Responses stream events."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass, field
from typing import cast

from agents.exceptions import ModelBehaviorError
from agents.items import ModelResponse, TResponseOutputItem, TResponseStreamEvent
from agents.models.fake_id import FAKE_RESPONSES_ID
from agents.usage import Usage
from ollama import ChatResponse, Message
from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseCreatedEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseFunctionToolCall,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseReasoningItem,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
    ResponseUsage,
)
from openai.types.responses.response_reasoning_item import Content


@dataclass
class _Reply:
    """What an Ollama reply adds up to, however it arrived."""

    content: str = ""
    thinking: str = ""
    tool_calls: list[Message.ToolCall] = field(default_factory=list)
    # 0 when Ollama leaves a counter out (it may, e.g. for a fully cached prompt).
    input_tokens: int = 0
    output_tokens: int = 0

    def count(self, final: ChatResponse) -> None:
        self.input_tokens = final.prompt_eval_count or 0
        self.output_tokens = final.eval_count or 0

    def usage(self) -> Usage:
        return Usage(
            requests=1,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            total_tokens=self.input_tokens + self.output_tokens,
        )


def to_model_response(response: ChatResponse) -> ModelResponse:
    """The SDK model response for a non-streamed Ollama reply."""
    message = response.message
    reply = _Reply(
        content=message.content or "",
        thinking=message.thinking or "",
        tool_calls=list(message.tool_calls or []),
    )
    reply.count(response)
    return ModelResponse(output=_output_items(reply), usage=reply.usage(), response_id=_new_response_id())


async def to_stream_events(
    chunks: AsyncIterable[ChatResponse], model: str
) -> AsyncIterator[TResponseStreamEvent]:
    """The Responses stream events for an Ollama NDJSON stream, as the runner consumes them.

    ``response.created``, then the assistant message's text as ``output_text`` deltas while
    it arrives, then the done events of every output item and ``response.completed`` with
    the complete output and usage. Ollama delivers tool calls whole, so they are announced
    and finished together at the end.
    """
    events = _StreamEvents(model)
    yield events.created()
    reply = _Reply()
    last: ChatResponse | None = None
    async for chunk in chunks:
        last = chunk
        reply.thinking += chunk.message.thinking or ""
        reply.tool_calls.extend(chunk.message.tool_calls or [])
        if chunk.message.content:
            reply.content += chunk.message.content
            # Reasoning, if any, arrives before the text and takes output index 0.
            for event in events.text_delta(chunk.message.content, 1 if reply.thinking else 0):
                yield event
    if last is None or not last.done:
        raise ModelBehaviorError('The Ollama stream ended before its final ("done") message.')
    reply.count(last)
    for event in events.finish(_output_items(reply), reply.usage()):
        yield event


def _output_items(reply: _Reply) -> list[TResponseOutputItem]:
    """Output items in the order the Responses API uses: reasoning, message, function calls.

    Ollama gives no item ids; items get the SDK's placeholder id, which the SDK strips
    before history is sent to the OpenAI Responses API. Ollama gives tool calls no ids
    either, so each gets a fresh call id.
    """
    items: list[TResponseOutputItem] = []
    if reply.thinking:
        items.append(
            ResponseReasoningItem(
                id=FAKE_RESPONSES_ID,
                type="reasoning",
                summary=[],
                content=[Content(type="reasoning_text", text=reply.thinking)],
            )
        )
    # An empty reply still needs a message, or the run would have no final output.
    if reply.content or not reply.tool_calls:
        items.append(_message(reply.content, "completed"))
    for call in reply.tool_calls:
        items.append(
            ResponseFunctionToolCall(
                type="function_call",
                call_id=f"call_{uuid.uuid4().hex}",
                name=call.function.name,
                # Compact, as JavaScript's JSON.stringify writes it, so both languages store
                # the same arguments text.
                arguments=json.dumps(call.function.arguments, separators=(",", ":"), ensure_ascii=False),
                status="completed",
            )
        )
    return items


def _message(text: str, status: str) -> ResponseOutputMessage:
    return ResponseOutputMessage(
        id=FAKE_RESPONSES_ID,
        type="message",
        role="assistant",
        status=status,  # type: ignore[arg-type]
        content=[ResponseOutputText(type="output_text", text=text, annotations=[], logprobs=[])],
    )


def _new_response_id() -> str:
    return f"ollama-{uuid.uuid4()}"


class _StreamEvents:
    """Builds the stream events, numbering them and remembering what was announced."""

    def __init__(self, model: str) -> None:
        self._sequence_number = 0
        self._message_index: int | None = None
        # Ollama has no response object; this one carries the output and usage to the runner.
        self._response = Response(
            id=_new_response_id(),
            created_at=time.time(),
            model=model,
            object="response",
            output=[],
            tool_choice="auto",
            tools=[],
            parallel_tool_calls=False,
        )

    def created(self) -> ResponseCreatedEvent:
        return ResponseCreatedEvent(
            type="response.created", response=self._response, sequence_number=self._next()
        )

    def text_delta(self, delta: str, message_index: int) -> list[TResponseStreamEvent]:
        events: list[TResponseStreamEvent] = []
        if self._message_index is None:
            self._message_index = message_index
            events.extend(self._open_message(message_index))
        events.append(
            ResponseTextDeltaEvent(
                type="response.output_text.delta",
                item_id=FAKE_RESPONSES_ID,
                output_index=self._message_index,
                content_index=0,
                delta=delta,
                logprobs=[],
                sequence_number=self._next(),
            )
        )
        return events

    def finish(self, output: list[TResponseOutputItem], usage: Usage) -> list[TResponseStreamEvent]:
        events: list[TResponseStreamEvent] = []
        for index, item in enumerate(output):
            if isinstance(item, ResponseOutputMessage):
                if self._message_index is None:
                    events.extend(self._open_message(index))
                events.extend(self._close_message(item, index))
            elif isinstance(item, ResponseFunctionToolCall):
                events.extend(self._function_call(item, index))
            else:
                events.append(self._added(item, index))
                events.append(self._done(item, index))
        completed = self._response.model_copy(
            update={"output": output, "usage": _response_usage(usage)}
        )
        events.append(
            ResponseCompletedEvent(
                type="response.completed", response=completed, sequence_number=self._next()
            )
        )
        return events

    def _open_message(self, index: int) -> list[TResponseStreamEvent]:
        opening = ResponseOutputMessage(
            id=FAKE_RESPONSES_ID, type="message", role="assistant", status="in_progress", content=[]
        )
        return [
            self._added(opening, index),
            ResponseContentPartAddedEvent(
                type="response.content_part.added",
                item_id=FAKE_RESPONSES_ID,
                output_index=index,
                content_index=0,
                part=ResponseOutputText(type="output_text", text="", annotations=[], logprobs=[]),
                sequence_number=self._next(),
            ),
        ]

    def _close_message(self, message: ResponseOutputMessage, index: int) -> list[TResponseStreamEvent]:
        part = cast(ResponseOutputText, message.content[0])
        return [
            ResponseTextDoneEvent(
                type="response.output_text.done",
                item_id=FAKE_RESPONSES_ID,
                output_index=index,
                content_index=0,
                text=part.text,
                logprobs=[],
                sequence_number=self._next(),
            ),
            ResponseContentPartDoneEvent(
                type="response.content_part.done",
                item_id=FAKE_RESPONSES_ID,
                output_index=index,
                content_index=0,
                part=part,
                sequence_number=self._next(),
            ),
            self._done(message, index),
        ]

    def _function_call(self, call: ResponseFunctionToolCall, index: int) -> list[TResponseStreamEvent]:
        return [
            self._added(call.model_copy(update={"arguments": "", "status": "in_progress"}), index),
            ResponseFunctionCallArgumentsDeltaEvent(
                type="response.function_call_arguments.delta",
                item_id=FAKE_RESPONSES_ID,
                output_index=index,
                delta=call.arguments,
                sequence_number=self._next(),
            ),
            ResponseFunctionCallArgumentsDoneEvent(
                type="response.function_call_arguments.done",
                item_id=FAKE_RESPONSES_ID,
                output_index=index,
                arguments=call.arguments,
                sequence_number=self._next(),
            ),
            self._done(call, index),
        ]

    def _added(self, item: TResponseOutputItem, index: int) -> ResponseOutputItemAddedEvent:
        return ResponseOutputItemAddedEvent(
            type="response.output_item.added", item=item, output_index=index, sequence_number=self._next()
        )

    def _done(self, item: TResponseOutputItem, index: int) -> ResponseOutputItemDoneEvent:
        return ResponseOutputItemDoneEvent(
            type="response.output_item.done", item=item, output_index=index, sequence_number=self._next()
        )

    def _next(self) -> int:
        number = self._sequence_number
        self._sequence_number += 1
        return number


def _response_usage(usage: Usage) -> ResponseUsage:
    return ResponseUsage(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        total_tokens=usage.total_tokens,
        input_tokens_details=usage.input_tokens_details,
        output_tokens_details=usage.output_tokens_details,
    )
