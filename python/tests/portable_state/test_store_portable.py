"""RunStateStore writes the portable form and resumes TypeScript-written versions from it."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from agents import Agent, RunContextWrapper, Runner
from agents.run_state import RunState
from store_support import Sql
from vector_agents import vector_agents
from vectors import VECTORS_DIR, read_vector

from timestep import (
    AgentGraphMismatchError,
    RunStateStore,
    UnsupportedRunStateVersionError,
    parse_portable_run_state,
)
from timestep.portable_state.to_portable import to_portable_run_state

TYPESCRIPT_PAUSE = read_vector(VECTORS_DIR / "typescript/handoff-interruption.json")


async def insert_typescript_row(sql: Sql, run_id: str, portable: dict[str, Any]) -> None:
    """Version 1 of ``run_id`` as the TypeScript store writes it (a real JS state and its portable form)."""
    native = TYPESCRIPT_PAUSE["native"]
    await sql(
        """INSERT INTO timestep_run_states
             (run_id, version, status, current_agent, sdk_name, sdk_version, sdk_schema_version,
              native_state, native_sha256, pending_approvals, portable_state)
           VALUES (%s, 1, 'interrupted', %s, '@openai/agents', '0.20.0', '1.22', %s, %s, '[]', %s::jsonb)""",
        (run_id, portable["current_agent"], native, hashlib.sha256(native.encode()).hexdigest(), json.dumps(portable)),
    )


async def test_save_writes_the_portable_form(
    vectors_server: str, store_options: dict[str, Any], unique_id: str, sql: Sql
) -> None:
    agents = vector_agents()
    state = (await Runner.run(agents.personal_assistant, "What's the weather in Berkeley?")).to_state()
    store = RunStateStore(agents.personal_assistant, run_id=unique_id, **store_options)
    await store.save(state)
    [(stored,)] = await sql("SELECT portable_state FROM timestep_run_states WHERE run_id = %s", (unique_id,))
    assert stored == to_portable_run_state(state) == parse_portable_run_state(stored)
    assert stored["step"]["interruptions"][0]["tool_name"] == "get_weather"
    await store.close()


async def test_unportable_state_is_saved_without_a_portable_form(
    store_options: dict[str, Any], unique_id: str, sql: Sql
) -> None:
    agent = Agent(name="Server Conversations")
    store = RunStateStore(agent, run_id=unique_id, **store_options)
    await store.save(RunState(RunContextWrapper(context={}), "hello", agent, conversation_id="conv_1"))
    assert await sql(
        "SELECT version, portable_state FROM timestep_run_states WHERE run_id = %s", (unique_id,)
    ) == [(1, None)]
    assert (await store.load())._conversation_id == "conv_1"  # it still resumes in Python
    await store.close()


async def test_typescript_version_resumes_in_python(
    vectors_server: str, store_options: dict[str, Any], unique_id: str, sql: Sql
) -> None:
    agents = vector_agents()
    store = RunStateStore(agents.personal_assistant, run_id=unique_id, **store_options)
    await store.history()  # opens the database
    await insert_typescript_row(sql, unique_id, TYPESCRIPT_PAUSE["portable"])

    state = await store.load()
    [pending] = state.get_interruptions()
    assert (pending.agent.name, pending.name, pending.arguments) == (
        "Weather Assistant", "get_weather", '{"city":"Berkeley"}'
    )
    state.approve(pending)
    result = await Runner.run(agents.personal_assistant, state)
    assert result.final_output == TYPESCRIPT_PAUSE["expected"]["final_output"]
    assert agents.tool_runs == [{"tool": "get_weather", "arguments": {"city": "Berkeley"}}]
    await store.close()


async def test_typed_errors_of_the_portable_form_pass_through(
    store_options: dict[str, Any], unique_id: str, sql: Sql
) -> None:
    store = RunStateStore(vector_agents().personal_assistant, run_id=unique_id, **store_options)
    await store.history()
    await insert_typescript_row(sql, unique_id, TYPESCRIPT_PAUSE["portable"] | {"version": 2})
    with pytest.raises(UnsupportedRunStateVersionError) as unsupported:
        await store.load()
    assert unsupported.value.version == 2

    without_weather = RunStateStore(Agent(name="Personal Assistant"), run_id=unique_id, **store_options)
    await sql("UPDATE timestep_run_states SET portable_state = %s::jsonb WHERE run_id = %s",
              (json.dumps(TYPESCRIPT_PAUSE["portable"]), unique_id))
    with pytest.raises(AgentGraphMismatchError) as mismatch:
        await without_weather.load()
    # The state's current agent is not reachable: this Personal Assistant has no handoffs.
    assert (mismatch.value.agent_name, mismatch.value.tool_name) == ("Weather Assistant", None)
    assert [version.version for version in await store.history()] == [1]
    await store.close()
    await without_weather.close()
