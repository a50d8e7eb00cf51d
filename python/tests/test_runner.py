"""run_agent and consume_result against the scripted model server."""

from __future__ import annotations

from typing import Any

import openai
import pytest
from agents import (
    Agent,
    MaxTurnsExceeded,
    Model,
    ModelProvider,
    RunConfig,
    RunContextWrapper,
    RunHooks,
    RunResult,
    RunResultStreaming,
    SQLiteSession,
)

from timestep import MultiModelProvider, consume_result, idempotent, run_agent
from timestep.models.errors import UnknownModelPrefixError

pytestmark = pytest.mark.usefixtures("model_server")

MATH = Agent(name="Math", instructions="You are good at sums.", model="gpt-4.1-mini")


@pytest.mark.parametrize("stream", [False, True], ids=["run", "stream"])
async def test_returns_the_sdk_result_and_keeps_the_session(stream: bool) -> None:
    session = SQLiteSession("runner")
    result = await run_agent(MATH, "What's 2+2?", session, stream)
    assert type(result) is (RunResultStreaming if stream else RunResult)
    assert await consume_result(result) is result
    assert result.final_output == "2 + 2 = 4."
    assert [item.get("role") for item in await session.get_items()] == ["user", "assistant"]


@pytest.mark.parametrize("stream", [False, True], ids=["run", "stream"])
async def test_models_resolve_through_multi_model_provider_by_default(stream: bool) -> None:
    agent = Agent(name="Nowhere", instructions="x", model="nosuchprefix/some-model")
    with pytest.raises(UnknownModelPrefixError):
        await consume_result(await run_agent(agent, "What's 2+2?", stream=stream))


async def test_input_that_is_no_string_item_list_or_run_state_is_a_type_error() -> None:
    agent = Agent(name="Nowhere", instructions="x", model="nosuchprefix/some-model")
    for bad in (5, None, {"role": "user", "content": "hi"}):
        with pytest.raises(TypeError, match="input must be a string, a list of input items or a RunState"):
            await run_agent(agent, bad)  # type: ignore[call-overload]
    for not_a_tool in (None, {}, agent):
        with pytest.raises(TypeError, match=r"idempotent\(tool\): tool must be a FunctionTool"):
            idempotent(not_a_tool)  # type: ignore[type-var]


async def test_run_config_and_options_pass_through() -> None:
    class RecordingProvider(ModelProvider):
        def __init__(self) -> None:
            self.models: list[str | None] = []
            self.inner = MultiModelProvider()

        def get_model(self, model_name: str | None) -> Model:
            self.models.append(model_name)
            return self.inner.get_model(model_name)

    class RecordingHooks(RunHooks[dict[str, str]]):
        contexts: list[dict[str, str]] = []

        async def on_agent_start(self, context: RunContextWrapper[dict[str, str]], agent: Agent[Any]) -> None:
            self.contexts.append(context.context)

    provider, hooks = RecordingProvider(), RecordingHooks()
    result = await run_agent(
        MATH, "What's 2+2?", run_config=RunConfig(model_provider=provider), context={"user": "ada"}, hooks=hooks
    )
    assert result.final_output == "2 + 2 = 4."
    assert provider.models == ["gpt-4.1-mini"]
    assert hooks.contexts == [{"user": "ada"}]
    await provider.inner.aclose()


@pytest.mark.parametrize("stream", [False, True], ids=["run", "stream"])
async def test_sdk_errors_keep_their_types(stream: bool) -> None:
    weather = Agent(name="Weather Assistant", instructions="You are the Weather Assistant.", model="gpt-4.1-mini")
    assistant = Agent(
        name="Personal Assistant",
        instructions="You are a Personal Assistant.",
        handoffs=[weather],
        model="gpt-4.1-mini",
    )
    # The handoff takes one turn, the Weather Assistant's answer would take another.
    with pytest.raises(MaxTurnsExceeded):
        await consume_result(await run_agent(assistant, "What's the weather in Oakland?", stream=stream, max_turns=1))
    # No scripted rule matches: the server answers 400, which the OpenAI client raises.
    with pytest.raises(openai.BadRequestError, match="no scripted rule matched"):
        await consume_result(await run_agent(MATH, "Tell me a joke.", stream=stream))
