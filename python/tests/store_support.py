"""Helpers shared by the store, session and embedded-store tests."""

from __future__ import annotations

import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CLI = REPO / "typescript" / "dist" / "cli" / "main.js"

Sql = Callable[..., Awaitable[list[tuple[Any, ...]]]]
"""Runs SQL directly on a store's database: ``await sql(query, params)`` returns the rows."""


def stop_embedded_server(data_dir: Path) -> None:
    """Stops the `timestep db serve` process of ``data_dir``, if one holds it (never an application host)."""
    subprocess.run(["node", str(CLI), "db", "stop", "--data-dir", str(data_dir)], check=True, capture_output=True)
