"""The RunState a segment starts from, as journaled in ``segment_started.state`` and back."""

from __future__ import annotations

from typing import Any

from agents import Agent
from agents.run_state import RunState

from ..portable_state.from_portable import from_portable_run_state
from ..portable_state.to_portable import to_portable_run_state
from ..store.sdk_info import SDK_NAME, SDK_VERSION
from .errors import DurableRunUnsupportedError
from .journal import Json


def state_record(state: RunState[Any, Any]) -> Json:
    """This SDK's serialisation, and the portable form the other language loads (None if it has none)."""
    portable: Any = None
    try:
        portable = to_portable_run_state(state)
    except Exception:  # noqa: BLE001 - not portable (e.g. hosted MCP approvals): resumable only in this SDK
        portable = None
    return {"sdk": SDK_NAME, "sdk_version": SDK_VERSION, "native": state.to_string(), "portable": portable}


async def load_state(record: Json, graph: Agent[Any], run_id: str, context: Any) -> RunState[Any, Any]:
    """The RunState of ``record`` on the journaled agent graph: natively when this SDK wrote it."""
    if record["sdk"] == SDK_NAME:
        return await RunState.from_string(graph, record["native"], context_override=context)
    if record["portable"] is not None:
        return await from_portable_run_state(record["portable"], graph, context=context)
    raise DurableRunUnsupportedError(
        f"Durable run {run_id} continues from a RunState of {record['sdk']} that has no portable form; resume it with {record['sdk']}.",
        run_id,
    )
