"""Function tools whose calls are journaled, and the idempotent declaration."""

from __future__ import annotations

import copy
import inspect
import json
from typing import Any, TypeVar

from agents import FunctionTool, RunContextWrapper
from agents.tool_context import ToolContext
from pydantic_core import to_jsonable_python

from .run_replay import RunReplay

_IDEMPOTENT = "_timestep_idempotent"

T = TypeVar("T", bound=FunctionTool)


def idempotent(tool: T) -> T:
    """Declares that running ``tool`` twice for one call is harmless; returns ``tool`` itself.

    E.g. a lookup, or an upsert keyed by the call. In a durable run, a call of
    such a tool that was started but never journaled a result (the process
    died meanwhile) is simply run again; any other tool's call is then
    surfaced as an approval request.
    """
    if not isinstance(tool, FunctionTool):
        raise TypeError(f"idempotent(tool): tool must be a FunctionTool (made with @function_tool), got {type(tool).__name__}.")
    setattr(tool, _IDEMPOTENT, True)
    return tool


def is_idempotent(tool: FunctionTool) -> bool:
    return getattr(tool, _IDEMPOTENT, False) is True


def _as_json(output: Any) -> Any:
    """What a tool returned, as the JSON the journal keeps; live runs use it too, so replays see the same value.

    The SDK's structured outputs (``ToolOutputText``, ...) become their JSON, which the SDK reads
    back as such; anything else JSON cannot hold becomes the text the SDK would send the model.
    """
    return to_jsonable_python(output, fallback=str)


def journaled_tool(tool: FunctionTool, replay: RunReplay) -> FunctionTool:
    """A copy of ``tool`` whose calls are journaled by ``replay``.

    ``tool_started`` is stored (with every entry before it) before the tool
    runs, and ``tool_result`` is appended after (written while the run goes
    on, unless it is streamed); a call with a recorded result returns it
    without running. A call that is in doubt
    (started, no result) asks for approval unless the tool is ``idempotent``:
    approving runs it again, rejecting gives the model the SDK's rejection
    message.
    """
    own_policy = tool.needs_approval
    invoke = tool.on_invoke_tool

    async def needs_approval(context: RunContextWrapper[Any], params: dict[str, Any], call_id: str) -> bool:
        key = replay.tool_key(call_id)
        if replay.is_in_doubt(key):
            await replay.report_in_doubt(
                key, {"call_id": call_id, "tool": tool.name, "arguments": json.dumps(params, separators=(",", ":"))}
            )
            return True
        if isinstance(own_policy, bool):
            return own_policy
        decided = own_policy(context, params, call_id)
        return bool(await decided if inspect.isawaitable(decided) else decided)

    async def on_invoke_tool(context: ToolContext[Any], arguments: str) -> Any:
        key = replay.tool_key(context.tool_call_id)
        recorded = replay.recorded_result(key)
        if recorded is not None:
            return recorded.get("output")
        # The key names the call; its arguments are in the response that asked for it (spec/run-journal).
        await replay.tool_started(key)
        output = _as_json(await replay.run_tool(invoke(context, arguments)))
        await replay.tool_finished(key, {} if output is None else {"output": output})
        return output

    # A shallow copy keeps every other setting (schema, guardrails, timeouts) of the user's tool,
    # which itself stays untouched for runs that are not durable.
    journaled = copy.copy(tool)
    # Only an execution that found calls in doubt asks about them; otherwise the tool's own
    # approval policy stays exactly as it was (a callable policy changes how the SDK parses arguments).
    if replay.has_calls_in_doubt() and not is_idempotent(tool):
        journaled.needs_approval = needs_approval
    journaled.on_invoke_tool = on_invoke_tool
    return journaled
