"""Masking credentials in every message and log line (one helper, used everywhere).

A database URL such as ``postgresql+psycopg://alice:s3cret@db:5432/reg`` must never reach a
terminal, a log file or an exception message with its password. :func:`mask_secrets` replaces
the password part of every URL in a text, and ``password=…`` pairs of libpq connection strings,
with ``***``.
"""

from __future__ import annotations

import re

MASK = "***"

# scheme://user:password@host — the password runs up to the last '@' before the host part.
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s]*:)(?P<pw>[^\s]*)@")
_KV_PASSWORD = re.compile(
    r"(?i)(?P<head>\b(?:password|passwd|pwd)\s*[=:]\s*)(?P<pw>'[^']*'|\"[^\"]*\"|[^\s,;&]+)"
)


def _mask_url(match: re.Match[str]) -> str:
    return f"{match.group('head')}{MASK}@"


def mask_secrets(text: object) -> str:
    """``text`` as a string with every credential replaced by ``***``.

    Parameters
    ----------
    text : object
        A message, a URL or an exception (converted with ``str``).

    Examples
    --------
    >>> mask_secrets("cannot open postgresql://bob:hunter2@db/reg")
    'cannot open postgresql://bob:***@db/reg'
    >>> mask_secrets("host=db password=hunter2 user=bob")
    'host=db password=*** user=bob'
    """
    out = _URL_PASSWORD.sub(_mask_url, str(text))
    return _KV_PASSWORD.sub(lambda m: f"{m.group('head')}{MASK}", out)
