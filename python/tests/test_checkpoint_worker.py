"""The Python checkpoint worker saves alongside the TypeScript one on one embedded store."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from store_support import REPO, stop_embedded_server


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A fresh embedded data directory; its server is stopped afterwards."""
    # Short on purpose: unix socket paths are limited to about 100 bytes.
    home = Path(tempfile.mkdtemp(prefix="cw-"))
    yield home / "pglite"
    stop_embedded_server(home / "pglite")
    shutil.rmtree(home, ignore_errors=True)


def test_python_and_typescript_workers_share_the_store(data_dir: Path, timestep_cli: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO / "python" / "src"), "TIMESTEP_CLI": timestep_cli}
    workers = {
        "py-run": subprocess.Popen(
            [sys.executable, str(REPO / "python/tests/workers/checkpoint_worker.py"), str(data_dir), "py-run", "3"],
            env=env, stdout=subprocess.PIPE, text=True,
        ),
        "ts-run": subprocess.Popen(
            ["node", "--import", "tsx", "test/embedded/checkpointWorker.ts", str(data_dir), "ts-run", "3"],
            cwd=REPO / "typescript", env=env, stdout=subprocess.PIPE, text=True,
        ),
    }
    outputs = {run_id: worker.communicate(timeout=120)[0] for run_id, worker in workers.items()}

    assert {run_id: worker.returncode for run_id, worker in workers.items()} == {"py-run": 0, "ts-run": 0}
    for run_id, output in outputs.items():
        assert output.splitlines() == [f'{{"runId":"{run_id}","version":{version}}}' for version in (1, 2, 3)]
