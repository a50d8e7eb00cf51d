"""State deltas (spec/state-delta): the shared vectors, random edits, and damaged documents."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest
from store_support import REPO

from timestep import InvalidRunStateError
from timestep.store.state_delta import apply_delta, apply_delta_document, delta_document, diff, json_equal

CASES = json.loads((REPO / "spec/state-delta/vectors/cases.json").read_text(encoding="utf-8"))


def text(value: Any) -> str:
    """Serialised as the Python SDK does: equal texts mean the same keys, order and number types."""
    return json.dumps(value, indent=2)


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_vector(case: dict[str, Any]) -> None:
    base_before = text(case["base"])
    delta = diff(case["base"], case["target"])
    assert text(delta) == text(case["delta"])
    rebuilt = apply_delta(case["base"], case["delta"])
    assert text(rebuilt) == text(case["target"])
    assert text(case["base"]) == base_before


def test_the_vectors_cover_every_operation() -> None:
    serialised = [json.dumps(case["delta"]) for case in CASES]
    for kind in ('"r":', '"o":', '"x":', '"a":'):
        assert any(kind in delta for delta in serialised), kind


def test_python_number_types_and_signed_zero_are_different_values() -> None:
    assert not json_equal(1, 1.0) and not json_equal(1, True) and not json_equal(1.0, True)
    assert not json_equal(0.0, -0.0)
    assert not json_equal({"a": 1, "b": 2}, {"b": 2, "a": 1})
    assert json_equal({"a": [1, {"b": None}]}, {"a": [1, {"b": None}]})
    assert diff({"v": [1, 2]}, {"v": [1, 2.0]}) == {"o": {"v": {"a": 1, "e": [2.0]}}}
    assert diff({"v": 0.0}, {"v": -0.0}) == {"o": {"v": {"r": -0.0}}}


# Random JSON and random edits of it: every delta must rebuild the target exactly
# and leave both of its inputs as they were.

KEYS = ["a", "b", "c", "items", "ctx", "é", "__proto__", "0", ""]


def random_scalar(rng: random.Random) -> Any:
    return rng.choice(
        [None, True, False, 0, 1, -7, 1.0, 0.5, -0.0, 2**70, "", "x", "1", "a\"b\\\n\u00e9\U0001f600"]
    )


def random_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.random()
    if depth > 3 or kind < 0.4:
        return random_scalar(rng)
    if kind < 0.7:
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(5))]
    return {rng.choice(KEYS): random_value(rng, depth + 1) for _ in range(rng.randrange(5))}


def mutate(rng: random.Random, value: Any, depth: int = 0) -> Any:
    """A copy of ``value`` with some random edits, the kinds a run's state goes through and more."""
    if rng.random() < 0.15 or depth > 4:
        return random_value(rng, depth)
    if isinstance(value, list):
        edited = [mutate(rng, item, depth + 1) if rng.random() < 0.3 else copy.deepcopy(item) for item in value]
        action = rng.random()
        if action < 0.4:
            edited += [random_value(rng, depth + 1) for _ in range(rng.randrange(1, 4))]
        elif action < 0.6 and edited:
            del edited[rng.randrange(len(edited)) :]
        return edited
    if isinstance(value, dict):
        items = [(key, mutate(rng, item, depth + 1) if rng.random() < 0.4 else copy.deepcopy(item))
                 for key, item in value.items()]
        action = rng.random()
        if action < 0.2 and items:
            del items[rng.randrange(len(items))]
        elif action < 0.4:
            items.append((rng.choice(KEYS) + "new", random_value(rng, depth + 1)))
        elif action < 0.5:
            items.insert(0, (rng.choice(KEYS) + "first", random_value(rng, depth + 1)))
        elif action < 0.6:
            rng.shuffle(items)
        return dict(items)
    return random_scalar(rng) if rng.random() < 0.5 else value


