"""``python -m timestep.worker --agents package.module:attribute``: runs a RunWorker until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import signal
import sys
from collections.abc import Sequence
from typing import Any

from agents import Agent, RunConfig

from .run_worker import RunWorker


def _load_agents(spec: str) -> tuple[list[Agent[Any]], RunConfig | None]:
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise SystemExit(f"--agents must be package.module:attribute, got {spec!r}.")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise SystemExit(f"--agents {spec}: cannot import {module_name} ({error}); check the name and PYTHONPATH.") from error
    agents = getattr(module, attribute, None)
    if not isinstance(agents, list | tuple) or not agents or not all(isinstance(a, Agent) for a in agents):
        raise SystemExit(f"{spec} must be a non-empty list of Agents.")
    run_config = getattr(module, "run_config", None)
    if run_config is not None and not isinstance(run_config, RunConfig):
        raise SystemExit(f"{module_name}.run_config must be a RunConfig.")
    return list(agents), run_config


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m timestep.worker", description="Claims and resumes durable runs.")
    parser.add_argument("--agents", required=True, help="package.module:attribute naming a list of starting Agents")
    parser.add_argument("--concurrency", type=int, default=1, help="runs executed at once (default 1)")
    parser.add_argument("--lease-ms", type=int, default=30_000, help="lease length in ms (default 30000)")
    parser.add_argument("--poll-ms", type=int, default=1000, help="idle wait between claims in ms (default 1000)")
    parser.add_argument("--max-attempts", type=int, default=3, help="attempts before a failed run is left alone (default 3)")
    parser.add_argument("--data-dir", help="embedded store directory (TIMESTEP_DB_URL selects PostgreSQL instead)")
    return parser.parse_args(argv)


async def _serve(arguments: argparse.Namespace) -> None:
    agents, run_config = _load_agents(arguments.agents)
    try:
        worker = RunWorker(
            agents,
            run_config,
            concurrency=arguments.concurrency,
            lease_ms=arguments.lease_ms,
            poll_ms=arguments.poll_ms,
            max_attempts=arguments.max_attempts,
            pglite_path=arguments.data_dir,
        )
    except (TypeError, ValueError) as error:
        raise SystemExit(str(error)) from error
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await worker.run(stop)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: graceful stop on SIGTERM/SIGINT (runs in flight finish), exit status 0."""
    asyncio.run(_serve(_arguments(argv)))


if __name__ == "__main__":
    main(sys.argv[1:])
