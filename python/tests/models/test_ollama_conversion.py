"""Conversions the scripted server cannot provoke: history shapes, thinking, bad inputs."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import pytest
from agents import AgentOutputSchema, ModelSettings, WebSearchTool
from agents.exceptions import ModelBehaviorError, UserError
from ollama import ChatResponse, Message
from openai.types.responses import ResponseFunctionToolCall, ResponseOutputMessage, ResponseReasoningItem
from pydantic import BaseModel

from timestep.models.ollama.ollama_messages import to_ollama_messages
from timestep.models.ollama.ollama_request import to_ollama_chat_request
from timestep.models.ollama.ollama_response import to_model_response, to_stream_events

PIXEL = b"\x89PNG\r\n\x1a\n-not-really-a-png"
PIXEL_BASE64 = base64.b64encode(PIXEL).decode()


def test_history_merges_each_assistant_turn_into_one_message() -> None:
    history: list[Any] = [
        {"role": "user", "content": "weather?"},
        {"type": "reasoning", "id": "rs_1", "summary": [], "content": [{"type": "reasoning_text", "text": "think"}]},
        {
            "type": "message",
            "id": "msg_1",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": "Let me check.", "annotations": []}],
        },
        {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": '{"city":"Oakland"}'},
        {"type": "function_call", "call_id": "c2", "name": "get_time", "arguments": ""},
        {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
        {"type": "function_call_output", "call_id": "c2", "output": [{"type": "input_text", "text": "noon"}]},
        {"role": "assistant", "content": "Sunny at noon."},
        {"role": "developer", "content": "Be brief."},
    ]

    assert to_ollama_messages("You help.", history) == [
        {"role": "system", "content": "You help."},
        {"role": "user", "content": "weather?"},
        {
            "role": "assistant",
            "content": "Let me check.",
            "thinking": "think",
            "tool_calls": [
                {"function": {"name": "get_weather", "arguments": {"city": "Oakland"}}},
                {"function": {"name": "get_time", "arguments": {}}},
            ],
        },
        {"role": "tool", "content": "sunny", "tool_name": "get_weather"},
        {"role": "tool", "content": "noon", "tool_name": "get_time"},
        {"role": "assistant", "content": "Sunny at noon."},
        {"role": "system", "content": "Be brief."},
    ]


def test_images_are_sent_as_bytes() -> None:
    [message] = to_ollama_messages(
        None,
        [
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "Look:"},
                    {"type": "input_image", "image_url": f"data:image/png;base64,{PIXEL_BASE64}", "detail": "auto"},
                    {"type": "input_image", "image_url": PIXEL_BASE64, "detail": "auto"},
                ],
            }
        ],
    )
    assert message == {"role": "user", "content": "Look:", "images": [PIXEL, PIXEL]}


@pytest.mark.parametrize(
    ("part", "message"),
    [
        (
            {"type": "input_image", "image_url": "https://example.com/cat.png"},
            "Ollama models need every image inline, as a data URL or base64, not a URL: https://example.com/cat.png",
        ),
        (
            {"type": "input_image", "file_id": "file_123"},
            "Ollama models need every image inline, as a data URL or base64; file ids cannot be used.",
        ),
        (
            {"type": "input_image", "image_url": "data:image/png;base64,not base64!"},
            "An image for an Ollama model is neither a base64 data URL nor base64.",
        ),
        (
            {"type": "input_file", "file_id": "file_123"},
            "Ollama models do not accept input_file content in user messages.",
        ),
    ],
)
def test_unsupported_user_content_is_refused(part: dict[str, Any], message: str) -> None:
    with pytest.raises(UserError) as raised:
        to_ollama_messages(None, [{"role": "user", "content": [part]}])
    assert str(raised.value) == message


def test_items_ollama_cannot_represent_are_refused() -> None:
    with pytest.raises(UserError) as raised:
        to_ollama_messages(None, [{"type": "web_search_call", "id": "ws_1", "status": "completed"}])  # type: ignore[list-item]
    assert str(raised.value) == (
        "Ollama models cannot replay web_search_call items from the conversation history."
    )
    with pytest.raises(UserError) as raised:
        to_ollama_messages(None, [{"type": "function_call", "call_id": "c", "name": "f", "arguments": "[1]"}])
    assert str(raised.value) == (
        "The arguments of the function call f in the history are not a JSON object: [1]"
    )


def request(**overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "model": "llama3",
        "system_instructions": None,
        "input": "hi",
        "model_settings": ModelSettings(),
        "tools": [],
        "output_schema": None,
        "handoffs": [],
        "previous_response_id": None,
        "conversation_id": None,
        "prompt": None,
    }
    arguments.update(overrides)
    return to_ollama_chat_request(**arguments)


def test_a_bare_request_has_only_model_and_messages() -> None:
    assert request() == {"model": "llama3", "messages": [{"role": "user", "content": "hi"}]}


def test_structured_output_becomes_the_format_schema() -> None:
    class Forecast(BaseModel):
        city: str
        celsius: float

    schema = AgentOutputSchema(Forecast)
    assert request(output_schema=schema)["format"] == schema.json_schema()
    assert "format" not in request(output_schema=AgentOutputSchema(str))


def test_server_managed_conversations_and_hosted_tools_are_refused() -> None:
    with pytest.raises(UserError) as raised:
        request(previous_response_id="resp_1", conversation_id="conv_1")
    assert str(raised.value) == (
        "Ollama models do not support previous_response_id, conversation_id: Ollama keeps no "
        "server-side conversations or prompt templates. Pass the conversation as input (or use a "
        "session) and the instructions on the agent."
    )
    with pytest.raises(UserError, match="Ollama models support only function tools; the WebSearchTool tool"):
        request(tools=[WebSearchTool()])


def chunk(content: str = "", *, thinking: str | None = None, tool_calls: list[Any] | None = None, done: bool = False) -> ChatResponse:
    counters = {"prompt_eval_count": 7, "eval_count": 5} if done else {}
    return ChatResponse(
        model="llama3",
        done=done,
        message=Message(role="assistant", content=content, thinking=thinking, tool_calls=tool_calls),
        **counters,
    )


def tool_call(name: str, arguments: dict[str, Any]) -> Message.ToolCall:
    return Message.ToolCall(function=Message.ToolCall.Function(name=name, arguments=arguments))


async def stream_of(*chunks: ChatResponse) -> AsyncIterator[ChatResponse]:
    for item in chunks:
        yield item


async def test_stream_orders_reasoning_message_and_function_calls() -> None:
    events = [
        event
        async for event in to_stream_events(
            stream_of(
                chunk(thinking="Hmm, "),
                chunk(thinking="weather."),
                chunk("Checking "),
                chunk("now."),
                chunk(tool_calls=[tool_call("get_weather", {"city": "Zürich"})]),
                chunk(done=True),
            ),
            "llama3",
        )
    ]

    assert [event.sequence_number for event in events] == list(range(len(events)))
    added = {event.output_index: event.item.type for event in events if event.type == "response.output_item.added"}
    done = {event.output_index: event.item for event in events if event.type == "response.output_item.done"}
    assert added == {0: "reasoning", 1: "message", 2: "function_call"}
    assert {event.output_index for event in events if event.type == "response.output_text.delta"} == {1}
    completed = events[-1]
    assert completed.type == "response.completed"
    reasoning, message, call = completed.response.output
    assert list(done.values()) == [reasoning, message, call]
    assert isinstance(reasoning, ResponseReasoningItem) and reasoning.content[0].text == "Hmm, weather."
    assert isinstance(message, ResponseOutputMessage) and message.content[0].text == "Checking now."
    assert isinstance(call, ResponseFunctionToolCall)
    assert (call.name, call.arguments) == ("get_weather", '{"city":"Zürich"}')
    assert call.call_id.startswith("call_")
    usage = completed.response.usage
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (7, 5, 12)


async def test_a_stream_without_its_done_message_is_an_error() -> None:
    with pytest.raises(ModelBehaviorError, match=r'The Ollama stream ended before its final \("done"\) message.'):
        async for _ in to_stream_events(stream_of(chunk("partial")), "llama3"):
            pass


def test_whole_replies_always_have_a_message_or_calls() -> None:
    empty = to_model_response(chunk(done=True))
    assert [item.type for item in empty.output] == ["message"]
    assert empty.output[0].content[0].text == ""

    calls_only = to_model_response(
        chunk(tool_calls=[tool_call("a", {}), tool_call("b", {"x": 1})], done=True)
    )
    assert [(item.type, item.name, item.arguments) for item in calls_only.output] == [
        ("function_call", "a", "{}"),
        ("function_call", "b", '{"x":1}'),
    ]
    assert calls_only.output[0].call_id != calls_only.output[1].call_id
    assert (calls_only.usage.requests, calls_only.usage.input_tokens, calls_only.usage.output_tokens) == (1, 7, 5)
