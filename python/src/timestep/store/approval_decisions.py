"""Approval decisions stored beside a run (``timestep_approval_decisions``, spec/migrations/0005).

``timestep runs approve|reject`` stores them from another process; ``RunStateStore.load``
applies them to the state it returns, so a decision takes effect when the run next
resumes. Storing the decision instead of writing a new run state version keeps the
decider from racing the run's own writer for the next version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from agents.run_state import RunState

from .database import Queryable


@dataclass(frozen=True)
class ApprovalDecision:
    """One stored decision on one tool call of a run."""

    run_id: str
    call_id: str
    decision: Literal["approve", "reject"]
    reason: str
    """Why; for a rejection also the message the model receives."""
    decided_by: str
    decided_at: datetime
    tool: str


async def decisions_for(db: Queryable, run_id: str) -> list[ApprovalDecision]:
    """The run's stored decisions, oldest first."""
    rows = await db.query(
        "SELECT run_id, call_id, decision, reason, decided_by, decided_at, tool"
        " FROM timestep_approval_decisions WHERE run_id = %s ORDER BY decided_at, call_id",
        (run_id,),
    )
    return [ApprovalDecision(**row) for row in rows]


def apply_decisions(state: RunState[Any, Any], decisions: list[ApprovalDecision]) -> None:
    """Applies stored decisions to interruptions the state itself has not decided (the caller's own decision wins)."""
    by_call = {decision.call_id: decision for decision in decisions}
    # RunState has no public accessor for its context wrapper, which holds the decisions.
    context = getattr(state, "_context", None)
    for item in state.get_interruptions():
        raw = item.raw_item
        call_id = raw.get("call_id") if isinstance(raw, dict) else getattr(raw, "call_id", None)
        decision = by_call.get(call_id) if isinstance(call_id, str) else None
        tool = item.tool_name or item.name or ""
        if decision is None or (context is not None and context.is_tool_approved(tool, call_id) is not None):
            continue
        if decision.decision == "approve":
            state.approve(item)
        else:
            state.reject(item, rejection_message=decision.reason)
