"""Shared by the durable-run tests: child processes, the journal as stored, the request log, the conversation."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from durable.step_agent import FINAL_OUTPUT, MODEL_CALLS, STEPPER_INPUT, STEPS, step_agent, step_counts
from normalise import normalise_conversation
from store_support import REPO, Sql

from timestep import DurableSession, StoreOptions, resolve_store_target, run_agent
from timestep.durable.journal import JournalEntry, RunJournal
from timestep.store.connect import lease_database

PYTHON_CHILD = Path(__file__).with_name("durable_child.py")
"""Run as ``python -m durable.durable_child`` from python/tests."""
TYPESCRIPT_CHILD = REPO / "typescript/test/durable/durableChild.ts"
CHILD_TIMEOUT_S = 180

Line = dict[str, Any]
KillWhen = Callable[[Line, Callable[[], None]], None]


@dataclass
class ChildRun:
    lines: list[Line]
    killed: bool


def store_target(store_options: dict[str, Any]) -> str:
    """How both children take a store: the PostgreSQL URL or the embedded store's data directory."""
    return store_options.get("connection_string") or str(Path(os.environ["TIMESTEP_HOME"]) / "pglite")


def run_child(language: str, arguments: list[str], kill_when: KillWhen = lambda line, kill: None) -> ChildRun:
    """Runs the durable child in ``language`` until ``kill_when`` calls kill (SIGKILL) or it exits."""
    if language == "python":
        command = [sys.executable, "-m", "durable.durable_child", *arguments]
        cwd = PYTHON_CHILD.parent.parent
    else:
        command = ["node", "--import", "tsx", str(TYPESCRIPT_CHILD), *arguments]
        cwd = REPO / "typescript"
    child = subprocess.Popen(
        command,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "OPENAI_AGENTS_DISABLE_TRACING": "1"},
    )
    assert child.stdout is not None and child.stderr is not None
    killed = False
    lines: list[Line] = []

    def kill() -> None:
        nonlocal killed
        if not killed and child.poll() is None:
            killed = True
            child.kill()

    # A child that hangs unexpectedly is killed at the limit, and the test fails below.
    timer = threading.Timer(CHILD_TIMEOUT_S, child.kill)
    timer.start()
    try:
        for text in child.stdout:
            line = json.loads(text)
            lines.append(line)
            kill_when(line, kill)
        code = child.wait()
    finally:
        timer.cancel()
    errors = child.stderr.read()
    if not killed:
        assert code == 0, f"durable {language} child exited with {code}; lines: {lines}; stderr: {errors}"
    return ChildRun(lines, killed)


def kill_at_step(step: int) -> KillWhen:
    def when(line: Line, kill: Callable[[], None]) -> None:
        if line["event"] == "step" and line["step"] == step:
            kill()

    return when


async def stored_journal(store_options: dict[str, Any], run_id: str) -> tuple[JournalEntry, ...]:
    """The run's journal as stored."""
    options = StoreOptions(store_options.get("connection_string"), store_options.get("use_pglite"))
    lease = await lease_database(resolve_store_target(options))
    try:
        return (await RunJournal.open(lease.db, run_id)).entries
    finally:
        await lease.release()


async def stored_run_status(store_options: dict[str, Any], run_id: str) -> str | None:
    """The run's status column (queued, running, interrupted, finished, failed)."""
    options = StoreOptions(store_options.get("connection_string"), store_options.get("use_pglite"))
    lease = await lease_database(resolve_store_target(options))
    try:
        rows = await lease.db.query("SELECT status FROM timestep_durable_runs WHERE run_id = %s", [run_id])
        return str(rows[0]["status"]) if rows else None
    finally:
        await lease.release()


async def store_decision(sql: Sql, run_id: str, call_id: str) -> None:
    """What ``timestep runs approve`` stores."""
    await sql(
        "INSERT INTO timestep_approval_decisions (run_id, call_id, decision, reason, decided_by, tool)"
        " VALUES (%s, %s, 'approve', 'fine', 'carol', 'record_step')",
        (run_id, call_id),
    )


def journaled_model_calls(entries: tuple[JournalEntry, ...]) -> int:
    return sum(1 for entry in entries if entry.kind == "model_response")


def rule_of_call(ordinal: int) -> str:
    """Rule of the scenario that answers model call ``ordinal`` (0: step-1 ... 20: finish)."""
    return f"step-{ordinal + 1}" if ordinal < 20 else "finish"


def model_requests(server_url: str) -> list[str | None]:
    """Rule ids of every request the scripted model server has answered, in order."""
    with urllib.request.urlopen(f"{server_url}/__scripted/requests") as response:
        return [entry["ruleId"] for entry in json.load(response)]


