"""The embedded store, served to Python by the Timestep CLI (`timestep db serve`)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from store_support import REPO

from timestep import DurableSession, EmbeddedStoreUnavailableError, StoreUnavailableError, UnusableDataDirectoryError

CHILD = """
import asyncio, json, sys
from timestep import DurableSession

async def main():
    print("ready", flush=True)
    sys.stdin.readline()  # start together with the other child
    session = DurableSession(sys.argv[1])
    await session.add_items([{"role": "user", "content": sys.argv[1]}])
    items = await session.get_items()
    await session.close()
    print(json.dumps(items), flush=True)

asyncio.run(main())
"""


def serving_processes(data_dir: Path) -> list[int]:
    """Pids of every `timestep db serve` process for ``data_dir``."""
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            arguments = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue  # exited meanwhile
        if b"serve" in arguments and str(data_dir).encode() in arguments:
            pids.append(int(cmdline.parent.name))
    return pids


def lock_holder(data_dir: Path) -> int:
    return int(json.loads(Path(f"{data_dir}.lock").read_text())["pid"])


async def test_first_use_creates_a_private_app_directory(fresh_home: Path) -> None:
    session = DurableSession("first")
    await session.add_items([{"role": "user", "content": "hello"}])
    assert await session.get_items() == [{"role": "user", "content": "hello"}]
    await session.close()
    assert stat.S_IMODE(fresh_home.stat().st_mode) == 0o700
    assert serving_processes(fresh_home / "pglite") == [lock_holder(fresh_home / "pglite")]


async def test_a_home_that_is_a_file_or_too_long_for_the_store_socket_is_refused_creating_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("TIMESTEP_DB_URL", raising=False)
    file = tmp_path / "a-file"
    file.write_text("not a directory")
    monkeypatch.setenv("TIMESTEP_HOME", str(file))
    async with DurableSession("s") as session:
        with pytest.raises(UnusableDataDirectoryError, match="is a file, not a directory") as refused:
            await session.get_items()
    assert refused.value.path == str(file)
    assert file.read_text() == "not a directory"

    # <home>/pglite.socket/.s.PGSQL.5432 over the kernel's limit on a socket path (107 bytes on Linux).
    long = tmp_path / ("x" * 100)
    monkeypatch.setenv("TIMESTEP_HOME", str(long))
    async with DurableSession("s") as session:
        with pytest.raises(UnusableDataDirectoryError, match="bytes long; a socket's may be at most 10[37]"):
            await session.get_items()
    assert not (long / "pglite").exists() and not (long / "pglite.socket").exists()


def test_two_processes_share_one_server(fresh_home: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO / "python" / "src")}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, name], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        for name in ("alice", "bob")
    ]
    for child in children:
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
    for child in children:  # both race to start the server
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    outputs = [child.communicate(timeout=120)[0] for child in children]

    assert [child.returncode for child in children] == [0, 0]
    assert [json.loads(output) for output in outputs] == [
        [{"role": "user", "content": "alice"}],
        [{"role": "user", "content": "bob"}],
    ]
    assert serving_processes(fresh_home / "pglite") == [lock_holder(fresh_home / "pglite")]


async def test_next_call_starts_the_server_again_after_it_died(fresh_home: Path) -> None:
    session = DurableSession("survivor")
    await session.add_items([{"role": "user", "content": "before"}])
    data_dir = fresh_home / "pglite"
    first = lock_holder(data_dir)
    # This process started it, so it can be reaped here: gone for certain, leaving a stale lock and socket.
    os.kill(first, signal.SIGKILL)
    os.waitpid(first, 0)

    assert await session.get_items() == [{"role": "user", "content": "before"}]
    assert serving_processes(data_dir) == [lock_holder(data_dir)] != [first]
    await session.close()


@pytest.fixture
def typescript_host(fresh_home: Path) -> Iterator[subprocess.Popen[str]]:
    """A TypeScript application hosting the embedded store in-process, with session "shared" open."""
    host = subprocess.Popen(
        ["node", "--import", "tsx", str(REPO / "typescript/test/cross-language/hostSession.ts"), str(fresh_home / "pglite"), "shared"],
        cwd=REPO / "typescript",
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert host.stdout is not None
    assert json.loads(host.stdout.readline()) == {"ready": True, "pid": host.pid}
    yield host
    if host.poll() is None:
        host.communicate(timeout=60)


def host_items(host: subprocess.Popen[str]) -> list[dict[str, str]]:
    """The session's items as the TypeScript host reads them."""
    assert host.stdin is not None and host.stdout is not None
    host.stdin.write("items\n")
    host.stdin.flush()
    items: list[dict[str, str]] = json.loads(host.stdout.readline())
    return items


