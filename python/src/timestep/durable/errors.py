"""Errors of durable runs (``run_agent(..., durable=DurableOptions(run_id=...))``).

The names and meanings match the TypeScript package's ``src/durable/errors.ts``.
"""

from __future__ import annotations

from ..errors import TimestepError


class DurableRunError(TimestepError):
    """Base class of the errors of durable runs; ``run_id`` names the run."""

    def __init__(self, message: str, run_id: str) -> None:
        super().__init__(message)
        self.run_id = run_id


class DurableRunConflictError(DurableRunError):
    """Another process wrote to the run's journal while this one was running it.

    Two resumers of one run id: this process stopped before executing anything
    the journal had not accepted; let the other one finish the run.
    """


class DurableRunMismatchError(DurableRunError):
    """The call does not fit the journal of the run id.

    Different input, a different session or starting agent, or a ``RunState``
    given while the run is not waiting for approvals. Nothing was written.
    """


class DurableRunDivergedError(DurableRunError):
    """Replaying the journal asked for something the journal did not record at that point.

    E.g. a model request with a different number of input items: the agent is
    not deterministic between journaled steps (see the determinism rule in the
    README). Nothing was written.
    """


class DurableRunUnsupportedError(DurableRunError):
    """The agent graph or call uses something durable mode cannot journal yet.

    MCP servers, local shell/computer/apply-patch tools, server-managed
    conversations. Nothing was written.
    """


class DurableRunUnreadableError(DurableRunError):
    """The run's journal cannot be read by this version of Timestep.

    It was written by a newer one (a journal version above the one this reads),
    or an entry is not what its kind requires (edited or damaged by hand).
    Nothing was written; upgrade Timestep, or repair the entry the message names.
    """