async def conversation(session: DurableSession) -> list[dict[str, Any]]:
    """The conversation in the normalised, language-neutral form, for comparing two runs."""
    return normalise_conversation([dict(item) for item in await session.get_items()], ["Durable Stepper"])


KILLS = int(os.environ.get("TIMESTEP_KILL_LOOPS", "50"))
"""Kills per kill loop: 50, as CI runs it (TIMESTEP_KILL_LOOPS=N for fewer or more)."""


def _random(seed: int) -> Callable[[], float]:
    """A seeded generator (the TypeScript kill loop's), so a failing sequence of kill points can be replayed."""
    x = seed

    def next_value() -> float:
        nonlocal x
        x = (x * 1103515245 + 12345) % 2**31
        return x / 2**31

    return next_value


def _killer(point: dict[str, Any] | None) -> KillWhen:
    """Kills at the child's ``ready`` line, or ``after_steps`` step lines plus ``delay_ms``."""
    steps = 0

    def when(line: Line, kill: Callable[[], None]) -> None:
        nonlocal steps
        if point is None:
            return
        if point["at"] == "ready" and line["event"] == "ready":
            kill()
        if point["at"] == "step" and line["event"] == "step":
            steps += 1
            if steps == point["after_steps"]:
                threading.Timer(point["delay_ms"] / 1000, kill).start()

    return when


async def kill_loop(store_options: dict[str, Any], seed: int, server_url: str, language_of: Callable[[int], str]) -> dict[str, int]:
    """kill -9 during the twenty-turn durable run until it is done; child ``n`` runs in ``language_of(n)``.

    Children are killed at random points (while starting and replaying, right
    after a step's tool started, a little later) and resumed by the next child.
    Asserts that no journaled model call was sent again, that each step's side
    effect happened once or was reported in doubt, and that the conversation
    equals an uninterrupted run's.
    """
    following = _random(seed)
    run_id = f"kill-loop-{uuid.uuid4()}"
    session_id = str(uuid.uuid4())
    file = Path(tempfile.mkdtemp(prefix="ts-kill-")) / "effects.txt"

    # The reference: the same run, uninterrupted and not durable.
    async with DurableSession(**store_options) as reference:
        await run_agent(step_agent(file.with_name("reference.txt")), STEPPER_INPUT, reference, max_turns=30)
        expected = await conversation(reference)

    reported_in_doubt: set[int] = set()
    kills = children = 0
    done: Line | None = None
    while done is None:
        journaled = journaled_model_calls(await stored_journal(store_options, run_id))
        steps_done = len(step_counts(file))
        # Kill at step lines while enough steps remain for the kills still to come, else while starting.
        kills_left = KILLS - kills
        room = (STEPS - 2 - steps_done) / (2 * max(kills_left, 1))
        point: dict[str, Any] | None
        if kills_left == 0:
            point = None
        elif following() < room:
            after = 1 + int(following() * min(2, max(1, room)))
            point = {"at": "step", "after_steps": after, "delay_ms": int(following() * 12)}
        else:
            point = {"at": "ready"}
        first_request = len(model_requests(server_url))
        language = language_of(children)
        child = await asyncio.to_thread(run_child, language, [store_target(store_options), run_id, session_id, str(file)], _killer(point))
        children += 1

        sent = set(model_requests(server_url)[first_request:])
        for ordinal in range(journaled):
            assert rule_of_call(ordinal) not in sent, f"journaled call {ordinal} was sent again ({language} child)"
        for line in child.lines:
            if line["event"] == "in_doubt":
                reported_in_doubt.update(json.loads(call["arguments"])["step"] for call in line["calls"])
        if child.killed:
            kills += 1
        else:
            done = child.lines[-1]

    assert kills == KILLS, "the run was killed as often as asked"
    assert done == {"event": "done", "finalOutput": FINAL_OUTPUT}
    journal = await stored_journal(store_options, run_id)
    assert journaled_model_calls(journal) == MODEL_CALLS, "each model call journaled once"
    reported_in_doubt.update(json.loads(entry.body["arguments"])["step"] for entry in journal if entry.kind == "tool_in_doubt")
    counts = step_counts(file)
    for step in range(1, STEPS + 1):
        assert counts[step] >= 1, f"step {step} ran"
        assert counts[step] == 1 or step in reported_in_doubt, f"step {step} ran {counts[step]} times, not in doubt"
    async with DurableSession(session_id, **store_options) as session:
        assert await conversation(session) == expected, "same conversation as an uninterrupted run"
    return {"kills": kills, "in_doubt": len(reported_in_doubt), "repeated_effects": sum(n > 1 for n in counts.values())}
