"""The portable run state (spec/portable-run-state): typed errors, validation, agent graph checks."""

from .errors import AgentGraphMismatchError, UnportableRunStateError, UnsupportedRunStateVersionError
from .validate import PORTABLE_RUN_STATE_FORMAT, SUPPORTED_PORTABLE_RUN_STATE_VERSIONS, parse_portable_run_state

__all__ = [
    "PORTABLE_RUN_STATE_FORMAT",
    "SUPPORTED_PORTABLE_RUN_STATE_VERSIONS",
    "AgentGraphMismatchError",
    "UnportableRunStateError",
    "UnsupportedRunStateVersionError",
    "parse_portable_run_state",
]
