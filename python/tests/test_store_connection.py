"""Choosing the database, keeping passwords out of errors, reconnecting, migrations."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import tempfile
import traceback
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from agents import Agent
from durable.durable_support import model_requests, rule_of_call
from durable.step_agent import FINAL_OUTPUT, MODEL_CALLS, STEPPER_INPUT, STEPS, step_agent, step_counts
from store_support import REPO

from timestep import (
    DurableOptions,
    DurableSession,
    IncompatibleStoreError,
    RunStateStore,
    StoreOptions,
    StoreUnavailableError,
    app_directory,
    resolve_store_target,
    run_agent,
)
from timestep.store.connect import lease_database
from timestep.store.connection_string import redact_connection_string
from timestep.store.migrations import load_migrations, migrate, migrations_directory
from timestep.store.postgres_database import PostgresDatabase


def test_explicit_connection_string_wins_over_the_environment() -> None:
    env = {"TIMESTEP_DB_URL": "postgresql://env/db", "TIMESTEP_HOME": "/home/u/ts"}
    target = resolve_store_target(StoreOptions(connection_string="postgresql://explicit/db", use_pglite=True), env)
    assert (target.kind, target.location) == ("postgres", "postgresql://explicit/db")
    assert resolve_store_target(StoreOptions(), env).location == "postgresql://env/db"


def test_embedded_store_is_chosen_without_a_url_or_when_asked_for() -> None:
    env = {"TIMESTEP_DB_URL": "postgresql://env/db", "TIMESTEP_HOME": "/home/u/ts"}
    assert resolve_store_target(StoreOptions(use_pglite=True), env).location == "/home/u/ts/pglite"
    assert resolve_store_target(StoreOptions(pglite_path="/data/here"), env).location == "/data/here"
    target = resolve_store_target(StoreOptions(), {"TIMESTEP_HOME": "/home/u/ts"})
    assert (target.kind, target.location) == ("pglite", "/home/u/ts/pglite")


def test_app_directory_per_platform() -> None:
    home = Path.home()
    assert app_directory({"TIMESTEP_HOME": "/x"}, "linux") == Path("/x")
    assert app_directory({"XDG_CONFIG_HOME": "/cfg"}, "linux") == Path("/cfg/timestep")
    assert app_directory({}, "linux") == home / ".config" / "timestep"
    assert app_directory({}, "darwin") == home / "Library" / "Application Support" / "timestep"
    assert app_directory({"APPDATA": "C:/Users/u/AppData/Roaming"}, "win32") == Path(
        "C:/Users/u/AppData/Roaming/timestep"
    )


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("postgresql://user:s3cret@db:5432/app", "postgresql://user:***@db:5432/app"),
        ("postgresql://user@db/app?password=s3cret&sslmode=require", "postgresql://user@db/app?password=***&sslmode=require"),
        ("host=db password='s3 cret' user=u", "host=db password=*** user=u"),
        ("postgresql://db/app", "postgresql://db/app"),
    ],
)
def test_redaction(given: str, shown: str) -> None:
    assert redact_connection_string(given) == shown


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://app:S3cretPassw0rd@127.0.0.1:{port}/app",
        "postgresql://app@127.0.0.1:{port}/app?password=S3cretPassw0rd",
        "postgresql://app:S3cretPassw0rd@127.0.0.1:{port}/app?bogus=1",  # libpq echoes this URL
    ],
    ids=["url-password", "query-password", "malformed"],
)
async def test_password_never_appears_in_errors(url: str) -> None:
    store = RunStateStore(Agent(name="A"), connection_string=url.format(port=closed_port()))
    with pytest.raises(StoreUnavailableError) as failure:
        await store.history()
    printed = "".join(traceback.format_exception(failure.value))
    assert "S3cretPassw0rd" not in printed
    assert "***" in str(failure.value) and "127.0.0.1" in str(failure.value)
    await store.close()


# Issue 13 item 9: every piece of this password showed in errors when it was not percent-encoded.
SPLIT_PASSWORD = "Zq9x/Kw7v?Jm4t#Rb8n@Yp6c"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://app:Zq9x/Kw7v@127.0.0.1:{port}/app",
        "postgresql://app:Zq9x?Kw7v@127.0.0.1:{port}/app",
        "postgresql://app:Zq9x#Kw7v@127.0.0.1:{port}/app",
        "postgresql://app:Zq9x@Kw7v@127.0.0.1:{port}/app",
        "postgresql://app:" + SPLIT_PASSWORD + "@127.0.0.1:{port}/app",
        "postgresql://app:Zq9xKw7v@127.0.0.1:99999/app",
        "postgresql://app:Zq9xKw7v@127.0.0.1:notaport/app",
        "postgresql://app@127.0.0.1:notaport/app?password=Zq9xKw7v",
        "postgresql://app@127.0.0.1:{port}/app?sslmode=disable&password=Zq9x/Kw7v",
    ],
    ids=["slash", "question-mark", "hash", "at", "all", "port-too-big", "port-not-a-number", "query-bad-port", "query"],
)
async def test_no_piece_of_an_unencoded_password_appears_in_errors(url: str) -> None:
    session = DurableSession("any", connection_string=url.format(port=closed_port()))
    with pytest.raises(StoreUnavailableError) as failure:
        await session.get_items()
    printed = "".join(traceback.format_exception(failure.value))
    for piece in ("Zq9x", "Kw7v", "Jm4t", "Rb8n", "Yp6c"):
        assert piece not in printed
    assert "***" in str(failure.value) and "127.0.0.1" in str(failure.value)
    await session.close()


def test_redaction_hides_everything_a_parser_could_take_for_the_password() -> None:
    assert redact_connection_string(f"postgresql://app:{SPLIT_PASSWORD}@db:5432/app") == "postgresql://app:***@db:5432/app"
    assert (
        redact_connection_string("postgresql://u@db/app?sslpassword=k3y&password=p4ss")
        == "postgresql://u@db/app?sslpassword=***&password=***"
    )


CLUSTER = str(REPO / "testing/postgres/cluster.sh")


@dataclass
class Cluster:
    """A PostgreSQL server of one test's own, so it can be stopped and started."""

    directory: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        subprocess.run([CLUSTER, "start", str(self.directory), str(self.port)], check=True, stdout=subprocess.DEVNULL)

    def stop(self) -> None:
        subprocess.run([CLUSTER, "stop", str(self.directory)], check=True)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    server = Cluster(Path(tempfile.mkdtemp(prefix="ts-pg-")), closed_port())
    server.start()
    yield server
    server.stop()
    shutil.rmtree(server.directory, ignore_errors=True)


