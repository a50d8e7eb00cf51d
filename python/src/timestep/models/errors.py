"""Typed errors of model routing and the Ollama backend (twins of typescript/src/models/errors.ts)."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import TimestepError


class UnknownModelPrefixError(TimestepError):
    """A model name's prefix (the part before the first ``/``) names no registered provider."""

    def __init__(self, model_name: str, prefix: str, known_prefixes: Sequence[str]) -> None:
        super().__init__(
            f'Unknown model prefix "{prefix}" in model name "{model_name}". '
            f"Known prefixes: {', '.join(known_prefixes)}. "
            "Register the prefix with MultiModelProviderMap.add_provider(), or, if the model name "
            f'itself contains "/", name the backend explicitly, e.g. "openai/{model_name}".'
        )
        self.model_name = model_name
        """The model name as given, e.g. ``meta-llama/Llama-3-8B``."""
        self.prefix = prefix
        """The prefix that matched nothing, e.g. ``meta-llama``."""
        self.known_prefixes = tuple(known_prefixes)
        """Every prefix that would have been accepted."""


class EmptyModelNameError(TimestepError):
    """A model name has a known prefix but nothing after it (``openai/``, ``ollama/``).

    As a template such as ``f"openai/{model}"`` gives when its variable is empty.
    """

    def __init__(self, model_name: str, prefix: str) -> None:
        super().__init__(
            f'The model name "{model_name}" names no model after its prefix "{prefix}/" (is a variable in it empty?); '
            f'name one, e.g. "{prefix}/{_example_model(prefix)}".'
        )
        self.model_name = model_name
        """The model name as given, e.g. ``openai/``."""
        self.prefix = prefix
        """The prefix before the ``/``, e.g. ``openai``."""


def _example_model(prefix: str) -> str:
    return {"openai": "gpt-4.1", "ollama": "llama3.2"}.get(prefix, "<model>")


class OllamaConnectionError(TimestepError):
    """The Ollama server could not be reached (down, wrong host, DNS or TLS failure)."""

    def __init__(self, host: str, cause: BaseException) -> None:
        super().__init__(
            f"Could not reach the Ollama server at {host} ({_describe_cause(cause)}). "
            "Start it with `ollama serve`, or point Timestep at a running one with the OLLAMA_HOST "
            "environment variable or the `ollama_host` option."
        )
        self.host = host
        """The Ollama host that was tried."""


def _describe_cause(cause: BaseException) -> str:
    # The ollama client replaces the transport error with a generic ConnectionError
    # ("Failed to connect to Ollama…") and hides the original, which says what failed.
    inner = cause.__cause__ or cause.__context__ or cause
    return str(inner) or type(inner).__name__
