"""A readable difference between two versions of a document, section by section.

Chinese has no spaces, so a word diff means nothing: the text is cut into tokens (one
CJK character, a run of letters or digits, one punctuation mark or space), paragraphs
are matched first and changed paragraphs are compared token by token, which keeps
the comparison fast on 5,000-word documents. Every piece of text is HTML-escaped;
insertions are wrapped in <ins>, deletions in <del>.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from reviews.models import SECTION_FIELDS, Section
from reviews.wordcount import LATIN

TOKEN = re.compile(f"[{LATIN}]+|\\s+|.", re.DOTALL)


@dataclass(frozen=True)
class SectionDiff:
    name: str
    label: str
    html: SafeString
    changed: bool


def _tokens(text: str) -> list[str]:
    return TOKEN.findall(text)


def _inline(old: str, new: str) -> str:
    a, b = _tokens(old), _tokens(new)
    # The common head and tail are equal whatever the matcher says; leaving them out
    # keeps one changed sentence in a long paragraph cheap to compare.
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    out: list[str] = [escape("".join(a[:head]))]
    a_mid, b_mid = a[head : len(a) - tail], b[head : len(b) - tail]
    out.append(_matched(a_mid, b_mid))
    out.append(escape("".join(a[len(a) - tail :])))
    return "".join(out)


def _matched(a: list[str], b: list[str]) -> str:
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape("".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(f"<del>{escape(''.join(a[i1:i2]))}</del>")
        if j2 > j1:
            out.append(f"<ins>{escape(''.join(b[j1:j2]))}</ins>")
    return "".join(out)


def diff_text(old: str, new: str) -> tuple[SafeString, bool]:
    """HTML of ``new`` with the changes from ``old`` marked, and whether anything changed."""
    a, b = old.split("\n"), new.split("\n")
    paragraphs: list[str] = []
    changed = False
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            paragraphs.extend(escape(line) for line in a[i1:i2])
            continue
        changed = True
        if op == "replace":
            paragraphs.append(_inline("\n".join(a[i1:i2]), "\n".join(b[j1:j2])))
        elif op == "delete":
            paragraphs.extend(f"<del>{escape(line)}</del>" for line in a[i1:i2])
        else:
            paragraphs.extend(f"<ins>{escape(line)}</ins>" for line in b[j1:j2])
    html = "".join(f"<p>{paragraph}</p>" for paragraph in "\n".join(paragraphs).split("\n"))
    return mark_safe(html), changed  # noqa: S308 (every piece of text above is escaped)


def diff_versions(old: dict[str, str], new: dict[str, str]) -> list[SectionDiff]:
    result = []
    for name in SECTION_FIELDS:
        html, changed = diff_text(old.get(name, ""), new.get(name, ""))
        result.append(SectionDiff(name=name, label=str(Section(name).label), html=html, changed=changed))
    return result