async def test_next_call_works_after_the_server_comes_back(cluster: Cluster) -> None:
    session = DurableSession(connection_string=cluster.url)
    await session.add_items([{"role": "user", "content": "before"}])

    cluster.stop()
    with pytest.raises(StoreUnavailableError, match="unavailable"):
        await session.get_items()
    with pytest.raises(StoreUnavailableError):
        await session.get_items()  # still down: fails again

    cluster.start()
    assert await session.get_items() == [{"role": "user", "content": "before"}]
    await session.close()


async def test_idle_connections_dropped_by_a_restart_are_replaced(cluster: Cluster) -> None:
    session = DurableSession(connection_string=cluster.url)
    await session.add_items([{"role": "user", "content": "before"}])
    cluster.stop()
    cluster.start()
    # No failed call in between: the first call after the restart already works.
    assert await session.get_items() == [{"role": "user", "content": "before"}]
    await session.close()


async def test_an_idle_connection_the_server_ended_is_replaced_before_anything_is_sent(postgres_url: str) -> None:
    name = f"ended-{uuid.uuid4().hex[:12]}"
    session = DurableSession(connection_string=f"{postgres_url}?application_name={name}")
    await session.add_items([{"role": "user", "content": "before"}])
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as admin:
        cursor = await admin.execute(
            # With a timeout it returns once the backend has exited.
            "SELECT bool_and(pg_terminate_backend(pid, 10000)) FROM pg_stat_activity WHERE application_name = %s",
            [name],
        )
        assert await cursor.fetchone() == (True,)
    assert await session.get_items() == [{"role": "user", "content": "before"}]
    await session.close()


