"""Chooses the database of a store or session and shares it within the process."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..errors import StoreClosedError
from .app_directory import app_directory, ensure_private_directory
from .connection_string import redact_connection_string
from .database import Database
from .embedded_server import EmbeddedServer
from .loop_shutdown import at_loop_shutdown
from .migrations import migrate
from .postgres_database import PostgresDatabase
from .store_timeout import store_timeout_ms


@dataclass(frozen=True)
class StoreOptions:
    """How a store or session finds its database."""

    connection_string: str | None = None
    """PostgreSQL URL. Wins over everything else."""
    use_pglite: bool | None = None
    """True forces the embedded store even when ``TIMESTEP_DB_URL`` is set."""
    pglite_path: str | os.PathLike[str] | None = None
    """Data directory of the embedded store; defaults to ``<app directory>/pglite``."""
    timeout_ms: int | None = None
    """Longest wait on the store, in ms: connecting, waiting for the embedded store's host,
    each statement (a lock wait included). Past it a call raises ``StoreTimeoutError``.
    Defaults to ``TIMESTEP_STORE_TIMEOUT_MS``, else 30 000."""


@dataclass(frozen=True)
class StoreTarget:
    kind: Literal["postgres", "pglite"]
    location: str = field(repr=False)  # a URL may hold a password
    """The connection string (postgres) or the embedded store's data directory (pglite)."""


def resolve_store_target(options: StoreOptions = StoreOptions(), env: Mapping[str, str] | None = None) -> StoreTarget:
    """Explicit option > ``TIMESTEP_DB_URL`` > the embedded store in the app directory."""
    env = os.environ if env is None else env
    if options.connection_string:
        return StoreTarget("postgres", options.connection_string)
    from_env = env.get("TIMESTEP_DB_URL")
    if from_env and options.use_pglite is not True and not options.pglite_path:
        return StoreTarget("postgres", from_env)
    data_dir = options.pglite_path or app_directory(env) / "pglite"
    # abspath, like Node's path.resolve: symlinks stay as given, so both languages name the same socket.
    return StoreTarget("pglite", os.path.abspath(data_dir))


def describe_store_target(target: StoreTarget) -> str:
    """Where ``target`` is, for messages: a connection string's password is left out."""
    if target.kind == "postgres":
        return f"PostgreSQL at {redact_connection_string(target.location)}"
    return f"the embedded store at {target.location}"


def _open_database(target: StoreTarget, timeout_ms: int) -> PostgresDatabase:
    if target.kind == "postgres":
        shown = redact_connection_string(target.location)
        return PostgresDatabase(
            target.location,
            description=f"PostgreSQL at {shown}",
            advice="Check that the server is running and TIMESTEP_DB_URL is right; the next call reconnects.",
            timeout_ms=timeout_ms,
            server_timeouts=True,
        )
    data_dir = Path(target.location)
    ensure_private_directory(data_dir.parent)
    server = EmbeddedServer(data_dir, timeout_ms)
    return PostgresDatabase(
        server.conninfo,
        description=f"The embedded store at {target.location}",
        advice="The next call starts its server again.",
        start_server=lambda: asyncio.to_thread(server.ensure_running),
        timeout_ms=timeout_ms,
    )


async def _migrated(target: StoreTarget, timeout_ms: int) -> Database:
    db = _open_database(target, timeout_ms)
    try:
        await migrate(db)
    except BaseException:
        await db.close()
        raise
    return db


@dataclass
class _OpenDatabase:
    ready: asyncio.Task[Database]
    leases: int = 0


_OpenKey = tuple[StoreTarget, asyncio.AbstractEventLoop, int]

# One database per target per event loop: every RunStateStore and session on
# the same server or app directory shares one connection pool in each loop (a
# pool and its connections belong to the loop that opened them).
_open: dict[_OpenKey, _OpenDatabase] = {}


class DatabaseLease:
    """A reference to a database shared by every store and session of this process and event loop."""

    def __init__(self, target: _OpenKey, entry: _OpenDatabase, db: Database) -> None:
        self._target = target
        self._entry = entry
        self.db = db
        self._released = False

    @property
    def current(self) -> bool:
        """False once its database was closed because its event loop shut down."""
        return _open.get(self._target) is self._entry

    async def release(self) -> None:
        if self._released:
            return
        self._released = True
        self._entry.leases -= 1
        if self._entry.leases == 0 and _open.get(self._target) is self._entry:
            del _open[self._target]
            await self.db.close()


