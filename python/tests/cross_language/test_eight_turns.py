"""The eight-turn reference scenario split across languages: turns 1–4 in one, 5–8 in the other.

Both languages share one ``DurableSession`` id (and the ``RunStateStore`` of that session) on
each backend. The turn-4 approval interruption is either saved, approved and resumed by the
language playing turns 1–4, or saved by it and approved and resumed by the other language
before it plays turns 5–8. The TypeScript half is typescript/test/cross-language/playTurns.ts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from agents import Agent, RunResult, RunResultStreaming, Session, SQLiteSession
from agents.run_state import RunState
from normalise import normalise_conversation
from reference_conversation import TURNS, ReferenceAgents, bare_sdk_run, in_memory_checkpoint, make_agents, play
from store_support import run_typescript, store_argument

from timestep import DurableSession, RunInput, RunStateStore, consume_result, run_agent

pytestmark = pytest.mark.usefixtures("model_server")

AGENT_NAMES = ["Personal Assistant", "Weather Assistant"]
EXPECTED_OUTCOMES = [turn.outcome for turn in TURNS]
assert EXPECTED_OUTCOMES == [
    {"output": "2 + 2 = 4."},
    {"output": "The weather in Oakland: sunny, 68°F"},
    {"output": "3 × 4 = 12."},
    {"output": "The weather in Berkeley: foggy, 58°F"},
    {"tripped": "input"},
    {"tripped": "output"},
    {"output": "4 × 12 − 6 = 42."},
    {"output": "I see a small red square."},
]
BERKELEY_APPROVAL = [{"agent": "Weather Assistant", "tool": "get_weather", "arguments": '{"city":"Berkeley"}'}]


def play_typescript(
    store_options: dict[str, Any], session_id: str, first: int, last: int, stream: bool, weather_log: Path, *flags: str
) -> list[dict[str, Any]]:
    """Runs playTurns.ts to completion and returns the outcomes of its JSON line."""
    line = run_typescript(
        ["test/cross-language/playTurns.ts", store_argument(store_options), session_id,
         str(first), str(last), "stream" if stream else "run", *flags],
        {"TIMESTEP_WEATHER_LOG": str(weather_log)},
    )
    outcomes: list[dict[str, Any]] = json.loads(line)["outcomes"]
    return outcomes


class PythonHalf:
    """The Python application: the reference agents on the shared session and its RunStateStore."""

    def __init__(
        self, store_options: dict[str, Any], session_id: str, stream: bool, weather_log: Path, guardrails_in_parallel: bool
    ) -> None:
        self.store_options = store_options
        self.session_id = session_id
        self.stream = stream

        def log(city: str) -> None:
            with weather_log.open("a", encoding="utf-8") as file:
                file.write(f"python {city}\n")

        self.agents: ReferenceAgents = make_agents(guardrails_in_parallel=guardrails_in_parallel, on_weather_call=log)

    def store(self) -> RunStateStore[Any]:
        # A new store object each time, as a separate process would create.
        return RunStateStore(self.agents.assistant, session_id=self.session_id, **self.store_options)

    async def run(self, agent: Agent[Any], input: RunInput, session: Session) -> RunResult | RunResultStreaming:
        result = await run_agent(agent, input, session, self.stream)
        assert isinstance(result, RunResultStreaming) == self.stream
        return await consume_result(result)

    async def save(self, state: RunState[Any, Any]) -> list[dict[str, Any]]:
        store = self.store()
        try:
            saved = await store.save(state)
        finally:
            await store.close()
        assert saved.status == "interrupted"
        return [{"agent": p["agent"], "tool": p["tool"], "arguments": p["arguments"]} for p in saved.pending_approvals]

    async def load(self) -> RunState[Any, Any]:
        store = self.store()
        try:
            return await store.load()
        finally:
            await store.close()

    async def load_approved(self) -> RunState[Any, Any]:
        state = await self.load()
        for approval in state.get_interruptions():
            state.approve(approval)
        return state

    async def checkpoint(self, state: RunState[Any, Any]) -> RunState[Any, Any]:
        """Saves the interrupted state and loads it back (``play`` approves it)."""
        await self.save(state)
        return await self.load()

    async def play(
        self, session: Session, first: int, last: int, *, resume_first: bool = False, leave_interrupted: bool = False
    ) -> list[dict[str, Any]]:
        """Plays turns first..last like playTurns.ts does, with the same two options."""
        outcomes: list[dict[str, Any]] = []
        if resume_first:
            result = await self.run(self.agents.assistant, await self.load_approved(), session)
            while result.interruptions:
                await self.save(result.to_state())
                result = await self.run(self.agents.assistant, await self.load_approved(), session)
            outcomes.append({"output": result.final_output})
        if leave_interrupted:
            outcomes += await play(self.agents, session, self.run, self.checkpoint, TURNS[first - 1 : last - 1])
            result = await self.run(self.agents.assistant, TURNS[last - 1].input, session)
            assert result.interruptions, "the last turn was expected to stop for approval"
            outcomes.append({"interrupted": await self.save(result.to_state())})
        else:
            outcomes += await play(self.agents, session, self.run, self.checkpoint, TURNS[first - 1 : last])
        return outcomes


async def python_single_language(stream: bool) -> list[dict[str, Any]]:
    """The normalised conversation of all eight turns played by Python alone (bare SDK, in-memory session)."""
    agents = make_agents()
    session = SQLiteSession("eight-turns")
    assert await play(agents, session, bare_sdk_run(stream), in_memory_checkpoint(agents)) == EXPECTED_OUTCOMES
    assert agents.weather_calls == ["Oakland", "Berkeley"]
    return normalise_conversation(await session.get_items(), AGENT_NAMES)


async def test_single_language_runs_agree(store_options: dict[str, Any], unique_id: str, tmp_path: Path) -> None:
    """The baseline: TypeScript alone and Python alone give the same normalised conversation."""
    session = DurableSession(unique_id, **store_options)
    try:
        await session.get_items()  # the embedded store is served before TypeScript joins it
        weather_log = tmp_path / "weather.log"
        outcomes = play_typescript(store_options, unique_id, 1, 8, False, weather_log)
        conversation = normalise_conversation(await session.get_items(), AGENT_NAMES)
    finally:
        await session.close()
    assert outcomes == EXPECTED_OUTCOMES
    assert weather_log.read_text().splitlines() == ["typescript Oakland", "typescript Berkeley"]
    assert conversation == await python_single_language(False)


@pytest.mark.parametrize("guardrails", ["parallel", "blocking"], ids=["parallel-guardrails", "blocking-guardrails"])
@pytest.mark.parametrize("resumed_by", ["first", "second"], ids=["approved-by-first", "approved-by-second"])
@pytest.mark.parametrize("first_language", ["typescript", "python"], ids=["ts-then-py", "py-then-ts"])
@pytest.mark.parametrize("stream", [False, True], ids=["run", "stream"])
async def test_eight_turns_split_across_languages(
    store_options: dict[str, Any],
    unique_id: str,
    tmp_path: Path,
    stream: bool,
    first_language: str,
    resumed_by: str,
    guardrails: str,
) -> None:
    weather_log = tmp_path / "weather.log"
    weather_log.touch()
    python = PythonHalf(store_options, unique_id, stream, weather_log, guardrails_in_parallel=guardrails == "parallel")
    handover = resumed_by == "second"
    guardrail_flags = ["--blocking-guardrails"] if guardrails == "blocking" else []
    first_half_flags = ["--leave-interrupted", *guardrail_flags] if handover else guardrail_flags
    second_half_flags = ["--resume-first", *guardrail_flags] if handover else guardrail_flags

    session = DurableSession(unique_id, **store_options)
    try:
        await session.get_items()  # the embedded store is served before TypeScript joins it
        if first_language == "typescript":
            outcomes = play_typescript(store_options, unique_id, 1, 4, stream, weather_log, *first_half_flags)
            outcomes += await python.play(session, 5, 8, resume_first=handover)
        else:
            outcomes = await python.play(session, 1, 4, leave_interrupted=handover)
            outcomes += play_typescript(store_options, unique_id, 5, 8, stream, weather_log, *second_half_flags)
        conversation = normalise_conversation(await session.get_items(), AGENT_NAMES)
        store = python.store()
        try:
            history = [(version.status, version.current_agent) for version in await store.history()]
        finally:
            await store.close()
    finally:
        await session.close()

    if handover:
        # Turn 4 stops in the first language and finishes in the second.
        assert outcomes[3] == {"interrupted": BERKELEY_APPROVAL}
        del outcomes[3]
    assert outcomes == EXPECTED_OUTCOMES
    # get_weather ran exactly once per city across both processes, Berkeley where turn 4 was approved.
    second_language = "python" if first_language == "typescript" else "typescript"
    assert weather_log.read_text().splitlines() == [
        f"{first_language} Oakland",
        f"{second_language if handover else first_language} Berkeley",
    ]
    # The one interruption (turn 4) is the only run state saved in the session's store.
    assert history == [("interrupted", "Weather Assistant")]
    assert conversation == await python_single_language(stream)
