"""Translation catalogues, compiled with polib so that no machine needs gettext."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polib
from django.conf import settings


@dataclass(frozen=True)
class CatalogueState:
    po_path: Path
    untranslated: list[str]
    fuzzy: list[str]
    stale: bool


def catalogues() -> list[Path]:
    return sorted(Path(settings.LOCALE_PATHS[0]).glob("*/LC_MESSAGES/*.po"))


def _mo_entries(path: Path) -> dict[tuple[str | None, str], str | dict]:
    if not path.exists():
        return {}
    mo = polib.mofile(str(path))
    return {(e.msgctxt, e.msgid): (e.msgstr_plural or e.msgstr) for e in mo if e.msgid}


def _po_entries(po: polib.POFile) -> dict[tuple[str | None, str], str | dict]:
    return {
        (e.msgctxt, e.msgid): (e.msgstr_plural or e.msgstr)
        for e in po
        if e.msgid and not e.obsolete and "fuzzy" not in e.flags and e.translated()
    }


def inspect(po_path: Path) -> CatalogueState:
    po = polib.pofile(str(po_path))
    active = [e for e in po if not e.obsolete]
    mo_path = po_path.with_suffix(".mo")
    return CatalogueState(
        po_path=po_path,
        untranslated=[e.msgid for e in active if not e.translated() and "fuzzy" not in e.flags],
        fuzzy=[e.msgid for e in active if "fuzzy" in e.flags],
        stale=_po_entries(po) != {k: _normalise(v) for k, v in _mo_entries(mo_path).items()},
    )


def _normalise(value: str | dict) -> str | dict:
    if isinstance(value, dict):
        return {int(k): v for k, v in value.items()}
    return value


def compile_all() -> list[Path]:
    written = []
    for po_path in catalogues():
        po = polib.pofile(str(po_path))
        po.save_as_mofile(str(po_path.with_suffix(".mo")))
        written.append(po_path.with_suffix(".mo"))
    return written
