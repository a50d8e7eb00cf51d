"""Timestep: durable, cross-language runs for the OpenAI Agents SDK."""

# First, before anything imports the SDK: importing it checks the SDK's version.
from . import sdk_version  # noqa: F401
from .durable import (
    DurableOptions,
    DurableRunConflictError,
    DurableRunDivergedError,
    DurableRunError,
    DurableRunMismatchError,
    DurableRunUnsupportedError,
    DurableStreamEvent,
    durable_stream_events,
    idempotent,
)
from .errors import (
    ApprovalAlreadyDecidedError,
    ApprovalNotFoundError,
    EmbeddedStoreLockedError,
    EmbeddedStoreUnavailableError,
    IncompatibleStoreError,
    InsecureSocketDirectoryError,
    InvalidIdentifierError,
    InvalidRunStateError,
    RunStateConflictError,
    RunStateNotFoundError,
    StoreClosedError,
    StoreTimeoutError,
    StoreUnavailableError,
    TimestepError,
    UnstorableValueError,
    UnsupportedSdkVersionError,
)
from .models.multi_model_provider import MultiModelProvider
from .models.multi_model_provider_map import MultiModelProviderMap
from .models.ollama import OllamaModel, OllamaModelProvider
from .portable_state import (
    AgentGraphMismatchError,
    UnportableRunStateError,
    UnsupportedRunStateVersionError,
    parse_portable_run_state,
)
from .runner import RunAgentOptions, RunInput, consume_result, run_agent
from .session import DurableSession
from .store import (
    PendingApproval,
    RunStateStore,
    RunStateVersion,
    RunStatus,
    StoreOptions,
    StoreTarget,
    app_directory,
    resolve_store_target,
)

__all__ = [
    "AgentGraphMismatchError",
    "ApprovalAlreadyDecidedError",
    "ApprovalNotFoundError",
    "DurableOptions",
    "DurableRunConflictError",
    "DurableRunDivergedError",
    "DurableRunError",
    "DurableRunMismatchError",
    "DurableRunUnsupportedError",
    "DurableSession",
    "DurableStreamEvent",
    "EmbeddedStoreLockedError",
    "EmbeddedStoreUnavailableError",
    "IncompatibleStoreError",
    "InsecureSocketDirectoryError",
    "InvalidIdentifierError",
    "InvalidRunStateError",
    "MultiModelProvider",
    "MultiModelProviderMap",
    "OllamaModel",
    "OllamaModelProvider",
    "PendingApproval",
    "RunAgentOptions",
    "RunInput",
    "RunStateConflictError",
    "RunStateNotFoundError",
    "RunStateStore",
    "RunStateVersion",
    "RunStatus",
    "StoreClosedError",
    "StoreTimeoutError",
    "StoreOptions",
    "StoreTarget",
    "StoreUnavailableError",
    "TimestepError",
    "UnportableRunStateError",
    "UnsupportedRunStateVersionError",
    "UnsupportedSdkVersionError",
    "UnstorableValueError",
    "app_directory",
    "consume_result",
    "durable_stream_events",
    "idempotent",
    "parse_portable_run_state",
    "resolve_store_target",
    "run_agent",
]
