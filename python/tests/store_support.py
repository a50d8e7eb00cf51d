"""Helpers shared by the store, session and embedded-store tests."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CLI = REPO / "typescript" / "dist" / "cli" / "main.js"

Sql = Callable[..., Awaitable[list[tuple[Any, ...]]]]
"""Runs SQL directly on a store's database: ``await sql(query, params)`` returns the rows."""


def stop_embedded_server(data_dir: Path) -> None:
    """Stops the server that product code started for ``data_dir`` (it would idle out by itself later)."""
    try:
        pid = int(json.loads(Path(f"{data_dir}.lock").read_text())["pid"])
    except (OSError, ValueError, KeyError):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
