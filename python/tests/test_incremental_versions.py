"""RunStateStore stores versions as deltas (spec/state-delta) and loads every one back exactly."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import random
import re
from itertools import pairwise
from typing import Any

import psycopg
import pytest
from agents import (
    Agent,
    InputGuardrailTripwireTriggered,
    OutputGuardrailTripwireTriggered,
    RunContextWrapper,
    Runner,
)
from agents.run_state import RunState
from reference_conversation import TURNS, ReferenceAgents, make_agents
from store_support import Sql
from test_state_delta import mutate

from timestep import InvalidRunStateError, RunStateConflictError, RunStateStore
from timestep.portable_state.from_portable import from_portable_run_state
from timestep.portable_state.to_portable import to_portable_run_state
from timestep.store.state_delta import delta_document, diff


async def conversation_states(agents: ReferenceAgents) -> list[RunState[Any, Any]]:
    """Real states of one growing run: the reference turns, each started from the previous one's items.

    The first is the state before any turn; a turn waiting for approval adds the paused state.
    """
    states: list[RunState[Any, Any]] = [RunState(RunContextWrapper(context={}), "Hello", agents.assistant)]
    history: list[Any] = []
    for turn in TURNS:
        new_input = [{"role": "user", "content": turn.input}] if isinstance(turn.input, str) else turn.input
        try:
            result = await Runner.run(agents.assistant, history + new_input)
            while result.interruptions:
                paused = result.to_state()
                states.append(paused)
                paused = await RunState.from_string(agents.assistant, paused.to_string())
                for approval in paused.get_interruptions():
                    paused.approve(approval)
                result = await Runner.run(agents.assistant, paused)
        except (InputGuardrailTripwireTriggered, OutputGuardrailTripwireTriggered):
            continue
        states.append(result.to_state())
        history = result.to_input_list()
    return states


def with_context(state: RunState[Any, Any], context: Any) -> RunState[Any, Any]:
    state._context.context = context  # type: ignore[union-attr]
    return state


async def encodings(sql: Sql, run_id: str) -> list[tuple[int, str, int]]:
    """(version, state_encoding, native text bytes) of every row of the run."""
    return [
        tuple(row)  # type: ignore[misc]
        for row in await sql(
            "SELECT version, state_encoding, octet_length(native_state) FROM timestep_run_states "
            "WHERE run_id = %s ORDER BY version",
            (run_id,),
        )
    ]


class Recorder:
    """Saves one state with a given context through any store, keeping each version's text."""

    def __init__(self, state: RunState[Any, Any]) -> None:
        self.state = state
        self.saved: dict[int, str] = {}

    async def save(self, store: RunStateStore[Any], context: Any, **kwargs: Any) -> int:
        text = with_context(self.state, context).to_string()
        version = (await store.save(text, **kwargs)).version
        self.saved[version] = text
        return version


def two_writers(
    name: str, store_options: dict[str, Any], unique_id: str
) -> tuple[Agent[Any], RunStateStore[Any], RunStateStore[Any], Recorder]:
    """An agent, two stores writing one run (as two processes would), and a recorder of what they save."""
    agent = Agent(name=name)
    stores = [RunStateStore(agent, run_id=unique_id, **store_options) for _ in range(2)]
    return agent, stores[0], stores[1], Recorder(RunState(RunContextWrapper(context={}), "hello", agent))


async def loads_back(store: RunStateStore[Any], agent: Agent[Any], saved: dict[int, str]) -> None:
    """Every saved version loads as the state whose text was saved."""
    for version, text in saved.items():
        expected = (await RunState.from_string(agent, text)).to_string()
        assert (await store.load(version=version)).to_string() == expected, f"version {version}"


async def assert_checksums(sql: Sql, run_id: str, saved: dict[int, str]) -> None:
    rows = await sql("SELECT version, native_sha256 FROM timestep_run_states WHERE run_id = %s", (run_id,))
    assert dict(rows) == {version: hashlib.sha256(text.encode()).hexdigest() for version, text in saved.items()}


