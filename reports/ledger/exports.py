"""What every source's Excel exports share (the sheet itself is ``core.excel``):
choice labels in the workbook's language, with the office's Chinese wording when the
catalogue lacks one, and the headers every table has.

A source gives the office's wording of its choices with ``register_chinese``; a choice
with none shows its catalogue label.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from django.conf import settings
from django.db import models
from django.utils import timezone, translation

from core.excel import Text, chinese

NO = Text("序号", "No.")
TOTAL = Text("合计", "Total")

_CHINESE: dict[type[models.TextChoices], dict[str, str]] = {}


def register_chinese(choices: type[models.TextChoices], wording: Mapping[str, str]) -> None:
    """The office's Chinese wording of some choices, for a catalogue that lacks it."""
    _CHINESE.setdefault(choices, {}).update(wording)
    _label.cache_clear()


def label(choices: type[models.TextChoices], value: str) -> str:
    """A choice's label in the current language; the office's Chinese if untranslated."""
    if not value:
        return ""
    return _label(choices, value, translation.get_language() or settings.LANGUAGE_CODE)


@functools.lru_cache(maxsize=512)
def _label(choices: type[models.TextChoices], value: str, language: str) -> str:
    # Cached: an export asks for the same few labels tens of thousands of times.
    try:
        choice = choices(value)
    except ValueError:
        return value
    shown = str(choice.label)
    if chinese():
        with translation.override("en"):
            english = str(choice.label)
        if shown == english:
            return _CHINESE.get(choices, {}).get(value, shown)
    return shown


def today() -> str:
    return timezone.localdate().isoformat()
