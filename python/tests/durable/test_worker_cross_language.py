"""A run TypeScript submits (``submitRun``) is claimed and finished by Python's RunWorker, on both stores.

Scenario spec/scenarios/worker-fleet.json (three model calls, two tool calls).
Both languages build the same graph (agent name, one function tool
``record_effect``), so the run's graph fingerprint is one the worker has.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from agents import Agent, function_tool
from durable.durable_support import stored_journal
from model_server_support import scripted_server
from store_support import Sql, run_typescript, store_argument

from timestep import DurableSession, RunWorker, RunWorkerEvent, graph_fingerprint


@pytest.fixture(scope="module")
def fleet_server() -> Iterator[str]:
    yield from scripted_server("worker-fleet", {"OPENAI_AGENTS_DISABLE_TRACING": "1"})


INSTRUCTIONS = "You are the Fleet Agent. Record two steps with record_effect, then report."

TYPESCRIPT_SUBMITS = """
import { Agent, tool } from '@openai/agents';
import { z } from 'zod';
import { DurableSession, submitRun, graphFingerprint } from './src/index.ts';
const [storeArgument, name, runId, input] = process.argv.slice(-4);
const target = storeArgument.startsWith('postgres') ? { connectionString: storeArgument } : { pglitePath: storeArgument };
const recordEffect = tool({
  name: 'record_effect',
  description: 'Records one step of a fleet run.',
  parameters: z.object({ run: z.string(), step: z.number().int() }),
  execute: async () => 'never run here',
});
const agent = new Agent({ name, instructions: process.env.FLEET_INSTRUCTIONS, model: 'gpt-4.1', tools: [recordEffect] });
const session = new DurableSession({ ...target });
await submitRun(agent, input, session, { runId, ...target });
await session.close();
console.log(JSON.stringify({ session: session.sessionId, graph: graphFingerprint(agent) }));
"""


def fleet_agent(name: str, effects: Path) -> Agent[Any]:
    async def record_effect(run: str, step: int) -> str:
        with effects.open("a") as file:
            file.write(f"{run} step {step}\n")
        return f"step {step} done for {run}"

    tool = function_tool(record_effect, name_override="record_effect", description_override="Records one step of a fleet run.")
    return Agent(name=name, instructions=INSTRUCTIONS, model="gpt-4.1", tools=[tool])


@pytest.mark.usefixtures("fleet_server")
async def test_a_run_submitted_by_typescript_is_finished_by_the_python_worker(
    store_options: dict[str, Any], sql: Sql, unique_id: str
) -> None:
    effects = Path(tempfile.mkdtemp(prefix="ts-fleet-")) / "effects.txt"
    agent = fleet_agent(unique_id, effects)
    text = f"Fleet run {uuid.uuid4()}"
    submitted = json.loads(
        run_typescript(
            ["--input-type=module", "-e", TYPESCRIPT_SUBMITS, "--", store_argument(store_options), unique_id, unique_id, text],
            {"FLEET_INSTRUCTIONS": INSTRUCTIONS},
        )
    )
    assert submitted["graph"] == graph_fingerprint(agent), "same graph, same fingerprint in both languages"
    entries = await stored_journal(store_options, unique_id)  # (starts the embedded store's server again if needed)
    assert [entry.kind for entry in entries] == ["segment_started"] and entries[0].body["input"] == [
        {"type": "message", "role": "user", "content": text}
    ]
    assert await sql("SELECT status FROM timestep_durable_runs WHERE run_id = %s", (unique_id,)) == [("queued",)]

    events: list[RunWorkerEvent] = []
    worker = RunWorker([agent], on_event=events.append, **store_options)
    assert await worker.run_once() == unique_id
    assert [event["event"] for event in events] == ["claimed", "finished"], events
    assert effects.read_text().splitlines() == [f"{text} step 1", f"{text} step 2"]
    async with DurableSession(submitted["session"], **store_options) as session:
        items = await session.get_items()
    assert items[0].get("content") == text
    last = items[-1]
    assert last.get("role") == "assistant" and f"step 2 done for {text}" in json.dumps(last)
    rows = await sql("SELECT status, attempts, lease_owner FROM timestep_durable_runs WHERE run_id = %s", (unique_id,))
    assert rows == [("finished", 1, None)]
