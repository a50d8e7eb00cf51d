"""RunStateStore: what a saved version records, and the typed errors for what it cannot take (issue 13)."""

from __future__ import annotations

from typing import Any

from test_run_state_store import interrupted, weather_agent

from timestep import RunStateStore


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
