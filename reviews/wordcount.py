"""The Chinese convention for a document's length (DESIGN §3).

Each CJK ideograph counts one; each run of Latin letters or digits counts one
("COVID-19" is two, "3.5" is two, "2026年" is two); punctuation and spaces count none.
static/js/document_editor.js counts with the same pattern for the live counter, and a
test runs both on the same samples.
"""

from __future__ import annotations

import re

# CJK Unified Ideographs and extensions A–I, and the compatibility ideographs.
CJK = (
    "\u3400-\u4dbf"
    "\u4e00-\u9fff"
    "\uf900-\ufaff"
    "\U00020000-\U0002a6df"
    "\U0002a700-\U0002ebef"
    "\U0002ebf0-\U0002ee5f"
    "\U0002f800-\U0002fa1f"
    "\U00030000-\U000323af"
)
# Latin letters (with accents) and digits, half- and full-width.
LATIN = "A-Za-z0-9\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\uff10-\uff19\uff21-\uff3a\uff41-\uff5a"

WORD = re.compile(f"[{CJK}]|[{LATIN}]+")


def count_words(text: str) -> int:
    return sum(1 for _match in WORD.finditer(text or ""))
