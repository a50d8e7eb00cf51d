"""Workers that claim durable runs and resume them (spec/run-journal, "Leases and workers")."""

from .run_worker import RunWorker, RunWorkerEvent

__all__ = ["RunWorker", "RunWorkerEvent"]
