"""The ``openai-agents`` versions this package supports, checked when it is imported.

Imports nothing from the SDK and is imported first by the package, so an
unsupported version is reported before an import from the SDK fails with an
error that does not name the cause.
"""

from __future__ import annotations

import re
from importlib.metadata import version

from .errors import UnsupportedSdkVersionError

SDK_NAME = "openai-agents"

_LOWEST_SUPPORTED = (0, 24, 0)
_FIRST_UNSUPPORTED = (0, 25, 0)

SUPPORTED_SDK_VERSIONS = ">=0.24,<0.25"
"""The supported versions: exactly the dependency specifier in pyproject.toml.

scripts/sdk-range.sh installs both ends and checks one version outside. The
native state format changes between minor versions.
"""

SDK_VERSION = version(SDK_NAME)
"""The installed SDK version, recorded with every saved version."""


def require_supported_sdk_version(installed: str) -> None:
    """Raise ``UnsupportedSdkVersionError`` unless ``installed`` is in ``SUPPORTED_SDK_VERSIONS``."""
    match = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", installed)
    numbers = (int(match[1]), int(match[2]), int(match[3] or 0)) if match else None
    # A pre-release of the first unsupported version (0.25.0rc1) is unsupported too.
    if numbers is not None and _LOWEST_SUPPORTED <= numbers < _FIRST_UNSUPPORTED:
        return
    raise UnsupportedSdkVersionError(
        f"Timestep supports {SDK_NAME} {SUPPORTED_SDK_VERSIONS}, but version {installed} is installed. "
        f"Install a supported version: pip install '{SDK_NAME}{SUPPORTED_SDK_VERSIONS}'.",
        SDK_NAME,
        installed,
        SUPPORTED_SDK_VERSIONS,
    )


require_supported_sdk_version(SDK_VERSION)
