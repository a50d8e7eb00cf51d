"""Python figure 1: RunStateStore.save + load through the embedded store server,
PostgreSQL, and the original design (spawn Node for every query), against the
file baseline (to_string + write + fsync / read + RunState.from_string).

    python bench/python/bench_store.py [--quick]      (bench/run.sh runs it after the TypeScript part)

Env: TIMESTEP_BENCH_DB_URL (PostgreSQL), TIMESTEP_CLI (timestep CLI main.js), BENCH_RESULTS (output dir),
BENCH_WORK (scratch dir). Writes <BENCH_RESULTS>/python-latest.json with the row/target shape of
bench/src/report.ts.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from agents import Agent, RunConfig, RunContextWrapper, Runner, function_tool, set_tracing_disabled
from agents.models.openai_provider import OpenAIProvider
from agents.run_state import RunState

from timestep.store import RunStateStore
from timestep.store import run_state_store as rss
from timestep.store.sdk_info import SDK_NAME, SDK_VERSION

REPO = Path(__file__).resolve().parents[2]  # the checkout, or the snapshot bench/run.sh measures
HERE = Path(__file__).resolve().parent
QUICK = "--quick" in sys.argv
SIZES = {"small": 1, "medium": 5 if QUICK else 20}
WARMUP = 1 if QUICK else 3
REPS = {"small": 2, "medium": 2} if QUICK else {"small": 30, "medium": 25}
LARGE_MEGABYTES = [1] if QUICK else [1, 8, 32]
LARGE_REPS = 1 if QUICK else 5
set_tracing_disabled(True)


def log(message: str) -> None:
    print(f"[bench python] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the agent (as bench/src/agents.ts)
def _record(n: int, total: int) -> str:
    body = {
        "record": n,
        "of": total - 1,
        "queue": "invoices-2024",
        "status": "flagged" if n % 7 == 0 else "ok",
        "amount_cents": (n * 7919) % 100000,
        "customer": f"customer-{(n * 31) % 997}",
        "notes": "Checked totals, tax lines and the payment reference against the ledger; nothing unusual found.",
    }
    return json.dumps(body, separators=(",", ":")) + (" DONE" if n >= total - 1 else "")


@function_tool
def inspect_record(ctx: RunContextWrapper[dict[str, int]], queue: str, mode: str) -> str:
    """Inspects the next record in a queue and returns it."""
    ctx.context["done"] += 1
    return _record(ctx.context["done"], ctx.context["turns"])


AGENT: Agent[Any] = Agent(
    name="Bench Worker",
    instructions="You are a Bench Worker. Call inspect_record until it reports DONE, then summarise.",
    model="gpt-4.1",
    tools=[inspect_record],
)


async def real_state(url: str, turns: int) -> RunState[Any, Any]:
    prompt = "Answer directly: is the queue empty?" if turns == 1 else "Inspect every record in the invoices-2024 queue."
    config = RunConfig(model_provider=OpenAIProvider(base_url=f"{url}/v1", api_key="bench-key"), tracing_disabled=True)
    result = await Runner.run(AGENT, prompt, context={"turns": turns, "done": 0}, max_turns=turns + 5, run_config=config)
    if len(result.raw_responses) != turns or not isinstance(result.final_output, str):
        raise RuntimeError(f"bench run went wrong: {len(result.raw_responses)} model calls, expected {turns}")
    return result.to_state()


# ---------------------------------------------------------------- variants
def large_state_text(small_text: str, megabytes: int) -> str:
    """The small state with a payload of about ``megabytes`` MB of records in its context (as bench/src/main.ts)."""
    state = json.loads(small_text)

    def record(index: int) -> dict[str, Any]:
        return {"index": index, "note": f"record {index} of a large application context", "tags": ["a", "b", "c"]}

    per_record = len(json.dumps(record(100000), separators=(",", ":"))) + 1
    state["context"]["context"]["payload"] = [record(index) for index in range(round(megabytes * 1e6 / per_record))]
    return json.dumps(state)


def write_durably(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


class Spawned:
    """The original design: every query spawns `node spawn_query.mjs`, which opens PGlite, queries and exits."""

    def __init__(self, data_dir: Path, run_id: str) -> None:
        self.data_dir, self.run_id = data_dir, run_id

    def _node(self, *args: str, stdin: str | None = None) -> Any:
        done = subprocess.run(["node", str(HERE / "spawn_query.mjs"), *args], input=stdin, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"spawn_query.mjs failed: {done.stderr.strip()[-2000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    async def save(self, state: RunState[Any, Any]) -> None:
        # The same work RunStateStore.save does in Python, then one Node process for the transaction.
        text = state.to_string()
        head = json.loads(text)
        params = [
            self.run_id, None, rss._status_of(head), (head.get("current_agent") or {}).get("name"),
            SDK_NAME, SDK_VERSION, head.get("$schemaVersion", "unknown"), text, rss._sha256(text),
            json.dumps(rss._pending_approvals_of(state)), rss._portable_or_none(state),
        ]
        await asyncio.to_thread(self._node, "insert", str(self.data_dir), stdin=json.dumps({"params": params}))

    async def load(self) -> RunState[Any, Any]:
        row = await asyncio.to_thread(self._node, "select", str(self.data_dir), self.run_id)
        if rss._sha256(row["native_state"]) != row["native_sha256"]:
            raise RuntimeError("checksum mismatch")
        return await RunState.from_string(AGENT, row["native_state"])


def summarise(xs: list[float]) -> dict[str, float]:
    s = sorted(xs)
    p95 = s[min(len(s) - 1, max(0, int(round(0.95 * len(s) + 0.5)) - 1))]
    return {"n": len(s), "median": statistics.median(s), "p95": p95, "min": s[0], "max": s[-1]}


def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "?")
    mem = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")))
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    import agents

    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cpuModel": cpu, "cores": os.cpu_count(),
        "memoryGiB": round(mem / 1024 / 1024, 1), "kernel": platform.release(), "python": platform.python_version(),
        "node": node, "sdk": {"openai-agents (Python)": getattr(agents, "__version__", SDK_VERSION)},
        "timestepCli": os.environ.get("TIMESTEP_CLI"),
    }


async def main() -> None:
    pg_url = os.environ.get("TIMESTEP_BENCH_DB_URL")
    if not pg_url:
        sys.exit("bench python: TIMESTEP_BENCH_DB_URL is not set (bench/run.sh provides one)")
    os.environ.setdefault("TIMESTEP_CLI", str(Path(os.environ.get("BENCH_REPO_ROOT") or REPO) / "typescript/dist/cli/main.js"))
    os.environ.pop("TIMESTEP_DB_URL", None)
    work = Path(tempfile.mkdtemp(prefix="tsbp-", dir=os.environ.get("BENCH_WORK_PY") or "/tmp"))  # short: socket paths ≤ ~100 bytes
    os.environ["TIMESTEP_HOME"] = str(work / "home")  # fresh app directory for the embedded store
    results_dir = Path(os.environ.get("BENCH_RESULTS") or REPO / "bench/results")
    started = time.monotonic()
    server = subprocess.Popen(
        ["node", str(REPO / "testing/model-server/server.mjs"), "--scenario", str(REPO / "bench/scenarios/tool-loop.json")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    spawn_dir = work / "spawn-pglite"
    try:
        url = json.loads(server.stdout.readline())["url"]  # type: ignore[union-attr]
        states = {size: await real_state(url, turns) for size, turns in SIZES.items()}
        texts = {size: s.to_string() for size, s in states.items()}
        log("states: " + ", ".join(f"{k} {len(v)} B" for k, v in texts.items()))

        pid = os.getpid()
        stores = {}
        for size in SIZES:
            stores[("embedded", size)] = RunStateStore(AGENT, run_id=f"bench-py-emb-{size}-{pid}", use_pglite=True)
            stores[("postgres", size)] = RunStateStore(AGENT, run_id=f"bench-py-pg-{size}-{pid}", connection_string=pg_url)
        # The spawn baseline's data directory: the same kind (created and migrated by the same CLI), then
        # released so each spawned process opens it itself. Created alongside the store server's (both initdb).
        init = RunStateStore(AGENT, run_id="init", pglite_path=spawn_dir)
        await asyncio.gather(init.save(states["small"]), stores[("embedded", "small")].history())
        await init.close()
        subprocess.run(["node", os.environ["TIMESTEP_CLI"], "db", "stop", "--data-dir", str(spawn_dir)], check=True, capture_output=True)
        spawned = {size: Spawned(spawn_dir, f"bench-py-spawn-{size}-{pid}") for size in SIZES}
        files = work / "files"
        files.mkdir()

        async def once(variant: str, size: str) -> tuple[float, float]:
            state = states[size]
            if variant == "file":
                path = files / f"{size}.json"
                t0 = time.perf_counter()
                write_durably(path, state.to_string())
                t1 = time.perf_counter()
                await RunState.from_string(AGENT, path.read_text(encoding="utf-8"))
                return (t1 - t0) * 1e3, (time.perf_counter() - t1) * 1e3
            store: Any = spawned[size] if variant == "spawn" else stores[(variant, size)]
            t0 = time.perf_counter()
            await store.save(state)
            t1 = time.perf_counter()
            loaded = await store.load()
            t2 = time.perf_counter()
            assert len(loaded.to_string()) > 0
            return (t1 - t0) * 1e3, (t2 - t1) * 1e3

        variants = ["file", "embedded", "postgres", "spawn"]
        samples: dict[tuple[str, str], dict[str, list[float]]] = {}
        for size in SIZES:
            for round_ in range(-WARMUP, REPS[size]):
                # the spawn baseline takes seconds per round: fewer repetitions of it, still interleaved
                spawn_every = 2
                # (--quick: no warm-up round of it either)
                order = [v for v in variants if v != "spawn" or (round_ < 0 and not QUICK) or (round_ >= 0 and round_ % spawn_every == 0)]
                random.shuffle(order)
                for variant in order:
                    save, load = await once(variant, size)
                    if round_ < 0:
                        continue
                    s = samples.setdefault((variant, size), {"save": [], "load": [], "both": []})
                    s["save"].append(save)
                    s["load"].append(load)
                    s["both"].append(save + load)
            log(f"{size}: done")
        for store in stores.values():
            await store.close()

        labels = {
            "file": "baseline: to_string + write + fsync / read + RunState.from_string",
            "embedded": "embedded PGlite through the store server (timestep db serve, unix socket)",
            "postgres": "PostgreSQL",
            "spawn": "original design: spawn node + open PGlite for every query (bench/python/spawn_query.mjs)",
        }
        # Row ids shared with the TypeScript rows: Python's embedded store is always a second process
        # reaching the host through the socket, so it fills the `joined` rows.
        row_variant = {"file": "file", "embedded": "joined", "postgres": "postgres", "spawn": "pythonSpawnPerQuery"}
        rows: list[dict[str, Any]] = []
        targets: list[dict[str, Any]] = []

        def target(id_: str, name: str, value: float, limit: float, passed: bool) -> None:
            targets.append({"id": id_, "name": name, "value": value, "limit": limit, "unit": "×", "pass": passed})

        for size in SIZES:
            base = samples[("file", size)]
            for variant in variants:
                s = samples[(variant, size)]
                for op in ("save", "load", "both"):
                    value, baseline = summarise(s[op]), summarise(base[op])
                    rows.append({
                        "figure": 1,
                        "id": f"saveLoad.{row_variant[variant]}.{size}.{op}",
                        "label": f"{size} ({SIZES[size]} turn{'s' if SIZES[size] > 1 else ''}, {len(texts[size]) / 1e3:.1f} kB) — "
                                 f"{'save+load' if op == 'both' else op} — Python: {labels[variant]}",
                        "unit": "ms", "value": value,
                        "baseline": None if variant == "file" else baseline,
                        "ratio": None if variant == "file" else value["median"] / baseline["median"],
                    })
            emb = summarise(samples[("embedded", size)]["both"])["median"]
            pg = summarise(samples[("postgres", size)]["both"])["median"]
            spawn = summarise(samples[("spawn", size)]["both"])["median"]
            file_ = summarise(base["both"])["median"]
            target(f"python.spawnOverServer.{size}",
                   f"Python: store server save+load of the {size} state ≥ 100× faster than spawning Node per query",
                   spawn / emb, 100, spawn / emb >= 100)
            target(f"python.serverOverPostgres.{size}", f"Python: store server save+load of the {size} state within 3× of PostgreSQL",
                   emb / pg, 3, emb / pg <= 3)
            if size == "medium":  # the TypeScript targets of the same ids
                target("saveLoad.joined.medium.both", "embedded (socket) save+load of the medium state ≤ 3× file baseline",
                       emb / file_, 3, emb / file_ <= 3)
                target("saveLoad.postgres.medium.both", "PostgreSQL save+load of the medium state ≤ 2× file baseline",
                       pg / file_, 2, pg / file_ <= 2)
        # Figure 6: large states through the store server's socket vs PostgreSQL (the TypeScript rows' ids).
        for megabytes in LARGE_MEGABYTES:
            large = await RunState.from_string(AGENT, large_state_text(texts["small"], megabytes))
            large_stores = {
                "embedded": RunStateStore(AGENT, run_id=f"bench-py-large-{megabytes}-{pid}", use_pglite=True),
                "postgres": RunStateStore(AGENT, run_id=f"bench-py-large-{megabytes}-{pid}", connection_string=pg_url),
            }
            times: dict[str, list[float]] = {"embedded": [], "postgres": []}
            for round_ in range(-1, LARGE_REPS):
                for variant in random.sample(list(large_stores), 2):
                    t0 = time.perf_counter()
                    await large_stores[variant].save(large)
                    await large_stores[variant].load()
                    if round_ >= 0:
                        times[variant].append((time.perf_counter() - t0) * 1e3)
            for store in large_stores.values():
                await store.close()
            value, baseline = summarise(times["embedded"]), summarise(times["postgres"])
            rows.append({
                "figure": 6, "id": f"server.large.{megabytes}MB.both",
                "label": f"{megabytes} MB state — save+load — Python: store server socket (baseline: PostgreSQL)",
                "unit": "ms", "value": value, "baseline": baseline, "ratio": value["median"] / baseline["median"],
            })
            targets.append({"id": f"server.large.{megabytes}MB.both",
                            "name": f"embedded (socket) save+load of a {megabytes} MB state ≤ 3× PostgreSQL",
                            "value": value["median"] / baseline["median"], "limit": 3, "unit": "×",
                            "pass": value["median"] / baseline["median"] <= 3})
            log(f"large {megabytes} MB: done")
        out = {
            "schema": 1, "quick": QUICK, "machine": machine(),
            "config": {"sizes": SIZES, "warmup": WARMUP, "reps": REPS, "spawnEvery": 2},
            "durationSeconds": round(time.monotonic() - started),
            "stateBytes": {size: len(text.encode()) for size, text in texts.items()}, "rows": rows, "targets": targets,
        }
        results_dir.mkdir(parents=True, exist_ok=True)
        (results_dir / "python-latest.json").write_text(json.dumps(out, indent=2) + "\n")
        for t in targets:
            log(f"{'PASS' if t['pass'] else 'MISS'} {t['name']}: {t['value']:.2f}{t['unit']}")
        log(f"wrote {results_dir / 'python-latest.json'}")
    finally:
        server.stdin.close()  # type: ignore[union-attr]
        server.wait()
        for d in (work / "home" / "pglite", spawn_dir):
            subprocess.run(["node", os.environ["TIMESTEP_CLI"], "db", "stop", "--data-dir", str(d)], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
