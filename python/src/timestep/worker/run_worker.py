"""A worker for durable runs (spec/run-journal, "Leases and workers").

Claims runs it has the agent graph for (submitted, crashed, failed under the
attempt limit, or interrupted with every pending call decided) and resumes
them from their journal under its lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from agents import Agent, RunConfig

from ..durable.durable_run import DurableOptions, LeaseHolder, execute_durably
from ..durable.graph_fingerprint import graph_fingerprint, reachable_agents
from ..durable.run_lease import check_lease_ms, new_lease_owner
from ..models.multi_model_provider import MultiModelProvider
from ..session.durable_session import DurableSession
from ..store.connect import DatabaseHandle, StoreOptions

RunWorkerEvent = dict[str, Any]
"""One event: ``{"event": "started" | "claimed" | "finished" | "interrupted" | "failed" | "claim_failed"
| "stopped", "worker": ..., "run_id"?: ..., "attempt"?: ..., "error"?: ...}``, as the TypeScript worker emits."""

# The claim of the spec, word for word but for the "every pending call is decided" condition.
_CLAIM = """
UPDATE timestep_durable_runs r
   SET status = 'running', lease_owner = %s, lease_expires_at = now() + %s * interval '1 millisecond',
       attempts = r.attempts + 1, updated_at = now()
  FROM (SELECT run_id FROM timestep_durable_runs c
         WHERE c.graph = ANY(%s::text[])
           AND (c.lease_expires_at IS NULL OR c.lease_expires_at < now())
           AND (c.status = 'queued'
                OR (c.status IN ('running', 'failed') AND c.attempts < %s)
                OR (c.status = 'interrupted'
                    AND jsonb_array_length(c.pending_approvals) > 0
                    AND NOT EXISTS (
                      SELECT 1 FROM jsonb_array_elements(c.pending_approvals) pending
                       WHERE NOT EXISTS (SELECT 1 FROM timestep_approval_decisions d
                                          WHERE d.run_id = c.run_id AND d.call_id = pending->>'call_id'))))
         ORDER BY c.updated_at
         LIMIT 1
         FOR UPDATE SKIP LOCKED) picked
 WHERE r.run_id = picked.run_id
RETURNING r.run_id, r.agent, r.session_id, r.graph, r.attempts"""


# A run whose holder died on its last allowed attempt: it crashed its worker (out of memory, a
# native fault) as often as a raising run may fail, so it is failed instead of claimed forever.
_GIVE_UP = """
UPDATE timestep_durable_runs
   SET status = 'failed', lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
 WHERE status = 'running' AND lease_expires_at < now() AND attempts >= %s AND graph = ANY(%s::text[])
