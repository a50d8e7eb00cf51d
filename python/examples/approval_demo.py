"""Timestep demo: a run that needs a human's approval survives its process.

1. This process asks the assistant about the weather in Berkeley. The weather
   tool needs approval there, so the run stops; Timestep saves it to the store
   (the embedded one in your app directory, or TIMESTEP_DB_URL) and the process exits.
2. A second process reopens the store, loads the run, approves the tool call
   and finishes the run.

Without OPENAI_API_KEY it runs offline against the project's scripted model
server; with the key set it talks to OpenAI.

    python examples/approval_demo.py
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agents import Agent, RunContextWrapper, function_tool, set_tracing_disabled

from timestep import DurableSession, RunStateStore, consume_result, run_agent

REPO = Path(__file__).resolve().parents[2]


def build_agents() -> Agent[Any]:
    async def needs_approval(_context: RunContextWrapper[Any], params: dict[str, Any], _call_id: str) -> bool:
        return "Berkeley" in params.get("city", "")

    @function_tool(needs_approval=needs_approval)
    def get_weather(city: str) -> str:
        """Current weather for a city."""
        print(f"   [tool] get_weather({city}) is running now")
        return "foggy, 58°F" if city == "Berkeley" else "sunny, 68°F"

    weather_assistant = Agent(
        name="Weather Assistant",
        instructions="You are a Weather Assistant. Use get_weather to answer questions about the weather.",
        handoff_description="Answers questions about the weather.",
        model="gpt-4.1",
        tools=[get_weather],
    )
    return Agent(
        name="Personal Assistant",
        instructions="You are a Personal Assistant. Hand weather questions to the Weather Assistant.",
        model="gpt-4.1",
        handoffs=[weather_assistant],
    )


def connect_model() -> Callable[[], None]:
    """Offline, points the OpenAI client at the scripted server, as any user setting would."""
    if os.environ.get("OPENAI_API_KEY"):
        return lambda: None
    set_tracing_disabled(True)
    server = subprocess.Popen(
        ["node", str(REPO / "testing/model-server/server.mjs"), "--scenario",
         str(REPO / "spec/scenarios/reference-eight-turns.json")],
        stdin=subprocess.PIPE,  # the server exits when this pipe closes
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None and server.stdin is not None
    url = json.loads(server.stdout.readline())["url"]
    os.environ["OPENAI_BASE_URL"] = f"{url}/v1"
    os.environ["OPENAI_API_KEY"] = "offline-demo"

    def disconnect() -> None:
        assert server.stdin is not None
        server.stdin.close()
        server.wait()

    return disconnect


def use_checkout_cli() -> None:
    """In a checkout without the CLI installed, serve the embedded store with the one built here."""
    built = REPO / "typescript/dist/cli/main.js"
    if not os.environ.get("TIMESTEP_CLI") and shutil.which("timestep") is None and built.is_file():
        os.environ["TIMESTEP_CLI"] = str(built)


async def ask() -> str:
    agent = build_agents()
    session = DurableSession()
    store = RunStateStore(agent, session_id=session.session_id)
    print(f"1) [process {os.getpid()}] user: What's the weather in Berkeley?")
    result = await consume_result(await run_agent(agent, "What's the weather in Berkeley?", session, stream=True))
    for item in result.interruptions:
        print(f"   {item.agent.name} wants to call {item.name}({item.arguments}) and needs approval")
    saved = await store.save(result.to_state())
    print(f"   saved run {saved.run_id} version {saved.version} ({saved.status}); this process exits now")
    await store.close()
    await session.close()
    return session.session_id


async def approve_and_finish(session_id: str) -> None:
    agent = build_agents()
    session = DurableSession(session_id)
    store = RunStateStore(agent, session_id=session_id)
    state = await store.load()
    print(f"2) [process {os.getpid()}] loaded run {store.run_id}")
    for item in state.get_interruptions():
        print(f"   approving {item.name}({item.arguments})")
        state.approve(item)
    result = await run_agent(agent, state, session)
    final = await store.save(result.to_state())
    print(f"   assistant: {result.final_output}")
    history = " → ".join(version.status for version in await store.history())
    print(f"   saved version {final.version} ({final.status}); history: {history}")
    print(f"   the conversation now has {len(await session.get_items())} items")
    await store.close()
    await session.close()


def main() -> int:
    use_checkout_cli()
    disconnect = connect_model()
    try:
        if sys.argv[1:2] == ["resume"]:
            asyncio.run(approve_and_finish(sys.argv[2]))
            return 0
        session_id = asyncio.run(ask())
        # A fresh process, as after a restart: nothing is shared but the store.
        env = dict(os.environ)
        if env["OPENAI_API_KEY"] == "offline-demo":
            env["OPENAI_API_KEY"] = ""  # the second process starts its own scripted server
        return subprocess.run([sys.executable, __file__, "resume", session_id], env=env).returncode
    finally:
        disconnect()


if __name__ == "__main__":
    sys.exit(main())
