"""Running agents."""

from .consume_result import consume_result
from .run_agent import RunAgentOptions, RunInput, run_agent

__all__ = ["RunAgentOptions", "RunInput", "consume_result", "run_agent"]
