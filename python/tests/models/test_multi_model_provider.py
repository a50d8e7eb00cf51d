"""Routing of model names to providers (no model is called here)."""

from __future__ import annotations

import pytest
from agents.exceptions import UserError
from agents.models.interface import Model, ModelProvider
from agents.models.openai_chatcompletions import OpenAIChatCompletionsModel
from agents.models.openai_responses import OpenAIResponsesModel
from openai import AsyncOpenAI

from timestep.errors import TimestepError
from timestep.models import (
    EmptyModelNameError,
    MultiModelProvider,
    MultiModelProviderMap,
    OllamaModel,
    OllamaModelProvider,
    UnknownModelPrefixError,
)


class RecordingProvider(ModelProvider):
    """Remembers the names it was asked for and answers with a model of its own."""

    def __init__(self) -> None:
        self.requested: list[str | None] = []
        self.model = OllamaModel("recorded", host="http://127.0.0.1:1")

    def get_model(self, model_name: str | None) -> Model:
        self.requested.append(model_name)
        return self.model


def test_only_the_first_slash_splits() -> None:
    model = MultiModelProvider().get_model("ollama/library/llama3:8b")
    assert isinstance(model, OllamaModel)
    assert model.name == "library/llama3:8b"


def test_bare_and_openai_prefixed_names_go_to_openai_responses() -> None:
    provider = MultiModelProvider()
    for name, expected in [("gpt-4.1", "gpt-4.1"), ("openai/gpt-4.1", "gpt-4.1"), ("openai/meta-llama/x", "meta-llama/x")]:
        model = provider.get_model(name)
        assert isinstance(model, OpenAIResponsesModel)
        assert model.model == expected
    default = provider.get_model(None)
    assert isinstance(default, OpenAIResponsesModel)
    assert default.model  # the SDK's default model


def test_openai_use_responses_false_gives_chat_completions() -> None:
    model = MultiModelProvider(openai_use_responses=False).get_model("openai/gpt-4.1")
    assert isinstance(model, OpenAIChatCompletionsModel)
    assert model.model == "gpt-4.1"


def test_custom_prefix_via_the_map() -> None:
    custom = RecordingProvider()
    provider_map = MultiModelProviderMap()
    provider_map.add_provider("custom", custom)
    provider = MultiModelProvider(provider_map=provider_map)

    assert provider.get_model("custom/some/model") is custom.model
    assert custom.requested == ["some/model"]


def test_map_entries_win_over_built_in_prefixes() -> None:
    replacement = RecordingProvider()
    provider_map = MultiModelProviderMap()
    provider_map.add_provider("openai", replacement)
    provider_map.add_provider("ollama", replacement)
    provider = MultiModelProvider(provider_map=provider_map)

    provider.get_model("openai/gpt-4.1")
    provider.get_model("ollama/llama3")
    assert replacement.requested == ["gpt-4.1", "llama3"]
    # Bare names are not prefixed, so they still go to OpenAI.
    assert isinstance(provider.get_model("gpt-4.1"), OpenAIResponsesModel)


def test_unknown_prefix_names_it_and_lists_the_known_ones() -> None:
    provider_map = MultiModelProviderMap()
    provider_map.add_provider("custom", RecordingProvider())
    provider = MultiModelProvider(provider_map=provider_map)

    with pytest.raises(UnknownModelPrefixError) as raised:
        provider.get_model("meta-llama/Llama-3-8B")
    error = raised.value
    assert isinstance(error, TimestepError)
    assert error.prefix == "meta-llama"
    assert error.model_name == "meta-llama/Llama-3-8B"
    assert error.known_prefixes == ("openai", "ollama", "custom")
    assert str(error) == (
        'Unknown model prefix "meta-llama" in model name "meta-llama/Llama-3-8B". '
        "Known prefixes: openai, ollama, custom. Register the prefix with "
        'MultiModelProviderMap.add_provider(), or, if the model name itself contains "/", '
        'name the backend explicitly, e.g. "openai/meta-llama/Llama-3-8B".'
    )


def test_an_empty_prefix_is_unknown() -> None:
    with pytest.raises(UnknownModelPrefixError) as raised:
        MultiModelProvider().get_model("/gpt-4.1")
    assert raised.value.prefix == ""


