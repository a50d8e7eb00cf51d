"""Helpers shared by the store, session and embedded-store tests."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CLI = REPO / "typescript" / "dist" / "cli" / "main.js"

Sql = Callable[..., Awaitable[list[tuple[Any, ...]]]]
"""Runs SQL directly on a store's database: ``await sql(query, params)`` returns the rows."""


def store_argument(store_options: dict[str, Any]) -> str:
    """How the TypeScript helper scripts take a store: the PostgreSQL URL or the shared embedded data directory."""
    return store_options.get("connection_string") or str(Path(os.environ["TIMESTEP_HOME"]) / "pglite")


def run_typescript(arguments: list[str], extra_env: dict[str, str] | None = None) -> str:
    """Runs ``node --import tsx *arguments`` in typescript/ (so it imports ./src and @openai/agents); returns its last stdout line."""
    finished = subprocess.run(
        ["node", "--import", "tsx", *arguments],
        cwd=REPO / "typescript",
        env={**os.environ, "OPENAI_AGENTS_DISABLE_TRACING": "1", **(extra_env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    return finished.stdout.strip().splitlines()[-1]


def stop_embedded_server(data_dir: Path) -> None:
    """Stops the `timestep db serve` process of ``data_dir``, if one holds it (never an application host)."""
    subprocess.run(["node", str(CLI), "db", "stop", "--data-dir", str(data_dir)], check=True, capture_output=True)
