"""The eight-turn reference conversation through Timestep equals the bare SDK's."""

from __future__ import annotations

from typing import Any

import pytest
from agents import Agent, RunResult, RunResultStreaming, Session, SQLiteSession
from agents.run_state import RunState
from reference_conversation import TURNS, bare_sdk_run, converse, in_memory_checkpoint, make_agents

from timestep import DurableSession, RunInput, RunStateStore, consume_result, run_agent

pytestmark = pytest.mark.usefixtures("model_server")


async def bare_sdk_conversation(*, stream: bool, guardrails_in_parallel: bool) -> tuple[list[Any], list[Any]]:
    agents = make_agents(guardrails_in_parallel=guardrails_in_parallel)
    session = SQLiteSession("reference")
    outputs = await converse(agents, session, bare_sdk_run(stream), in_memory_checkpoint(agents))
    assert agents.weather_calls == ["Oakland", "Berkeley"]
    return outputs, await session.get_items()


@pytest.mark.parametrize("guardrails_in_parallel", [True, False], ids=["parallel-guardrails", "blocking-guardrails"])
@pytest.mark.parametrize("stream", [False, True], ids=["run", "stream"])
async def test_reference_conversation_matches_the_bare_sdk(
    store_options: dict[str, Any], unique_id: str, stream: bool, guardrails_in_parallel: bool
) -> None:
    agents = make_agents(guardrails_in_parallel=guardrails_in_parallel)
    session = DurableSession(unique_id, **store_options)
    saved_versions = []

    async def run(agent: Agent[Any], input: RunInput, session: Session) -> RunResult | RunResultStreaming:
        result = await run_agent(agent, input, session, stream)
        assert isinstance(result, RunResultStreaming) == stream
        return await consume_result(result)

    async def checkpoint(state: RunState[Any, Any]) -> RunState[Any, Any]:
        writer = RunStateStore(agents.assistant, session_id=unique_id, **store_options)
        saved_versions.append(await writer.save(state))
        await writer.close()
        # A new store object, as a separate process resuming the run would create.
        reader = RunStateStore(agents.assistant, session_id=unique_id, **store_options)
        try:
            return await reader.load()
        finally:
            await reader.close()

    try:
        outputs = await converse(agents, session, run, checkpoint)
        conversation = await session.get_items()
    finally:
        await session.close()

    assert outputs == [turn.answer for turn in TURNS]
    assert agents.weather_calls == ["Oakland", "Berkeley"]
    [saved] = saved_versions
    assert (saved.status, saved.current_agent) == ("interrupted", "Weather Assistant")
    assert [(p["agent"], p["tool"], p["arguments"]) for p in saved.pending_approvals] == [
        ("Weather Assistant", "get_weather", '{"city":"Berkeley"}')
    ]

    bare_outputs, bare_conversation = await bare_sdk_conversation(
        stream=stream, guardrails_in_parallel=guardrails_in_parallel
    )
    assert outputs == bare_outputs
    assert conversation == bare_conversation
    # Rejected turns left nothing behind; the image turn is there as sent.
    sent = [turn.input if isinstance(turn.input, str) else turn.input[0]["content"] for turn in TURNS if turn.answer]
    assert [item["content"] for item in conversation if item.get("role") == "user"] == sent