def assert_two_times_rule(rows: list[tuple[int, str, int]], texts: dict[int, str]) -> None:
    """Deltas since a full version stay below twice its size and number at most 32; a full
    version follows only when another delta would break either limit.

    ``texts`` are the versions saved in order by one store, each possible as a delta.
    """
    full_size = deltas = count = 0
    for version, encoding, size in rows:
        if encoding == "full":
            if version > 1 and version - 1 in texts and count < 32:
                would_be = delta_document(version - 1, diff(json.loads(texts[version - 1]), json.loads(texts[version])))
                assert deltas + len(json.dumps(would_be, separators=(",", ":"))) >= 2 * full_size, f"version {version}"
            full_size, deltas, count = size, 0, 0
        else:
            deltas += size
            count += 1
            assert deltas < 2 * full_size and count <= 32, f"version {version}"


async def test_every_version_of_a_real_run_loads_back(
    model_server: str, store_options: dict[str, Any], unique_id: str, sql: Sql
) -> None:
    agents = make_agents()
    states = await conversation_states(agents)
    assert len(states) >= 7
    rng = random.Random(unique_id)
    store = RunStateStore(agents.assistant, run_id=unique_id, **store_options)
    saved: dict[int, str] = {}
    context: Any = {"user": "ada", "notes": [], "prefs": {"units": "metric", "ratio": 1.0}}
    # Each real state a few times, with the free-form context edited in every way JSON allows
    # (types, key order, new keys before old ones, removals, floats that look like ints).
    for state in states:
        for _ in range(4):
            edited = mutate(rng, context)
            context = edited if isinstance(edited, dict) else {"value": edited}
            text = with_context(state, copy.deepcopy(context)).to_string()
            saved[(await store.save(state)).version] = text
    assert list(saved) == list(range(1, len(saved) + 1))

    rows = await encodings(sql, unique_id)
    kinds = [encoding for _, encoding, _ in rows]
    assert kinds.count("delta") > len(rows) / 2 and kinds[0] == "full"
    assert_two_times_rule(rows, saved)
    await assert_checksums(sql, unique_id, saved)
    # A store that saved nothing (as another process) reads every version, and so does the writer.
    reader = RunStateStore(agents.assistant, run_id=unique_id, **store_options)
    await loads_back(reader, agents.assistant, saved)
    await loads_back(store, agents.assistant, saved)
    assert (await reader.load()).to_string() == (await RunState.from_string(agents.assistant, saved[len(saved)])).to_string()
    await store.close()
    await reader.close()


async def test_full_versions_follow_the_two_times_rule(
    store_options: dict[str, Any], unique_id: str, sql: Sql
) -> None:
    agent = Agent(name="Notebook")
    state = RunState(RunContextWrapper(context={"pages": []}), "hello", agent)
    store = RunStateStore(agent, run_id=unique_id, **store_options)
    saved: dict[int, str] = {}
    pages: list[str] = []
    for page in range(30):
        pages.append(f"page {page} " + "x" * 700)
        text = with_context(state, {"pages": list(pages)}).to_string()
        saved[(await store.save(state)).version] = text
    rows = await encodings(sql, unique_id)
    assert_two_times_rule(rows, saved)
    fulls = [version for version, encoding, _ in rows if encoding == "full"]
    # Growing by one page a version, the full versions come further and further apart.
    assert len(fulls) >= 3 and fulls[0] == 1
    gaps = [after - before for before, after in pairwise(fulls)]
    assert gaps == sorted(gaps) and gaps[-1] > gaps[0]
    # Stored bytes stay linear in the versions, not quadratic.
    stored = sum(size for _, _, size in rows)
    assert stored < 4 * len(saved[30].encode())
    await loads_back(store, agent, saved)
    await store.close()


async def test_a_state_saved_again_and_again_gets_a_full_version_every_33(
    store_options: dict[str, Any], unique_id: str, sql: Sql
) -> None:
    agent = Agent(name="Notebook")
    state = RunState(RunContextWrapper(context={"pages": ["x" * 2000]}), "hello", agent)
    store = RunStateStore(agent, run_id=unique_id, **store_options)
    for _ in range(70):
        await store.save(state)
    rows = await encodings(sql, unique_id)
    # Tiny deltas would take thousands of versions to reach twice the full size:
    # the count bounds how many rows a load reads.
    assert [version for version, encoding, _ in rows if encoding == "full"] == [1, 34, 67]
    await loads_back(store, agent, {70: state.to_string()})
    await store.close()


