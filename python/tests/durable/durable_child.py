"""Test child (run from python/tests), twin of typescript/test/durable/durableChild.ts: runs (or resumes) the twenty-step durable run.

Prints JSON lines: ``ready`` before the run, ``step`` before each step's side
effect, ``in_doubt`` when a resume surfaces calls (it approves them), ``done``
at the end.

    python -m durable.durable_child <pglite dir | postgres URL> <run_id> <session_id> <effects file> [--hang-at N] [--idempotent]

``--hang-at N`` blocks step N after reporting it (before its side effect), so
the test can kill the process with the call started and unfinished.
``--stream [--from N]`` runs streamed and prints each event from offset N as a
``stream`` line instead (use with ``--idempotent``: no approvals to answer).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from agents import set_tracing_disabled
from durable.step_agent import STEPPER_INPUT, event_summary, step_agent

from timestep import DurableOptions, DurableSession, durable_stream_events, run_agent


def say(line: dict[str, Any]) -> None:
    print(json.dumps(line), flush=True)


async def main(target: str, run_id: str, session_id: str, effects_file: str, flags: list[str]) -> None:
    hang_at = int(flags[flags.index("--hang-at") + 1]) if "--hang-at" in flags else None
    store: dict[str, Any] = {"connection_string": target} if target.startswith("postgres") else {"pglite_path": target}

    async def on_step(step: int) -> None:
        say({"event": "step", "step": step})
        if step == hang_at:
            await asyncio.Event().wait()  # never set: the test kills the process here

    agent = step_agent(Path(effects_file), on_step, declare_idempotent="--idempotent" in flags)
    durable = DurableOptions(run_id=run_id, **store)
    async with DurableSession(session_id, **store) as session:
        say({"event": "ready"})
        if "--stream" in flags:
            start = int(flags[flags.index("--from") + 1]) if "--from" in flags else 0
            streamed = await run_agent(agent, STEPPER_INPUT, session, True, durable=durable, max_turns=30)
            async for numbered in durable_stream_events(streamed, start):
                if numbered.offset is not None:
                    say({"event": "stream", "offset": numbered.offset, "summary": event_summary(numbered.event)})
            say({"event": "done", "finalOutput": streamed.final_output})
            return
        result = await run_agent(agent, STEPPER_INPUT, session, durable=durable, max_turns=30)
        while result.interruptions:
            say({"event": "in_doubt", "calls": [{"arguments": item.arguments} for item in result.interruptions]})
            state = result.to_state()
            for item in result.interruptions:
                state.approve(item)
            result = await run_agent(agent, state, session, durable=durable, max_turns=30)
        say({"event": "done", "finalOutput": result.final_output})


if __name__ == "__main__":
    set_tracing_disabled(True)
    target, run_id, session_id, effects_file, *flags = sys.argv[1:]
    asyncio.run(main(target, run_id, session_id, effects_file, flags))
