"""Ollama, local or Ollama Cloud, as an Agents SDK model backend."""

from .ollama_model import OllamaModel
from .ollama_model_provider import OllamaModelProvider

__all__ = ["OllamaModel", "OllamaModelProvider"]