async def test_a_string_with_other_formatting_is_stored_byte_for_byte(
    store_options: dict[str, Any], unique_id: str, sql: Sql
) -> None:
    agent = Agent(name="Formatter")
    state = RunState(RunContextWrapper(context={"n": 1}), "hello", agent)
    store = RunStateStore(agent, run_id=unique_id, **store_options)
    canonical = state.to_string()
    odd = json.dumps(json.loads(canonical), indent=4, ensure_ascii=False) + "\n"
    compact = json.dumps(json.loads(with_context(state, {"n": 2, "é": 1e20}).to_string()), separators=(",", ":"))
    texts = [
        canonical,
        odd,  # after a version of its own: the delta cannot give back these bytes
        with_context(state, {"n": 3}).to_string(),  # a delta on the odd version's JSON
        compact,
        with_context(state, {"n": 4, "big": 1e20}).to_string(),  # 1e20 is written "1e+20": round-trips
    ]
    saved = {(await store.save(text)).version: text for text in texts}
    assert [encoding for _, encoding, _ in await encodings(sql, unique_id)] == [
        "full", "full", "delta", "full", "delta"
    ]
    rows = await sql(
        "SELECT version, native_state FROM timestep_run_states WHERE run_id = %s AND state_encoding = 'full'",
        (unique_id,),
    )
    assert dict(rows) == {1: canonical, 2: odd, 4: compact}
    await assert_checksums(sql, unique_id, saved)
    async with RunStateStore(agent, run_id=unique_id, **store_options) as reader:
        await loads_back(reader, agent, saved)
    await store.close()


async def test_portable_forms_come_and_go(
    store_options: dict[str, Any], unique_id: str, sql: Sql
) -> None:
    agent = Agent(name="Server Conversations")
    portable = RunState(RunContextWrapper(context={}), "hello", agent)
    unportable = RunState(RunContextWrapper(context={}), "hello", agent, conversation_id="conv_1")
    store = RunStateStore(agent, run_id=unique_id, **store_options)
    order = [portable, unportable, unportable, portable, portable]
    saved = {(await store.save(state)).version: state.to_string() for state in order}
    rows = await sql(
        "SELECT state_encoding, portable_state IS NOT NULL FROM timestep_run_states WHERE run_id = %s ORDER BY version",
        (unique_id,),
    )
    # A version with a portable form never starts from one without.
    assert rows == [("full", True), ("delta", False), ("delta", False), ("full", True), ("delta", True)]
    await loads_back(store, agent, saved)
    await store.close()


async def test_versions_written_as_the_other_sdk_rebuild_from_the_portable_form(
    model_server: str, store_options: dict[str, Any], unique_id: str, sql: Sql
) -> None:
    agents = make_agents()
    states = await conversation_states(agents)
    store = RunStateStore(agents.assistant, run_id=unique_id, **store_options)
    portables = {(await store.save(state)).version: to_portable_run_state(state) for state in states}
    rows = await encodings(sql, unique_id)
    # Relabelled as TypeScript's rows, the chains are read from portable_state alone.
    await sql("UPDATE timestep_run_states SET sdk_name = '@openai/agents' WHERE run_id = %s", (unique_id,))
    reader = RunStateStore(agents.assistant, run_id=unique_id, **store_options)
    for version, portable in portables.items():
        expected = to_portable_run_state(await from_portable_run_state(portable, agents.assistant))
        assert to_portable_run_state(await reader.load(version=version)) == expected, f"version {version}"

    # Two deltas in a row: damage the first, load the second.
    [(middle, target)] = [
        (before[0], after[0]) for before, after in pairwise(rows) if before[1] == after[1] == "delta"
    ][:1]
    full = max(version for version, encoding, _ in rows if encoding == "full" and version < middle)
    await sql(
        "UPDATE timestep_run_states SET portable_state = NULL WHERE run_id = %s AND version = %s", (unique_id, middle)
    )
    with pytest.raises(InvalidRunStateError, match=f"version {middle} of its chain has no portable form"):
        await reader.load(version=target)
    with pytest.raises(InvalidRunStateError, match="without a portable form"):
        await reader.load(version=middle)
    await sql(
        "UPDATE timestep_run_states SET portable_state = %s::jsonb WHERE run_id = %s AND version = %s",
        (json.dumps({"state_delta": 1, "base_version": middle - 1, "ops": {"a": 99, "e": []}}), unique_id, middle),
    )
    with pytest.raises(InvalidRunStateError, match="applies to a value that is not an array"):
        await reader.load(version=target)
    await sql(
        "UPDATE timestep_run_states SET sdk_name = 'openai-agents' WHERE run_id = %s AND version = %s",
        (unique_id, full),
    )
    with pytest.raises(InvalidRunStateError, match="storage is damaged"):
        await reader.load(version=target)
    assert len(await reader.history()) == len(states)
    await store.close()
    await reader.close()


