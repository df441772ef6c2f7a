"""Shared CLI helpers: JSON output, the consoles and the one way user text is printed."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.markup import escape

from packlife.redact import mask_secrets

console = Console()
err_console = Console(stderr=True)


def safe(text: object) -> str:
    """User-supplied text ready for rich: credentials masked, ``[…]`` markup escaped."""
    return escape(mask_secrets(text))


def print_json(obj: Any) -> None:
    """Write ``obj`` as indented JSON to stdout (no colour codes, for piping; finite numbers)."""
    sys.stdout.write(
        json.dumps(obj, indent=2, ensure_ascii=False, default=str, allow_nan=False) + "\n"
    )


def say(text: object) -> None:
    """Print one line of plain text (markup escaped, credentials masked) to stdout."""
    console.print(safe(text), highlight=False, soft_wrap=True)
