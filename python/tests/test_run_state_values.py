"""RunStateStore: what a saved version records, and the typed errors for what it cannot take (issue 13)."""

from __future__ import annotations

from typing import Any

import pytest
from agents import RunContextWrapper
from agents.run_state import RunState
from test_run_state_store import interrupted, weather_agent

from timestep import InvalidIdentifierError, InvalidRunStateError, RunStateStore, UnstorableValueError


async def test_decided_approvals_are_not_listed_as_pending(
    model_server: str, store_options: dict[str, Any], unique_id: str
) -> None:
    # Issue 13 item 7: a state saved after approve/reject still listed the call as pending.
    agent = weather_agent()
    store = RunStateStore(agent, run_id=unique_id, **store_options)
    state = (await interrupted(agent)).to_state()
    await store.save(state)
    [approval] = state.get_interruptions()
    state.approve(approval)
    await store.save(state)
    rejected = (await interrupted(agent)).to_state()
    rejected.reject(rejected.get_interruptions()[0])
    await store.save(rejected)

    history = await store.history()
    assert [len(version.pending_approvals) for version in history] == [1, 0, 0]
    await store.close()


@pytest.mark.parametrize(
    ("value", "kind"),
    [("a\0b", "NUL"), ("a\ud800b", "lone surrogate"), (float("nan"), "is NaN"), (float("-inf"), "is -Infinity")],
    ids=["nul", "lone-surrogate", "nan", "infinity"],
)
async def test_unstorable_values_in_the_state_are_refused_before_writing(
    store_options: dict[str, Any], unique_id: str, value: object, kind: str
) -> None:
    # Issue 13 items 4 and 8: these reached the database as a raw driver error,
    # or (NaN, infinity) were stored as invalid JSON.
    agent = weather_agent()
    store = RunStateStore(agent, run_id=unique_id, **store_options)
    await store.save(RunState(RunContextWrapper(context={"note": "fine"}), "hello", agent))
    state = RunState(RunContextWrapper(context={"note": value}), "hello", agent)
    with pytest.raises(UnstorableValueError, match=kind) as refused:
        await store.save(state)
    assert refused.value.path.startswith("$.state.") and refused.value.path.endswith(".note")
    with pytest.raises(UnstorableValueError):
        await store.save(state.to_string())
    assert [version.version for version in await store.history()] == [1]
    assert (await store.load())._context.context == {"note": "fine"}  # type: ignore[union-attr]
    await store.close()


async def test_a_context_that_is_not_json_is_an_invalid_run_state(store_options: dict[str, Any], unique_id: str) -> None:
    agent = weather_agent()
    store = RunStateStore(agent, run_id=unique_id, **store_options)
    circular: dict[str, Any] = {}
    circular["self"] = circular
    for context in (circular, {"tags": {"a", "b"}}, {"raw": b"bytes"}):
        with pytest.raises(InvalidRunStateError, match=f"run {unique_id}: it cannot be written as JSON"):
            await store.save(RunState(RunContextWrapper(context=context), "hello", agent))
    assert await store.history() == []
    await store.close()


@pytest.mark.parametrize(
    "bad", [float("nan"), 1e10, 10**10, -1, 1.0, True, "1"], ids=["nan", "1e10", "too-big", "negative", "float", "bool", "str"]
)
async def test_bad_expected_version_is_a_typed_error(store_options: dict[str, Any], unique_id: str, bad: object) -> None:
    agent = weather_agent()
    store = RunStateStore(agent, run_id=unique_id, **store_options)
    state = RunState(RunContextWrapper(context={}), "hello", agent)
    with pytest.raises(InvalidRunStateError, match="expected_version must be a whole number"):
        await store.save(state, expected_version=bad)  # type: ignore[arg-type]
    assert await store.history() == []
    await store.close()


async def test_bad_status_and_load_version_are_typed_errors(store_options: dict[str, Any], unique_id: str) -> None:
    agent = weather_agent()
    store = RunStateStore(agent, run_id=unique_id, **store_options)
    state = RunState(RunContextWrapper(context={}), "hello", agent)
    for status in ("done", "", 1):
        with pytest.raises(InvalidRunStateError, match="status must be one of"):
            await store.save(state, status=status)  # type: ignore[arg-type]
    assert await store.history() == []
    await store.save(state)
    for version in (1.5, "abc", 0, -1, True, 2**31, float("nan")):
        with pytest.raises(InvalidRunStateError, match="version must be a whole number"):
            await store.load(version=version)  # type: ignore[arg-type]
    assert isinstance(await store.load(version=1), RunState)
    await store.close()


@pytest.mark.parametrize("kind", ["run_id", "session_id"])
def test_ids_with_lone_surrogates_are_rejected_and_length_counts_code_points(kind: str) -> None:
    for bad in ("run-\ud800", "run-\udfff-x", "\udc00"):
        with pytest.raises(InvalidIdentifierError, match=f"{kind} contains a lone surrogate"):
            RunStateStore(weather_agent(), **{kind: bad})
    assert getattr(RunStateStore(weather_agent(), **{kind: "😀" * 512}), kind) == "😀" * 512
    with pytest.raises(InvalidIdentifierError, match=f"{kind} is 513 characters long; the limit is 512"):
        RunStateStore(weather_agent(), **{kind: "😀" * 513})
