"""A durable run that handed off, resumed in the other language.

The SDKs name a handoff's tool differently (``transfer_to_Weather_Assistant`` in
TypeScript, ``transfer_to_weather_assistant`` here), and the journal keeps the
model's responses as the producer's SDK received them: the resumer must replay
the handoff under its own name. The run is turn 4 of the reference scenario (a
handoff to the Weather Assistant, whose Berkeley call waits for approval); the
TypeScript half is typescript/test/cross-language/durableTurn.ts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from durable.durable_support import model_requests
from reference_conversation import TURNS, make_agents
from store_support import run_typescript, store_argument

from timestep import DurableOptions, DurableSession, consume_result, run_agent

pytestmark = pytest.mark.usefixtures("model_server")

BERKELEY = TURNS[3]
BERKELEY_APPROVAL = [{"agent": "Weather Assistant", "tool": "get_weather", "arguments": '{"city":"Berkeley"}'}]


def typescript_turn(store_options: dict[str, Any], session_id: str, run_id: str, mode: str, weather_log: Path, *flags: str) -> Any:
    line = run_typescript(
        ["test/cross-language/durableTurn.ts", store_argument(store_options), session_id, run_id, "4", mode, *flags],
        {"TIMESTEP_WEATHER_LOG": str(weather_log)},
    )
    return json.loads(line)


class PythonTurn:
    """Turn 4 as a durable run in Python, logging get_weather's cities as the TypeScript half does."""

    def __init__(self, store_options: dict[str, Any], session_id: str, run_id: str, stream: bool, weather_log: Path) -> None:
        self.session = DurableSession(session_id, **store_options)
        self.durable = DurableOptions(run_id=run_id, **store_options)
        self.stream = stream

        def log(city: str) -> None:
            with weather_log.open("a", encoding="utf-8") as file:
                file.write(f"python {city}\n")

        self.assistant = make_agents(on_weather_call=log).assistant

    async def run(self, input: Any) -> Any:
        return await consume_result(
            await run_agent(self.assistant, input, self.session, self.stream, durable=self.durable, max_turns=10)
        )

    async def start(self) -> list[dict[str, Any]]:
        result = await self.run(BERKELEY.input)
        return [{"agent": item.agent.name, "tool": item.name, "arguments": item.arguments} for item in result.interruptions]

    async def resume(self) -> Any:
        result = await self.run([])
        while result.interruptions:
            state = result.to_state()
            for item in result.interruptions:
                state.approve(item)
            result = await self.run(state)
        return result.final_output


@pytest.mark.parametrize("first_language", ["typescript", "python"], ids=["ts-then-py", "py-then-ts"])
@pytest.mark.parametrize("stream", [False, True], ids=["run", "stream"])
async def test_a_handoff_journaled_in_one_language_replays_in_the_other(
    store_options: dict[str, Any], unique_id: str, tmp_path: Path, model_server: str, stream: bool, first_language: str
) -> None:
    weather_log = tmp_path / "weather.log"
    weather_log.touch()
    mode = "stream" if stream else "run"
    run_id = f"handoff-{unique_id}"
    python = PythonTurn(store_options, unique_id, run_id, stream, weather_log)
    try:
        await python.session.get_items()  # the embedded store is served before TypeScript joins it
        if first_language == "typescript":
            interrupted = typescript_turn(store_options, unique_id, run_id, mode, weather_log)["interrupted"]
            sent_before_resume = len(model_requests(model_server))
            output = await python.resume()
        else:
            interrupted = await python.start()
            sent_before_resume = len(model_requests(model_server))
            output = typescript_turn(store_options, unique_id, run_id, mode, weather_log, "--resume")["output"]
        items = await python.session.get_items()
    finally:
        await python.session.close()

    assert interrupted == BERKELEY_APPROVAL, "the first language handed off, then stopped for approval"
    assert output == BERKELEY.answer
    second_language = "python" if first_language == "typescript" else "typescript"
    assert model_requests(model_server)[sent_before_resume:] == ["weather-answer-berkeley"], (
        "the resumer replayed both journaled calls, the handoff included, and sent only the one after the approval"
    )
    assert weather_log.read_text().splitlines() == [f"{second_language} Berkeley"]
    assert [item.get("type", "message") for item in items] == [
        "message", "function_call", "function_call_output", "function_call", "function_call_output", "message"
    ]
