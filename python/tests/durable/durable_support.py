"""Shared by the durable-run tests: child processes, the journal as stored, the request log, the conversation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from normalise import normalise_conversation
from store_support import REPO

from timestep import DurableSession, StoreOptions, resolve_store_target
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
