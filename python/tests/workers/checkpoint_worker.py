"""A test worker process, the Python twin of typescript/test/embedded/checkpointWorker.ts.

Saves ``count`` checkpoints of run ``run_id`` into the embedded store at
``data_dir``, loading each back, and prints one JSON line per acknowledged
save (``{"runId":...,"version":...}``, byte for byte as the TypeScript worker
prints it). A save or load interrupted by the store host dying is retried;
``expected_version`` tells a lost acknowledgement from a lost write.

    python checkpoint_worker.py <data_dir> <run_id> <count>
"""

from __future__ import annotations

import asyncio
import json
import sys

from agents import Agent, RunContextWrapper
from agents.run_state import RunState

from timestep import RunStateConflictError, RunStateStore, StoreUnavailableError

AGENT: Agent[dict[str, int]] = Agent(name="Checkpointer", instructions="Saves checkpoints.")


async def save_version(store: RunStateStore[dict[str, int]], version: int) -> None:
    state: RunState[dict[str, int], Agent[dict[str, int]]] = RunState(
        RunContextWrapper({"checkpoint": version}), f"checkpoint {version}", AGENT, 10
    )
    while True:
        try:
            await store.save(state, expected_version=version - 1)
            return
        except RunStateConflictError as conflict:
            if conflict.actual_version == version:
                return  # it did commit
            raise
        except StoreUnavailableError:
            continue


async def load_checkpoint(store: RunStateStore[dict[str, int]]) -> object:
    while True:
        try:
            loaded = await store.load()
        except StoreUnavailableError:
            continue  # the host died mid-read; reading again is harmless
        return loaded._context.context["checkpoint"] if loaded._context else None


async def main(data_dir: str, run_id: str, count: int) -> None:
    store: RunStateStore[dict[str, int]] = RunStateStore(AGENT, run_id=run_id, pglite_path=data_dir)
    for version in range(1, count + 1):
        await save_version(store, version)
        checkpoint = await load_checkpoint(store)
        if checkpoint != version:
            raise RuntimeError(f"loaded checkpoint {checkpoint}, expected {version}")
        print(json.dumps({"runId": run_id, "version": version}, separators=(",", ":")), flush=True)
    await store.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
