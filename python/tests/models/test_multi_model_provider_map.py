from __future__ import annotations

import pytest
from agents.models.interface import Model, ModelProvider

from timestep.models import MultiModelProviderMap


class NamedProvider(ModelProvider):
    def __init__(self, name: str) -> None:
        self.name = name

    def get_model(self, model_name: str | None) -> Model:
        raise NotImplementedError


def test_add_get_has_and_remove() -> None:
    mapping = MultiModelProviderMap()
    first, second = NamedProvider("first"), NamedProvider("second")

    mapping.add_provider("custom", first)
    assert mapping.has_prefix("custom")
    assert mapping.get_provider("custom") is first
    assert not mapping.has_prefix("other")
    assert mapping.get_provider("other") is None

    mapping.add_provider("custom", second)  # replaces
    assert mapping.get_provider("custom") is second

    mapping.remove_provider("custom")
    assert not mapping.has_prefix("custom")
    mapping.remove_provider("custom")  # a prefix that is not there is ignored


def test_get_mapping_returns_a_copy() -> None:
    mapping = MultiModelProviderMap()
    provider = NamedProvider("p")
    mapping.add_provider("a", provider)

    copy = mapping.get_mapping()
    assert copy == {"a": provider}
    copy["b"] = provider
    assert not mapping.has_prefix("b")


def test_set_mapping_replaces_all_entries() -> None:
    mapping = MultiModelProviderMap()
    mapping.add_provider("old", NamedProvider("old"))
    new = {"a": NamedProvider("a"), "b": NamedProvider("b")}

    mapping.set_mapping(new)
    assert mapping.get_mapping() == new
    assert not mapping.has_prefix("old")
    new["c"] = NamedProvider("c")  # the map keeps its own copy
    assert not mapping.has_prefix("c")


@pytest.mark.parametrize(
    ("prefix", "error", "message"),
    [
        ("", ValueError, 'A model prefix must be a non-empty string; got "".'),
        ("a/b", ValueError, 'A model prefix cannot contain "/"; got "a/b".'),
        (None, TypeError, "A model prefix must be a non-empty string; got None."),
    ],
)
def test_invalid_prefixes_are_rejected_everywhere(prefix: object, error: type[Exception], message: str) -> None:
    mapping = MultiModelProviderMap()
    provider = NamedProvider("p")
    calls = [
        lambda: mapping.add_provider(prefix, provider),  # type: ignore[arg-type]
        lambda: mapping.remove_provider(prefix),  # type: ignore[arg-type]
        lambda: mapping.get_provider(prefix),  # type: ignore[arg-type]
        lambda: mapping.has_prefix(prefix),  # type: ignore[arg-type]
        lambda: mapping.set_mapping({prefix: provider}),  # type: ignore[dict-item]
    ]
    for call in calls:
        with pytest.raises(error) as raised:
            call()
        assert str(raised.value) == message


def test_set_mapping_changes_nothing_when_an_entry_is_invalid() -> None:
    mapping = MultiModelProviderMap()
    kept = NamedProvider("kept")
    mapping.add_provider("kept", kept)

    with pytest.raises(ValueError):
        mapping.set_mapping({"fine": NamedProvider("fine"), "bad/prefix": NamedProvider("bad")})
    with pytest.raises(TypeError, match='The provider for prefix "fine" must be a ModelProvider'):
        mapping.set_mapping({"fine": object()})  # type: ignore[dict-item]
    assert mapping.get_mapping() == {"kept": kept}


def test_providers_must_be_model_providers() -> None:
    with pytest.raises(TypeError, match=r'prefix "x" must be a ModelProvider \(an object with get_model\(\)\)'):
        MultiModelProviderMap().add_provider("x", object())  # type: ignore[arg-type]
