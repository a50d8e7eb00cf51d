"""Validation of portable run states and its typed errors."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from store_support import REPO

from timestep import InvalidRunStateError, UnsupportedRunStateVersionError, parse_portable_run_state

VECTORS = sorted((REPO / "spec/portable-run-state/vectors").glob("*/*.json"))


def portable_of(path: Path) -> dict[str, Any]:
    portable: dict[str, Any] = json.loads(path.read_text())["portable"]
    return portable


@pytest.mark.parametrize("path", VECTORS, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_every_golden_vector_is_valid(path: Path) -> None:
    portable = portable_of(path)
    assert parse_portable_run_state(json.dumps(portable)) == portable


def test_vectors_are_there() -> None:
    assert len([path for path in VECTORS if path.parent.name == "typescript"]) == 10


@pytest.mark.parametrize("version", [2, 0, "1", None, True])
def test_unknown_versions_are_unsupported(version: object) -> None:
    portable = portable_of(VECTORS[0]) | {"version": version}
    with pytest.raises(UnsupportedRunStateVersionError, match="Upgrade Timestep") as unsupported:
        parse_portable_run_state(portable)
    assert unsupported.value.version == version


def broken(change: str) -> dict[str, Any]:
    """The first vector with one rule broken."""
    portable = copy.deepcopy(portable_of(VECTORS[0]))
    if change == "extra property":
        portable["surprise"] = 1
    elif change == "no current_agent":
        del portable["current_agent"]
    elif change == "empty agent name":
        portable["current_agent"] = ""
    elif change == "negative turn":
        portable["current_turn"] = -1
    elif change == "bad item type":
        portable["generated_items"] = [{"type": "mystery", "raw": {"type": "message"}}]
    elif change == "raw without type or role":
        portable["generated_items"] = [{"type": "message_output", "raw": {"content": "hi"}}]
    elif change == "empty interruption step":
        portable["step"] = {"type": "interruption", "interruptions": []}
    elif change == "unknown step":
        portable["step"] = {"type": "sleep"}
    elif change == "bad decision":
        portable["approvals"] = {"get_weather": {"approved": "yes", "rejected": False}}
    elif change == "max_turns zero":
        portable["max_turns"] = 0
    return portable


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ("extra property", "surprise"),
        ("no current_agent", "current_agent"),
        ("empty agent name", "current_agent"),
        ("negative turn", "current_turn"),
        ("bad item type", "generated_items.0.type"),
        ("raw without type or role", "generated_items.0.raw"),
        ("empty interruption step", "step.interruptions"),
        ("unknown step", "step"),
        ("bad decision", "approvals.get_weather.approved"),
        ("max_turns zero", "max_turns"),
    ],
)
def test_malformed_states_say_where(change: str, where: str) -> None:
    with pytest.raises(InvalidRunStateError, match=f"malformed: {where}: ") as invalid:
        parse_portable_run_state(broken(change))
    assert not isinstance(invalid.value, UnsupportedRunStateVersionError)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('{"format": "timestep.portable-run-state", "vers', "not valid JSON"),
        ("[]", "must be a JSON object"),
        ({"format": "something-else", "version": 1}, "Not a portable run state"),
    ],
)
def test_not_a_portable_state(value: object, message: str) -> None:
    with pytest.raises(InvalidRunStateError, match=message):
        parse_portable_run_state(value)
