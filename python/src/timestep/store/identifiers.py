"""Validation of run and session ids, identical to the TypeScript package's."""

from __future__ import annotations

import json
import re
from typing import Literal

from ..errors import InvalidIdentifierError

MAX_IDENTIFIER_LENGTH = 512
"""Counted in code points (``len``), as in TypeScript."""

_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _describe(value: object) -> str:
    try:
        return json.dumps(value)
    except TypeError:
        return repr(value)


def check_identifier(kind: Literal["run_id", "session_id"], value: object) -> str:
    """Returns ``value`` if it is a usable id, else raises ``InvalidIdentifierError``.

    Ids may hold any text (they are always bound as query parameters), but an
    empty or huge id is a bug in the caller, and PostgreSQL text cannot hold NUL.
    """
    if not isinstance(value, str) or value == "":
        raise InvalidIdentifierError(f"{kind} must be a non-empty string, got {_describe(value)}.")
    if len(value) > MAX_IDENTIFIER_LENGTH:
        raise InvalidIdentifierError(
            f"{kind} is {len(value)} characters long; the limit is {MAX_IDENTIFIER_LENGTH}."
        )
    if "\0" in value:
        raise InvalidIdentifierError(f"{kind} contains a NUL character, which the store cannot hold.")
    surrogate = _SURROGATE.search(value)
    if surrogate is not None:
        # Not encodable as UTF-8; replacing it (as TextEncoder does) would make distinct ids collide.
        raise InvalidIdentifierError(
            f"{kind} contains a lone surrogate (U+{ord(surrogate.group()):04X}), which is not valid Unicode."
        )
    return value
