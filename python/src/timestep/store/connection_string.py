"""Keeps database passwords out of messages.

libpq echoes parts of a connection string in some of its errors, so text from
the driver is scrubbed too, not only the string Timestep prints itself.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

_URL_FORM = re.compile(r"([a-z][a-z0-9+.-]*://)(.*)", re.IGNORECASE | re.DOTALL)
# password= (or sslpassword=) in a URL's query string.
_QUERY_PASSWORD = re.compile(r"([?&](?:ssl)?password=)([^&#]*)", re.IGNORECASE)
# password=... in a libpq key=value string; values may be quoted.
_KEYWORD_PASSWORD = re.compile(r"(\b(?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|\S*)", re.IGNORECASE)

_SPLIT_PASSWORD_ADVICE = (
    "the driver's message is not shown, as it may hold part of the password: the password contains "
    "/ ? # or @ that are not percent-encoded, so it was not read as one. Encode them, e.g. with "
    "urllib.parse.quote(password, safe='')"
)


def _user_password_span(rest: str) -> tuple[int, int] | None:
    """Where the password of a URL (after its scheme) is: from the first ``:`` to the last ``@``.

    Parsers disagree on where a password with an unencoded ``/ ? # @`` ends,
    so this may cover a little more than the password, never less (as in the
    TypeScript package).
    """
    at = rest.rfind("@")
    colon = rest.find(":")
    return (colon + 1, at) if 0 <= colon < at else None


def redact_connection_string(connection_string: str) -> str:
    """The connection string with every password replaced by ``***``."""
    url = _URL_FORM.fullmatch(connection_string)
    if url is None:
        return _KEYWORD_PASSWORD.sub(r"\1***", connection_string)
    scheme, rest = url.groups()
    span = _user_password_span(rest)
    if span is not None:
        rest = f"{rest[: span[0]]}***{rest[span[1] :]}"
    return scheme + _QUERY_PASSWORD.sub(r"\1***", rest)


def redact_passwords(text: str, connection_string: str) -> str:
    """``text`` (e.g. a driver's error) with every password of ``connection_string`` replaced by ``***``.

    When the URL's password holds an unencoded ``/ ? # @``, the driver split it
    somewhere and may echo any piece of it, so the text is replaced as a whole.
    """
    if _password_is_split(connection_string):
        return _SPLIT_PASSWORD_ADVICE
    for secret in _passwords(connection_string):
        text = text.replace(secret, "***")
    return text


def _password_is_split(connection_string: str) -> bool:
    url = _URL_FORM.fullmatch(connection_string)
    span = None if url is None else _user_password_span(url.group(2))
    return url is not None and span is not None and re.search(r"[/?#@]", url.group(2)[span[0] : span[1]]) is not None


def _passwords(connection_string: str) -> list[str]:
    found: list[str] = []
    url = _URL_FORM.fullmatch(connection_string)
    if url is not None:
        rest = url.group(2)
        span = _user_password_span(rest)
        if span is not None:
            found.append(rest[span[0] : span[1]])
        found += [match.group(2) for match in _QUERY_PASSWORD.finditer(rest)]
    else:
        found += [match.group(2).strip("'") for match in _KEYWORD_PASSWORD.finditer(connection_string)]
    # Longest first, so a password containing another is replaced whole.
    secrets = {variant for secret in found for variant in (secret, unquote(secret)) if variant and variant != "***"}
    return sorted(secrets, key=len, reverse=True)
