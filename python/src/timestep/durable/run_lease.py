"""The lease of a durable run (spec/run-journal, "Leases and workers"): who drives it and until when.

The holder renews it every third of its length; a process killed with
``kill -9`` stops renewing, so the run becomes free once the lease expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket

from ..store.database import Queryable

DEFAULT_LEASE_MS = 30_000
"""Lease length when none is given."""

_MIN_LEASE_MS = 30
_MAX_LEASE_MS = 24 * 3600 * 1000


def new_lease_owner() -> str:
    """``<hostname>/<pid>/<random hex>``, the same form in both languages."""
    return f"{socket.gethostname()}/{os.getpid()}/{secrets.token_hex(8)}"


_driven_here: set[tuple[str, str]] = set()
"""Leases this process renews, as ``(run id, owner)``: the runs it is driving now."""


def owner_is_gone(owner: str, run_id: str) -> bool:
    """The owner of ``run_id``'s lease no longer drives it, so the lease is stale even if not expired.

    That is a process of this host that no longer exists (what a caller resuming
    right after a crash sees), or this process when it renews no such lease (a
    call that ended while the store was away, unable to release it).
    """
    host, _, rest = owner.partition("/")
    pid_text = rest.partition("/")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid <= 0:
        return False
    if pid == os.getpid():
        return (run_id, owner) not in _driven_here
    try:
        os.kill(pid, 0)  # signal 0 only checks that the process exists
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def check_lease_ms(lease_ms: int | None, name: str = "lease_ms") -> int:
    """``lease_ms`` or the default, refused unless a whole number of ms from 30 to one day."""
    value = DEFAULT_LEASE_MS if lease_ms is None else lease_ms
    if isinstance(value, bool) or not isinstance(value, int) or not _MIN_LEASE_MS <= value <= _MAX_LEASE_MS:
        raise ValueError(f"{name} must be a whole number of milliseconds from {_MIN_LEASE_MS} to {_MAX_LEASE_MS}, got {lease_ms!r}.")
    return value


async def take_lease(db: Queryable, run_id: str, owner: str, lease_ms: int, stale_owner: str | None) -> bool:
    """Takes an existing run's lease for ``owner`` (``attempts + 1``, status running).

    Succeeds when nobody holds it, it expired, or ``stale_owner`` (a dead local
    process) holds it; False when another owner holds it: nothing changed.
    """
    rows = await db.query(
        "UPDATE timestep_durable_runs"
        " SET status = 'running', lease_owner = %s, lease_expires_at = now() + %s * interval '1 millisecond',"
        " attempts = attempts + 1, updated_at = now()"
        " WHERE run_id = %s AND (lease_owner IS NULL OR lease_expires_at < now() OR lease_owner = %s)"
        " RETURNING run_id",
        [owner, lease_ms, run_id, stale_owner],
    )
    return len(rows) == 1


class LeaseRenewal:
    """Renews ``owner``'s lease every ``lease_ms / 3`` until stopped."""

    def __init__(self, db: Queryable, run_id: str, owner: str, lease_ms: int) -> None:
        self._key = (run_id, owner)
        _driven_here.add(self._key)
        self._task = asyncio.ensure_future(self._renew(db, run_id, owner, lease_ms))

    @staticmethod
    async def _renew(db: Queryable, run_id: str, owner: str, lease_ms: int) -> None:
        while True:
            await asyncio.sleep(lease_ms / 3000)
            # A renewal that fails (store briefly away) is retried at the next tick; if the lease
            # expires meanwhile, the journal's primary key still stops a second writer.
            with contextlib.suppress(Exception):
                await db.query(
                    "UPDATE timestep_durable_runs SET lease_expires_at = now() + %s * interval '1 millisecond'"
                    " WHERE run_id = %s AND lease_owner = %s",
                    [lease_ms, run_id, owner],
                )

    async def stop(self) -> None:
        _driven_here.discard(self._key)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
