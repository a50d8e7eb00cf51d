"""Runs through the OpenAI route, configured only by OPENAI_BASE_URL and OPENAI_API_KEY."""

from __future__ import annotations

from agents import Agent, RunConfig, Runner

from timestep.models import MultiModelProvider


async def test_bare_model_name_runs_on_the_responses_api(scripted_server) -> None:
    agent = Agent(name="Personal Assistant", instructions="You are a Personal Assistant.", model="gpt-4.1")
    config = RunConfig(model_provider=MultiModelProvider(), tracing_disabled=True)

    result = await Runner.run(agent, "What's 2+2?", run_config=config)

    assert result.final_output == "2 + 2 = 4."
    assert scripted_server.requests() == [
        {"api": "responses", "model": "gpt-4.1", "ruleId": "math-two-plus-two", "stream": False}
    ]


async def test_openai_prefix_runs_on_chat_completions_when_asked(scripted_server) -> None:
    agent = Agent(
        name="Personal Assistant", instructions="You are a Personal Assistant.", model="openai/gpt-4.1"
    )
    provider = MultiModelProvider(openai_use_responses=False)
    config = RunConfig(model_provider=provider, tracing_disabled=True)

    result = await Runner.run(agent, "What's 2+2?", run_config=config)

    assert result.final_output == "2 + 2 = 4."
    assert scripted_server.requests() == [
        {"api": "chat.completions", "model": "gpt-4.1", "ruleId": "math-two-plus-two", "stream": False}
    ]
