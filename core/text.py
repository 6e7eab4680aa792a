"""Text as people type or paste it, made safe to store, show and export.

Text pasted from a web page, a PDF or a chat program can carry characters nobody sees:
control characters (U+0001 makes a workbook impossible to write: openpyxl refuses the
cell, and the XML of an .xlsx or a .docx cannot hold it), the bidi overrides and isolates
(U+202E, the right-to-left override, shows "txt.exe" as "exe.txt" and can disguise a
name or an opinion), a byte-order mark in the middle of a text.

The choice is to STRIP them, silently, never to refuse: the office staff who paste a
paragraph and the public who write in the suggestion box cannot see these characters,
could not find them to delete them, and lose nothing by their removal. A refusal would
say "your text holds an invisible character" about text that looks perfect.

``clean_text`` is what every text input goes through (forms: ``core.forms``; imports:
``core.importing``; an uploaded .docx: ``reviews.docx``). ``strip_unsafe`` is what every
export applies to what is already stored (``core.excel``, ``reviews.docx``), so that a
row stored before this cleaning, or written around it, cannot break a download.
"""

from __future__ import annotations

import re

# Removed from every text:
# - the C0 controls but tab, line feed and carriage return (dealt with below), DEL, and
#   the C1 controls (U+0080–U+009F, which include NEL U+0085: no keyboard types them);
# - the bidi embeddings and overrides (U+202A–U+202E) and isolates (U+2066–U+2069):
#   they reorder what follows them, up to the end of the paragraph, so that the text
#   shown is not the text stored;
# - the byte-order mark (U+FEFF) left inside a text by pasting or joining files;
# - the noncharacters U+FFFE and U+FFFF, and lone surrogates: no XML may hold them, and
#   a lone surrogate cannot even be encoded to be stored.
# Kept: the left-to-right and right-to-left marks (U+200E, U+200F) and the Arabic letter
# mark (U+061C), which only settle the direction of the punctuation or digits next to
# them and which Uyghur or Arabic text mixed with numbers legitimately needs; the zero-
# width joiner and non-joiner (U+200C, U+200D), which some scripts (and emoji) need.
# Nothing else changes: no Unicode normalisation, no width folding: Chinese passes as it is.
# The same set as characters (``UNSAFE_CHARACTERS``, for a database's own regex, which
# takes no escapes of Python's): manage.py clean_stored_text searches stored rows with it.
UNSAFE_CHARACTERS = (
    "".join(
        chr(c)
        for start, end in ((0x00, 0x08), (0x0B, 0x0C), (0x0E, 0x1F), (0x7F, 0x9F), (0x202A, 0x202E), (0x2066, 0x2069))
        for c in range(start, end + 1)
    )
    + "\ufeff\ufffe\uffff"
)
_UNSAFE = re.compile("[" + "".join(re.escape(c) for c in UNSAFE_CHARACTERS) + "\ud800-\udfff]")
_LINE_BREAK = re.compile("\r\n?")
_SINGLE_LINE_SPACE = re.compile("[\t\n\r]+")


def strip_unsafe(text: str) -> str:
    """``text`` without the characters removed from every text (see ``_UNSAFE``); tabs
    and line breaks are left exactly as they are. For exports of stored text."""
    return _UNSAFE.sub("", text)


def clean_text(value: str, *, multiline: bool) -> str:
    """Text as it is to be stored: the invisible characters of ``_UNSAFE`` removed.

    ``multiline`` (a text area, a spreadsheet cell): line breaks are kept, a Windows or
    old Mac line break (CR LF, CR) becoming a line feed; tabs are kept. Otherwise (a
    one-line field) tabs and line breaks, which such a field cannot show, become one
    space each run, so that words on either side stay apart.

    Stripping, not refusing, is deliberate: see the module's docstring. Leading and
    trailing spaces are the caller's to strip (a form field does).
    """
    if "\r" in value:
        value = _LINE_BREAK.sub("\n", value)
    value = _UNSAFE.sub("", value)
    if not multiline and ("\t" in value or "\n" in value):
        value = _SINGLE_LINE_SPACE.sub(" ", value)
    return value