async def test_python_joins_a_typescript_application_hosting_the_store(
    typescript_host: subprocess.Popen[str], fresh_home: Path
) -> None:
    data_dir = fresh_home / "pglite"
    assert lock_holder(data_dir) == typescript_host.pid  # hosted in-process, by the application

    session = DurableSession("shared")
    assert await session.get_items() == [{"role": "user", "content": "from typescript"}]
    await session.add_items([{"role": "user", "content": "from python"}])
    assert host_items(typescript_host) == [
        {"role": "user", "content": "from typescript"},
        {"role": "user", "content": "from python"},
    ]
    assert serving_processes(data_dir) == []  # joined: no server was started
    await session.close()


async def test_python_hosts_again_after_the_typescript_host_exits(
    typescript_host: subprocess.Popen[str], fresh_home: Path
) -> None:
    data_dir = fresh_home / "pglite"
    session = DurableSession("shared")
    await session.add_items([{"role": "user", "content": "from python"}])
    typescript_host.communicate(timeout=60)  # end of stdin: the host closes the store and exits
    assert typescript_host.returncode == 0

    # The pooled connection is dead; nothing was sent on it, so the store is found again.
    assert await session.get_items() == [
        {"role": "user", "content": "from typescript"},
        {"role": "user", "content": "from python"},
    ]
    assert serving_processes(data_dir) == [lock_holder(data_dir)]
    await session.close()


async def test_waits_for_a_live_holder_that_does_not_serve_then_says_so(
    monkeypatch: pytest.MonkeyPatch, timestep_cli: str, tmp_path: Path
) -> None:
    monkeypatch.setenv("TIMESTEP_CLI", timestep_cli)
    data_dir = tmp_path / "pglite"
    lock = {"pid": os.getpid(), "host": socket.gethostname(), "command": "my-app.js", "acquiredAt": "now"}
    Path(f"{data_dir}.lock").write_text(json.dumps(lock))
    session = DurableSession(pglite_path=data_dir)
    with pytest.raises(StoreUnavailableError, match=f"held by process {os.getpid()}.*within 30 s.*TIMESTEP_DB_URL"):
        await session.get_items()
    assert serving_processes(data_dir) == []  # a live holder is waited for, never raced
    await session.close()


@pytest.mark.parametrize(
    ("cli", "path", "missing"),
    [
        (None, "empty", "Timestep CLI was not found"),
        ("/nonexistent/main.js", "node", "not a file"),
        ("main.js", "empty", "Node.js was not found"),
    ],
    ids=["no-cli", "cli-not-a-file", "no-node"],
)
async def test_missing_cli_or_node_says_how_to_install(
    cli: str | None, path: str, missing: str, timestep_cli: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    node = shutil.which("node")
    assert node is not None
    monkeypatch.setenv("PATH", str(tmp_path) if path == "empty" else str(Path(node).parent))
    if cli is None:
        monkeypatch.delenv("TIMESTEP_CLI", raising=False)
    else:
        monkeypatch.setenv("TIMESTEP_CLI", timestep_cli if cli == "main.js" else cli)
    session = DurableSession(pglite_path=tmp_path / "pglite")
    with pytest.raises(EmbeddedStoreUnavailableError) as unavailable:
        await session.get_items()
    message = str(unavailable.value)
    assert missing in message
    assert "npm install -g @timestep-ai/timestep" in message and "Node.js 20+" in message
    assert "TIMESTEP_DB_URL" in message
    await session.close()
