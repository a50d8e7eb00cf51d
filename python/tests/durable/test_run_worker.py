"""Leases, submitted runs, stored decisions and RunWorker (spec/run-journal, "Leases and workers"), on both stores.

Each test names its stepper agent uniquely: the graph fingerprint differs, so
no worker of another test claims its runs (the scripted server matches the
agent by its instructions, which stay the Durable Stepper's).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from agents import Agent, FunctionTool, SQLiteSession, function_tool, handoff
from durable.durable_support import journaled_model_calls, model_requests, rule_of_call, store_decision, stored_journal
from durable.step_agent import FINAL_OUTPUT, STEPPER_INPUT, STEPS, every_step_once, step_agent, step_counts
from store_support import REPO, Sql

from timestep import (
    DurableOptions,
    DurableRunConflictError,
    DurableRunMismatchError,
    DurableRunUnsupportedError,
    DurableSession,
    RunWorker,
    RunWorkerEvent,
    graph_fingerprint,
    idempotent,
    run_agent,
    submit_run,
)

pytestmark = pytest.mark.usefixtures("stepper_server")

TESTS = Path(__file__).parent.parent


def stepper(name: str, effects: Path, **kwargs: Any) -> Agent[Any]:
    return step_agent(effects, **kwargs).clone(name=name)


def effects_file() -> Path:
    return Path(tempfile.mkdtemp(prefix="ts-worker-")) / "effects.txt"


_ROW = ("status", "graph", "lease_owner", "lease_live", "attempts", "pending_approvals")


async def run_row(sql: Sql, run_id: str) -> dict[str, Any]:
    rows = await sql(
        "SELECT status, graph, lease_owner, lease_expires_at > now() AS lease_live, attempts, pending_approvals"
        " FROM timestep_durable_runs WHERE run_id = %s",
        (run_id,),
    )
    assert len(rows) == 1
    return dict(zip(_ROW, rows[0], strict=True))


def events_of(events: list[RunWorkerEvent], kind: str) -> list[RunWorkerEvent]:
    return [event for event in events if event["event"] == kind]


def test_fingerprints_match_the_shared_vectors() -> None:
    vectors = json.loads((REPO / "spec/run-journal/graph-fingerprints.json").read_text())
    for vector in vectors:
        agents: dict[str, Agent[Any]] = {}
        for entry in vector["graph"]:
            tools: list[FunctionTool] = []
            for tool_name in entry["tools"]:

                async def tool() -> str:
                    return "ok"

                tools.append(function_tool(tool, name_override=tool_name))
            agents[entry["name"]] = Agent(name=entry["name"], tools=tools)
        for entry in vector["graph"]:
            agents[entry["name"]].handoffs = [agents[name] for name in entry["handoffs"]]
        assert graph_fingerprint(agents[vector["start"]]) == vector["fingerprint"], vector["description"]


def test_fingerprint_follows_tools_and_handoffs_not_instructions() -> None:
    file = effects_file()
    base = graph_fingerprint(step_agent(file))
    assert graph_fingerprint(step_agent(file).clone(instructions="Other words.", model="gpt-4o")) == base
    assert graph_fingerprint(step_agent(file).clone(tools=[])) != base
    assert graph_fingerprint(step_agent(file).clone(handoffs=[Agent(name="Billing")])) != base


async def test_a_direct_run_holds_the_lease_and_releases_it_when_it_ends(store_options: dict[str, Any], sql: Sql, unique_id: str) -> None:
    file = effects_file()
    seen: list[dict[str, Any]] = []
    refused: list[BaseException] = []

    async def on_step(step: int) -> None:
        if step == 2:
            seen.append(await run_row(sql, unique_id))
            entries = len(await stored_journal(store_options, unique_id))
            try:
                await run_agent(stepper(unique_id, file), [], durable=DurableOptions(unique_id, **store_options))
            except DurableRunConflictError as error:
                refused.append(error)
            assert len(await stored_journal(store_options, unique_id)) == entries, "the refused call wrote nothing"

    agent = stepper(unique_id, file, on_step=on_step)
    result = await run_agent(agent, STEPPER_INPUT, max_turns=30, durable=DurableOptions(unique_id, lease_ms=3000, **store_options))
    assert result.final_output == FINAL_OUTPUT
    during = seen[0]
    host, pid, token = during["lease_owner"].split("/")
    assert (host, int(pid)) == (socket.gethostname(), os.getpid()) and len(token) == 16
    assert during["status"] == "running" and during["lease_live"] and during["attempts"] == 1
    assert len(refused) == 1 and "lease is live" in str(refused[0])
    after = await run_row(sql, unique_id)
    assert after["status"] == "finished" and after["lease_owner"] is None and after["lease_live"] is None
    assert after["graph"] == graph_fingerprint(agent) and after["attempts"] == 1


async def test_the_lease_is_renewed_while_the_run_executes(store_options: dict[str, Any], sql: Sql, unique_id: str) -> None:
    file = effects_file()
    renewals: list[tuple[Any, Any]] = []

    async def expiry() -> Any:
        return (await sql("SELECT lease_expires_at, now() FROM timestep_durable_runs WHERE run_id = %s", (unique_id,)))[0]

    async def on_step(step: int) -> None:
        if step == 1:
            # Held inside the run (the tool is running) until the lease has been renewed twice past
            # its first expiry, by the store's clock; bounded by the test's own timeout.
            first, _ = await expiry()
            while True:
                current, now = await expiry()
                if now > first and current > now:
                    renewals.append((first, current))
                    return

    agent = stepper(unique_id, file, on_step=on_step)
    durable = DurableOptions(unique_id, lease_ms=300, **store_options)
    await asyncio.wait_for(run_agent(agent, STEPPER_INPUT, max_turns=30, durable=durable), timeout=60)
    [(first, renewed)] = renewals
    assert renewed > first, "the lease outlived its first expiry while the run executed"


async def test_a_lease_of_a_dead_local_process_or_an_expired_one_is_taken_a_live_one_refused(
    store_options: dict[str, Any], sql: Sql, unique_id: str
) -> None:
    file = effects_file()
    options = DurableOptions(unique_id, **store_options)
    await submit_run(stepper(unique_id, file), STEPPER_INPUT, durable=options, max_turns=30)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    live_elsewhere = "elsewhere.invalid/1/00"
    await sql(
        "UPDATE timestep_durable_runs SET status = 'running', lease_owner = %s, lease_expires_at = now() + interval '1 hour'"
        " WHERE run_id = %s",
        (live_elsewhere, unique_id),
    )
    with pytest.raises(DurableRunConflictError, match="lease is live"):
        await run_agent(stepper(unique_id, file), [], durable=options)
    assert (await run_row(sql, unique_id))["lease_owner"] == live_elsewhere and not file.exists()

    dead_here = f"{socket.gethostname()}/{gone.stdout.strip()}/00"
    await sql("UPDATE timestep_durable_runs SET lease_owner = %s WHERE run_id = %s", (dead_here, unique_id))
    result = await run_agent(stepper(unique_id, file), [], max_turns=30, durable=options)
    assert result.final_output == FINAL_OUTPUT
    assert (await run_row(sql, unique_id))["attempts"] == 1


async def test_submit_run_queues_without_executing(store_options: dict[str, Any], sql: Sql, unique_id: str, tmp_path: Path) -> None:
    file = effects_file()
    agent = stepper(unique_id, file)
    async with DurableSession(**store_options) as session:
        await submit_run(agent, STEPPER_INPUT, session, durable=DurableOptions(unique_id, **store_options), max_turns=30)
        row = await run_row(sql, unique_id)
        assert row["status"] == "queued" and row["lease_owner"] is None and row["attempts"] == 0
        assert row["graph"] == graph_fingerprint(agent)
        entries = await stored_journal(store_options, unique_id)
        assert [entry.kind for entry in entries] == ["segment_started"]
        assert entries[0].body["session"] == {"id": session.session_id, "items_before": 0}
        assert not file.exists() and await session.get_items() == []

        with pytest.raises(DurableRunConflictError, match="exists already"):
            await submit_run(agent, STEPPER_INPUT, session, durable=DurableOptions(unique_id, **store_options), max_turns=30)
    other = f"{unique_id}-sqlite"
    with pytest.raises(DurableRunUnsupportedError, match="DurableSession"):
        await submit_run(agent, STEPPER_INPUT, SQLiteSession("s"), durable=DurableOptions(other, **store_options))
    assert await sql("SELECT run_id FROM timestep_durable_runs WHERE run_id = %s", (other,)) == []
    # A session of another store: the worker would reopen it in the run's store and not find its conversation.
    elsewhere = DurableSession(pglite_path=str(tmp_path / "another-store"))
    with pytest.raises(DurableRunMismatchError, match=re.escape(f"keeps its items in the embedded store at {tmp_path / 'another-store'}")):
        await submit_run(agent, STEPPER_INPUT, elsewhere, durable=DurableOptions(other, **store_options))
    assert await sql("SELECT run_id FROM timestep_durable_runs WHERE run_id = %s", (other,)) == []
    for bad_limit in (0, True, 2.5):
        with pytest.raises(ValueError, match="max_turns must be a whole number"):
            await submit_run(agent, STEPPER_INPUT, None, durable=DurableOptions(other, **store_options), max_turns=bad_limit)  # type: ignore[arg-type]
    assert await sql("SELECT run_id FROM timestep_durable_runs WHERE run_id = %s", (other,)) == []


async def test_a_worker_runs_a_submitted_run_in_its_session(store_options: dict[str, Any], sql: Sql, unique_id: str) -> None:
    file = effects_file()
    events: list[RunWorkerEvent] = []
    async with DurableSession(**store_options) as session:
        await submit_run(stepper(unique_id, file), STEPPER_INPUT, session, durable=DurableOptions(unique_id, **store_options), max_turns=30)
        worker = RunWorker([stepper(unique_id, file)], on_event=events.append, **store_options)
        assert await worker.run_once() == unique_id
        assert events[-1]["event"] == "finished", events
        assert await worker.run_once() is None
        assert events == [
            {"event": "claimed", "worker": worker.worker_id, "run_id": unique_id, "attempt": 1},
            {"event": "finished", "worker": worker.worker_id, "run_id": unique_id},
        ]
        assert step_counts(file) == dict.fromkeys(range(1, STEPS + 1), 1)
        row = await run_row(sql, unique_id)
        assert row["status"] == "finished" and row["lease_owner"] is None and row["attempts"] == 1
        items = await session.get_items()
        assert items[-1]["content"][0]["text"] == FINAL_OUTPUT  # type: ignore[index]


async def test_a_worker_never_claims_a_run_of_another_graph(store_options: dict[str, Any], sql: Sql, unique_id: str) -> None:
    file = effects_file()
    await submit_run(stepper(unique_id, file), STEPPER_INPUT, durable=DurableOptions(unique_id, **store_options), max_turns=30)
    # Same name, one tool less: another graph.
    worker = RunWorker([stepper(unique_id, file).clone(tools=[])], on_event=lambda event: None, **store_options)
    assert await worker.run_once() is None
    row = await run_row(sql, unique_id)
    assert row["status"] == "queued" and row["attempts"] == 0


async def test_a_failed_run_is_retried_up_to_max_attempts(store_options: dict[str, Any], sql: Sql, unique_id: str) -> None:
    file = effects_file()
    failures = {"left": 1}

    def failing_stepper() -> Agent[Any]:
        async def record_step(step: int) -> str:
            if failures["left"] > 0:
                failures["left"] -= 1
                raise RuntimeError("the tool's service is down")
            with file.open("a") as effects:
                effects.write(f"step {step}\n")
            return f"step {step} done"

        # Idempotent: the call that raised is retried (otherwise it would be in doubt and asked about).
        tool = idempotent(function_tool(record_step, name_override="record_step", failure_error_function=None))
        return stepper(unique_id, file).clone(tools=[tool])

    await submit_run(failing_stepper(), STEPPER_INPUT, durable=DurableOptions(unique_id, **store_options), max_turns=30)
    events: list[RunWorkerEvent] = []
    worker = RunWorker([failing_stepper()], max_attempts=2, on_event=events.append, **store_options)
    assert await worker.run_once() == unique_id
    assert [event["event"] for event in events] == ["claimed", "failed"]
    assert "service is down" in events[1]["error"]
    row = await run_row(sql, unique_id)
    assert row["status"] == "failed" and row["lease_owner"] is None and row["attempts"] == 1

    assert await worker.run_once() == unique_id
    assert events[-1] == {"event": "finished", "worker": worker.worker_id, "run_id": unique_id}
    assert (await run_row(sql, unique_id))["attempts"] == 2

    # Failing on every attempt: left alone once attempts reach max_attempts.
    failures["left"] = 10
    again = f"{unique_id}-again"
    await submit_run(failing_stepper(), STEPPER_INPUT, durable=DurableOptions(again, **store_options), max_turns=30)
    assert await worker.run_once() == again
    assert await worker.run_once() == again
    assert await worker.run_once() is None
    assert (await run_row(sql, again))["status"] == "failed" and (await run_row(sql, again))["attempts"] == 2


async def test_stored_decisions_continue_an_interrupted_run(store_options: dict[str, Any], sql: Sql, unique_id: str) -> None:
    file = effects_file()

    def approving_stepper() -> Agent[Any]:
        agent = stepper(unique_id, file)
        tool = agent.tools[0]
        assert isinstance(tool, FunctionTool)
        return agent.clone(tools=[_needing_approval(tool)])

    options = DurableOptions(unique_id, **store_options)
    first = await run_agent(approving_stepper(), STEPPER_INPUT, max_turns=30, durable=options)
    assert len(first.interruptions) == 1
    row = await run_row(sql, unique_id)
    assert row["status"] == "interrupted" and row["lease_owner"] is None
    [pending] = row["pending_approvals"]
    assert pending["agent"] == unique_id and pending["tool"] == "record_step"
    assert json.loads(pending["arguments"]) == {"step": 1}

    events: list[RunWorkerEvent] = []
    worker = RunWorker([approving_stepper()], on_event=events.append, **store_options)
    assert await worker.run_once() is None, "not claimed while a call is undecided"

    await store_decision(sql, unique_id, pending["call_id"])
    assert await worker.run_once() == unique_id
    assert events[-1]["event"] == "interrupted"
    assert step_counts(file) == {1: 1}, "the approved call ran once"
    [waiting] = (await run_row(sql, unique_id))["pending_approvals"]
    assert json.loads(waiting["arguments"]) == {"step": 2}
    entries = await stored_journal(store_options, unique_id)
    assert [entry.segment for entry in entries if entry.kind == "segment_started"] == [0, 1]

    # A direct call with [] applies stored decisions the same way.
    await store_decision(sql, unique_id, waiting["call_id"])
    resumed = await run_agent(approving_stepper(), [], max_turns=30, durable=options)
    assert len(resumed.interruptions) == 1
    assert step_counts(file) == {1: 1, 2: 1}


def _needing_approval(tool: FunctionTool) -> FunctionTool:
    return FunctionTool(
        name=tool.name,
        description=tool.description,
        params_json_schema=tool.params_json_schema,
        on_invoke_tool=tool.on_invoke_tool,
        strict_json_schema=tool.strict_json_schema,
        needs_approval=True,
    )


@pytest.mark.parametrize("store_options", ["postgres"], indirect=True)
async def test_two_workers_never_claim_one_run_twice(store_options: dict[str, Any], sql: Sql, unique_id: str) -> None:
    runs = [f"{unique_id}-{n}" for n in range(8)]

    shared = effects_file()

    def agent() -> Agent[Any]:
        return stepper(unique_id, shared)

    for run_id in runs:
        await submit_run(agent(), STEPPER_INPUT, durable=DurableOptions(run_id, **store_options), max_turns=30)
    events: list[RunWorkerEvent] = []
    done = asyncio.Event()

    def on_event(event: RunWorkerEvent) -> None:
        events.append(event)
        if len(events_of(events, "finished")) == len(runs):
            done.set()

    workers = [RunWorker([agent()], concurrency=2, poll_ms=50, on_event=on_event, **store_options) for _ in range(2)]
    running = [asyncio.ensure_future(worker.run(done)) for worker in workers]
    await asyncio.wait_for(asyncio.gather(*running), timeout=240)
    claimed = [event["run_id"] for event in events_of(events, "claimed")]
    assert sorted(claimed) == sorted(runs), "each run claimed exactly once"
    assert sorted(event["run_id"] for event in events_of(events, "finished")) == sorted(runs)
    assert [(await run_row(sql, run_id))["attempts"] for run_id in runs] == [1] * len(runs)
    for run_id in runs:
        assert journaled_model_calls(await stored_journal(store_options, run_id)) == STEPS + 1


def start_worker(
    store_options: dict[str, Any], name: str, file: Path, *arguments: str, hang_at: int | None = None
) -> subprocess.Popen[str]:
    """``python -m timestep.worker`` with durable.worker_agents; ``hang_at``: see there."""
    env = {**os.environ, "WORKER_AGENT_NAME": name, "WORKER_EFFECTS_FILE": str(file), "OPENAI_AGENTS_DISABLE_TRACING": "1"}
    env.pop("WORKER_HANG_AT", None)
    if hang_at is not None:
        env["WORKER_HANG_AT"] = str(hang_at)
    env.pop("TIMESTEP_DB_URL", None)
    if store_options.get("connection_string"):
        env["TIMESTEP_DB_URL"] = store_options["connection_string"]
    return subprocess.Popen(
        [sys.executable, "-m", "timestep.worker", "--agents", "durable.worker_agents:agents", "--poll-ms", "50", *arguments],
        cwd=TESTS,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 120) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.05)

    try:
        await asyncio.wait_for(poll(), timeout=timeout_s)
    except TimeoutError:
        pytest.fail(f"timed out waiting for {what}")


async def submit_and_kill_its_worker(store_options: dict[str, Any], unique_id: str) -> Path:
    """Submits a stepper run and kills (SIGKILL) the child worker running it at its sixth step; the effects file.

    The worker hangs in step 6 before its side effect (its tool_started stored), so the kill
    lands at that point every time: a kill at any moment may leave a call in doubt, which a
    resume of this non-idempotent stepper would turn into an approval request.
    """
    file = effects_file()
    await submit_run(stepper(unique_id, file), STEPPER_INPUT, durable=DurableOptions(unique_id, **store_options), max_turns=30)
    child = start_worker(store_options, unique_id, file, "--lease-ms", "1000", hang_at=6)
    hung = file.with_name(file.name + ".hung")
    try:
        await wait_for(hung.exists, "the child worker's sixth step")
    finally:
        child.kill()
        child.wait()
    return file


async def test_a_worker_resumes_a_run_whose_worker_was_killed(
    store_options: dict[str, Any], sql: Sql, unique_id: str, stepper_server: str
) -> None:
    file = await submit_and_kill_its_worker(store_options, unique_id)
    assert (await run_row(sql, unique_id))["status"] == "running"
    journaled = journaled_model_calls(await stored_journal(store_options, unique_id))
    first_request = len(model_requests(stepper_server))

    events: list[RunWorkerEvent] = []
    worker = RunWorker([stepper(unique_id, file, declare_idempotent=True)], lease_ms=1000, on_event=events.append, **store_options)
    claimed: list[str | None] = []

    async def claim() -> None:
        while not claimed:
            run = await worker.run_once()
            if run is not None:
                claimed.append(run)
            else:
                await asyncio.sleep(0.1)  # polling for the lease to expire, bounded by wait_for

    await asyncio.wait_for(claim(), timeout=30)
    assert claimed == [unique_id] and events[-1]["event"] == "finished"
    sent = set(model_requests(stepper_server)[first_request:])
    for ordinal in range(journaled):
        assert rule_of_call(ordinal) not in sent, f"journaled call {ordinal} was sent again"
    assert every_step_once(file), "step 6, in doubt, run again once (it hung before its effect)"
    row = await run_row(sql, unique_id)
    assert row["status"] == "finished" and row["attempts"] == 2


async def test_a_run_whose_process_died_on_its_last_allowed_attempt_is_failed_not_claimed(
    store_options: dict[str, Any], sql: Sql, unique_id: str
) -> None:
    file = await submit_and_kill_its_worker(store_options, unique_id)

    events: list[RunWorkerEvent] = []
    strict = RunWorker([stepper(unique_id, file)], max_attempts=1, on_event=events.append, **store_options)

    async def given_up() -> None:
        # Once the dead holder's lease expires, a worker allowing one attempt fails the run instead of claiming it.
        while (await run_row(sql, unique_id))["status"] != "failed":
            assert await strict.run_once() is None
            await asyncio.sleep(0.05)  # polling for the lease to expire, bounded by wait_for

    await asyncio.wait_for(given_up(), timeout=30)
    assert [(event["event"], event["run_id"]) for event in events] == [("failed", unique_id)]
    assert "died on each of its 1 attempts" in events[0]["error"]
    row = await run_row(sql, unique_id)
    assert row["attempts"] == 1 and row["lease_owner"] is None
    assert await strict.run_once() is None, "a failed run at the limit stays failed"

    patient = RunWorker([stepper(unique_id, file, declare_idempotent=True)], max_attempts=2, on_event=events.append, **store_options)
    assert await patient.run_once() == unique_id
    row = await run_row(sql, unique_id)
    assert row["status"] == "finished" and row["attempts"] == 2
    assert every_step_once(file)


async def test_the_worker_command_stops_gracefully_on_sigterm(store_options: dict[str, Any], unique_id: str) -> None:
    child = start_worker(store_options, unique_id, effects_file())
    assert child.stdout is not None
    line = await asyncio.to_thread(child.stdout.readline)
    assert line.startswith('{"event":"started","worker":'), "one compact JSON line per event, as TypeScript prints"
    started = json.loads(line)
    assert started["event"] == "started" and started["worker"].startswith(f"{socket.gethostname()}/{child.pid}/")
    child.send_signal(signal.SIGTERM)
    out, err = await asyncio.to_thread(child.communicate, timeout=60)
    assert child.returncode == 0, err
    assert json.loads(out.splitlines()[-1]) == {"event": "stopped", "worker": started["worker"]}
    for secret in filter(None, [store_options.get("connection_string")]):
        assert secret not in out + err


def test_handoff_objects_count_with_their_target_agent() -> None:
    billing = Agent(name="Billing")
    direct = Agent(name="Support", handoffs=[billing])
    through_handoff = Agent(name="Support", handoffs=[handoff(billing, tool_name_override="to_billing")])
    assert graph_fingerprint(through_handoff) == graph_fingerprint(direct)
    vectors = json.loads((REPO / "spec/run-journal/graph-fingerprints.json").read_text())
    [support] = [vector for vector in vectors if vector["start"] == "Support"]
    tools = [function_tool(_ok, name_override=name) for name in ("refund", "lookup_order", "refund")]
    with_tools = Agent(name="Support", tools=tools, handoffs=[handoff(billing)])
    assert graph_fingerprint(with_tools) == support["fingerprint"], "duplicates and order do not matter"


async def _ok() -> str:
    return "ok"


async def test_bad_arguments_are_refused_before_anything_is_written(store_options: dict[str, Any], sql: Sql, unique_id: str) -> None:
    agent = stepper(unique_id, effects_file())
    with pytest.raises(DurableRunMismatchError, match="needs its input"):
        await submit_run(agent, [], durable=DurableOptions(unique_id, **store_options))
    with pytest.raises(ValueError, match="lease_ms"):
        await run_agent(agent, STEPPER_INPUT, durable=DurableOptions(unique_id, lease_ms=5, **store_options))
    assert await stored_journal(store_options, unique_id) == ()
    assert await sql("SELECT run_id FROM timestep_durable_runs WHERE run_id = %s", (unique_id,)) == []
    with pytest.raises(TypeError, match="non-empty list of Agents"):
        RunWorker([], **store_options)
    with pytest.raises(ValueError, match="concurrency"):
        RunWorker([agent], concurrency=0, **store_options)
    with pytest.raises(ValueError, match="lease_ms"):
        RunWorker([agent], lease_ms=0, **store_options)


async def test_a_stopped_worker_finishes_its_runs_and_claims_no_more(store_options: dict[str, Any], sql: Sql, unique_id: str) -> None:
    file = effects_file()
    stop = asyncio.Event()

    async def on_step(step: int) -> None:
        if step == 1:
            stop.set()

    first, second = f"{unique_id}-1", f"{unique_id}-2"
    await submit_run(stepper(unique_id, file), STEPPER_INPUT, durable=DurableOptions(first, **store_options), max_turns=30)
    events: list[RunWorkerEvent] = []
    worker = RunWorker([stepper(unique_id, file, on_step=on_step)], poll_ms=50, on_event=events.append, **store_options)
    running = asyncio.ensure_future(worker.run(stop))
    await asyncio.wait_for(stop.wait(), timeout=60)
    await submit_run(stepper(unique_id, file), STEPPER_INPUT, durable=DurableOptions(second, **store_options), max_turns=30)
    await asyncio.wait_for(running, timeout=120)
    assert [event["event"] for event in events] == ["started", "claimed", "finished", "stopped"]
    assert (await run_row(sql, first))["status"] == "finished"
    assert (await run_row(sql, second))["status"] == "queued"


async def test_a_refused_resume_leaves_the_run_as_it_was(store_options: dict[str, Any], sql: Sql, unique_id: str) -> None:
    file = effects_file()
    options = DurableOptions(unique_id, **store_options)
    await run_agent(stepper(unique_id, file), STEPPER_INPUT, max_turns=30, durable=options)
    before = await run_row(sql, unique_id)
    with pytest.raises(DurableRunMismatchError):
        await run_agent(stepper(f"{unique_id}-other", file), [], durable=options)
    assert await run_row(sql, unique_id) == before