@pytest.fixture
async def fresh_database(postgres_url: str) -> AsyncIterator[str]:
    """An empty database on the test server."""
    name = f"timestep_test_{uuid.uuid4().hex}"
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as admin:
        await admin.execute(f'CREATE DATABASE "{name}"')
    yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as admin:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def test_migrations_come_from_the_repository_in_a_checkout() -> None:
    assert migrations_directory() == REPO / "spec" / "migrations"
    assert [m.name for m in load_migrations()][:1] == ["0001_initial"]
    assert [m.version for m in load_migrations()] == list(range(1, len(load_migrations()) + 1))


async def test_concurrent_migrations_apply_each_file_once(fresh_database: str) -> None:
    databases = [PostgresDatabase(fresh_database, description="test", advice="") for _ in range(3)]
    await asyncio.gather(*(migrate(db) for db in databases))
    recorded = await databases[0].query("SELECT version, name FROM timestep_migrations ORDER BY version")
    assert recorded == [{"version": m.version, "name": m.name} for m in load_migrations()]
    for db in databases:
        await db.close()


async def test_a_store_newer_than_this_timestep_is_refused(fresh_database: str) -> None:
    session = DurableSession(connection_string=fresh_database)
    await session.get_items()
    await session.close()
    async with await psycopg.AsyncConnection.connect(fresh_database, autocommit=True) as connection:
        await connection.execute("INSERT INTO timestep_migrations (version, name) VALUES (999, 'from_the_future')")
    newer = DurableSession(connection_string=fresh_database)
    with pytest.raises(IncompatibleStoreError, match="version 999"):
        await newer.get_items()
    await newer.close()


async def test_one_database_per_target_is_shared_until_the_last_release(postgres_url: str) -> None:
    # A target of its own: a store another test left open must not hold a lease on it.
    own_url = f"{postgres_url}{'&' if '?' in postgres_url else '?'}application_name=lease-test-{uuid.uuid4().hex}"
    target = resolve_store_target(StoreOptions(connection_string=own_url))
    first, second = await lease_database(target), await lease_database(target)
    assert first.db is second.db
    await first.release()
    await first.release()  # a second release of the same lease counts once
    third = await lease_database(target)
    assert third.db is first.db  # still leased by `second`
    await second.release()
    await third.release()
    fourth = await lease_database(target)
    assert fourth.db is not first.db  # the last release closed it; a new one was opened
    await fourth.release()



async def test_a_durable_run_whose_server_stops_midway_resumes_in_this_process_once_it_is_back(
    cluster: Cluster, stepper_server: str
) -> None:
    run_id = f"faults-durable-{uuid.uuid4()}"
    session_id = str(uuid.uuid4())
    file = Path(tempfile.mkdtemp(prefix="ts-faults-")) / "effects.txt"
    stopped = False

    async def stop_during_step_3(step: int) -> None:
        # After the step's side effect would start: its result cannot be stored.
        nonlocal stopped
        if step == 3 and not stopped:
            stopped = True
            await asyncio.to_thread(cluster.stop)

    agent = step_agent(file, on_step=stop_during_step_3, declare_idempotent=True)
    options = DurableOptions(run_id=run_id, connection_string=cluster.url)
    async with DurableSession(session_id, connection_string=cluster.url) as session:
        with pytest.raises(StoreUnavailableError, match="unavailable"):
            await run_agent(agent, STEPPER_INPUT, session, durable=options, max_turns=30)

    await asyncio.to_thread(cluster.start)
    before = len(model_requests(stepper_server))
    async with DurableSession(session_id, connection_string=cluster.url) as session:
        resumed = await run_agent(agent, [], session, durable=options, max_turns=30)
    assert resumed.final_output == FINAL_OUTPUT
    assert model_requests(stepper_server)[before:] == [rule_of_call(n) for n in range(3, MODEL_CALLS)], "journaled calls not sent again"
    # Step 3 was in doubt and its tool idempotent, so it ran again; every other step once.
    assert step_counts(file) == {step: 2 if step == 3 else 1 for step in range(1, STEPS + 1)}
