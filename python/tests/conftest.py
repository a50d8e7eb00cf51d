"""Shared fixtures: the scripted model server, PostgreSQL, and the embedded store."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from agents import set_tracing_disabled
from model_server_support import scripted_server
from store_support import CLI, Sql, stop_embedded_server

from timestep.store.embedded_server import EmbeddedServer


@pytest.fixture(scope="session", autouse=True)
def _no_tracing() -> None:
    # Tracing would try to upload spans to OpenAI.
    set_tracing_disabled(True)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get("TIMESTEP_TEST_DB_URL")
    if not url:
        pytest.fail(
            "TIMESTEP_TEST_DB_URL is not set: the PostgreSQL tests need a server, e.g. "
            "TIMESTEP_TEST_DB_URL=$(testing/postgres/cluster.sh start /tmp/ts-pg 54329)",
            pytrace=False,
        )
    return url


@pytest.fixture(scope="session")
def model_server() -> Iterator[str]:
    """The scripted model server on the reference scenario."""
    yield from scripted_server("reference-eight-turns", {"OPENAI_AGENTS_DISABLE_TRACING": "1"})


@pytest.fixture(scope="module")
def stepper_server() -> Iterator[str]:
    """The scripted model server on the durable runs' twenty-step scenario."""
    yield from scripted_server("durable-twenty-steps", {"OPENAI_AGENTS_DISABLE_TRACING": "1"})


@pytest.fixture(scope="module")
def vectors_server() -> Iterator[str]:
    """The scripted model server on the portable-vectors scenario (tracing left as configured: vectors carry traces)."""
    yield from scripted_server("portable-vectors", {})


@pytest.fixture(scope="session")
def timestep_cli() -> str:
    if not CLI.is_file():
        pytest.fail(f"{CLI} is missing: build the TypeScript CLI first (cd typescript && npm run build).", pytrace=False)
    return str(CLI)


@pytest.fixture(scope="session")
def embedded_home(timestep_cli: str) -> Iterator[Path]:
    """A private app directory (TIMESTEP_HOME) served by the real Timestep CLI."""
    # Short on purpose: unix socket paths are limited to about 100 bytes.
    home = Path(tempfile.mkdtemp(prefix="ts-"))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("TIMESTEP_HOME", str(home))
        env.setenv("TIMESTEP_CLI", timestep_cli)
        yield home
    stop_embedded_server(home / "pglite")
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def fresh_home(timestep_cli: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An app directory (not created yet) whose server this test starts."""
    home = Path(tempfile.mkdtemp(prefix="ts-")) / "home"
    monkeypatch.setenv("TIMESTEP_HOME", str(home))
    monkeypatch.setenv("TIMESTEP_CLI", timestep_cli)
    yield home
    stop_embedded_server(home / "pglite")
    shutil.rmtree(home.parent, ignore_errors=True)


@pytest.fixture(params=["embedded", "postgres"])
def store_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Keyword arguments that point a store or session at each kind of database."""
    if request.param == "embedded":
        request.getfixturevalue("embedded_home")
        return {"use_pglite": True}
    return {"connection_string": request.getfixturevalue("postgres_url")}


@pytest.fixture
def unique_id() -> str:
    """A run or session id no other test uses, so tests need not clean the shared tables."""
    return f"test-{uuid.uuid4()}"


@pytest.fixture
def sql(store_options: dict[str, Any]) -> Sql:
    """Runs SQL directly on the database of ``store_options`` (its server must be running)."""
    conninfo = store_options.get("connection_string") or EmbeddedServer(
        Path(os.environ["TIMESTEP_HOME"]) / "pglite"
    ).conninfo

    async def run(query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as connection:
            cursor = await connection.execute(query, params)
            return await cursor.fetchall() if cursor.description else []

    return run
