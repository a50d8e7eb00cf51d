"""A model whose responses are journaled as they arrive and replayed on resume."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from agents.agent_output import AgentOutputSchemaBase
from agents.handoffs import Handoff
from agents.items import ModelResponse, TResponseInputItem, TResponseOutputItem, TResponseStreamEvent
from agents.model_settings import ModelSettings
from agents.models.interface import Model, ModelProvider, ModelTracing
from agents.retry import ModelRetryAdvice, ModelRetryAdviceRequest
from agents.tool import Tool
from agents.usage import Usage
from openai.types.responses import Response, ResponseCompletedEvent, ResponseOutputItemDoneEvent, ResponseUsage
from openai.types.responses.response_prompt_param import ResponsePromptParam
from openai.types.responses.response_usage import InputTokensDetails, OutputTokensDetails

from .journaled_response import with_own_tool_names
from .run_replay import RunReplay


class ReplayedResponseCompleted(ResponseCompletedEvent):
    """The ``response.completed`` event a streamed replay makes up in place of a journaled call.

    It carries nothing the client has not seen, so ``durable_stream_events`` leaves it out.
    """


def _input_item_count(input: str | list[TResponseInputItem]) -> int:
    return 1 if isinstance(input, str) else len(input)


def _completed_event(response: ModelResponse) -> ReplayedResponseCompleted:
    usage = response.usage
    return ReplayedResponseCompleted.model_construct(
        type="response.completed",
        sequence_number=0,
        response=Response.model_construct(
            id=response.response_id or "",
            object="response",
            output=list(response.output),
            usage=ResponseUsage.model_construct(
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                total_tokens=usage.total_tokens,
                input_tokens_details=InputTokensDetails.model_construct(**usage.input_tokens_details.model_dump()),
                output_tokens_details=OutputTokensDetails.model_construct(**usage.output_tokens_details.model_dump()),
            ),
        ),
    )


def _response_of(completed: Response, streamed_output: list[TResponseOutputItem]) -> ModelResponse:
    """The finished response of a streamed call, as the SDK's run loop reads it."""
    usage = completed.usage
    return ModelResponse(
        # Some backends leave the terminal output empty and only stream the items (the SDK copes too).
        output=list(completed.output) or streamed_output,
        usage=Usage(
            requests=1,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            total_tokens=usage.total_tokens,
            input_tokens_details=usage.input_tokens_details,
            output_tokens_details=usage.output_tokens_details,
        )
        if usage is not None
        else Usage(),
        response_id=completed.id,
        request_id=getattr(completed, "_request_id", None),
    )


class JournalingModel(Model):
    """``inner``, with every response journaled as it arrives, and replayed on resume."""

    def __init__(self, inner: Model, replay: RunReplay) -> None:
        self._inner = inner
        self._replay = replay

    def get_retry_advice(self, request: ModelRetryAdviceRequest) -> ModelRetryAdvice | None:
        # The inner model's advice, so the SDK retries a failed live call as it would without journaling.
        return self._inner.get_retry_advice(request)

    async def close(self) -> None:
        await self._inner.close()

    async def _cleanup_on_run_end(self, owner: object) -> None:
        await self._inner._cleanup_on_run_end(owner)

    async def get_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        model_settings: ModelSettings,
        tools: list[Tool],
        output_schema: AgentOutputSchemaBase | None,
        handoffs: list[Handoff[Any, Any]],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None,
        conversation_id: str | None,
        prompt: ResponsePromptParam | None,
    ) -> ModelResponse:
        # A tool's own model call (an agent used as a tool) is neither replayed nor journaled.
        journaled = not self._replay.inside_tool
        input_items = _input_item_count(input)
        recorded = self._replay.replay_response(input_items) if journaled else None
        if recorded is not None:
            return with_own_tool_names(recorded, tools, handoffs)
        response = await self._inner.get_response(
            system_instructions,
            input,
            model_settings,
            tools,
            output_schema,
            handoffs,
            tracing,
            previous_response_id=previous_response_id,
            conversation_id=conversation_id,
            prompt=prompt,
        )
        if journaled:
            await self._replay.record_response(response, input_items)
        return response

    async def stream_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        model_settings: ModelSettings,
        tools: list[Tool],
        output_schema: AgentOutputSchemaBase | None,
        handoffs: list[Handoff[Any, Any]],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None,
        conversation_id: str | None,
        prompt: ResponsePromptParam | None,
    ) -> AsyncIterator[TResponseStreamEvent]:
        journaled = not self._replay.inside_tool
        input_items = _input_item_count(input)
        recorded = self._replay.replay_response(input_items) if journaled else None
        if recorded is not None:
            # A replayed call has no deltas: the run only needs the finished response.
            yield _completed_event(with_own_tool_names(recorded, tools, handoffs))
            return
        streamed_output: list[TResponseOutputItem] = []
        async for event in self._inner.stream_response(
            system_instructions,
            input,
            model_settings,
            tools,
            output_schema,
            handoffs,
            tracing,
            previous_response_id=previous_response_id,
            conversation_id=conversation_id,
            prompt=prompt,
        ):
            if isinstance(event, ResponseOutputItemDoneEvent):
                streamed_output.append(event.item)
            elif isinstance(event, ResponseCompletedEvent) and journaled:
                # Stored before the run sees it (record_response of a streamed run): the stream's
                # consumer acts on the events as they come.
                await self._replay.record_response(_response_of(event.response, streamed_output), input_items)
            yield event


class JournalingModelProvider(ModelProvider):
    """Resolves model names with ``inner`` and journals every model it returns."""

    def __init__(self, inner: ModelProvider, replay: RunReplay) -> None:
        self._inner = inner
        self._replay = replay

    def get_model(self, model_name: str | None) -> Model:
        return JournalingModel(self._inner.get_model(model_name), self._replay)

    async def aclose(self) -> None:
        await self._inner.aclose()
