"""Model routing: OpenAI, Ollama and providers of your own, chosen by model-name prefix."""

from .errors import EmptyModelNameError, OllamaConnectionError, UnknownModelPrefixError
from .multi_model_provider import MultiModelProvider
from .multi_model_provider_map import MultiModelProviderMap
from .ollama import OllamaModel, OllamaModelProvider

__all__ = [
    "EmptyModelNameError",
    "MultiModelProvider",
    "MultiModelProviderMap",
    "OllamaConnectionError",
    "OllamaModel",
    "OllamaModelProvider",
    "UnknownModelPrefixError",
]
