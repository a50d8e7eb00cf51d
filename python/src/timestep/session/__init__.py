"""Durable conversation history."""

from .durable_session import DurableSession

__all__ = ["DurableSession"]
