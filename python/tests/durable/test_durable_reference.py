"""The eight-turn reference conversation, every turn a durable run, equals the bare SDK's.

It covers what the twenty-step run does not: handoffs (the journaled graph's
copies), a tool needing approval (a second segment from a RunState), input and
output guardrails, an image input, and streaming.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from agents import Agent, RunResult, RunResultStreaming, Session, SQLiteSession
from agents.run_state import RunState
from durable.durable_support import model_requests
from normalise import normalise_conversation
from reference_conversation import TURNS, bare_sdk_run, converse, in_memory_checkpoint, make_agents

from timestep import DurableOptions, DurableSession, RunInput, consume_result, run_agent

AGENTS = ["Personal Assistant", "Weather Assistant"]


@pytest.mark.parametrize("stream", [False, True], ids=["run", "stream"])
async def test_the_reference_conversation_run_durably_equals_the_bare_sdk(
    store_options: dict[str, Any], stream: bool, model_server: str
) -> None:
    agents = make_agents()
    run_ids: list[str] = []

    async def run(agent: Agent[Any], input: RunInput, session: Session) -> RunResult | RunResultStreaming:
        # A turn is one durable run; continuing it after approval keeps its id.
        if not isinstance(input, RunState):
            run_ids.append(f"reference-{uuid.uuid4()}")
        durable = DurableOptions(run_id=run_ids[-1], **store_options)
        return await consume_result(await run_agent(agent, input, session, stream, durable=durable))

    async def checkpoint(state: RunState[Any, Any]) -> RunState[Any, Any]:
        return state

    async with DurableSession(**store_options) as session:
        outputs = await converse(agents, session, run, checkpoint)
        conversation = normalise_conversation([dict(item) for item in await session.get_items()], AGENTS)

        bare = make_agents()
        bare_session = SQLiteSession("reference-durable")
        assert outputs == await converse(bare, bare_session, bare_sdk_run(stream), in_memory_checkpoint(bare))
        assert outputs == [turn.answer for turn in TURNS]
        assert agents.weather_calls == bare.weather_calls == ["Oakland", "Berkeley"]
        assert conversation == normalise_conversation([dict(item) for item in await bare_session.get_items()], AGENTS)

        # Every answered turn resumed again: answered from its journal, nothing sent, run or stored twice.
        sent = len(model_requests(model_server))
        answered = [(run_id, turn.answer) for run_id, turn in zip(run_ids, TURNS, strict=True) if turn.answer]
        for run_id, answer in answered:
            again = await run_agent(agents.assistant, [], session, durable=DurableOptions(run_id, **store_options))
            assert again.final_output == answer
        assert len(answered) == 6 and len(model_requests(model_server)) == sent
        assert agents.weather_calls == ["Oakland", "Berkeley"]
        assert normalise_conversation([dict(item) for item in await session.get_items()], AGENTS) == conversation
