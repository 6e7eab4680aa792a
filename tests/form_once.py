"""Helpers for forms that carry a one-time token (``core.once``)."""

from __future__ import annotations

import re

from core import once

FIELD = once.FIELD


def fresh() -> dict[str, str]:
    """A new token, as a page shown anew carries it."""
    return {FIELD: once.issue()}


def token_in(page: str | bytes) -> str:
    """The token of the (first) create form on a page."""
    text = page.decode() if isinstance(page, bytes) else page
    found = re.search(rf'name="{FIELD}" value="([^"]+)"', text) or re.search(rf'value="([^"]+)" name="{FIELD}"', text)
    assert found, f"no {FIELD} input on the page"
    return found.group(1)