async def test_expected_version_conflicts_still_raise(
    store_options: dict[str, Any], unique_id: str, sql: Sql
) -> None:
    agent, mine, theirs, recorder = two_writers("Careful", store_options, unique_id)
    saved = recorder.saved

    async def save(store: RunStateStore[Any], step: int, **kwargs: Any) -> int:
        return await recorder.save(store, {"step": step}, **kwargs)

    assert await save(mine, 1, expected_version=0) == 1
    assert await save(mine, 2, expected_version=1) == 2  # a delta on the version it just saved
    assert await save(theirs, 3) == 3
    with pytest.raises(RunStateConflictError) as conflict:
        await save(mine, 4, expected_version=2)
    assert (conflict.value.expected_version, conflict.value.actual_version) == (2, 3)
    assert "is at version 3, not 2" in str(conflict.value)
    assert await save(mine, 4, expected_version=3) == 4  # full: it does not hold version 3
    assert await save(mine, 5, expected_version=4) == 5
    with pytest.raises(RunStateConflictError) as stale:
        await save(mine, 6, expected_version=3)  # not the version it holds: a full row, refused
    assert stale.value.actual_version == 5
    assert await save(theirs, 6) == 6  # holds version 3 only: its delta is refused, written full
    assert await save(mine, 7) == 7  # its cache was cleared by the conflict: full
    assert await save(mine, 8) == 8
    assert [encoding for _, encoding, _ in await encodings(sql, unique_id)] == [
        "full", "delta", "full", "full", "delta", "full", "full", "delta"
    ]
    await loads_back(theirs, agent, saved)
    await mine.close()
    await theirs.close()


async def test_stores_saving_one_run_concurrently_all_succeed(
    store_options: dict[str, Any], unique_id: str, sql: Sql
) -> None:
    agent = Agent(name="Busy")
    saved: dict[int, str] = {}

    async def writer(name: str) -> None:
        store = RunStateStore(agent, run_id=unique_id, **store_options)
        state = RunState(RunContextWrapper(context={"writer": name, "log": []}), "hello", agent)
        log: list[str] = []
        for step in range(12):
            log.append(f"{name} step {step}")
            text = with_context(state, {"writer": name, "log": list(log)}).to_string()
            version = (await store.save(state)).version
            assert version not in saved
            saved[version] = text
        await store.close()

    await asyncio.gather(writer("a"), writer("b"), writer("c"))
    assert sorted(saved) == list(range(1, 37))
    assert [version for version, _, _ in await encodings(sql, unique_id)] == list(range(1, 37))
    await assert_checksums(sql, unique_id, saved)
    async with RunStateStore(agent, run_id=unique_id, **store_options) as reader:
        await loads_back(reader, agent, saved)


async def test_one_store_saving_concurrently_keeps_its_versions_right(
    store_options: dict[str, Any], unique_id: str, sql: Sql
) -> None:
    agent = Agent(name="Hasty")
    store = RunStateStore(agent, run_id=unique_id, **store_options)
    texts = [
        RunState(RunContextWrapper(context={"i": index}), "hello", agent).to_string() for index in range(20)
    ]
    versions = await asyncio.gather(*(store.save(text) for text in texts))
    saved = {saved.version: text for saved, text in zip(versions, texts, strict=True)}
    assert sorted(saved) == list(range(1, 21))
    await assert_checksums(sql, unique_id, saved)
    await loads_back(store, agent, saved)
    await store.close()


