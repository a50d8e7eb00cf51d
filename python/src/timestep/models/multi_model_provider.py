"""A model provider that picks the backend from the model name's prefix."""

from __future__ import annotations

from agents.models.interface import Model, ModelProvider
from agents.models.openai_provider import OpenAIProvider
from openai import AsyncOpenAI

from .errors import EmptyModelNameError, UnknownModelPrefixError
from .multi_model_provider_map import MultiModelProviderMap
from .ollama.ollama_model_provider import OllamaModelProvider

_OPENAI_PREFIX = "openai"
_OLLAMA_PREFIX = "ollama"


class MultiModelProvider(ModelProvider):
    """A ``ModelProvider`` that picks the backend from the model name's prefix.

    ``gpt-4.1`` and ``openai/gpt-4.1`` → the Agents SDK's ``OpenAIProvider`` (which reads
    ``OPENAI_API_KEY`` and ``OPENAI_BASE_URL`` unless the ``openai_*`` options say
    otherwise), ``ollama/llama3`` → ``OllamaModelProvider``, and any prefix registered in
    ``provider_map`` → that provider, even ``openai`` or ``ollama``.

    Only the first ``/`` separates the prefix: ``ollama/library/llama3:8b`` is the Ollama
    model ``library/llama3:8b``. Consequently a name that contains ``/`` but starts with no
    known prefix, such as ``meta-llama/Llama-3-8B`` meant for an OpenAI-compatible server,
    raises ``UnknownModelPrefixError``; write ``openai/meta-llama/Llama-3-8B`` instead.
    Guessing would route a mistyped prefix to OpenAI, with the user's prompt.

    The OpenAI and Ollama providers are created on first use and then reused.
    """

    def __init__(
        self,
        *,
        provider_map: MultiModelProviderMap | None = None,
        openai_api_key: str | None = None,
        openai_base_url: str | None = None,
        openai_client: AsyncOpenAI | None = None,
        openai_organization: str | None = None,
        openai_project: str | None = None,
        openai_use_responses: bool | None = None,
        ollama_host: str | None = None,
        ollama_api_key: str | None = None,
    ) -> None:
        """``ollama_host`` defaults to ``OLLAMA_HOST``, else ``https://ollama.com`` for
        ``-cloud`` models, else ``http://localhost:11434``; ``ollama_api_key`` to
        ``OLLAMA_API_KEY``, which is sent to ollama.com only.

        Raises ``TypeError`` if ``openai_client`` is combined with options that configure a client.
        """
        if openai_client is not None:
            given = {
                "openai_api_key": openai_api_key,
                "openai_base_url": openai_base_url,
                "openai_organization": openai_organization,
                "openai_project": openai_project,
            }
            conflicting = [name for name, value in given.items() if value is not None]
            if conflicting:
                raise TypeError(
                    f"openai_client cannot be combined with {', '.join(conflicting)}: "
                    "configure the client itself."
                )
        self.provider_map = provider_map if provider_map is not None else MultiModelProviderMap()
        self._openai_api_key = openai_api_key
        self._openai_base_url = openai_base_url
        self._openai_client = openai_client
        self._openai_organization = openai_organization
        self._openai_project = openai_project
        self._openai_use_responses = openai_use_responses
        self._ollama_host = ollama_host
        self._ollama_api_key = ollama_api_key
        self._openai_provider: OpenAIProvider | None = None
        self._ollama_provider: OllamaModelProvider | None = None

    def get_model(self, model_name: str | None) -> Model:
        """The model for ``model_name``; without a name, OpenAI's default model.

        Raises ``UnknownModelPrefixError`` when the prefix is neither in the provider map
        nor ``openai`` or ``ollama``, and ``EmptyModelNameError`` when nothing follows a
        known prefix (``openai/``).
        """
        if not model_name:
            return self._openai().get_model(None)
        prefix, slash, name = model_name.partition("/")
        if not slash:
            return self._openai().get_model(model_name)
        # An empty prefix ("/gpt-4.1") is not a valid map key; it ends in the unknown-prefix error.
        custom = self.provider_map.get_provider(prefix) if prefix else None
        if custom is None and prefix not in (_OPENAI_PREFIX, _OLLAMA_PREFIX):
            raise UnknownModelPrefixError(model_name, prefix, self._known_prefixes())
        # "openai/" would be the SDK's default model, "ollama/" an error: both are a name left out.
        if not name:
            raise EmptyModelNameError(model_name, prefix)
        if custom is not None:
            return custom.get_model(name)
        return self._openai().get_model(name) if prefix == _OPENAI_PREFIX else self._ollama().get_model(name)

    async def aclose(self) -> None:
        """Closes the built-in providers this object created and the providers in its map."""
        providers = [self._openai_provider, self._ollama_provider, *self.provider_map.get_mapping().values()]
        # A provider registered under several prefixes is closed once.
        unique = {id(provider): provider for provider in providers if provider is not None}
        for provider in unique.values():
            await provider.aclose()

    def _known_prefixes(self) -> list[str]:
        return list(dict.fromkeys([_OPENAI_PREFIX, _OLLAMA_PREFIX, *self.provider_map.get_mapping()]))

    def _openai(self) -> OpenAIProvider:
        if self._openai_provider is None:
            self._openai_provider = OpenAIProvider(
                api_key=self._openai_api_key,
                base_url=self._openai_base_url,
                openai_client=self._openai_client,
                organization=self._openai_organization,
                project=self._openai_project,
                use_responses=self._openai_use_responses,
            )
        return self._openai_provider

    def _ollama(self) -> OllamaModelProvider:
        if self._ollama_provider is None:
            self._ollama_provider = OllamaModelProvider(
                host=self._ollama_host, api_key=self._ollama_api_key
            )
        return self._ollama_provider
