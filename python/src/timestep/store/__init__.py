"""The Timestep store: run states and session items on the embedded store or PostgreSQL."""

from .app_directory import app_directory
from .connect import StoreOptions, StoreTarget, resolve_store_target
from .run_state_store import PendingApproval, RunStateStore, RunStateVersion, RunStatus

__all__ = [
    "PendingApproval",
    "RunStateStore",
    "RunStateVersion",
    "RunStatus",
    "StoreOptions",
    "StoreTarget",
    "app_directory",
    "resolve_store_target",
]
