"""The agents module ``python -m timestep.worker`` runs in the worker tests.

The Durable Stepper under the name WORKER_AGENT_NAME (so each test's runs
have their own graph fingerprint and no other test's worker claims them),
recording its steps in WORKER_EFFECTS_FILE. With WORKER_HANG_AT=N, step N
creates ``<effects file>.hung`` and hangs before its side effect, so a test
kills the worker at a known point (the call is in doubt, and the tool is
declared idempotent so that a resume runs it again).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from durable.step_agent import step_agent

_effects = Path(os.environ["WORKER_EFFECTS_FILE"])
_hang_at = int(os.environ["WORKER_HANG_AT"]) if os.environ.get("WORKER_HANG_AT") else None


def _hanging(step: int) -> Callable[[int], Awaitable[None]]:
    async def on_step(current: int) -> None:
        if current == step:
            _effects.with_name(_effects.name + ".hung").touch()
            await asyncio.Event().wait()  # until the test kills the process

    return on_step


agents = [
    step_agent(_effects, _hanging(_hang_at) if _hang_at else None, declare_idempotent=_hang_at is not None).clone(
        name=os.environ["WORKER_AGENT_NAME"]
    )
]
