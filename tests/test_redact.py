"""Credentials are masked in every text form a URL can take."""

from __future__ import annotations

import pytest

from packlife.redact import mask_secrets


@pytest.mark.parametrize(("text", "expected"), [
    ("postgresql+psycopg://bob:hunter2@db:5432/reg", "postgresql+psycopg://bob:***@db:5432/reg"),
    ("at postgresql://bob:p@ss:w0rd@db/reg here", "at postgresql://bob:***@db/reg here"),
    ("mysql://u:hunter2@h/x", "mysql://u:***@h/x"),
    ("host=db password=hunter2 user=bob", "host=db password=*** user=bob"),
    ("PASSWORD: 'hunter2'", "PASSWORD: ***"),
    ("sqlite:////tmp/reg.sqlite", "sqlite:////tmp/reg.sqlite"),
    ("postgresql://bob@db/reg", "postgresql://bob@db/reg"),
])
def test_passwords_are_masked(text: str, expected: str) -> None:
    assert mask_secrets(text) == expected
    assert "hunter2" not in mask_secrets(text)


def test_exceptions_are_masked_too() -> None:
    assert mask_secrets(ValueError("postgresql://a:hunter2@h/d")) == "postgresql://a:***@h/d"