RETURNING run_id, attempts"""


@dataclass(frozen=True)
class _ClaimedRun:
    run_id: str
    agent: str
    session_id: str | None
    graph: str
    attempts: int


def _whole_number(name: str, value: int, lowest: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < lowest:
        raise ValueError(f"RunWorker: {name} must be a whole number of at least {lowest}, got {value!r}.")
    return value


def _agents_by_graph(agents: Sequence[Agent[Any]]) -> dict[str, list[Agent[Any]]]:
    """Every agent reachable from the given ones, by the fingerprint of the graph it starts."""
    by_graph: dict[str, list[Agent[Any]]] = {}
    seen: set[int] = set()
    for root in agents:
        for agent in reachable_agents(root):
            if id(agent) not in seen:
                seen.add(id(agent))
                by_graph.setdefault(graph_fingerprint(agent), []).append(agent)
    return by_graph


def _print_event(event: RunWorkerEvent) -> None:
    # Compact, as the TypeScript worker prints (JSON.stringify).
    sys.stdout.write(json.dumps(event, separators=(",", ":"), ensure_ascii=False) + "\n")
    sys.stdout.flush()


class RunWorker:
    """Claims durable runs whose agent graph it has and resumes them from their journal."""

    def __init__(
        self,
        agents: Sequence[Agent[Any]],
        run_config: RunConfig | None = None,
        *,
        concurrency: int = 1,
        lease_ms: int = 30_000,
        poll_ms: int = 1000,
        max_attempts: int = 3,
        worker_id: str | None = None,
        connection_string: str | None = None,
        use_pglite: bool | None = None,
        pglite_path: str | os.PathLike[str] | None = None,
        timeout_ms: int | None = None,
        on_event: Callable[[RunWorkerEvent], None] | None = None,
    ) -> None:
        """``agents``: the starting agents whose runs this worker resumes (with every agent they hand off to).

        ``run_config`` runs them (model provider, tracing, ...); without one, as in ``run_agent``,
        models are resolved by a ``MultiModelProvider`` (``ollama/llama3`` goes to Ollama) that
        the worker creates for each ``run`` / ``run_once`` and closes when it returns. Store
        options as ``StoreOptions``; ``on_event`` receives each event (default: one JSON line on stdout).
        """
        if isinstance(agents, Agent | str) or not agents or not all(isinstance(a, Agent) for a in agents):
            raise TypeError("RunWorker: agents must be a non-empty list of Agents (the starting agents of the runs to resume).")
        if run_config is not None and not isinstance(run_config, RunConfig):
            raise TypeError(f"RunWorker: run_config must be a RunConfig or None, got {type(run_config).__name__}.")
        self._agents = _agents_by_graph(agents)
        self._run_config = run_config
        self._concurrency = _whole_number("concurrency", concurrency, 1)
        self._lease_ms = check_lease_ms(lease_ms)
        self._poll_ms = _whole_number("poll_ms", poll_ms, 1)
        self._max_attempts = _whole_number("max_attempts", max_attempts, 1)
        self.worker_id = worker_id or new_lease_owner()
        """Owner id of the leases this worker takes."""
        self._on_event = on_event or _print_event
        self.__store = StoreOptions(connection_string, use_pglite, pglite_path, timeout_ms)
        self._new_handle()  # a bad store option fails here, not at the first claim

    def __repr__(self) -> str:
        # The store options may hold a password.
        return f"RunWorker(worker_id={self.worker_id!r})"

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Claims and executes runs, up to ``concurrency`` at once, polling when there is none.

        When ``stop`` is set it stops claiming, waits for the runs in flight, and returns.
        """
        stop = stop or asyncio.Event()
        run_config, owned = self._run_config_for_call()
        handle = self._new_handle()
        self._emit({"event": "started"})
        in_flight: set[asyncio.Task[None]] = set()
        stopped = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                if len(in_flight) >= self._concurrency:
                    await asyncio.wait([*in_flight, stopped], return_when=asyncio.FIRST_COMPLETED)
                    continue
                claimed = await self._claim_logged(handle)
                if claimed is not None:
                    task = asyncio.ensure_future(self._execute(claimed, run_config))
                    in_flight.add(task)
                    task.add_done_callback(in_flight.discard)
                    continue
                # Idle: wait for the poll interval, or less when a run finishes or the worker is stopped.
                await asyncio.wait([*in_flight, stopped], timeout=self._poll_ms / 1000, return_when=asyncio.FIRST_COMPLETED)
            if in_flight:
                await asyncio.wait(in_flight)
        finally:
            stopped.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stopped
            try:
                await handle.close()
            finally:
                if owned is not None:
                    await owned.aclose()
            self._emit({"event": "stopped"})

    async def run_once(self) -> str | None:
        """Claims one run and executes it; its id, or None when no run was free."""
        handle = self._new_handle()
        try:
            claimed = await self._claim(handle)
        finally:
            await handle.close()
        if claimed is None:
            return None
        run_config, owned = self._run_config_for_call()
        try:
            await self._execute(claimed, run_config)
        finally:
            if owned is not None:
                await owned.aclose()
        return claimed.run_id

    def _run_config_for_call(self) -> tuple[RunConfig, MultiModelProvider | None]:
        """The run config of the runs of one ``run`` / ``run_once``, and the provider to close after them, if the worker owns it."""
        if self._run_config is not None:
            return self._run_config, None
        # run_agent's default; the SDK's own default provider would send "ollama/llama3" to OpenAI.
        owned = MultiModelProvider()
        return RunConfig(model_provider=owned), owned

    def _new_handle(self) -> DatabaseHandle:
        return DatabaseHandle(self.__store, f"RunWorker {self.worker_id}")

    def _emit(self, event: RunWorkerEvent) -> None:
        self._on_event({"event": event["event"], "worker": self.worker_id, **{k: v for k, v in event.items() if k != "event"}})

    async def _claim_logged(self, handle: DatabaseHandle) -> _ClaimedRun | None:
        try:
            return await self._claim(handle)
        except Exception as error:  # noqa: BLE001 - the store may be briefly away; the worker polls again
            self._emit({"event": "claim_failed", "error": str(error)})
            return None

    async def _claim(self, handle: DatabaseHandle) -> _ClaimedRun | None:
        db = await handle.get()
        graphs = list(self._agents)
        for gave_up in await db.query(_GIVE_UP, [self._max_attempts, graphs]):
            self._emit({
                "event": "failed",
                "run_id": gave_up["run_id"],
                "error": f"Its process died on each of its {gave_up['attempts']} attempts (max_attempts {self._max_attempts}); "
                "resume it directly, or with a worker allowing more attempts.",
            })
        rows = await db.query(_CLAIM, [self.worker_id, self._lease_ms, graphs, self._max_attempts])
        if not rows:
            return None
        run = _ClaimedRun(**rows[0])
        self._emit({"event": "claimed", "run_id": run.run_id, "attempt": run.attempts})
        return run

    async def _execute(self, run: _ClaimedRun, run_config: RunConfig) -> None:
        """Resumes a claimed run as a direct call with ``[]`` would, under the claimed lease. Never raises."""
        store = self.__store
        session = (
            None
            if run.session_id is None
            else DurableSession(
                run.session_id,
                connection_string=store.connection_string,
                use_pglite=store.use_pglite,
                pglite_path=store.pglite_path,
                timeout_ms=store.timeout_ms,
            )
        )
        try:
            candidates = self._agents[run.graph]
            # The graph matched, so an agent of that name is in it; a different starting agent of the
            # same graph (a handoff cycle) is still a mismatch the resume reports.
            agent = next((a for a in candidates if a.name == run.agent), candidates[0])
            durable = DurableOptions(
                run.run_id, store.connection_string, store.use_pglite, store.pglite_path, store.timeout_ms, self._lease_ms
            )
            options: dict[str, Any] = {"run_config": run_config}
            lease = LeaseHolder(self.worker_id, self._lease_ms, claimed=True)
            result = await execute_durably(agent, [], session, False, options, durable, lease)
            self._emit({"event": "interrupted" if result.interruptions else "finished", "run_id": run.run_id})
        except Exception as error:  # noqa: BLE001 - a run's error marks it failed; the worker goes on
            self._emit({"event": "failed", "run_id": run.run_id, "error": str(error) or type(error).__name__})
        finally:
            if session is not None:
                with contextlib.suppress(Exception):
                    await session.close()
