"""Keeps database passwords out of messages.

libpq echoes parts of a connection string in some of its errors, so text from
the driver is scrubbed too, not only the string Timestep prints itself.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

# The password of a URL: scheme://user:PASSWORD@host...
_URL_PASSWORD = re.compile(r"(://[^:@/?#]*:)([^/?#]*)(@)")
# password=... in a libpq key=value string or a URL's query; values may be quoted.
_PASSWORD_SETTING = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)", re.IGNORECASE)


def redact_connection_string(connection_string: str) -> str:
    """The connection string with every password replaced by ``***``."""
    without_settings = _PASSWORD_SETTING.sub(r"\1***", connection_string)
    return _URL_PASSWORD.sub(r"\1***\3", without_settings, count=1)


def redact_passwords(text: str, connection_string: str) -> str:
    """``text`` with every password of ``connection_string`` replaced by ``***``."""
    for secret in _passwords(connection_string):
        text = text.replace(secret, "***")
    return text


def _passwords(connection_string: str) -> list[str]:
    found = [match.group(2) for match in _URL_PASSWORD.finditer(connection_string)]
    found += [match.group(2).strip("'") for match in _PASSWORD_SETTING.finditer(connection_string)]
    # Longest first, so a password containing another is replaced whole.
    secrets = {variant for secret in found for variant in (secret, unquote(secret)) if variant and variant != "***"}
    return sorted(secrets, key=len, reverse=True)
