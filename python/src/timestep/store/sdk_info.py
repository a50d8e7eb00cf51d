"""Name and version of the SDK whose native state this package writes."""

from __future__ import annotations

from importlib.metadata import version

SDK_NAME = "openai-agents"
SDK_VERSION = version("openai-agents")