async def blocked_by_an_open_insert(postgres_url: str, run_id: str, version: int) -> psycopg.AsyncConnection[Any]:
    """A connection whose open transaction has inserted ``version`` of ``run_id``, not yet committed."""
    blocker = await psycopg.AsyncConnection.connect(postgres_url)
    await blocker.execute(
        """INSERT INTO timestep_run_states (run_id, version, status, sdk_name, sdk_version, sdk_schema_version,
             native_state, native_sha256, state_encoding)
           SELECT run_id, %s, status, sdk_name, sdk_version, sdk_schema_version, native_state, native_sha256, 'full'
           FROM timestep_run_states WHERE run_id = %s AND version = 1""",
        (version, run_id),
    )
    return blocker


async def wait_until_blocked(postgres_url: str, blocker: psycopg.AsyncConnection[Any]) -> None:
    """Returns once some backend waits for a lock the blocker holds (polled, no sleeping)."""
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as watcher:
        while True:
            cursor = await watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                (blocker.info.backend_pid,),
            )
            row = await cursor.fetchone()
            if row is not None and row[0] > 0:
                return


@pytest.mark.parametrize("expected", [False, True], ids=["retried-as-full", "with-expected-version"])
async def test_a_unique_violation_from_a_concurrent_insert(
    postgres_url: str, unique_id: str, expected: bool
) -> None:
    agent = Agent(name="Racing")
    store = RunStateStore(agent, run_id=unique_id, connection_string=postgres_url)
    state = RunState(RunContextWrapper(context={}), "hello", agent)
    await store.save(state)
    # Another writer has inserted version 2 but not committed: the store's insert of
    # version 2 waits for it, then hits the primary key.
    blocker = await blocked_by_an_open_insert(postgres_url, unique_id, 2)
    save = asyncio.ensure_future(store.save(state, expected_version=1 if expected else None))
    await wait_until_blocked(postgres_url, blocker)
    await blocker.commit()
    await blocker.close()
    if expected:
        with pytest.raises(RunStateConflictError) as conflict:
            await save
        assert (conflict.value.expected_version, conflict.value.actual_version) == (1, 2)
    else:
        assert (await save).version == 3
        async with await psycopg.AsyncConnection.connect(postgres_url) as check:
            cursor = await check.execute(
                "SELECT version, state_encoding FROM timestep_run_states WHERE run_id = %s ORDER BY version",
                (unique_id,),
            )
            assert await cursor.fetchall() == [(1, "full"), (2, "full"), (3, "full")]
        assert (await store.load()).to_string() == state.to_string()
    await store.close()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ('{"state_delta":1,"base_version":1,"ops":{"a":3,"e":[]}}', "applies to a value that is not an array"),
        ('{"state_delta":1,"base_version":1,"ops":{"o":{"nope":{"o":{}}}}}', 'Key "nope" is new'),
        ('{"state_delta":1,"base_version":1,"ops":{"z":1}}', 'none of "r", "o", "a"'),
        ('{"state_delta":7,"base_version":1,"ops":{"o":{}}}', "format 7, which this version of Timestep cannot read"),
        ('{"state_delta":1,"base_version":0,"ops":{"o":{}}}', "a delta on version 0, not 1"),
        ('{"state_delta":1,"base_version":1,"ops":{"o":{"current_turn":{"r":99}}}}', "checksum mismatch"),
        ("{not json", "damaged in storage"),
    ],
    ids=["array-op-on-object", "new-key-not-replaced", "unknown-op", "unknown-format", "wrong-base",
         "wrong-content", "not-json"],
)
async def test_damaged_deltas_are_reported_and_nothing_is_deleted(
    store_options: dict[str, Any], unique_id: str, sql: Sql, damage: str, message: str
) -> None:
    agent = Agent(name="Fragile")
    state = RunState(RunContextWrapper(context={"n": 0}), "hello", agent)
    store = RunStateStore(agent, run_id=unique_id, **store_options)
    saved = {}
    for n in range(3):
        saved[(await store.save(with_context(state, {"n": n}))).version] = state.to_string()
    assert [encoding for _, encoding, _ in await encodings(sql, unique_id)] == ["full", "delta", "delta"]
    await sql(
        "UPDATE timestep_run_states SET native_state = %s WHERE run_id = %s AND version = 2", (damage, unique_id)
    )
    reader = RunStateStore(agent, run_id=unique_id, **store_options)
    for version in (2, 3, None):
        with pytest.raises(InvalidRunStateError, match=re.escape(message)) as damaged:
            await reader.load(version=version)
        assert unique_id in str(damaged.value)
    await loads_back(reader, agent, {1: saved[1]})
    assert [version for version, _, _ in await encodings(sql, unique_id)] == [1, 2, 3]
    await store.close()
    await reader.close()