@pytest.mark.parametrize("seed", range(20))
def test_random_edits_rebuild_the_target_exactly(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(100):
        base = random_value(rng)
        target = mutate(rng, base)
        base_text, target_text = text(base), text(target)
        ops = diff(base, target)
        # Stored and read back as JSON text, as the store does.
        stored = json.loads(json.dumps(ops))
        assert text(apply_delta(base, stored)) == target_text
        assert text(apply_delta(base, ops)) == target_text
        assert (text(base), text(target)) == (base_text, target_text)  # neither input was modified


def test_a_chain_of_deltas_rebuilds_every_version() -> None:
    rng = random.Random(7)
    versions: list[dict[str, Any]] = [{"turn": 0, "items": [], "ctx": {"usage": {"requests": 0}}}]
    for turn in range(1, 40):
        previous = versions[-1]
        items = previous["items"] + [{"id": turn, "text": "x" * turn}]
        versions.append({"turn": turn, "items": items, "ctx": mutate(rng, previous["ctx"])})
    documents = [delta_document(index - 1, diff(versions[index - 1], versions[index]))
                 for index in range(1, len(versions))]
    value: Any = json.loads(text(versions[0]))
    for version, document in enumerate(documents, start=1):
        value = apply_delta_document(value, json.loads(json.dumps(document)), version)
        assert text(value) == text(versions[version])


def test_unchanged_values_give_the_top_level_no_op() -> None:
    assert diff({"a": 1}, {"a": 1}) == {"o": {}}
    assert diff([1], [1]) == {"r": [1]}
    assert diff(None, None) == {"r": None}


def test_applying_never_modifies_the_base() -> None:
    base = {"a": [1, 2, {"b": 1}], "c": {"d": 1}, "gone": True}
    before = text(base)
    result = apply_delta(base, {"o": {"a": {"a": 2, "e": [3]}, "c": {"o": {"d": {"r": 2}}}, "n": {"r": 0}},
                                "x": ["gone"]})
    assert text(result) == text({"a": [1, 2, 3], "c": {"d": 2}, "n": 0})
    assert text(base) == before
    result["a"].append(4)  # the result is the caller's to change
    result["c"]["d"] = 5
    assert text(base) == before


@pytest.mark.parametrize(
    ("base", "op", "message"),
    [
        ({"a": 1}, {"a": 0, "e": []}, "not an array"),
        ([1, 2], {"a": 3, "e": []}, "keeps 3 elements of an array of 2"),
        ([1, 2], {"a": 2, "m": {"r": 0}, "e": []}, "keeps 3 elements of an array of 2"),
        ([1, 2], {"a": -1, "e": []}, "keeps -1 elements"),
        ([1, 2], {"a": True, "e": []}, "keeps True elements"),
        ([1, 2], {"a": 1, "e": 5}, "keeps 1 elements"),
        ([1], {"o": {}}, "not an object"),
        ({"a": 1}, {"o": {"b": {"o": {}}}}, 'Key "b" is new but its operation is not a replacement'),
        ({"a": 1}, {"o": {"a": 7}}, "operation is not an object"),
        ({"a": 1}, {"o": []}, "malformed"),
        ({"a": 1}, {"o": {}, "x": "a"}, "malformed"),
        ({"a": 1}, {"q": 1}, 'none of "r", "o", "a"'),
        ({"a": 1}, [], "not an object"),
    ],
)
def test_an_operation_that_does_not_fit_is_a_damaged_delta(base: Any, op: Any, message: str) -> None:
    with pytest.raises(InvalidRunStateError, match="damaged") as damaged:
        apply_delta(base, op)
    assert message in str(damaged.value)
    assert "Load an earlier version" in str(damaged.value)


def test_documents_name_their_format_and_base() -> None:
    document = delta_document(4, {"o": {"a": {"r": 2}}})
    assert document == {"state_delta": 1, "base_version": 4, "ops": {"o": {"a": {"r": 2}}}}
    assert list(document) == ["state_delta", "base_version", "ops"]
    assert apply_delta_document({"a": 1}, document, 5) == {"a": 2}

    with pytest.raises(InvalidRunStateError, match="format 2, which this version of Timestep cannot read") as newer:
        apply_delta_document({"a": 1}, document | {"state_delta": 2}, 5, run_id="run-9")
    assert "Version 5 of run run-9" in str(newer.value) and "upgrade Timestep" in str(newer.value)
    with pytest.raises(InvalidRunStateError, match="format true"):
        apply_delta_document({"a": 1}, document | {"state_delta": True}, 5)
    with pytest.raises(InvalidRunStateError, match="format null"):
        apply_delta_document({"a": 1}, {"base_version": 4, "ops": {"r": 1}}, 5)
    with pytest.raises(InvalidRunStateError, match="Version 5 is a delta on version 3, not 4; .*damaged"):
        apply_delta_document({"a": 1}, document | {"base_version": 3}, 5)
    with pytest.raises(InvalidRunStateError, match='a delta on version "4", not 4'):
        apply_delta_document({"a": 1}, document | {"base_version": "4"}, 5)
    with pytest.raises(InvalidRunStateError, match="without operations"):
        apply_delta_document({"a": 1}, {"state_delta": 1, "base_version": 4}, 5)
    with pytest.raises(InvalidRunStateError, match="not a JSON object"):
        apply_delta_document({"a": 1}, [document], 5)


def test_deep_but_realistic_nesting_is_fine() -> None:
    base: Any = {"v": 0}
    target: Any = {"v": 1}
    for _ in range(200):
        base, target = {"n": base}, {"n": target}
    assert text(apply_delta(base, diff(base, target))) == text(target)

