"""An Agents SDK ``Model`` served by Ollama's native chat API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from agents.agent_output import AgentOutputSchemaBase
from agents.handoffs import Handoff
from agents.items import ModelResponse, TResponseInputItem, TResponseOutputItem, TResponseStreamEvent
from agents.model_settings import ModelSettings
from agents.models.interface import Model, ModelTracing
from agents.tool import Tool
from agents.tracing import generation_span
from agents.tracing.span_data import GenerationSpanData
from agents.tracing.spans import Span
from agents.usage import Usage
from ollama import AsyncClient
from openai.types.responses import ResponsePromptParam, ResponseUsage

from ..errors import OllamaConnectionError
from .ollama_request import to_ollama_chat_request
from .ollama_response import to_model_response, to_stream_events


class OllamaModel(Model):
    """An Agents SDK ``Model`` served by Ollama's native chat API (``/api/chat``), through
    the official ``ollama`` client.

    Supports instructions, multi-turn history, function tools and handoffs, images,
    structured output, streaming and usage. An unreachable server raises
    ``OllamaConnectionError``; errors the server reports (e.g. an unknown model) surface as
    the client's ``ollama.ResponseError``.
    """

    def __init__(self, name: str, *, host: str, headers: dict[str, str] | None = None) -> None:
        """``host``: server address in any form the ``ollama`` client accepts, e.g.
        ``http://localhost:11434``. ``headers``: sent with every request, e.g.
        ``{"Authorization": "Bearer …"}``; they are the only credentials sent (the
        ``OLLAMA_API_KEY`` the ``ollama`` client would add by itself is not)."""
        self.name = name
        """The model name sent to Ollama, e.g. ``llama3.2:3b``."""
        self.host = host
        """The Ollama server this model talks to."""
        authorized = any(key.lower() == "authorization" for key in headers or {})
        hooks = {} if authorized else {"request": [_drop_authorization]}
        self._client = AsyncClient(host=host, headers=headers, event_hooks=hooks)

    async def get_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        model_settings: ModelSettings,
        tools: list[Tool],
        output_schema: AgentOutputSchemaBase | None,
        handoffs: list[Handoff],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None = None,
        conversation_id: str | None = None,
        prompt: ResponsePromptParam | None = None,
    ) -> ModelResponse:
        """Sends the request and returns the complete reply."""
        request = to_ollama_chat_request(
            self.name,
            system_instructions,
            input,
            model_settings,
            tools,
            output_schema,
            handoffs,
            previous_response_id=previous_response_id,
            conversation_id=conversation_id,
            prompt=prompt,
        )
        with self._span(request, model_settings, tracing) as span:
            with self._connection_errors():
                response = await self._client.chat(**request, stream=False)
            result = to_model_response(response)
            _record(span, tracing, result.output, result.usage)
            return result

    async def stream_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        model_settings: ModelSettings,
        tools: list[Tool],
        output_schema: AgentOutputSchemaBase | None,
        handoffs: list[Handoff],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None = None,
        conversation_id: str | None = None,
        prompt: ResponsePromptParam | None = None,
    ) -> AsyncIterator[TResponseStreamEvent]:
        """Sends the request and yields the reply as Responses stream events, ending with
        ``response.completed``."""
        request = to_ollama_chat_request(
            self.name,
            system_instructions,
            input,
            model_settings,
            tools,
            output_schema,
            handoffs,
            previous_response_id=previous_response_id,
            conversation_id=conversation_id,
            prompt=prompt,
        )
        with self._span(request, model_settings, tracing) as span:
            # The client sends a streamed request only when iteration starts, so the
            # connection can fail anywhere in this block.
            with self._connection_errors():
                chunks = await self._client.chat(**request, stream=True)
                async for event in to_stream_events(chunks, self.name):
                    if event.type == "response.completed":
                        _record(span, tracing, event.response.output, event.response.usage)
                    yield event

    async def close(self) -> None:
        """Closes the HTTP connections to the server."""
        await self._client.close()  # type: ignore[no-untyped-call]  # ollama declares no types for close()

    @contextmanager
    def _connection_errors(self) -> Iterator[None]:
        # For plain requests the ollama client turns httpx's connect errors into
        # ConnectionError; from streams they escape as they are.
        try:
            yield
        except (ConnectionError, httpx.ConnectError, httpx.ConnectTimeout) as error:
            raise OllamaConnectionError(self.host, error) from error

    def _span(
        self, request: dict[str, Any], model_settings: ModelSettings, tracing: ModelTracing
    ) -> Span[GenerationSpanData]:
        return generation_span(
            # Image bytes are left out: traces are exported as JSON.
            input=[
                {key: value for key, value in message.items() if key != "images"}
                for message in request["messages"]
            ]
            if tracing.include_data()
            else None,
            model=self.name,
            model_config={**model_settings.to_json_dict(), "base_url": self.host},
            disabled=tracing.is_disabled(),
        )


def _record(
    span: Span[GenerationSpanData],
    tracing: ModelTracing,
    output: list[TResponseOutputItem],
    usage: Usage | ResponseUsage | None,
) -> None:
    """Puts the usage (and, if tracing may include data, the output) on the span."""
    if usage is not None:
        span.span_data.usage = {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens}
    if tracing.include_data():
        span.span_data.output = [item.model_dump() for item in output]


async def _drop_authorization(request: httpx.Request) -> None:
    # The ollama client adds OLLAMA_API_KEY to every request on its own; Timestep sends
    # that key to ollama.com only (OllamaModelProvider passes it in as a header), so a
    # cloud key never reaches a local or third-party server.
    request.headers.pop("authorization", None)
