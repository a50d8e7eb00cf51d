"""The agents module the worker fleet test starts ``python -m timestep.worker`` with.

Twin of typescript/test/durable/workerFleetAgents.ts (same graph, so the same
graph fingerprint: a run submitted anywhere is claimed by either language).
The tool's side effect is a row in ``fleet_effects`` of the database named by
FLEET_EFFECTS_DB_URL; the tool is idempotent, so a call left in doubt by a
kill -9 is retried.
"""

from __future__ import annotations

import os
from typing import Any

import psycopg
from agents import Agent, function_tool

from timestep import idempotent


async def record_effect(run: str, step: int) -> str:
    async with await psycopg.AsyncConnection.connect(os.environ["FLEET_EFFECTS_DB_URL"], autocommit=True) as connection:
        await connection.execute(
            "INSERT INTO fleet_effects (run, step, worker) VALUES (%s, %s, %s)",
            (run, step, f"py/{os.getpid()}"),
        )
    return f"step {step} done for {run}"


record_effect_tool = function_tool(record_effect, name_override="record_effect", description_override="Records one step of a fleet run.")

fleet_agent: Agent[Any] = Agent(
    name="Fleet Agent",
    instructions="You are the Fleet Agent. Record two steps with record_effect, then report.",
    model="gpt-4.1",
    tools=[idempotent(record_effect_tool)],
)

agents = [fleet_agent]
