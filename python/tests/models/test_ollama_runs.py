"""Agent runs on `ollama/llama3` against the scripted server's `/api/chat`."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from agents import Agent, ModelSettings, RunConfig, Runner, RunState
from agents.result import RunResult, RunResultStreaming

from timestep.models import MultiModelProvider, OllamaConnectionError

# A 4×4 red PNG, the image of the reference scenario's last turn.
RED_SQUARE_BASE64 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAEElEQVR4nGP4z8AARwzEcQCukw/x0F8jngAAAABJRU5ErkJggg=="
)

MODEL = "ollama/llama3"


@pytest.fixture
async def config() -> AsyncIterator[Callable[..., RunConfig]]:
    """Makes run configs on a MultiModelProvider for an Ollama host; closes the providers after the test."""
    providers: list[MultiModelProvider] = []

    def make(host: str, **options: Any) -> RunConfig:
        provider = MultiModelProvider(ollama_host=host, **options)
        providers.append(provider)
        return RunConfig(model_provider=provider, tracing_disabled=True)

    yield make
    for provider in providers:
        await provider.aclose()


async def run(agent: Agent[Any], input: Any, run_config: RunConfig, stream: bool) -> RunResult | RunResultStreaming:
    if not stream:
        return await Runner.run(agent, input, run_config=run_config)
    result = Runner.run_streamed(agent, input, run_config=run_config)
    async for _ in result.stream_events():
        pass
    return result


def ollama_log(rule_ids: list[str], stream: bool) -> list[dict[str, Any]]:
    return [{"api": "ollama.chat", "model": "llama3", "ruleId": rule, "stream": stream} for rule in rule_ids]


@pytest.mark.parametrize("stream", [False, True], ids=["get_response", "stream_response"])
async def test_text_answer_with_usage(config, scripted_server, reference_agents, stream: bool) -> None:
    agents = reference_agents(MODEL)

    result = await run(agents.personal_assistant, "What's 2+2?", config(scripted_server.url), stream)

    assert result.final_output == "2 + 2 = 4."
    usage = result.context_wrapper.usage
    assert usage.requests == 1
    assert usage.input_tokens > 0 and usage.output_tokens > 0
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens
    assert scripted_server.requests() == ollama_log(["math-two-plus-two"], stream)


async def test_stream_events_follow_the_responses_protocol(config, scripted_server, reference_agents) -> None:
    agents = reference_agents(MODEL)
    result = Runner.run_streamed(agents.personal_assistant, "What's 2+2?", run_config=config(scripted_server.url))

    raw = [event.data async for event in result.stream_events() if event.type == "raw_response_event"]

    types = [event.type for event in raw]
    assert types[0] == "response.created"
    assert types[-1] == "response.completed"
    deltas = [event.delta for event in raw if event.type == "response.output_text.delta"]
    assert len(deltas) > 1  # the server streams word by word
    assert "".join(deltas) == "2 + 2 = 4."
    assert types.index("response.output_item.added") < types.index("response.output_text.delta")
    assert types.index("response.output_item.done") < types.index("response.completed")
    assert [event.sequence_number for event in raw] == list(range(len(raw)))
    completed = raw[-1].response
    assert completed.usage.input_tokens > 0 and completed.usage.output_tokens > 0
    assert completed.output[0].content[0].text == "2 + 2 = 4."


@pytest.mark.parametrize("stream", [False, True], ids=["get_response", "stream_response"])
async def test_tool_round_trip(config, scripted_server, reference_agents, stream: bool) -> None:
    agents = reference_agents(MODEL)

    result = await run(agents.weather_assistant, "What's the weather in Oakland?", config(scripted_server.url), stream)

    assert result.final_output == "The weather in Oakland: sunny, 68°F"
    assert agents.weather_calls == ["Oakland"]
    assert scripted_server.requests() == ollama_log(["weather-lookup-oakland", "weather-answer-oakland"], stream)


@pytest.mark.parametrize("stream", [False, True], ids=["get_response", "stream_response"])
async def test_reference_turns_one_and_two_hand_off_to_the_weather_assistant(
    config, scripted_server, reference_agents, stream: bool
) -> None:
    agents = reference_agents(MODEL)
    run_config = config(scripted_server.url)

    first = await run(agents.personal_assistant, "What's 2+2?", run_config, stream)
    assert first.final_output == "2 + 2 = 4."
    # The second turn replays the first, assistant answer included.
    history = first.to_input_list() + [{"role": "user", "content": "What's the weather in Oakland?"}]
    second = await run(agents.personal_assistant, history, run_config, stream)

    assert second.final_output == "The weather in Oakland: sunny, 68°F"
    assert second.last_agent is agents.weather_assistant
    assert agents.weather_calls == ["Oakland"]
    assert scripted_server.requests() == ollama_log(
        ["math-two-plus-two", "handoff-to-weather-oakland", "weather-lookup-oakland", "weather-answer-oakland"],
        stream,
    )


@pytest.mark.parametrize("stream", [False, True], ids=["get_response", "stream_response"])
async def test_tool_approval_interrupts_and_resumes(config, scripted_server, reference_agents, stream: bool) -> None:
    agents = reference_agents(MODEL)
    run_config = config(scripted_server.url)

    interrupted = await run(agents.personal_assistant, "What's the weather in Berkeley?", run_config, stream)

    assert [(item.name, item.arguments) for item in interrupted.interruptions] == [
        ("get_weather", '{"city":"Berkeley"}')
    ]
    assert agents.weather_calls == []
    # Through the serialised form, as a durable store would keep it.
    state = await RunState.from_string(agents.personal_assistant, interrupted.to_state().to_string())
    state.approve(state.get_interruptions()[0])
    resumed = await run(agents.personal_assistant, state, run_config, stream)

    assert resumed.final_output == "The weather in Berkeley: foggy, 58°F"
    assert resumed.interruptions == []
    assert agents.weather_calls == ["Berkeley"]
    assert scripted_server.requests() == ollama_log(
        ["handoff-to-weather-berkeley", "weather-lookup-berkeley", "weather-answer-berkeley"], stream
    )


@pytest.mark.parametrize("stream", [False, True], ids=["get_response", "stream_response"])
async def test_image_input(config, scripted_server, reference_agents, stream: bool) -> None:
    agents = reference_agents(MODEL)
    image_turn = [
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "What do you see in this image?"},
                {"type": "input_image", "image_url": f"data:image/png;base64,{RED_SQUARE_BASE64}", "detail": "auto"},
            ],
        }
    ]

    result = await run(agents.personal_assistant, image_turn, config(scripted_server.url), stream)

    assert result.final_output == "I see a small red square."
    assert scripted_server.requests() == ollama_log(["image-description"], stream)


async def test_model_settings_reach_the_request(config, recording_proxy, reference_agents) -> None:
    settings = ModelSettings(
        temperature=0.25,
        top_p=0.5,
        max_tokens=64,
        extra_args={"keep_alive": "5m", "options": {"num_ctx": 4096}},
    )
    agents = reference_agents(MODEL, settings)

    result = await Runner.run(agents.personal_assistant, "What's 2+2?", run_config=config(recording_proxy.url))

    assert result.final_output == "2 + 2 = 4."
    [request] = recording_proxy.requests
    assert request.path == "/api/chat"
    assert request.body["options"] == {"temperature": 0.25, "top_p": 0.5, "num_predict": 64, "num_ctx": 4096}
    assert request.body["keep_alive"] == "5m"
    assert request.body["messages"][0] == {
        "role": "system",
        "content": "You are a Personal Assistant. Hand weather questions to the Weather Assistant.",
    }
    [handoff_tool] = request.body["tools"]
    assert handoff_tool["function"]["name"] == "transfer_to_weather_assistant"


async def test_ollama_api_key_is_sent_only_where_it_belongs(
    config, recording_proxy, reference_agents, monkeypatch: pytest.MonkeyPatch
) -> None:
    agents = reference_agents(MODEL)
    # The environment's key is for ollama.com; the ollama client would send it anywhere.
    monkeypatch.setenv("OLLAMA_API_KEY", "cloud-key")
    await Runner.run(agents.personal_assistant, "What's 2+2?", run_config=config(recording_proxy.url))
    # A key given as an option goes to the configured host.
    await Runner.run(
        agents.personal_assistant,
        "What's 2+2?",
        run_config=config(recording_proxy.url, ollama_api_key="explicit-key"),
    )

    assert [request.headers.get("authorization") for request in recording_proxy.requests] == [
        None,
        "Bearer explicit-key",
    ]


@pytest.mark.parametrize("stream", [False, True], ids=["get_response", "stream_response"])
async def test_unreachable_server_raises_ollama_connection_error(config, reference_agents, stream: bool) -> None:
    # A port that was just free and is now closed: nothing listens there.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        host = f"http://127.0.0.1:{probe.getsockname()[1]}"
    agents = reference_agents(MODEL)

    with pytest.raises(OllamaConnectionError) as raised:
        await run(agents.personal_assistant, "What's 2+2?", config(host), stream)

    assert raised.value.host == host
    assert str(raised.value).startswith(f"Could not reach the Ollama server at {host} (")
    assert "ollama serve" in str(raised.value)
