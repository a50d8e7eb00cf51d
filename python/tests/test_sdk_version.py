"""The supported openai-agents range: declared once, checked on import, reported clearly."""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

from timestep import UnsupportedSdkVersionError
from timestep.sdk_version import SDK_VERSION, SUPPORTED_SDK_VERSIONS, require_supported_sdk_version

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_the_supported_range_is_the_dependency_specifier_and_the_installed_sdk_is_in_it() -> None:
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    assert f"openai-agents{SUPPORTED_SDK_VERSIONS}" in dependencies
    assert version("openai-agents") == SDK_VERSION
    require_supported_sdk_version(SDK_VERSION)


@pytest.mark.parametrize("installed", ["0.24.0", "0.24.3", "0.24"])
def test_versions_inside_the_range_are_accepted(installed: str) -> None:
    require_supported_sdk_version(installed)


@pytest.mark.parametrize("installed", ["0.23.1", "0.25.0", "0.25.0rc1", "1.0.0", "not-a-version"])
def test_a_version_outside_the_range_is_a_typed_error_naming_found_supported_and_fix(installed: str) -> None:
    with pytest.raises(UnsupportedSdkVersionError) as raised:
        require_supported_sdk_version(installed)
    error = raised.value
    assert (error.sdk_name, error.installed_version, error.supported_versions) == (
        "openai-agents",
        installed,
        ">=0.24,<0.25",
    )
    assert f"version {installed} is installed" in str(error)
    assert "pip install 'openai-agents>=0.24,<0.25'" in str(error)
