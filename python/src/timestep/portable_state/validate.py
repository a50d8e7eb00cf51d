"""Checks a value against spec/portable-run-state/schema.json (version 1).

The rules mirror the JSON Schema one for one, as the TypeScript validator
does; keep them in step with it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from ..errors import InvalidRunStateError
from .errors import UnsupportedRunStateVersionError

PORTABLE_RUN_STATE_FORMAT = "timestep.portable-run-state"
SUPPORTED_PORTABLE_RUN_STATE_VERSIONS = (1,)

Check = Callable[[Any, str], None]

_ITEM_TYPES = (
    "message_output", "tool_call", "tool_call_output", "handoff_call", "handoff_output", "reasoning", "tool_approval",
)


class _Malformed(Exception):
    """One broken rule, with the path of the value that breaks it."""


def _fail(path: str, message: str) -> NoReturn:
    raise _Malformed(f"{path or '(root)'}: {message}")


def _string(value: Any, path: str) -> None:
    if not isinstance(value, str):
        _fail(path, "expected a string")


def _agent_name(value: Any, path: str) -> None:
    if not isinstance(value, str) or not value:
        _fail(path, "expected a non-empty agent name")


def _integer(minimum: int) -> Check:
    def check(value: Any, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            _fail(path, f"expected an integer >= {minimum}")

    return check


def _any(value: Any, path: str) -> None:
    """Any JSON value."""


def _nullable(check: Check) -> Check:
    def nullable(value: Any, path: str) -> None:
        if value is not None:
            check(value, path)

    return nullable


def _array(check: Check, min_items: int = 0) -> Check:
    def array(value: Any, path: str) -> None:
        if not isinstance(value, list) or len(value) < min_items:
            _fail(path, f"expected an array of at least {min_items} items")
        for index, item in enumerate(value):
            check(item, f"{path}.{index}")

    return array


def _record(check: Check) -> Check:
    def record(value: Any, path: str) -> None:
        if not isinstance(value, dict):
            _fail(path, "expected an object")
        for key, item in value.items():
            check(item, f"{path}.{key}")

    return record


def _object(required: Mapping[str, Check], optional: Mapping[str, Check] | None = None) -> Check:
    """A strict object: the required and optional properties, no others."""
    optional = optional or {}

    def check(value: Any, path: str) -> None:
        if not isinstance(value, dict):
            _fail(path, "expected an object")
        for key in value.keys() - required.keys() - optional.keys():
            _fail(f"{path}.{key}" if path else key, "unknown property")
        for key, rule in required.items():
            if key not in value:
                _fail(f"{path}.{key}" if path else key, "required")
            rule(value[key], f"{path}.{key}" if path else key)
        for key, rule in optional.items():
            if key in value:
                rule(value[key], f"{path}.{key}" if path else key)

    return check


def _enum(*allowed: object) -> Check:
    def check(value: Any, path: str) -> None:
        if value not in allowed or isinstance(value, bool) != isinstance(allowed[0], bool):
            _fail(path, f"expected one of {', '.join(json.dumps(a) for a in allowed)}")

    return check


def _responses_item(value: Any, path: str) -> None:
    if not isinstance(value, dict) or ("type" not in value and "role" not in value):
        _fail(path, 'a Responses item needs "type" or "role"')


def _decision(value: Any, path: str) -> None:
    if not isinstance(value, bool):
        _array(_string)(value, path)


def _step(value: Any, path: str) -> None:
    if value is None:
        return
    variants: dict[str, Check] = {
        "interruption": _object({"type": _any, "interruptions": _array(_interruption, min_items=1)}),
        "final_output": _object({"type": _any, "output": _any}),
        "run_again": _object({"type": _any}),
        "handoff": _object({"type": _any, "new_agent": _agent_name}),
    }
    kind = value.get("type") if isinstance(value, dict) else None
    if not isinstance(kind, str) or kind not in variants:
        _fail(path, f"expected null or a step of type {', '.join(variants)}")
    variants[kind](value, path)


_usage = _object(
    {name: _integer(0) for name in ("requests", "input_tokens", "output_tokens", "total_tokens")},
    {"input_tokens_details": _record(_integer(0)), "output_tokens_details": _record(_integer(0))},
)
_interruption = _object({"agent": _agent_name, "tool_name": _string, "raw": _responses_item})
_guardrail_result = _object({"name": _string, "tripwire_triggered": _enum(True, False)}, {"output_info": _any})
_portable_run_state = _object(
    {
        "format": _enum(PORTABLE_RUN_STATE_FORMAT),
        "version": _enum(1),
        "producer": _object(
            {"sdk": _enum("@openai/agents", "openai-agents"), "sdk_version": _string, "native_schema_version": _string}
        ),
        "current_agent": _agent_name,
        "current_turn": _integer(0),
        "original_input": lambda value, path: None if isinstance(value, str) else _array(_responses_item)(value, path),
        "generated_items": _array(
            _object(
                {"type": _enum(*_ITEM_TYPES), "raw": _responses_item},
                {"agent": _agent_name, "target_agent": _agent_name, "tool_name": _string},
            )
        ),
        "model_responses": _array(
            _object({"output": _array(_responses_item), "usage": _usage}, {"response_id": _nullable(_string)})
        ),
        "usage": _usage,
        "step": _step,
        "approvals": _record(
            _object(
                {"approved": _decision, "rejected": _decision},
                {"rejection_messages": _record(_string), "sticky_rejection_message": _string, "agent": _agent_name},
            )
        ),
    },
    {
        "max_turns": _nullable(_integer(1)),
        "tool_use_tracker": _record(_array(_string)),
        "input_guardrail_results": _array(_guardrail_result),
        "output_guardrail_results": _array(_guardrail_result),
        "trace": _nullable(
            _object(
                {"trace_id": _string},
                {
                    "workflow_name": _nullable(_string),
                    "group_id": _nullable(_string),
                    "metadata": _nullable(_record(_any)),
                },
            )
        ),
        "context": _any,
    },
)


def parse_portable_run_state(value: str | Any) -> dict[str, Any]:
    """Parses (if given text) and validates a portable run state.

    Not JSON, not an object, not this format, or breaking a schema rule →
    ``InvalidRunStateError``; a ``version`` this reader does not know →
    ``UnsupportedRunStateVersionError``.
    """
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as error:
            raise InvalidRunStateError(
                f"Portable run state is not valid JSON ({error}); it may be truncated."
            ) from error
    if not isinstance(value, dict):
        raise InvalidRunStateError(f"Portable run state must be a JSON object, got {type(value).__name__}.")
    if value.get("format") != PORTABLE_RUN_STATE_FORMAT:
        raise InvalidRunStateError(
            f'Not a portable run state: "format" is {json.dumps(value.get("format"))}, '
            f'expected "{PORTABLE_RUN_STATE_FORMAT}".'
        )
    version = value.get("version")
    if isinstance(version, bool) or version not in SUPPORTED_PORTABLE_RUN_STATE_VERSIONS:
        raise UnsupportedRunStateVersionError(
            f"Portable run state version {json.dumps(version)} is not supported; this Timestep reads version(s) "
            f"{', '.join(map(str, SUPPORTED_PORTABLE_RUN_STATE_VERSIONS))}. Upgrade Timestep to load it.",
            version,
        )
    try:
        _portable_run_state(value, "")
    except _Malformed as error:
        raise InvalidRunStateError(f"Portable run state is malformed: {error}.") from None
    return value
