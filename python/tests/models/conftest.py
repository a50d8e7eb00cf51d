"""Fixtures of the model-routing tests: the scripted model server, a recording proxy in
front of it and the reference scenario's agents."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from agents import Agent, function_tool
from agents.model_settings import ModelSettings

REPO_ROOT = Path(__file__).resolve().parents[3]



class ScriptedServer:
    """The project's scripted OpenAI/Ollama-compatible server, run as `node server.mjs`."""

    def __init__(self, scenario: str) -> None:
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("node is not on PATH; the scripted model server needs it.")
        self._process = subprocess.Popen(
            [
                node,
                str(REPO_ROOT / "testing" / "model-server" / "server.mjs"),
                "--scenario",
                str(REPO_ROOT / "spec" / "scenarios" / f"{scenario}.json"),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        # The server prints exactly one line, once it is listening.
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the scripted model server exited with {self._process.wait()}")
        self.url: str = json.loads(line)["url"]

    def requests(self) -> list[dict[str, Any]]:
        """The server's log of model requests since the last reset."""
        with urllib.request.urlopen(f"{self.url}/__scripted/requests") as response:
            return json.load(response)

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/__scripted/reset", method="POST", data=b"")
        urllib.request.urlopen(request).close()

    def close(self) -> None:
        # The server exits when its stdin closes.
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.close()
        self._process.wait(timeout=10)
        self._process.stdout.close()


@pytest.fixture(scope="session")
def scripted_server() -> Iterator[ScriptedServer]:
    server = ScriptedServer("reference-eight-turns")
    yield server
    server.close()


@pytest.fixture(autouse=True)
def scripted_environment(scripted_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Points OpenAI at the scripted server the way a user would, and keeps the
    developer's own Ollama settings out of the tests."""
    scripted_server.reset()
    monkeypatch.setenv("OPENAI_BASE_URL", f"{scripted_server.url}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    monkeypatch.setenv("OPENAI_AGENTS_DISABLE_TRACING", "1")
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    monkeypatch.delenv("OLLAMA_API_KEY", raising=False)


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class RecordingProxy:
    """An HTTP proxy in front of the scripted server that keeps every request it forwards,
    so tests can look at what the Ollama client actually sent."""

    url: str
    requests: list[RecordedRequest] = field(default_factory=list)


@pytest.fixture
def recording_proxy(scripted_server: ScriptedServer) -> Iterator[RecordingProxy]:
    recorded: list[RecordedRequest] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            recorded.append(
                RecordedRequest(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, json.loads(body)
                )
            )
            upstream = urllib.request.Request(
                scripted_server.url + self.path,
                data=body,
                method="POST",
                headers={"content-type": "application/json"},
            )
            with urllib.request.urlopen(upstream) as response:
                payload = response.read()
                content_type = response.headers["content-type"]
            self.send_response(200)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield RecordingProxy(f"http://127.0.0.1:{server.server_address[1]}", recorded)
    server.shutdown()
    server.server_close()
    thread.join()


@dataclass
class ReferenceAgents:
    """The reference scenario's agents: a Personal Assistant that hands weather questions
    to a Weather Assistant, whose get_weather tool needs approval for Berkeley."""

    personal_assistant: Agent[Any]
    weather_assistant: Agent[Any]
    weather_calls: list[str]
    """Every city get_weather actually ran for, in order."""


@pytest.fixture
def reference_agents() -> Callable[..., ReferenceAgents]:
    """Builds the reference agents on a given model name (and model settings)."""
    return _reference_agents


def _reference_agents(model: str, model_settings: ModelSettings | None = None) -> ReferenceAgents:
    weather_calls: list[str] = []

    async def needs_approval(_context: Any, params: dict[str, Any], _call_id: str) -> bool:
        return "Berkeley" in params["city"]

    @function_tool(needs_approval=needs_approval)
    def get_weather(city: str) -> str:
        """Current weather for a city."""
        weather_calls.append(city)
        return "foggy, 58°F" if city == "Berkeley" else "sunny, 68°F"

    settings = model_settings or ModelSettings()
    weather_assistant = Agent(
        name="Weather Assistant",
        instructions="You are a Weather Assistant. Use get_weather to answer questions about the weather.",
        handoff_description="Answers questions about the weather.",
        model=model,
        model_settings=settings,
        tools=[get_weather],
    )
    personal_assistant = Agent(
        name="Personal Assistant",
        instructions="You are a Personal Assistant. Hand weather questions to the Weather Assistant.",
        model=model,
        model_settings=settings,
        handoffs=[weather_assistant],
    )
    return ReferenceAgents(personal_assistant, weather_assistant, weather_calls)

