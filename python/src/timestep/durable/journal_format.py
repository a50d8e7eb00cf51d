"""What a readable journal entry looks like (spec/run-journal).

Checked when a run is opened, so a journal from a newer Timestep or an entry
damaged by hand stops the call before it replays or writes anything, with the
entry named, instead of failing somewhere inside the SDK. The twin of the
TypeScript package's ``src/durable/journalFormat.ts``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .errors import DurableRunUnreadableError
from .journal import RUN_JOURNAL_FORMAT, RUN_JOURNAL_VERSION, JournalEntry, RunJournal

_ORDINAL = re.compile(r"(0|[1-9][0-9]*)")
_CALL_KEY = re.compile(r"(0|[1-9][0-9]*):.", re.DOTALL)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _problem_of(entry: JournalEntry) -> str | None:
    """What is wrong with the entry, or None when this version reads it."""
    body: Any = entry.body
    if not isinstance(body, dict):
        return "its body is not a JSON object"
    if entry.kind == "segment_started":
        version = body.get("version")
        if body.get("format") != RUN_JOURNAL_FORMAT:
            return f"its format is {json.dumps(body.get('format'))}, not {RUN_JOURNAL_FORMAT}"
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            return f"its version {json.dumps(version)} is not a version number"
        if version > RUN_JOURNAL_VERSION:
            return (
                f"it was written in journal version {version}, and this Timestep reads up to version "
                f"{RUN_JOURNAL_VERSION} (upgrade Timestep)"
            )
        if not isinstance(body.get("agent"), str):
            return "it names no agent"
        if body.get("input") is not None and not isinstance(body.get("input"), list):
            return "its input is not a list of items"
        if body.get("state") is not None and not isinstance(body.get("state"), dict):
            return "its state is not an object"
        session = body.get("session")
        if session is not None and not (
            isinstance(session, dict) and isinstance(session.get("id"), str) and _is_count(session.get("items_before"))
        ):
            return "its session is not { id, items_before }"
        return None
    if entry.kind == "model_response":
        if entry.key is None or not _ORDINAL.fullmatch(entry.key):
            return "its key is not a response ordinal"
        if not _is_count(body.get("input_items")):
            return "its input_items is not a count"
        output = body.get("output")
        if not isinstance(output, list) or not all(isinstance(item, dict) for item in output):
            return "its output is not a list of items"
        usage = body.get("usage")
        if not isinstance(usage, dict) or not _is_count(usage.get("input_tokens")) or not _is_count(usage.get("output_tokens")):
            return "its usage has no input_tokens and output_tokens counts"
        return None
    if entry.kind in ("tool_started", "tool_result", "tool_in_doubt"):
        return None if entry.key is not None and _CALL_KEY.match(entry.key) else "its key is not <ordinal>:<call id>"
    if entry.kind == "segment_ended":
        outcome = body.get("outcome")
        return None if outcome in ("finished", "interrupted") else f"its outcome {json.dumps(outcome)} is unknown"
    return f"its kind {json.dumps(entry.kind)} is unknown"


def check_readable(journal: RunJournal) -> None:
    """Raises ``DurableRunUnreadableError`` naming the first entry this version cannot read.

    A journal of an existing run must start with ``segment_started``.
    """

    def unreadable(what: str) -> DurableRunUnreadableError:
        message = f"Cannot read the journal of durable run {journal.run_id}: {what}. Nothing was written."
        return DurableRunUnreadableError(message, journal.run_id)

    if journal.run is not None and (not journal.entries or journal.entries[0].kind != "segment_started"):
        raise unreadable("it does not start with a segment_started entry")
    for entry in journal.entries:
        problem = _problem_of(entry)
        if problem is not None:
            raise unreadable(f"entry {entry.seq} ({entry.kind}) — {problem}")
