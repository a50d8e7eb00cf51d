"""Reaches the embedded store from Python.

Python cannot run PGlite. The first process to open a data directory hosts
it (a TypeScript application in-process, or ``timestep db serve``) and serves
it over the PostgreSQL protocol on a unix socket next to the data directory.
Python processes join through that socket; when no process hosts the store,
the first one to need it starts ``timestep db serve``, which exits by itself
once no client has been connected for a while.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

from psycopg.conninfo import make_conninfo

from ..errors import EmbeddedStoreUnavailableError, StoreTimeoutError, StoreUnavailableError, UnusableDataDirectoryError
from .socket_directory import check_socket_directory
from .store_timeout import DEFAULT_STORE_TIMEOUT_MS

# libpq clients find a server's socket as <host directory>/.s.PGSQL.<port>.
SOCKET_PORT = 5432

# A first start creates the database files, which takes a few seconds.
_START_TIMEOUT_SECONDS = 60.0
# A server this process starts exits after this long without clients.
_IDLE_TIMEOUT_SECONDS = 60
_POLL_INTERVAL_SECONDS = 0.1

_INSTALL_ADVICE = (
    "The embedded store is served to Python by the Timestep CLI, which needs Node.js 20+: "
    "install it with `npm install -g @timestep-ai/timestep` (or set TIMESTEP_CLI to the path of its "
    "main.js), or use PostgreSQL instead by setting TIMESTEP_DB_URL."
)

# Servers this process started. They outlive the stores on purpose. One that
# exits (say, killed) stays a zombie until its exit status is collected, so
# they are reaped (``_reap_exited``) before every look at the store's holder.
_started: list[subprocess.Popen[bytes]] = []


def _reap_exited() -> None:
    """Collects the exit status of every server this process started that has exited."""
    _started[:] = [server for server in _started if server.poll() is None]


# The longest path a unix socket can have (sun_path less its NUL). Longer ones are cut short
# by the kernel, so the store would listen on, or a client connect to, some other path.
_MAX_SOCKET_PATH_BYTES = 107 if sys.platform.startswith("linux") else 103


class EmbeddedServer:
    """The ``timestep db serve`` process of one data directory, as seen by a client."""

    def __init__(self, data_dir: Path, timeout_ms: int = DEFAULT_STORE_TIMEOUT_MS) -> None:
        """``timeout_ms`` bounds the wait for a live holder that does not serve yet."""
        self.data_dir = data_dir
        self.timeout_ms = timeout_ms
        socket_directory = Path(f"{data_dir}.socket")
        self.socket_path = socket_directory / f".s.PGSQL.{SOCKET_PORT}"
        length = len(os.fsencode(self.socket_path))
        if length > _MAX_SOCKET_PATH_BYTES:
            raise UnusableDataDirectoryError(
                f"The embedded store at {data_dir} is served on the unix socket {self.socket_path}, whose path is "
                f"{length} bytes long; a socket's may be at most {_MAX_SOCKET_PATH_BYTES}. Use a data directory with "
                "a shorter path (TIMESTEP_HOME or pglite_path).",
                str(data_dir),
            )
        self.lock_path = Path(f"{data_dir}.lock")
        # Quoted by make_conninfo: paths may hold spaces.
        self.conninfo = make_conninfo(
            host=str(socket_directory), port=SOCKET_PORT, user="postgres", dbname="postgres"
        )

    def ensure_running(self) -> None:
        """Returns once a host accepts connections on the socket, starting one if none does.

        Mirrors the TypeScript ``joinOrHost``: join a host that serves the
        socket; wait (up to ``timeout_ms``) for a live lock holder that is not
        serving yet, be it a TypeScript application hosting in-process or a
        server still starting; otherwise start ``timestep db serve``. If
        another process starts a server at the same time, ours finds the store
        locked and exits, and this waits for the other one instead. The socket
        directory must be this user's alone (``InsecureSocketDirectoryError``).
        Blocking; call it in a worker thread.
        """
        check_socket_directory(self.socket_path, create=True)
        wait_seconds = self.timeout_ms / 1000
        wait_until = time.monotonic() + wait_seconds
        while not _accepts(self.socket_path, wait_seconds):
            _reap_exited()
            holder = _live_lock_holder(self.lock_path)
            if holder is None:
                self._start(time.monotonic() + _START_TIMEOUT_SECONDS)
                continue
            if time.monotonic() > wait_until:
                raise StoreTimeoutError(
                    f"The embedded store at {self.data_dir} is held by process {holder['pid']} "
                    f"({holder.get('command') or 'unknown command'}), which did not serve it on "
                    f"{self.socket_path} within {wait_seconds:g} s. Stop that process, or point "
                    "every process at one PostgreSQL server with TIMESTEP_DB_URL."
                )
            time.sleep(_POLL_INTERVAL_SECONDS)

    def _start(self, deadline: float) -> None:
        """Starts a server and waits for its ready line, or for it to lose the store to another."""
        command = _server_command(self.data_dir)
        described = " ".join(command)
        with tempfile.TemporaryFile() as errors:
            server = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=errors,
                # Its own session: the server outlives this process and its terminal.
                start_new_session=True,
            )
            _started.append(server)
            assert server.stdout is not None
            with server.stdout:
                line = _read_line(server.stdout, deadline)
            if line is None:
                server.kill()
                raise StoreUnavailableError(
                    f"The embedded store server ({described}) did not start within {_START_TIMEOUT_SECONDS:g} s."
                )
            if line:
                self._check_ready(line, described)
                return
            server.wait()  # it closed its output: it is exiting
            if _live_lock_holder(self.lock_path) is not None:
                return  # lost the race to another process's server; the caller waits for it
            errors.seek(0)
            detail = errors.read().decode(errors="replace").strip()
            raise StoreUnavailableError(
                f"The embedded store server ({described}) exited with code {server.returncode}: {detail}"
            )

    def _check_ready(self, line: bytes, described: str) -> None:
        try:
            socket_path = json.loads(line)["socket"]
        except (ValueError, KeyError, TypeError):
            socket_path = None
        if socket_path != str(self.socket_path):
            raise StoreUnavailableError(
                f"The embedded store server ({described}) announced {line.decode(errors='replace').strip()!r}, "
                f"not a socket at {self.socket_path}; its version may not match this Timestep."
            )


def _accepts(socket_path: Path, timeout_seconds: float) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        # A stopped host's full backlog would block connect() for good.
        probe.settimeout(timeout_seconds)
        try:
            probe.connect(str(socket_path))
        except OSError:
            return False
    return True


def _live_lock_holder(lock_path: Path) -> dict[str, Any] | None:
    """The process named by the embedded store's lock file, if it is still running."""
    try:
        holder: dict[str, Any] = json.loads(lock_path.read_text(encoding="utf-8"))
        pid = int(holder["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # no lock, or one being written
    return holder if _is_alive(holder, pid) else None


def _is_alive(holder: dict[str, Any], pid: int) -> bool:
    # The same test as the lock's writer (isProcessRunning in typescript/src/store/embeddedLock.ts).
    if holder.get("host") != socket.gethostname():
        return True  # cannot check another machine: assume it is alive
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, owned by another user
    fields = _proc_stat(pid)
    if fields is None:
        return True  # no /proc (not Linux): kill(pid, 0) is all there is to know
    # A zombie (Z, or X while being reaped) has exited; its pid answers kill(pid, 0) until it is reaped.
    if fields[0] in ("Z", "X"):
        return False
    # A different start time means the pid was reused by another process.
    recorded = holder.get("startTicks")
    return recorded is None or recorded == int(fields[19])


def _proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name: [0] is the state, [19] the start time in ticks."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces and ')', so count from the last ')'.
    return stat[stat.rindex(")") + 2 :].split()


def _server_command(data_dir: Path) -> list[str]:
    cli = os.environ.get("TIMESTEP_CLI") or shutil.which("timestep")
    if not cli:
        raise EmbeddedStoreUnavailableError(f"The Timestep CLI was not found. {_INSTALL_ADVICE}")
    if not Path(cli).is_file():
        raise EmbeddedStoreUnavailableError(f"TIMESTEP_CLI is {cli}, which is not a file. {_INSTALL_ADVICE}")
    node = shutil.which("node")
    if node is None:
        raise EmbeddedStoreUnavailableError(f"Node.js was not found on PATH. {_INSTALL_ADVICE}")
    arguments = ["db", "serve", "--data-dir", str(data_dir), "--idle-timeout", str(_IDLE_TIMEOUT_SECONDS)]
    # The installed `timestep` runs itself through its #!/usr/bin/env node line.
    return [node, cli, *arguments] if cli.endswith((".js", ".mjs", ".cjs")) else [cli, *arguments]


def _read_line(stream: IO[bytes], deadline: float) -> bytes | None:
    """The first line of ``stream``: b"" if it closes first, None if the deadline passes first."""
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        if not selector.select(max(0.0, deadline - time.monotonic())):
            return None
    return stream.readline()
