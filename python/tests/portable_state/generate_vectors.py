"""Writes spec/portable-run-state/vectors/python/*.json from real Python runs.

Each vector follows the recipe of the TypeScript vector of the same name,
against the scripted model server (scenario portable-vectors), whose ids are
hashes of the request, so re-running gives byte-identical files. Resume
decisions name the same interruptions (by position) as the TypeScript ones.
``expected`` is observed by resuming the native state in Python.

    cd python && ../.venv/bin/python tests/portable_state/generate_vectors.py [name ...]
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: vector_agents, vectors

from agents import Runner  # noqa: E402
from agents.run_state import RunState  # noqa: E402
from vector_agents import vector_agents  # noqa: E402
from vectors import (  # noqa: E402
    VECTORS_DIR,
    Vector,
    apply_decision,
    observe_finished,
    read_vector,
    resume_and_observe,
    run_config,
    tracing,
)

from timestep.portable_state.to_portable import to_portable_run_state  # noqa: E402
from timestep.store.sdk_info import SDK_NAME, SDK_VERSION  # noqa: E402

REPO = VECTORS_DIR.parents[2]
NAMES = ["final-output", "handoff-interruption", "rejection", "two-interruptions", "sticky-approve", "sticky-reject",
         "image-and-file-input", "json-context", "max-turns"]


async def paused_state(recipe: dict[str, Any]) -> RunState[Any, Any]:
    """Runs the recipe and returns the state to save (decisions before saving applied)."""
    agents = vector_agents()
    history: list[Any] = []
    for turn in recipe["previous_turns"]:
        earlier = await Runner.run(agents.personal_assistant, [*history, {"role": "user", "content": turn}])
        history = earlier.to_input_list()
    given = recipe["input"]
    run_input: str | list[Any] = [*history, {"role": "user", "content": given}] if isinstance(given, str) else [*history, *given]
    if not history and isinstance(given, str):
        run_input = given
    result = await Runner.run(
        agents.personal_assistant, run_input, context=recipe["context"], max_turns=recipe["max_turns"],
        run_config=run_config(recipe["trace"]),
    )
    state = result.to_state()
    interruptions = state.get_interruptions()
    for decision in recipe["decisions_before_saving"]:
        apply_decision(state, interruptions[decision["interruption"]], decision)
    return state


def python_decisions(typescript: Vector, state: RunState[Any, Any]) -> list[dict[str, Any]]:
    """The TypeScript vector's resume decisions, moved to the Python state's calls by position."""
    step = typescript["portable"]["step"] or {}
    positions = [interruption["raw"]["call_id"] for interruption in step.get("interruptions", [])]
    calls = [item.call_id for item in state.get_interruptions()]
    return [
        decision | {"call_id": calls[positions.index(decision["call_id"])]}
        for decision in typescript["resume"]["decisions"]
    ]


async def make_vector(name: str) -> Vector:
    typescript = read_vector(VECTORS_DIR / "typescript" / f"{name}.json")
    recipe = typescript["recipe"]
    with tracing(recipe["trace"] is not None):
        state = await paused_state(recipe)
        native = state.to_string()
    portable = to_portable_run_state(state)
    resume = {"decisions": python_decisions(typescript, state), "tracing": typescript["resume"]["tracing"]}
    if (portable["step"] or {}).get("type") == "final_output":
        expected = observe_finished(portable)
    else:
        agents = vector_agents()
        with tracing(resume["tracing"]):
            loaded = await RunState.from_string(agents.personal_assistant, native)
            expected = await resume_and_observe(loaded, agents, copy.deepcopy(resume))
    return {
        "name": name,
        "producer": {"sdk": SDK_NAME, "sdk_version": SDK_VERSION, "native_schema_version": json.loads(native)["$schemaVersion"]},
        "situation": typescript["situation"],
        "scenario": typescript["scenario"],
        "recipe": recipe,
        "native": native,
        "portable": portable,
        "resume": resume,
        "expected": expected,
    }


async def main(names: list[str]) -> None:
    server = subprocess.Popen(
        ["node", str(REPO / "testing/model-server/server.mjs"), "--scenario",
         str(REPO / "spec/scenarios/portable-vectors.json")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert server.stdout is not None and server.stdin is not None
    os.environ["OPENAI_BASE_URL"] = json.loads(server.stdout.readline())["url"] + "/v1"
    os.environ["OPENAI_API_KEY"] = "test"
    try:
        (VECTORS_DIR / "python").mkdir(exist_ok=True)
        for name in names:
            vector = await make_vector(name)
            path = VECTORS_DIR / "python" / f"{name}.json"
            path.write_text(json.dumps(vector, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            print(f"wrote {path.relative_to(REPO)}")
    finally:
        server.stdin.close()
        server.wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:] or NAMES))
