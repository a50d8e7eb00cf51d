"""The `timestep db serve` process Python starts: reaped when it dies, zombies never taken for live
holders, a stopped one given up on at the store's timeout, and a socket directory that is not
private to the user refused."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_embedded_store import lock_holder

from timestep import DurableSession, InsecureSocketDirectoryError, StoreTimeoutError

LIMIT_MS = 2_000
# Timers on a loaded two-core machine fire late; the error must still come close to the limit.
LATE_SECONDS = 2.5


def process_state(pid: int) -> str | None:
    """The state letter of /proc/<pid>/stat (Z: zombie), None once the process is gone (reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2]


def wait_for_state(pid: int, wanted: set[str | None], seconds: float = 30.0) -> str | None:
    """Polls until the process is in one of the ``wanted`` states; fails after ``seconds``."""
    deadline = time.monotonic() + seconds
    while (state := process_state(pid)) not in wanted:
        assert time.monotonic() < deadline, f"process {pid} still in state {state}, not {wanted}"
        time.sleep(0.02)
    return state


async def test_a_server_killed_with_sigkill_is_reaped_and_the_next_save_starts_another(fresh_home: Path) -> None:
    session = DurableSession("survivor")
    await session.add_items([{"role": "user", "content": "before"}])
    first = lock_holder(fresh_home / "pglite")
    os.kill(first, signal.SIGKILL)
    # Nothing here collects its exit status: until Timestep does, it stays a zombie.
    wait_for_state(first, {"Z", None})

    started = time.monotonic()
    await session.add_items([{"role": "user", "content": "after"}])
    assert time.monotonic() - started < 20, "the dead server was waited for as if it were alive"
    assert await session.get_items() == [
        {"role": "user", "content": "before"},
        {"role": "user", "content": "after"},
    ]
    assert lock_holder(fresh_home / "pglite") != first
    assert process_state(first) is None, "the killed server was never reaped"
    await session.close()


async def test_a_lock_held_by_a_zombie_is_not_waited_for(fresh_home: Path) -> None:
    # A child of this process that exits and is not reaped: a zombie, as a
    # server left by a parent that never collects its children would be.
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    wait_for_state(zombie.pid, {"Z"})
    stat = Path(f"/proc/{zombie.pid}/stat").read_text()
    start_ticks = int(stat[stat.rindex(")") + 2 :].split()[19])
    fresh_home.mkdir(mode=0o700, parents=True)
    lock = {"pid": zombie.pid, "host": socket.gethostname(), "startTicks": start_ticks, "command": "zombie", "acquiredAt": "now"}
    Path(f"{fresh_home / 'pglite'}.lock").write_text(json.dumps(lock))
    try:
        session = DurableSession("after-zombie")
        started = time.monotonic()
        await session.add_items([{"role": "user", "content": "hello"}])
        assert time.monotonic() - started < 20, "the zombie was waited for as if it were alive"
        assert lock_holder(fresh_home / "pglite") != zombie.pid
        await session.close()
    finally:
        zombie.wait()


async def test_a_stopped_server_makes_a_save_raise_store_timeout_error_at_the_limit_then_it_works_again(
    fresh_home: Path,
) -> None:
    session = DurableSession("paused", timeout_ms=LIMIT_MS)
    await session.add_items([{"role": "user", "content": "before"}])
    server = lock_holder(fresh_home / "pglite")
    os.kill(server, signal.SIGSTOP)
    try:
        started = time.monotonic()
        with pytest.raises(StoreTimeoutError, match=f"did not answer within {LIMIT_MS} ms"):
            await session.add_items([{"role": "user", "content": "while stopped"}])
        waited = time.monotonic() - started
        assert LIMIT_MS / 1000 - 0.05 <= waited < LIMIT_MS / 1000 + LATE_SECONDS, f"raised after {waited:.2f} s"
    finally:
        os.kill(server, signal.SIGCONT)

    await session.add_items([{"role": "user", "content": "after"}])
    items = await session.get_items()
    assert items[0] == {"role": "user", "content": "before"} and items[-1] == {"role": "user", "content": "after"}
    assert lock_holder(fresh_home / "pglite") == server  # the same server carried on
    await session.close()


async def test_a_client_that_first_joins_a_stopped_server_raises_store_timeout_error_at_the_limit(
    fresh_home: Path,
) -> None:
    starter = DurableSession("starter")
    await starter.get_items()  # starts the server
    server = lock_holder(fresh_home / "pglite")
    os.kill(server, signal.SIGSTOP)
    try:
        # A limit of its own, so this session opens connections of its own.
        session = DurableSession("newcomer", timeout_ms=LIMIT_MS)
        started = time.monotonic()
        with pytest.raises(StoreTimeoutError, match=f"did not answer within {LIMIT_MS} ms"):
            await session.get_items()
        waited = time.monotonic() - started
        assert LIMIT_MS / 1000 - 0.05 <= waited < LIMIT_MS / 1000 + LATE_SECONDS, f"raised after {waited:.2f} s"
    finally:
        os.kill(server, signal.SIGCONT)
    assert await session.get_items() == []
    await session.close()
    await starter.close()


async def test_a_socket_directory_open_to_others_is_refused_until_it_is_private(fresh_home: Path) -> None:
    socket_directory = Path(f"{fresh_home / 'pglite'}.socket")
    socket_directory.mkdir(parents=True)
    socket_directory.chmod(0o755)
    session = DurableSession("guarded")
    with pytest.raises(InsecureSocketDirectoryError, match=r"has mode 755, open to group or others.*chmod 700") as refused:
        await session.get_items()
    assert refused.value.path == str(socket_directory)
    assert not (fresh_home / "pglite").exists(), "nothing was started or created"

    socket_directory.chmod(0o700)
    await session.add_items([{"role": "user", "content": "private now"}])
    assert len(await session.get_items()) == 1
    await session.close()


async def test_a_socket_directory_that_is_a_symlink_is_refused(fresh_home: Path) -> None:
    elsewhere = fresh_home / "elsewhere"
    elsewhere.mkdir(parents=True, mode=0o700)
    Path(f"{fresh_home / 'pglite'}.socket").symlink_to(elsewhere)
    session = DurableSession("guarded")
    with pytest.raises(InsecureSocketDirectoryError, match=r"pglite\.socket is not a directory \(a symlink or a file\)"):
        await session.get_items()
    await session.close()
