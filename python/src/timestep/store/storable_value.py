"""Refuses JSON values the store cannot keep faithfully, before anything is written.

PostgreSQL text and jsonb cannot hold a NUL character, UTF-8 cannot encode a
surrogate code point, and JSON has no NaN or infinity (Python's json writes
them anyway, as invalid JSON). Without this check such a value reaches the
database and fails there with a raw driver error, or is silently changed.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence

from ..errors import UnstorableValueError

# Anything that may be unstorable, in JSON text written by json.dumps (escaped
# or raw). A hit is confirmed by walking the value, which also finds its path.
_SUSPECT_TEXT = re.compile(r"\\u0000|\\u[dD][89a-fA-F][0-9a-fA-F]{2}|[\x00\ud800-\udfff]|NaN|Infinity")
_UNSTORABLE_CHARACTER = re.compile(r"[\x00\ud800-\udfff]")
_PLAIN_KEY = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")

_ADVICE = "Nothing was written; remove or replace the value and try again."


def check_storable_json(text: str, value: object, path: str) -> None:
    """Raises ``UnstorableValueError`` if ``value`` (whose ``json.dumps`` is ``text``) cannot be stored.

    ``path`` names ``value`` in the error, e.g. ``$.items``; the error's path
    extends it to the offending member, e.g. ``$.items[3].output``.
    """
    if _SUSPECT_TEXT.search(text):
        check_storable(value, path)


def check_storable(value: object, path: str) -> None:
    """Raises ``UnstorableValueError`` naming the first value under ``value`` that cannot be stored."""
    # Iterative, so a deeply nested value cannot exhaust the call stack.
    pending: list[tuple[object, str]] = [(value, path)]
    while pending:
        current, where = pending.pop()
        if isinstance(current, str):
            _check_text(current, where)
        elif isinstance(current, float):
            if not math.isfinite(current):
                spelled = "NaN" if math.isnan(current) else ("Infinity" if current > 0 else "-Infinity")
                raise UnstorableValueError(
                    f"{where} is {spelled}, which JSON cannot represent (it would be stored as invalid JSON). {_ADVICE}",
                    where,
                )
        elif isinstance(current, Mapping):
            members = list(current.items())
            for key, member in reversed(members):
                member_path = _member_path(where, key)
                if isinstance(key, str):
                    _check_text(key, f"{member_path} (its key)", member_path)
                pending.append((member, member_path))
        elif isinstance(current, Sequence) and not isinstance(current, (bytes, bytearray)):
            pending.extend((item, f"{where}[{index}]") for index, item in reversed(list(enumerate(current))))


def _check_text(text: str, described: str, path: str | None = None) -> None:
    found = _UNSTORABLE_CHARACTER.search(text)
    if found is None:
        return
    character = found.group()
    what = (
        "a NUL character (\\u0000), which PostgreSQL cannot store"
        if character == "\0"
        else f"a lone surrogate (U+{ord(character):04X}), which is not valid Unicode"
    )
    raise UnstorableValueError(f"{described} contains {what} at index {found.start()}. {_ADVICE}", path or described)


def _member_path(parent: str, key: object) -> str:
    name = str(key)
    return f"{parent}.{name}" if _PLAIN_KEY.fullmatch(name) else f"{parent}[{json.dumps(name)}]"
