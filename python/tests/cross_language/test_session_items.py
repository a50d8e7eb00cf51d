"""Every Responses input item type crosses between the languages' sessions, on both stores.

The items and both their forms are the shared vectors in spec/session-items (format: its README);
TypeScript checks its conversion against the same files.
"""

from __future__ import annotations

import json
import typing
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from agents import Agent, OpenAIResponsesModel, Runner
from openai import AsyncOpenAI
from openai.types.responses.response_input_item_param import ResponseInputItemParam
from pydantic import ConfigDict, TypeAdapter, ValidationError
from store_support import REPO, run_typescript, store_argument

from timestep import DurableSession, run_agent

SPEC = REPO / "spec" / "session-items"
VECTORS: dict[str, dict[str, Any]] = {
    path.stem: json.loads(path.read_text()) for path in sorted((SPEC / "vectors").glob("*.json"))
}
CONVERSATION: list[str] = json.loads((SPEC / "conversation.json").read_text())["items"]

# The API rejects unknown fields, so the check does too (pydantic ignores them by default).
STRICT = ConfigDict(extra="forbid")
INPUT_ITEM = TypeAdapter(ResponseInputItemParam, config=STRICT)

QUESTION = "What's 2+2?"
ANSWER = "2 + 2 = 4."  # the reference scenario's reply to QUESTION, whatever history comes before it


def responses_forms(vector: dict[str, Any]) -> list[dict[str, Any]]:
    """The Responses items a vector holds: its own and, if different, the one written from its JS form."""
    return [vector["responses"], *([vector["responses_from_js"]] if "responses_from_js" in vector else [])]


def stored_by_typescript(name: str) -> dict[str, Any]:
    vector = VECTORS[name]
    return vector.get("responses_from_js", vector["responses"])


def sent_by_typescript(name: str) -> dict[str, Any]:
    return VECTORS[name].get("sent_by_typescript", stored_by_typescript(name))


def typescript_session_items(command: str, store_options: dict[str, Any], *arguments: str) -> dict[str, Any]:
    """Runs typescript/test/cross-language/sessionItems.ts and returns its JSON line."""
    line = run_typescript(
        ["test/cross-language/sessionItems.ts", command, store_argument(store_options), *arguments]
    )
    result: dict[str, Any] = json.loads(line)
    return result


class RecordingModel:
    """The OpenAI Responses model on a client that keeps the body of every request it sends."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

        async def record(request: httpx.Request) -> None:
            self.bodies.append(json.loads(request.content))

        self._http = httpx.AsyncClient(event_hooks={"request": [record]})
        self.model = OpenAIResponsesModel("gpt-4.1", AsyncOpenAI(http_client=self._http))

    async def close(self) -> None:
        await self._http.aclose()


def assistant(recording: RecordingModel) -> Agent[Any]:
    return Agent(name="Personal Assistant", instructions="You are a Personal Assistant.", model=recording.model)


@pytest.fixture
async def recording_model(model_server: str) -> AsyncIterator[RecordingModel]:
    recording = RecordingModel()  # after model_server: the client reads OPENAI_BASE_URL when it is built
    yield recording
    await recording.close()


def test_the_vectors_cover_every_responses_input_item_type() -> None:
    members = typing.get_args(ResponseInputItemParam)
    assert len(members) == 33
    items = [item for vector in VECTORS.values() for item in responses_forms(vector)]
    for member in members:
        # A list of it, as pydantic takes a config for a TypedDict only around it.
        adapter = TypeAdapter(list[member], config=STRICT)  # type: ignore[valid-type]
        assert any(_validates(adapter, [item]) for item in items), f"no vector is a {member.__name__}"


def test_the_conversation_holds_every_item_type() -> None:
    types = {VECTORS[name]["responses"].get("type", "message") for name in CONVERSATION}
    all_types = {vector["responses"].get("type", "message") for vector in VECTORS.values()}
    assert types == all_types


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_each_responses_form_is_a_valid_input_item(name: str) -> None:
    for item in responses_forms(VECTORS[name]):
        INPUT_ITEM.validate_python(item)


@pytest.mark.parametrize("name", sorted(VECTORS))
async def test_the_python_sdk_takes_each_item_as_run_input(name: str, recording_model: RecordingModel) -> None:
    agent = assistant(recording_model)
    for item in responses_forms(VECTORS[name]):
        result = await Runner.run(agent, [item, {"role": "user", "content": QUESTION}])
        assert result.final_output == ANSWER
        assert recording_model.bodies[-1]["input"] == [item, {"role": "user", "content": QUESTION}]


async def test_a_conversation_written_by_python_continues_in_typescript(
    model_server: str, store_options: dict[str, Any], unique_id: str
) -> None:
    written = [VECTORS[name]["responses"] for name in CONVERSATION]
    async with DurableSession(unique_id, **store_options) as session:
        await session.add_items(written)

        result = typescript_session_items("continue", store_options, unique_id, QUESTION)

        assert result["final_output"] == ANSWER
        # One model request, holding every stored item as the API takes it, then the new input.
        expected = [sent_by_typescript(name) for name in CONVERSATION]
        assert result["sent"] == [[*expected, {"role": "user", "content": QUESTION}]]
        items = await session.get_items()
        assert items[: len(written)] == written, "the history is stored unchanged"
        assert [item.get("role") for item in items[len(written) :]] == ["user", "assistant"]
        for item in items:
            INPUT_ITEM.validate_python(item)


async def test_a_conversation_written_by_typescript_continues_in_python(
    store_options: dict[str, Any], unique_id: str, recording_model: RecordingModel
) -> None:
    async with DurableSession(unique_id, **store_options) as session:
        assert await session.get_items() == []  # and the embedded store is served before TypeScript joins it

        written = typescript_session_items("write", store_options, unique_id)
        assert written == {"written": len(CONVERSATION)}

        items = await session.get_items()
        assert items == [stored_by_typescript(name) for name in CONVERSATION]
        for item in items:
            INPUT_ITEM.validate_python(item)

        result = await run_agent(assistant(recording_model), QUESTION, session)
        assert result.final_output == ANSWER
        # The Python SDK pairs a local shell call with its output by `call_id`, which the API's
        # local_shell_call_output lacks (it names the call in `id`): it drops the call as orphaned
        # history. Every other item goes to the model as stored.
        kept = [item for name, item in zip(CONVERSATION, items, strict=True) if name != "local-shell-call"]
        sent = [body["input"] for body in recording_model.bodies]
        assert sent == [[*kept, {"role": "user", "content": QUESTION}]]


def _validates(adapter: TypeAdapter[Any], value: object) -> bool:
    try:
        adapter.validate_python(value)
    except ValidationError:
        return False
    return True
