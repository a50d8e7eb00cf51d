"""Figure 7, durable mode (Python): per-turn overhead of ``run_agent(..., durable=DurableOptions(run_id=...))``
against the same run without it, at 50 ms model latency, on the embedded store (through ``timestep db serve``)
and PostgreSQL; resuming the finished run (everything replayed from the journal); and the journal's bytes
against the session items of the run. Twin of bench/src/durable.ts.

    python bench/python/bench_durable.py [--quick]      (bench/run.sh runs it)

Env: TIMESTEP_BENCH_DB_URL (PostgreSQL), TIMESTEP_CLI (timestep CLI main.js), BENCH_RESULTS (output dir).
Writes <BENCH_RESULTS>/python-durable-latest.json: raw samples and sizes in the shape of
bench/src/durableResults.ts (DurableResults); latest.md's figure 7 is computed from it.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from agents import Agent, RunConfig, function_tool, set_tracing_disabled
from agents.models.openai_provider import OpenAIProvider

from timestep import DurableOptions, DurableSession, StoreOptions, resolve_store_target, run_agent
from timestep.store.connect import lease_database
from timestep.store.database import Database

REPO = Path(__file__).resolve().parents[2]  # the checkout, or the snapshot bench/run.sh measures
QUICK = "--quick" in sys.argv
DELAY_MS = 50
WARMUP = 0 if QUICK else 2
ROUNDS = 1 if QUICK else 20
INPUT = "Record 20 steps."
MODEL_CALLS = 21  # 20 tool calls, one per model call, then the answer
FINAL = "All 20 steps are recorded."
set_tracing_disabled(True)


def log(message: str) -> None:
    print(f"[bench python durable] {message}", file=sys.stderr, flush=True)


async def record_step(step: int) -> str:
    return f"step {step} done"


STEPPER: Agent[Any] = Agent(
    name="Durable Stepper",
    instructions="You are the Durable Stepper. Record each step with record_step.",
    model="gpt-4.1",
    tools=[function_tool(record_step, name_override="record_step", description_override="Records that a step was done.")],
)


async def timed_query(db: Database, sql: str) -> float:
    """Milliseconds ``sql`` takes on ``db``, round trip included."""
    t0 = time.perf_counter()
    await db.query(sql)
    return (time.perf_counter() - t0) * 1e3


def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "?")
    import platform

    import agents

    repo = os.environ.get("BENCH_REPO_ROOT") or str(REPO)
    commit = subprocess.run(["git", "-C", repo, "rev-parse", "--short", "HEAD"], check=False, capture_output=True, text=True).stdout.strip()
    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cpuModel": cpu, "cores": os.cpu_count(),
        "python": platform.python_version(), "sdk": {"openai-agents (Python)": getattr(agents, "__version__", "?")},
        "gitCommit": os.environ.get("BENCH_GIT_COMMIT") or commit or None,
    }


async def main() -> None:
    pg_url = os.environ.get("TIMESTEP_BENCH_DB_URL")
    if not pg_url:
        sys.exit("bench python durable: TIMESTEP_BENCH_DB_URL is not set (bench/run.sh provides one)")
    os.environ.setdefault("TIMESTEP_CLI", str(Path(os.environ.get("BENCH_REPO_ROOT") or REPO) / "typescript/dist/cli/main.js"))
    os.environ.pop("TIMESTEP_DB_URL", None)
    work = Path(tempfile.mkdtemp(prefix="tsbd-", dir="/tmp"))  # short: socket paths ≤ ~100 bytes
    os.environ["TIMESTEP_HOME"] = str(work / "home")  # fresh app directory for the embedded store
    results_dir = Path(os.environ.get("BENCH_RESULTS") or REPO / "bench/results")
    started = time.monotonic()
    server = subprocess.Popen(
        ["node", str(REPO / "testing/model-server/server.mjs"),
         "--scenario", str(REPO / "spec/scenarios/durable-twenty-steps.json"), "--delay-ms", str(DELAY_MS)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    stores: list[tuple[str, dict[str, Any]]] = [("embedded", {"use_pglite": True}), ("postgres", {"connection_string": pg_url})]
    # Held for the whole benchmark, so the store stays open (as in a long-lived app) and its sizes can be read.
    leases = [await lease_database(resolve_store_target(StoreOptions(**options))) for _, options in stores]
    try:
        url = json.loads(server.stdout.readline())["url"]  # type: ignore[union-attr]
        config = RunConfig(model_provider=OpenAIProvider(base_url=f"{url}/v1", api_key="bench-key"), tracing_disabled=True)

        async def run(options: dict[str, Any], session: DurableSession, run_id: str | None) -> float:
            durable = DurableOptions(run_id=run_id, **options) if run_id else None
            t0 = time.perf_counter()
            result = await run_agent(STEPPER, INPUT, session, False, durable=durable, max_turns=30, run_config=config)
            elapsed = (time.perf_counter() - t0) * 1e3
            if result.final_output != FINAL:
                raise RuntimeError(f"bench durable run went wrong: {result.final_output!r}")
            return elapsed

        samples = [{"plain": [], "durable": [], "replay": []} for _ in stores]
        last: list[tuple[str, str]] = [("", "") for _ in stores]
        for round_ in range(-WARMUP, ROUNDS):
            for index in random.sample(range(len(stores)), len(stores)):
                options = stores[index][1]
                for variant in random.sample(["plain", "durable"], 2):
                    session = DurableSession(**options)
                    run_id = f"bench-py-durable-{uuid.uuid4()}" if variant == "durable" else None
                    elapsed = await run(options, session, run_id)
                    # Resuming the finished run right after it: the whole run is answered from its journal.
                    replay = await run(options, session, run_id) if run_id else None
                    await session.close()
                    if round_ < 0:
                        continue
                    samples[index][variant].append(elapsed)
                    if run_id:
                        samples[index]["replay"].append(replay)
                        last[index] = (run_id, session.session_id)
            log(f"round {round_ + 1}/{ROUNDS} done")

        # Reference for reading the overhead (as in durable.ts): one committed write transaction, round trip
        # included, back to back and after the idle wait of a turn's model call.
        commits: list[dict[str, list[float]]] = []
        for lease in leases:
            warm: list[float] = []
            after_idle: list[float] = []
            for _ in range(5 if QUICK else 100):
                warm.append(await timed_query(lease.db, "SELECT txid_current()"))
                await asyncio.sleep(DELAY_MS / 1000)
                after_idle.append(await timed_query(lease.db, "SELECT txid_current()"))
            commits.append({"commitMs": warm, "commitAfterIdleMs": after_idle})
        overhead = [
            {"store": name, "modelCalls": MODEL_CALLS, "samples": samples[i], **commits[i]} for i, (name, _) in enumerate(stores)
        ]
        sizes = []
        for i, (name, _) in enumerate(stores):
            db = leases[i].db
            run_id, session_id = last[i]
            journal = await db.query(
                "SELECT kind, key, octet_length(body::text)::int AS text, pg_column_size(body)::int AS stored"
                " FROM timestep_run_journal WHERE run_id = %s ORDER BY seq",
                [run_id],
            )
            items = await db.query(
                "SELECT item->>'type' AS type, item->>'call_id' AS call_id, octet_length(item::text)::int AS text,"
                " pg_column_size(item)::int AS stored, octet_length(native_item::text)::int AS native"
                " FROM timestep_session_items WHERE session_id = %s ORDER BY id",
                [session_id],
            )
            sizes.append({
                "store": name,
                "journal": [{"kind": r["kind"], "key": r["key"], "text": int(r["text"]), "stored": int(r["stored"])} for r in journal],
                "items": [
                    {"type": r["type"] or "message", "callId": r["call_id"], "text": int(r["text"]), "stored": int(r["stored"])}
                    for r in items
                ],
                "nativeItemText": sum(int(r["native"] or 0) for r in items),
            })

        out = {
            "schema": 1, "language": "python", "quick": QUICK, "machine": machine(),
            "config": {"modelDelayMs": DELAY_MS, "modelCalls": MODEL_CALLS, "warmupRounds": WARMUP, "rounds": ROUNDS},
            "durationSeconds": round(time.monotonic() - started),
            "overhead": overhead, "bytes": sizes,
            "notes": [
                "Embedded = the embedded store through the store server (timestep db serve, unix socket); "
                "the package measured is the one installed in the venv."
            ],
        }
        results_dir.mkdir(parents=True, exist_ok=True)
        (results_dir / "python-durable-latest.json").write_text(json.dumps(out, indent=2) + "\n")
        for (name, _), s in zip(stores, samples, strict=True):
            plain, durable = sorted(s["plain"])[len(s["plain"]) // 2], sorted(s["durable"])[len(s["durable"]) // 2]
            overhead = (durable / plain - 1) * 100
            per_turn = f"plain {plain / MODEL_CALLS:.2f} ms/turn, durable {durable / MODEL_CALLS:.2f} ms/turn"
            log(f"{name}: {per_turn} ({overhead:+.1f}%, upper medians)")
    finally:
        for lease in leases:
            await lease.release()
        server.stdin.close()  # type: ignore[union-attr]
        server.wait()


if __name__ == "__main__":
    asyncio.run(main())
