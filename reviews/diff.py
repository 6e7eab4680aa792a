"""A readable difference between two versions of a document, section by section.

The comparison is diff-match-patch's (Myers' algorithm with its speed-ups: common head
and tail, line mode for long texts, half-match), character by character, which suits
Chinese, and tidied for reading (``diff_cleanupSemantic`` drops coincidental one-
character equalities). A character-by-character comparison is quadratic at worst, and
an author writes the text: one version comparison has ``DIFF_SECONDS`` for all its
sections together, after which what is left to compare is shown coarser (a changed
stretch deleted and inserted whole) instead of being worked out to the character.
Sections are capped too (``reviews.models.SECTION_MAX_CHARS``). Every piece of text is
HTML-escaped; insertions are wrapped in <ins>, deletions in <del>, each paragraph in <p>.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from diff_match_patch import diff_match_patch
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from reviews.models import SECTION_FIELDS, Section

# The most one comparison of two versions may take, all sections together.
DIFF_SECONDS = 1.0

_TAGS = {diff_match_patch.DIFF_DELETE: "del", diff_match_patch.DIFF_INSERT: "ins"}


@dataclass(frozen=True)
class SectionDiff:
    name: str
    label: str
    html: SafeString
    changed: bool


def _deadline() -> float:
    # diff-match-patch reads time.time(): the deadline is on the same clock.
    return time.time() + DIFF_SECONDS


def diff_text(old: str, new: str, *, deadline: float | None = None) -> tuple[SafeString, bool]:
    """HTML of ``new`` with the changes from ``old`` marked, and whether anything changed."""
    differ = diff_match_patch()
    differ.Diff_Timeout = DIFF_SECONDS
    diffs = differ.diff_main(old, new, True, deadline if deadline is not None else _deadline())
    differ.diff_cleanupSemantic(diffs)
    paragraphs: list[list[str]] = [[]]
    changed = False
    for op, text in diffs:
        tag = _TAGS.get(op)
        changed = changed or tag is not None
        # A tag never spans paragraphs: each line of a change is marked on its own.
        for i, piece in enumerate(text.split("\n")):
            if i:
                paragraphs.append([])
            if piece:
                paragraphs[-1].append(f"<{tag}>{escape(piece)}</{tag}>" if tag else escape(piece))
    html = "".join(f"<p>{''.join(parts)}</p>" for parts in paragraphs)
    return mark_safe(html), changed  # noqa: S308 (every piece of text above is escaped)


def diff_versions(old: dict[str, str], new: dict[str, str]) -> list[SectionDiff]:
    deadline = _deadline()
    result = []
    for name in SECTION_FIELDS:
        html, changed = diff_text(old.get(name, ""), new.get(name, ""), deadline=deadline)
        result.append(SectionDiff(name=name, label=str(Section(name).label), html=html, changed=changed))
    return result
