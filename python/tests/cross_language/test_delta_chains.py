"""Versions stored as delta chains (spec/state-delta) by one language load in the other.

A delta row's portable_state is a delta too, so the reader rebuilds the portable form from
the chain's full row (jsonb: key order not kept) and every delta after it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from agents import Agent, RunContextWrapper
from agents.run_state import RunState
from reference_conversation import make_agents
from store_support import Sql, run_typescript, store_argument
from test_incremental_versions import conversation_states

from timestep import RunStateStore

pytestmark = pytest.mark.usefixtures("model_server")

VERSIONS = 12


def context_of(version: int) -> dict[str, Any]:
    """A context that changes a little every version: values replaced, a list grown, a key added."""
    context: dict[str, Any] = {
        "n": version,
        "log": [f"entry {i} é" for i in range(version)],
        "nested": {"ratio": version / 4, "flag": version % 2 == 0, "empty": None},
    }
    if version > 6:
        context["late"] = {"since": 7}
    return context


def node(store_options: dict[str, Any], script: str, *arguments: str) -> Any:
    """Runs ES module ``script`` with the store and ``arguments``, and returns its JSON line."""
    line = run_typescript(["--input-type=module", "-e", script, "--", store_argument(store_options), *arguments])
    return json.loads(line)


STORE = """
const [storeArgument, runId, count] = process.argv.slice(-3);
const target = storeArgument.startsWith('postgres') ? { connectionString: storeArgument } : { pglitePath: storeArgument };
"""

TYPESCRIPT_WRITES = STORE + """
import { Agent, RunContext, RunState } from '@openai/agents';
import { RunStateStore } from './src/index.ts';
const contexts = JSON.parse(process.env.TIMESTEP_CONTEXTS);
const agent = new Agent({ name: 'Chains' });
const store = new RunStateStore({ agent, runId, ...target });
const versions = [];
for (const context of contexts) {
  const state = new RunState(new RunContext(context), 'hello', agent, 10);
  versions.push((await store.save(state)).version);
}
await store.close();
console.log(JSON.stringify(versions));
"""

TYPESCRIPT_READS_CONTEXTS = STORE + """
import { Agent } from '@openai/agents';
import { RunStateStore } from './src/index.ts';
const store = new RunStateStore({ agent: new Agent({ name: 'Chains' }), runId, ...target });
const contexts = [];
for (let version = 1; version <= Number(count); version++) {
  contexts.push((await store.load({ version }))._context.context);
}
await store.close();
console.log(JSON.stringify(contexts));
"""

TYPESCRIPT_READS_CONVERSATION = STORE + """
import { RunStateStore } from './src/index.ts';
import { referenceAgents } from './test/support/referenceAgents.ts';
const store = new RunStateStore({ agent: referenceAgents().personalAssistant, runId, ...target });
const seen = [];
for (let version = 1; version <= Number(count); version++) {
  const state = await store.load({ version });
  seen.push({ agent: state.currentAgent.name, interruptions: state.getInterruptions().map((item) => item.name) });
}
await store.close();
console.log(JSON.stringify(seen));
"""


async def encodings(sql: Sql, run_id: str) -> list[str]:
    rows = await sql("SELECT state_encoding FROM timestep_run_states WHERE run_id = %s ORDER BY version", (run_id,))
    return [encoding for (encoding,) in rows]


async def test_a_typescript_chain_loads_in_python(
    store_options: dict[str, Any], unique_id: str, sql: Sql, monkeypatch: pytest.MonkeyPatch
) -> None:
    contexts = [context_of(version) for version in range(1, VERSIONS + 1)]
    monkeypatch.setenv("TIMESTEP_CONTEXTS", json.dumps(contexts))
    agent = Agent(name="Chains")
    async with RunStateStore(agent, run_id=unique_id, **store_options) as store:
        await store.history()  # opens the database (the embedded store's server) first
        assert node(store_options, TYPESCRIPT_WRITES, unique_id, str(VERSIONS)) == list(range(1, VERSIONS + 1))
        assert (await encodings(sql, unique_id)).count("delta") >= VERSIONS // 2
        for version, context in enumerate(contexts, start=1):
            loaded = await store.load(version=version)
            assert loaded._context is not None and loaded._context.context == context, f"version {version}"
        # Python goes on from a TypeScript version: a full version (it did not save the one before).
        await store.save(loaded)
        await store.save(loaded)
    assert (await encodings(sql, unique_id))[-2:] == ["full", "delta"]


async def test_a_python_chain_loads_in_typescript(store_options: dict[str, Any], unique_id: str, sql: Sql) -> None:
    agent = Agent(name="Chains")
    contexts = [context_of(version) for version in range(1, VERSIONS + 1)]
    async with RunStateStore(agent, run_id=unique_id, **store_options) as store:
        for context in contexts:
            await store.save(RunState(RunContextWrapper(context=context), "hello", agent))
    assert (await encodings(sql, unique_id)).count("delta") >= VERSIONS // 2
    assert node(store_options, TYPESCRIPT_READS_CONTEXTS, unique_id, str(VERSIONS)) == contexts


async def test_a_python_chain_of_a_real_run_loads_in_typescript(
    store_options: dict[str, Any], unique_id: str, sql: Sql
) -> None:
    agents = make_agents()
    states = await conversation_states(agents)
    expected = []
    async with RunStateStore(agents.assistant, run_id=unique_id, **store_options) as store:
        for state in states:
            await store.save(state)
            expected.append(
                {"agent": state._current_agent.name if state._current_agent else None,
                 "interruptions": [item.name for item in state.get_interruptions()]}
            )
    assert "delta" in await encodings(sql, unique_id)
    assert node(store_options, TYPESCRIPT_READS_CONVERSATION, unique_id, str(len(states))) == expected
