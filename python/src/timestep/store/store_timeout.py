"""The one limit on every wait on the store, as in the TypeScript package (``storeTimeout.ts``).

It bounds connecting, waiting for the embedded store's host, and each
statement's round trip; a wait past it fails with ``StoreTimeoutError``
instead of hanging.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

DEFAULT_STORE_TIMEOUT_MS = 30_000
MAX_STORE_TIMEOUT_MS = 2_147_483_647
"""The longest PostgreSQL's statement_timeout (and a Node timer of the embedded store's host) can hold, about 24.8 days."""
_RANGE = f"a whole number of milliseconds from 1 to {MAX_STORE_TIMEOUT_MS} (about 24 days)"


def store_timeout_ms(option: int | None = None, env: Mapping[str, str] | None = None) -> int:
    """The ``timeout_ms`` option if given, else ``TIMESTEP_STORE_TIMEOUT_MS``, else 30 000 ms.

    Raises ``ValueError`` for anything but a whole number of milliseconds from 1 to ``MAX_STORE_TIMEOUT_MS``.
    """
    if option is not None:
        if isinstance(option, bool) or not isinstance(option, int) or not 0 < option <= MAX_STORE_TIMEOUT_MS:
            raise ValueError(f"The timeout_ms store option must be {_RANGE}; got {option!r}.")
        return option
    env = os.environ if env is None else env
    raw = env.get("TIMESTEP_STORE_TIMEOUT_MS")
    if raw is None or not raw.strip():
        return DEFAULT_STORE_TIMEOUT_MS
    if not re.fullmatch(r"\d+", raw.strip()) or not 0 < int(raw) <= MAX_STORE_TIMEOUT_MS:
        raise ValueError(f"TIMESTEP_STORE_TIMEOUT_MS must be {_RANGE}; got {raw!r}.")
    return int(raw)