def _forget_failed(target: _OpenKey, entry: _OpenDatabase) -> None:
    # A failed open is retried by the next caller.
    if entry.ready.cancelled() or entry.ready.exception() is not None:
        if _open.get(target) is entry:
            del _open[target]


async def _close_loop_databases() -> None:
    """Closes the databases of the running loop, which is shutting down; their leases are void."""
    loop = asyncio.get_running_loop()
    for key in [key for key in _open if key[1] is loop]:
        entry = _open.pop(key)
        if entry.ready.done() and not entry.ready.cancelled() and entry.ready.exception() is None:
            await entry.ready.result().close()


async def lease_database(store_target: StoreTarget, timeout_ms: int | None = None) -> DatabaseLease:
    """``timeout_ms`` defaults to ``TIMESTEP_STORE_TIMEOUT_MS``, else 30 000 (see ``StoreOptions.timeout_ms``).

    Stores with different limits get databases of their own: a limit is a
    property of the connections (``statement_timeout``), not of one call.
    """
    limit = store_timeout_ms(timeout_ms)
    loop = asyncio.get_running_loop()
    # A loop closed without shutting down leaves its pools behind; their
    # connections close as they are collected.
    for stale in [key for key in _open if key[1].is_closed()]:
        del _open[stale]
    target = (store_target, loop, limit)
    entry = _open.get(target)
    if entry is None:
        await at_loop_shutdown(_close_loop_databases)
        entry = _open.get(target)
    if entry is None:
        entry = _OpenDatabase(ready=asyncio.ensure_future(_migrated(store_target, limit)))
        entry.ready.add_done_callback(lambda _: _forget_failed(target, entry))
        _open[target] = entry
    entry.leases += 1
    try:
        # Shielded: one caller giving up must not cancel the open others wait for.
        db = await asyncio.shield(entry.ready)
    except BaseException:
        entry.leases -= 1
        raise
    return DatabaseLease(target, entry, db)


async def _release(lease: asyncio.Task[DatabaseLease]) -> None:
    try:
        opened = await lease
    except Exception:
        return  # it never opened: nothing to release
    await opened.release()


class DatabaseHandle:
    """The database of one store or session, usable from any thread and event loop.

    Leased on first use in each event loop (so constructors stay synchronous),
    retried after a failed open, released by ``close()``.
    """

    def __init__(self, options: StoreOptions, owner: str) -> None:
        """``owner`` names the owner in errors, e.g. "RunStateStore for run 42"."""
        self._options = options
        self._owner = owner
        self._timeout_ms = store_timeout_ms(options.timeout_ms)  # a bad limit fails here, not at first use
        self._leases: dict[asyncio.AbstractEventLoop, asyncio.Task[DatabaseLease]] = {}
        self._guard = threading.Lock()  # threads, each in its own loop, share the handle
        self._closed = False

    def target(self) -> StoreTarget:
        """The database this handle opens, as the environment names it now."""
        return resolve_store_target(self._options)

    async def get(self) -> Database:
        loop = asyncio.get_running_loop()
        with self._guard:
            if self._closed:
                raise StoreClosedError(f"{self._owner} is closed; create a new one.")
            for ended in [other for other in self._leases if other.is_closed()]:
                del self._leases[ended]
            lease = self._leases.get(loop)
            if lease is not None and lease.done() and not lease.cancelled() and lease.exception() is None:
                if not lease.result().current:
                    # The loop shut down its async generators (Runner.run_sync does after
                    # every run), which closed its databases; it keeps running: lease again.
                    lease = None
            if lease is None:
                lease = self._leases[loop] = asyncio.ensure_future(
                    lease_database(resolve_store_target(self._options), self._timeout_ms)
                )
        try:
            return (await asyncio.shield(lease)).db
        except BaseException:
            with self._guard:
                if self._leases.get(loop) is lease and lease.done():
                    del self._leases[loop]
            raise

    async def close(self) -> None:
        with self._guard:
            if self._closed:
                return
            self._closed = True
            leases, self._leases = self._leases, {}
        current = asyncio.get_running_loop()
        for loop, lease in leases.items():
            if loop is current:
                await _release(lease)
            elif loop.is_running():
                # Released in its own loop; not awaited, as that loop may stop first
                # (its databases are then closed as it shuts down).
                asyncio.run_coroutine_threadsafe(_release(lease), loop)
            # A loop that is not running can run nothing; it closed its databases if it shut down.
