"""Typed errors of the portable run state, named as in the TypeScript package."""

from __future__ import annotations

from ..errors import InvalidRunStateError


class UnsupportedRunStateVersionError(InvalidRunStateError):
    """A portable run state of a version this reader does not know; upgrade Timestep to read it."""

    def __init__(self, message: str, version: object) -> None:
        super().__init__(message)
        self.version = version
        """The version the state declares."""


class AgentGraphMismatchError(InvalidRunStateError):
    """A run state names an agent, tool or handoff the agent graph of the starting agent lacks."""

    def __init__(self, message: str, agent_name: str, tool_name: str | None = None) -> None:
        super().__init__(message)
        self.agent_name = agent_name
        """The agent that is missing, or whose tool or handoff is missing."""
        self.tool_name = tool_name
        """The missing tool (or handoff tool), when a tool is what is missing."""


class UnportableRunStateError(InvalidRunStateError):
    """A native run state holds something portable version 1 cannot express.

    The native state itself is fine; only the other language cannot resume it.
    """
