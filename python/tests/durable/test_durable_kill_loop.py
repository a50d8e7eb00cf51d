"""kill -9 during a twenty-turn tool-using durable run, resumed by the next Python process each time.

Twin of typescript/test/durable/killLoop.test.ts: TIMESTEP_KILL_LOOPS kills per
store (50, as CI runs it; TIMESTEP_KILL_LOOPS=N for fewer or more).
"""

from __future__ import annotations

from typing import Any

from durable.durable_support import KILLS, kill_loop


async def test_kill_9_at_random_points_until_the_run_is_done(store_options: dict[str, Any], stepper_server: str) -> None:
    stats = await kill_loop(store_options, 7919, stepper_server, lambda child: "python")
    assert stats["kills"] == KILLS
