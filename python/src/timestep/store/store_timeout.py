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


def store_timeout_ms(option: int | None = None, env: Mapping[str, str] | None = None) -> int:
    """The ``timeout_ms`` option if given, else ``TIMESTEP_STORE_TIMEOUT_MS``, else 30 000 ms.

    Raises ``ValueError`` for anything but a whole number of milliseconds above 0.
    """
    if option is not None:
        if isinstance(option, bool) or not isinstance(option, int) or option <= 0:
            raise ValueError(f"The timeout_ms store option must be a whole number of milliseconds above 0; got {option!r}.")
        return option
    env = os.environ if env is None else env
    raw = env.get("TIMESTEP_STORE_TIMEOUT_MS")
    if raw is None or not raw.strip():
        return DEFAULT_STORE_TIMEOUT_MS
    if not re.fullmatch(r"\d+", raw.strip()) or int(raw) <= 0:
        raise ValueError(f"TIMESTEP_STORE_TIMEOUT_MS must be a whole number of milliseconds above 0; got {raw!r}.")
    return int(raw)
