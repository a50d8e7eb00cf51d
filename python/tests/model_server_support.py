"""The scripted model server (testing/model-server) for the tests; the SDKs reach it through the environment."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest
from store_support import REPO


def scripted_server(scenario: str, extra_env: dict[str, str], *, ollama: bool = False) -> Iterator[str]:
    """Runs the server on ``spec/scenarios/<scenario>.json`` and yields its URL, with OpenAI pointed at it.

    ``ollama``: Ollama too (``OLLAMA_HOST``, no ``OLLAMA_API_KEY``), so a request sent to
    either backend is answered and logged here, never leaving the machine.
    """
    server = subprocess.Popen(
        ["node", str(REPO / "testing/model-server/server.mjs"), "--scenario",
         str(REPO / "spec/scenarios" / f"{scenario}.json")],
        stdin=subprocess.PIPE,  # the server exits when this pipe closes
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None and server.stdin is not None
    url = json.loads(server.stdout.readline())["url"]
    with pytest.MonkeyPatch.context() as env:
        env.setenv("OPENAI_BASE_URL", f"{url}/v1")
        env.setenv("OPENAI_API_KEY", "test")
        if ollama:
            env.setenv("OLLAMA_HOST", url)
            env.delenv("OLLAMA_API_KEY", raising=False)
        for name, value in extra_env.items():
            env.setenv(name, value)
        yield url
    server.stdin.close()
    server.wait()
    server.stdout.close()