def test_providers_and_models_are_created_once_and_reused() -> None:
    provider = MultiModelProvider(ollama_host="http://127.0.0.1:1")
    first = provider.get_model("ollama/llama3")
    assert provider.get_model("ollama/llama3") is first
    assert provider.get_model("ollama/qwen3") is not first

    openai_models = [provider.get_model("gpt-4.1"), provider.get_model("openai/gpt-4.1")]
    # One OpenAIProvider, hence one OpenAI client, serves both.
    assert openai_models[0]._client is openai_models[1]._client  # type: ignore[attr-defined]


def test_openai_client_excludes_client_options() -> None:
    client = AsyncOpenAI(api_key="test", base_url="http://127.0.0.1:1/v1")
    with pytest.raises(TypeError) as raised:
        MultiModelProvider(openai_client=client, openai_api_key="k", openai_project="p")
    assert str(raised.value) == (
        "openai_client cannot be combined with openai_api_key, openai_project: configure the client itself."
    )
    model = MultiModelProvider(openai_client=client).get_model("gpt-4.1")
    assert model._client is client  # type: ignore[attr-defined]


def test_ollama_host_option_then_env_then_default(monkeypatch: pytest.MonkeyPatch) -> None:
    assert OllamaModelProvider().get_model("llama3").host == "http://localhost:11434"
    monkeypatch.setenv("OLLAMA_HOST", "http://env-host:1234")
    assert OllamaModelProvider().get_model("llama3").host == "http://env-host:1234"
    assert OllamaModelProvider(host="http://option-host:1").get_model("llama3").host == "http://option-host:1"
    routed = MultiModelProvider(ollama_host="http://option-host:1").get_model("ollama/llama3")
    assert isinstance(routed, OllamaModel)
    assert routed.host == "http://option-host:1"


def test_cloud_models_default_to_ollama_com_without_the_suffix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_API_KEY", "cloud-key")
    model = OllamaModelProvider().get_model("gpt-oss:120b-cloud")
    assert (model.host, model.name) == ("https://ollama.com", "gpt-oss:120b")

    # A configured host is used as is; a local Ollama signed in to the cloud wants the suffix.
    local = OllamaModelProvider(host="http://localhost:11434").get_model("gpt-oss:120b-cloud")
    assert (local.host, local.name) == ("http://localhost:11434", "gpt-oss:120b-cloud")


def test_cloud_models_need_an_api_key() -> None:
    with pytest.raises(UserError) as raised:
        OllamaModelProvider().get_model("gpt-oss:120b-cloud")
    assert str(raised.value) == (
        'The Ollama model "gpt-oss:120b-cloud" is served by https://ollama.com, which needs an API key: '
        "set OLLAMA_API_KEY (or the ollama_api_key option), or set OLLAMA_HOST to a local Ollama "
        "signed in with `ollama signin`."
    )
    assert OllamaModelProvider(api_key="k").get_model("gpt-oss:120b-cloud").host == "https://ollama.com"


def test_ollama_has_no_default_model() -> None:
    with pytest.raises(UserError, match='Ollama has no default model: name one, e.g. "ollama/llama3.2".'):
        OllamaModelProvider().get_model(None)


def test_a_known_prefix_with_no_model_name_after_it_is_a_typed_error_for_every_prefix() -> None:
    custom = RecordingProvider()
    provider_map = MultiModelProviderMap()
    provider_map.add_provider("custom", custom)
    provider = MultiModelProvider(provider_map=provider_map)
    # f"openai/{model}" with model empty: not the SDK's default model.
    with pytest.raises(EmptyModelNameError) as raised:
        provider.get_model("openai/")
    error = raised.value
    assert isinstance(error, TimestepError)
    assert (error.model_name, error.prefix) == ("openai/", "openai")
    assert str(error) == (
        'The model name "openai/" names no model after its prefix "openai/" (is a variable in it empty?); '
        'name one, e.g. "openai/gpt-4.1".'
    )
    with pytest.raises(EmptyModelNameError, match=r'e\.g\. "ollama/llama3\.2"') as ollama:
        provider.get_model("ollama/")
    assert ollama.value.prefix == "ollama"
    with pytest.raises(EmptyModelNameError) as mine:
        provider.get_model("custom/")
    assert mine.value.prefix == "custom"
    assert custom.requested == [], "the custom provider was not asked"
    # The prefix is checked first; a bare name and no name at all still work.
    with pytest.raises(UnknownModelPrefixError):
        provider.get_model("mistral/")
    with pytest.raises(UnknownModelPrefixError):
        provider.get_model("/")
    assert isinstance(provider.get_model("gpt-4.1"), OpenAIResponsesModel)
    assert isinstance(provider.get_model(None), OpenAIResponsesModel)
    assert isinstance(provider.get_model(""), OpenAIResponsesModel)
