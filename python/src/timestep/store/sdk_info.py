"""Name and version of the SDK whose native state this package writes."""

from __future__ import annotations

from ..sdk_version import SDK_NAME, SDK_VERSION

__all__ = ["SDK_NAME", "SDK_VERSION"]
