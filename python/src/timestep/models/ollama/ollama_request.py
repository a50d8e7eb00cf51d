"""Conversion of an Agents SDK model request into an Ollama ``/api/chat`` request."""

from __future__ import annotations

from typing import Any

from agents.agent_output import AgentOutputSchemaBase
from agents.exceptions import UserError
from agents.handoffs import Handoff
from agents.items import TResponseInputItem
from agents.model_settings import ModelSettings
from agents.tool import FunctionTool, Tool, ensure_function_tool_supports_responses_only_features
from openai.types.responses import ResponsePromptParam

from .ollama_messages import to_ollama_messages


def to_ollama_chat_request(
    model: str,
    system_instructions: str | None,
    input: str | list[TResponseInputItem],
    model_settings: ModelSettings,
    tools: list[Tool],
    output_schema: AgentOutputSchemaBase | None,
    handoffs: list[Handoff[Any, Any]],
    *,
    previous_response_id: str | None,
    conversation_id: str | None,
    prompt: ResponsePromptParam | None,
) -> dict[str, Any]:
    """Keyword arguments of ``ollama.AsyncClient.chat`` (all but ``stream``) for this request.

    Model settings map to Ollama options (temperature, top_p, max_tokens → num_predict,
    frequency/presence penalties); settings Ollama has no equivalent for (tool_choice,
    parallel_tool_calls, truncation, store, …) are ignored. ``model_settings.extra_args``
    is merged into the arguments, its ``options`` into the options, so Ollama-only fields
    such as ``think``, ``keep_alive`` or ``options={"num_ctx": …}`` can be set.
    """
    _reject_server_managed_state(previous_response_id, conversation_id, prompt)
    extra = dict(model_settings.extra_args or {})
    options = {**_settings_options(model_settings), **(extra.pop("options", None) or {})}
    request: dict[str, Any] = {
        **extra,
        "model": model,
        "messages": to_ollama_messages(system_instructions, input),
    }
    ollama_tools = _to_ollama_tools(tools, handoffs)
    if ollama_tools:
        request["tools"] = ollama_tools
    if options:
        request["options"] = options
    if output_schema is not None and not output_schema.is_plain_text():
        request["format"] = output_schema.json_schema()
    return request


def _settings_options(settings: ModelSettings) -> dict[str, Any]:
    options = {
        "temperature": settings.temperature,
        "top_p": settings.top_p,
        "num_predict": settings.max_tokens,
        "frequency_penalty": settings.frequency_penalty,
        "presence_penalty": settings.presence_penalty,
    }
    return {name: value for name, value in options.items() if value is not None}


def _to_ollama_tools(tools: list[Tool], handoffs: list[Handoff[Any, Any]]) -> list[dict[str, Any]]:
    """Function tools and handoffs (which the model sees as function tools)."""
    converted: list[dict[str, Any]] = []
    for tool in tools:
        if not isinstance(tool, FunctionTool):
            raise UserError(
                f'Ollama models support only function tools; the {type(tool).__name__} tool '
                f'"{tool.name}" cannot be used.'
            )
        ensure_function_tool_supports_responses_only_features(tool, backend_name="Ollama models")
        converted.append(_ollama_tool(tool.name, tool.description, tool.params_json_schema))
    for handoff in handoffs:
        converted.append(
            _ollama_tool(handoff.tool_name, handoff.tool_description, handoff.input_json_schema)
        )
    return converted


def _ollama_tool(name: str, description: str, parameters: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": parameters},
    }


def _reject_server_managed_state(
    previous_response_id: str | None, conversation_id: str | None, prompt: ResponsePromptParam | None
) -> None:
    """These are OpenAI Responses features with no Ollama counterpart; ignoring them would
    silently drop the history or the prompt, so refuse instead."""
    unsupported = [
        name
        for name, value in (
            ("previous_response_id", previous_response_id),
            ("conversation_id", conversation_id),
            ("prompt", prompt),
        )
        if value
    ]
    if unsupported:
        raise UserError(
            f"Ollama models do not support {', '.join(unsupported)}: Ollama keeps no server-side "
            "conversations or prompt templates. Pass the conversation as input (or use a session) "
            "and the instructions on the agent."
        )
