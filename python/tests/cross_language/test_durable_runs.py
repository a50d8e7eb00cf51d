"""Durable runs across languages: a run killed in one language is resumed from its journal in the other.

The TypeScript child is typescript/test/durable/durableChild.ts, the Python one
tests/durable/durable_child.py; both run the twenty-step agent of
spec/scenarios/durable-twenty-steps.json against the scripted model server,
whose request log shows which model calls were sent.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from durable.durable_support import (
    conversation,
    journaled_model_calls,
    kill_at_step,
    kill_loop,
    model_requests,
    rule_of_call,
    run_child,
    store_target,
    stored_journal,
)
from durable.step_agent import FINAL_OUTPUT, MODEL_CALLS, STEPPER_INPUT, STEPS, every_step_once, step_agent, step_counts
from store_support import CLI

from timestep import DurableOptions, DurableSession, run_agent

pytestmark = pytest.mark.usefixtures("stepper_server")


def effects() -> Path:
    return Path(tempfile.mkdtemp(prefix="ts-effects-")) / "effects.txt"


async def test_a_run_killed_in_typescript_is_resumed_in_python(store_options: dict[str, Any], stepper_server: str) -> None:
    async with DurableSession(**store_options) as reference:
        await run_agent(step_agent(effects()), STEPPER_INPUT, reference, max_turns=30)
        expected = await conversation(reference)

    run_id = f"ts-to-python-{uuid.uuid4()}"
    session_id = str(uuid.uuid4())
    file = effects()
    before = len(model_requests(stepper_server))
    killed = run_child("typescript", [store_target(store_options), run_id, session_id, str(file), "--hang-at", "7"], kill_at_step(7))
    assert killed.killed
    journal = await stored_journal(store_options, run_id)
    assert journaled_model_calls(journal) == 7, "TypeScript journaled the seven calls it made"
    after_kill = len(model_requests(stepper_server))

    durable = DurableOptions(run_id=run_id, **store_options)
    agent = step_agent(file)
    async with DurableSession(session_id, **store_options) as session:
        resumed = await run_agent(agent, [], session, durable=durable, max_turns=30)
        # Step 7's call started in TypeScript and never finished: Python asks about it.
        assert [json.loads(item.arguments or "null") for item in resumed.interruptions] == [{"step": 7}]
        state = resumed.to_state()
        state.approve(resumed.interruptions[0])
        finished = await run_agent(agent, state, session, durable=durable, max_turns=30)
        assert finished.final_output == FINAL_OUTPUT

        sent_after_kill = model_requests(stepper_server)[after_kill:]
        assert sent_after_kill == [rule_of_call(ordinal) for ordinal in range(7, MODEL_CALLS)], (
            "Python sent only the calls TypeScript had not journaled"
        )
        assert len(model_requests(stepper_server)) - before == MODEL_CALLS
        assert every_step_once(file)  # step 7 hung before its effect: run once, after approval
        assert await conversation(session) == expected, "same conversation as an uninterrupted run"


async def test_a_run_killed_in_python_is_resumed_in_typescript(store_options: dict[str, Any], stepper_server: str) -> None:
    async with DurableSession(**store_options) as reference:
        await run_agent(step_agent(effects()), STEPPER_INPUT, reference, max_turns=30)
        expected = await conversation(reference)

    run_id = f"python-to-ts-{uuid.uuid4()}"
    session_id = str(uuid.uuid4())
    file = effects()
    before = len(model_requests(stepper_server))
    run_child("python", [store_target(store_options), run_id, session_id, str(file), "--hang-at", "4"], kill_at_step(4))
    after_kill = len(model_requests(stepper_server))
    assert after_kill - before == 4

    done = run_child("typescript", [store_target(store_options), run_id, session_id, str(file)])
    assert not done.killed
    in_doubt = [line for line in done.lines if line["event"] == "in_doubt"]
    assert [[json.loads(call["arguments"]) for call in line["calls"]] for line in in_doubt] == [[{"step": 4}]]
    assert done.lines[-1] == {"event": "done", "finalOutput": FINAL_OUTPUT}
    assert model_requests(stepper_server)[after_kill:] == [rule_of_call(ordinal) for ordinal in range(4, MODEL_CALLS)]
    assert every_step_once(file)
    async with DurableSession(session_id, **store_options) as session:
        assert await conversation(session) == expected


async def test_kill_9_at_random_points_with_the_languages_taking_turns(store_options: dict[str, Any], stepper_server: str) -> None:
    await kill_loop(store_options, 15485863, stepper_server, lambda child: ("typescript", "python")[child % 2])


async def test_a_segment_typescript_started_from_its_own_run_state_resumes_in_python(
    store_options: dict[str, Any], stepper_server: str
) -> None:
    """Python continues a segment that starts from TypeScript's RunState (its portable form)."""
    async with DurableSession(**store_options) as reference:
        await run_agent(step_agent(effects()), STEPPER_INPUT, reference, max_turns=30)
        expected = await conversation(reference)

    run_id = f"segments-{uuid.uuid4()}"
    session_id = str(uuid.uuid4())
    file = effects()
    target = store_target(store_options)
    before = len(model_requests(stepper_server))
    # Python dies in step 3; TypeScript resumes, approves step 3 (segment 1 starts from its
    # RunState) and dies in step 6; Python resumes segment 1 and is asked about step 6.
    run_child("python", [target, run_id, session_id, str(file), "--hang-at", "3"], kill_at_step(3))
    typescript = run_child("typescript", [target, run_id, session_id, str(file), "--hang-at", "6"], kill_at_step(6))
    assert [line["event"] for line in typescript.lines if line["event"] == "in_doubt"] == ["in_doubt"]
    journal = await stored_journal(store_options, run_id)
    segment_1 = [entry.body for entry in journal if entry.kind == "segment_started"][1]
    assert segment_1["state"]["sdk"] == "@openai/agents" and segment_1["state"]["portable"] is not None

    durable = DurableOptions(run_id=run_id, **store_options)
    agent = step_agent(file)
    async with DurableSession(session_id, **store_options) as session:
        resumed = await run_agent(agent, [], session, durable=durable, max_turns=30)
        assert [json.loads(item.arguments or "null") for item in resumed.interruptions] == [{"step": 6}]
        state = resumed.to_state()
        state.approve(resumed.interruptions[0])
        finished = await run_agent(agent, state, session, durable=durable, max_turns=30)
        assert finished.final_output == FINAL_OUTPUT
        requests = model_requests(stepper_server)[before:]
        assert requests == [rule_of_call(ordinal) for ordinal in range(MODEL_CALLS)], "each model call sent once"
        assert every_step_once(file)
        assert await conversation(session) == expected


