"""Durable runs: ``run_agent(..., durable=DurableOptions(run_id=...))`` (spec/run-journal)."""

from .durable_run import DurableOptions, submit_run
from .durable_stream_events import DurableStreamEvent, DurableStreamPosition, durable_stream_events
from .errors import (
    DurableRunConflictError,
    DurableRunDivergedError,
    DurableRunError,
    DurableRunMismatchError,
    DurableRunUnreadableError,
    DurableRunUnsupportedError,
)
from .graph_fingerprint import graph_fingerprint
from .journaling_tools import idempotent

__all__ = [
    "DurableOptions",
    "DurableRunConflictError",
    "DurableRunDivergedError",
    "DurableRunError",
    "DurableRunMismatchError",
    "DurableRunUnreadableError",
    "DurableRunUnsupportedError",
    "DurableStreamEvent",
    "DurableStreamPosition",
    "durable_stream_events",
    "graph_fingerprint",
    "idempotent",
    "submit_run",
]
