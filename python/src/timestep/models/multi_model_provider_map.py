"""Which model provider serves which model-name prefix."""

from __future__ import annotations

import json
from collections.abc import Mapping

from agents.models.interface import ModelProvider


class MultiModelProviderMap:
    """Which model provider serves which model-name prefix, for ``MultiModelProvider``.

    With ``add_provider("anthropic", p)``, the model ``anthropic/claude-x`` is served by
    ``p.get_model("claude-x")``. Entries here take precedence over the built-in ``openai``
    and ``ollama`` prefixes.
    """

    def __init__(self) -> None:
        self._providers: dict[str, ModelProvider] = {}

    def add_provider(self, prefix: str, provider: ModelProvider) -> None:
        """Serves models named ``prefix/...`` with ``provider``, replacing any earlier entry."""
        _validate_prefix(prefix)
        _validate_provider(prefix, provider)
        self._providers[prefix] = provider

    def remove_provider(self, prefix: str) -> None:
        """Forgets the provider of ``prefix``; a prefix that was never added is ignored."""
        _validate_prefix(prefix)
        self._providers.pop(prefix, None)

    def get_provider(self, prefix: str) -> ModelProvider | None:
        """The provider of ``prefix``, or None."""
        _validate_prefix(prefix)
        return self._providers.get(prefix)

    def has_prefix(self, prefix: str) -> bool:
        """True when a provider is registered for ``prefix``."""
        _validate_prefix(prefix)
        return prefix in self._providers

    def get_mapping(self) -> dict[str, ModelProvider]:
        """A copy of all entries; changing it does not change this map."""
        return dict(self._providers)

    def set_mapping(self, mapping: Mapping[str, ModelProvider]) -> None:
        """Replaces all entries with those of ``mapping``; nothing changes if any entry is invalid."""
        for prefix, provider in mapping.items():
            _validate_prefix(prefix)
            _validate_provider(prefix, provider)
        self._providers = dict(mapping)


def _validate_prefix(prefix: object) -> None:
    if not isinstance(prefix, str):
        raise TypeError(f"A model prefix must be a non-empty string; got {prefix!r}.")
    if prefix == "":
        raise ValueError('A model prefix must be a non-empty string; got "".')
    if "/" in prefix:
        # Model names are split on their first "/", so such a prefix could never match.
        raise ValueError(f"A model prefix cannot contain \"/\"; got {json.dumps(prefix)}.")


def _validate_provider(prefix: str, provider: object) -> None:
    if not callable(getattr(provider, "get_model", None)):
        raise TypeError(
            f'The provider for prefix "{prefix}" must be a ModelProvider (an object with get_model()).'
        )
