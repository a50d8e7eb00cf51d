"""A model provider of Ollama models, local or on Ollama Cloud."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from agents.exceptions import UserError
from agents.models.interface import ModelProvider

from .ollama_model import OllamaModel

_LOCAL_HOST = "http://localhost:11434"
_CLOUD_HOST = "https://ollama.com"
_CLOUD_SUFFIX = "-cloud"


class OllamaModelProvider(ModelProvider):
    """A ``ModelProvider`` of ``OllamaModel``s.

    The host and key are resolved when a model is first requested, and each model is
    created once and reused.

    Cloud models (``gpt-oss:120b-cloud``) go to ollama.com unless a host is configured;
    ollama.com names them without the ``-cloud`` suffix, which a local server signed in
    with ``ollama signin`` needs instead, so the suffix is removed only for ollama.com.
    """

    def __init__(self, *, host: str | None = None, api_key: str | None = None) -> None:
        """``host``: server address; default ``OLLAMA_HOST``, else ``https://ollama.com`` for
        model names ending in ``-cloud``, else ``http://localhost:11434``.

        ``api_key``: sent as ``Authorization: Bearer <api_key>`` to whichever host is used.
        Default: ``OLLAMA_API_KEY``, which is sent only to ollama.com so that a cloud key
        never reaches a local or third-party server.
        """
        self._host = host
        self._api_key = api_key
        self._models: dict[str, OllamaModel] = {}

    def get_model(self, model_name: str | None) -> OllamaModel:
        """The model ``model_name`` (e.g. ``llama3.2``, ``qwen3:8b``, ``gpt-oss:120b-cloud``)."""
        if not model_name:
            raise UserError('Ollama has no default model: name one, e.g. "ollama/llama3.2".')
        model = self._models.get(model_name)
        if model is None:
            model = self._create_model(model_name)
            self._models[model_name] = model
        return model

    async def aclose(self) -> None:
        """Closes the HTTP connections of the models this provider created."""
        models = list(self._models.values())
        self._models.clear()
        for model in models:
            await model.close()

    def _create_model(self, model_name: str) -> OllamaModel:
        is_cloud_model = model_name.endswith(_CLOUD_SUFFIX)
        host = self._host or os.environ.get("OLLAMA_HOST") or (_CLOUD_HOST if is_cloud_model else _LOCAL_HOST)
        direct = _is_ollama_com(host)
        api_key = self._api_key or (os.environ.get("OLLAMA_API_KEY") if direct else None)
        if direct and not api_key:
            raise UserError(
                f'The Ollama model "{model_name}" is served by {_CLOUD_HOST}, which needs an API key: '
                "set OLLAMA_API_KEY (or the ollama_api_key option), or set OLLAMA_HOST to a local "
                "Ollama signed in with `ollama signin`."
            )
        name = model_name[: -len(_CLOUD_SUFFIX)] if direct and is_cloud_model else model_name
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
        return OllamaModel(name, host=host, headers=headers)


def _is_ollama_com(host: str) -> bool:
    # A host without a scheme, which the client reads as http on port 11434, is never
    # ollama.com's API.
    return urlsplit(host).hostname == "ollama.com"