async def test_a_segment_python_started_from_its_own_run_state_resumes_in_typescript(
    store_options: dict[str, Any], stepper_server: str
) -> None:
    """TypeScript continues a segment that starts from Python's RunState (its portable form)."""
    async with DurableSession(**store_options) as reference:
        await run_agent(step_agent(effects()), STEPPER_INPUT, reference, max_turns=30)
        expected = await conversation(reference)

    run_id = f"segments-{uuid.uuid4()}"
    session_id = str(uuid.uuid4())
    file = effects()
    target = store_target(store_options)
    before = len(model_requests(stepper_server))
    # TypeScript dies in step 3; Python resumes, approves step 3 (segment 1 starts from its
    # RunState) and dies in step 6; TypeScript resumes segment 1, is asked about step 6 and finishes.
    run_child("typescript", [target, run_id, session_id, str(file), "--hang-at", "3"], kill_at_step(3))
    python = run_child("python", [target, run_id, session_id, str(file), "--hang-at", "6"], kill_at_step(6))
    assert [line["event"] for line in python.lines if line["event"] == "in_doubt"] == ["in_doubt"]
    journal = await stored_journal(store_options, run_id)
    segment_1 = [entry.body for entry in journal if entry.kind == "segment_started"][1]
    assert segment_1["state"]["sdk"] == "openai-agents" and segment_1["state"]["portable"] is not None

    done = run_child("typescript", [target, run_id, session_id, str(file)])
    in_doubt = [line for line in done.lines if line["event"] == "in_doubt"]
    assert [[json.loads(call["arguments"]) for call in line["calls"]] for line in in_doubt] == [[{"step": 6}]]
    assert done.lines[-1] == {"event": "done", "finalOutput": FINAL_OUTPUT}
    requests = model_requests(stepper_server)[before:]
    assert requests == [rule_of_call(ordinal) for ordinal in range(MODEL_CALLS)], "each model call sent once"
    assert every_step_once(file)
    async with DurableSession(session_id, **store_options) as session:
        assert await conversation(session) == expected


def timestep_runs(store_options: dict[str, Any], *arguments: str) -> Any:
    """`timestep runs ... --json` (the TypeScript CLI) on the store of ``store_options``; its JSON output."""
    env = {key: value for key, value in os.environ.items() if key != "TIMESTEP_DB_URL"}
    if store_options.get("connection_string"):
        env["TIMESTEP_DB_URL"] = store_options["connection_string"]
    command = ["node", str(CLI), "runs", *arguments, "--json"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


async def test_a_python_run_forked_with_the_cli_goes_on_live_from_the_entry_in_python(
    store_options: dict[str, Any], stepper_server: str
) -> None:
    run_id = f"python-fork-{uuid.uuid4()}"
    durable = DurableOptions(run_id=run_id, **store_options)
    async with DurableSession(**store_options) as session:
        await run_agent(step_agent(effects()), STEPPER_INPUT, session, durable=durable, max_turns=30)
        expected = await conversation(session)
        original_session = session.session_id

    # Up to step 10's result (response ordinal 9): the fork asks the model for step 11 onwards.
    history = timestep_runs(store_options, "show", run_id)["durable"]["journal"]["history"]
    entry = next(e["seq"] for e in history if e["kind"] == "tool_result" and e["key"].startswith("9:"))
    fork = timestep_runs(store_options, "fork", run_id, "--version", str(entry))
    assert fork["sessionId"] not in (None, original_session)

    before = len(model_requests(stepper_server))
    file = effects()
    fork_durable = DurableOptions(run_id=fork["runId"], **store_options)
    async with DurableSession(fork["sessionId"], **store_options) as fork_session:
        result = await run_agent(step_agent(file), [], fork_session, durable=fork_durable, max_turns=30)
        assert result.final_output == FINAL_OUTPUT
        assert await conversation(fork_session) == expected
    assert model_requests(stepper_server)[before:] == [rule_of_call(ordinal) for ordinal in range(10, MODEL_CALLS)]
    assert step_counts(file) == Counter(dict.fromkeys(range(11, STEPS + 1), 1)), "steps 1-10 come from the journal"
    assert [e.kind for e in await stored_journal(store_options, run_id)] == [e["kind"] for e in history], "the original is untouched"
