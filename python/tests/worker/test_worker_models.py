"""A worker routes models as ``run_agent`` does.

With no ``run_config``, an ``ollama/`` agent's submitted run reaches Ollama's
``/api/chat`` (not OpenAI with the model "ollama/llama3"), through ``RunWorker``
and ``python -m timestep.worker``, on both stores.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from agents import Agent
from model_server_support import scripted_server

from timestep import DurableOptions, DurableSession, RunWorker, RunWorkerEvent, run_agent, submit_run

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def echo_server() -> Iterator[str]:
    """The scripted model server on the echo scenario; OpenAI and Ollama are both pointed at it,
    so a run sent to OpenAI is logged instead of leaving the machine."""
    yield from scripted_server("echo", {"OPENAI_AGENTS_DISABLE_TRACING": "1"}, ollama=True)


def sent(server: str) -> list[tuple[str, str]]:
    """(api, model) of every model request the server has logged."""
    with urllib.request.urlopen(f"{server}/__scripted/requests") as response:
        return [(request["api"], request["model"]) for request in json.load(response)]


def ollama_agent(name: str) -> Agent[Any]:
    """An agent on an Ollama model whose name (and so graph fingerprint) no other test's worker has."""
    return Agent(name=name, instructions="Repeat the user.", model="ollama/llama3")


async def test_a_run_worker_without_run_config_sends_submitted_ollama_runs_to_ollama(
    store_options: dict[str, Any], unique_id: str, echo_server: str
) -> None:
    durable = DurableOptions(unique_id, **store_options)
    session = DurableSession(f"{unique_id}-session", **store_options)
    await submit_run(ollama_agent(unique_id), "Say hi", session, durable=durable, max_turns=5)
    first = len(sent(echo_server))

    events: list[RunWorkerEvent] = []
    worker = RunWorker([ollama_agent(unique_id)], poll_ms=50, on_event=events.append, **store_options)
    assert await worker.run_once() == unique_id
    assert [event["event"] for event in events] == ["claimed", "finished"], events
    assert sent(echo_server)[first:] == [("ollama.chat", "llama3")]

    # The run finished with Ollama's answer: resuming it returns the result without a call.
    finished = await run_agent(ollama_agent(unique_id), [], session, durable=durable)
    assert finished.final_output == "echo: Say hi"
    assert len(sent(echo_server)) == first + 1

    # RunWorker.run, until stopped, routes the same way.
    second = DurableOptions(f"{unique_id}-2", **store_options)
    await submit_run(ollama_agent(unique_id), "Say hello", durable=second, max_turns=5)
    stop = asyncio.Event()

    def on_event(event: RunWorkerEvent) -> None:
        events.append(event)
        if event["event"] in ("finished", "failed"):
            stop.set()

    events.clear()
    running = RunWorker([ollama_agent(unique_id)], poll_ms=50, on_event=on_event, **store_options)
    await asyncio.wait_for(running.run(stop), timeout=120)
    assert [(event["event"], event.get("run_id")) for event in events] == [
        ("started", None),
        ("claimed", second.run_id),
        ("finished", second.run_id),
        ("stopped", None),
    ], events
    assert sent(echo_server)[first + 1 :] == [("ollama.chat", "llama3")]
    await session.close()


async def test_python_m_timestep_worker_without_run_config_sends_ollama_runs_to_ollama(
    store_options: dict[str, Any], unique_id: str, echo_server: str
) -> None:
    await submit_run(ollama_agent(unique_id), "Say hello", durable=DurableOptions(unique_id, **store_options), max_turns=5)
    first = len(sent(echo_server))
    env = {**os.environ, "WORKER_AGENT_NAME": unique_id}
    env.pop("TIMESTEP_DB_URL", None)
    if store_options.get("connection_string"):
        env["TIMESTEP_DB_URL"] = store_options["connection_string"]
    child = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "timestep.worker", "--agents", "ollama_worker_agents:agents", "--poll-ms", "50"],
        cwd=HERE,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    stdout, stderr = child.stdout, child.stderr
    assert stdout is not None and stderr is not None
    events: list[RunWorkerEvent] = []

    async def until_the_run_ends() -> None:
        while line := await stdout.readline():
            events.append(json.loads(line))
            if events[-1]["event"] in ("finished", "failed"):
                child.send_signal(signal.SIGTERM)

    try:
        await asyncio.wait_for(until_the_run_ends(), timeout=120)
        errors = (await stderr.read()).decode()
        assert await child.wait() == 0, errors
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    assert [(event["event"], event.get("run_id")) for event in events] == [
        ("started", None),
        ("claimed", unique_id),
        ("finished", unique_id),
        ("stopped", None),
    ], events
    assert sent(echo_server)[first:] == [("ollama.chat", "llama3")]