async def test_a_version_without_a_full_one_below_it_is_damaged(
    store_options: dict[str, Any], unique_id: str, sql: Sql
) -> None:
    agent = Agent(name="Orphan")
    store = RunStateStore(agent, run_id=unique_id, **store_options)
    for n in range(3):
        await store.save(RunState(RunContextWrapper(context={"n": n}), "hello", agent))
    await sql("UPDATE timestep_run_states SET state_encoding = 'delta' WHERE run_id = %s AND version = 1", (unique_id,))
    for version in (2, None):
        with pytest.raises(InvalidRunStateError, match=r"storage is damaged \(no full version at or below it\)"):
            await store.load(version=version)
    await sql("DELETE FROM timestep_run_states WHERE run_id = %s AND version = 2", (unique_id,))
    await sql("UPDATE timestep_run_states SET state_encoding = 'full' WHERE run_id = %s AND version = 1", (unique_id,))
    with pytest.raises(InvalidRunStateError, match="version 3 does not follow version 1"):
        await store.load()
    assert [version for version, _, _ in await encodings(sql, unique_id)] == [1, 3]
    await store.close()


@pytest.mark.parametrize("expected", [False, True], ids=["without-expected-version", "with-expected-version"])
async def test_a_save_that_finds_the_run_busy_waits_its_turn(
    postgres_url: str, unique_id: str, expected: bool
) -> None:
    agent = Agent(name="Patient")
    store = RunStateStore(agent, run_id=unique_id, connection_string=postgres_url)
    state = RunState(RunContextWrapper(context={"n": 1}), "hello", agent)
    await store.save(state)
    # Another save of the run holds its lock (as a save that lost a race does) and has
    # inserted version 2: the store's statement inserts nothing and it waits for the lock.
    blocker = await blocked_by_an_open_insert(postgres_url, unique_id, 2)
    await blocker.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 7405733))", (unique_id,))
    save = asyncio.ensure_future(
        store.save(with_context(state, {"n": 2}), expected_version=1 if expected else None)
    )
    await wait_until_blocked(postgres_url, blocker)
    await blocker.commit()
    await blocker.close()
    if expected:
        with pytest.raises(RunStateConflictError) as conflict:
            await save
        assert (conflict.value.expected_version, conflict.value.actual_version) == (1, 2)
    else:
        assert (await save).version == 3
        assert (await store.load()).to_string() == state.to_string()
        assert (await store.save(with_context(state, {"n": 3}))).version == 4
        async with await psycopg.AsyncConnection.connect(postgres_url) as check:
            cursor = await check.execute(
                "SELECT state_encoding FROM timestep_run_states WHERE run_id = %s ORDER BY version", (unique_id,)
            )
            assert [row[0] for row in await cursor.fetchall()] == ["full", "full", "full", "delta"]
    await store.close()


async def test_a_delta_is_only_written_on_the_very_version_its_store_saved(
    store_options: dict[str, Any], unique_id: str, sql: Sql
) -> None:
    agent, mine, theirs, recorder = two_writers("Reset", store_options, unique_id)
    saved = recorder.saved
    save = recorder.save

    assert [await save(mine, {"n": n}) for n in (1, 2)] == [1, 2]
    # The run is cleared elsewhere and saved again up to the same version number.
    assert await theirs.clear() == 2
    assert [await save(theirs, {"other": n}) for n in (1, 2)] == [1, 2]
    assert await save(mine, {"n": 3}) == 3  # not a delta on a version 2 it never saw
    assert [encoding for _, encoding, _ in await encodings(sql, unique_id)] == ["full", "delta", "full"]
    await loads_back(theirs, agent, saved)
    # Its own clear() forgets the version it saved.
    assert await mine.clear() == 3
    saved.clear()
    assert [await save(mine, {"n": n}) for n in (4, 5)] == [1, 2]
    assert [encoding for _, encoding, _ in await encodings(sql, unique_id)] == ["full", "delta"]
    await loads_back(mine, agent, saved)
    await mine.close()
    await theirs.close()
