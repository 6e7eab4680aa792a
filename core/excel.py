"""Every Excel (and CSV) file the apps write goes through here.

The one formula guard: a text that a spreadsheet would run as a formula or a command
(``FORMULA_PREFIXES``: = + - @ | %, a tab or a carriage return first, or a full-width
＝ ＋ － ＠ that some spreadsheets fold into their ASCII twins) is stored as plain text —
in a workbook with Excel's quote prefix, a cell's type that no program prints
(``text_cell``, ``guard``: shown, printed and re-imported exactly as written); in a CSV
file, which has no cell types, with a leading apostrophe that reading strips again
(``csv_text``, ``csv_untext``).

The two layouts of a download:

- The office's paper layout (DESIGN §7): ``Sheet`` writes a write-only sheet with a
  title row across the table, the headers below it (``Text``: Chinese under zh-hans,
  English under en), boxed rows and totals at the foot, printed A4 landscape, fitted to
  the page's width, with the headers repeated on every page. Each row is given the height
  its wrapped text needs (``row_height``): Excel computes it on opening, LibreOffice does
  not, and prints a wrapped cell cut at the default height. A would-be formula is typed
  as text with Excel's quote prefix, which no program prints (an apostrophe would be).
  ``response`` streams the workbook from a temporary file.
- A list page as a table: ``workbook`` writes a title, the headers, a numbered row per
  record and the total at the foot (``ListColumn``); ``content_response`` sends it.

The import format (what reads back) is written with ``import_sheet``.

Every text written, whatever the layout, first loses the characters no workbook can hold
(a control character such as U+0001: openpyxl refuses the cell, and the whole download
would fail) and the invisible ones ``core.text`` strips from input (a bidi override):
``printable``. Text stored before input was cleaned, or written around the forms, thus
cannot break a download.
"""

from __future__ import annotations

import datetime
import io
import math
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import quote

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.db import models
from django.http import FileResponse, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.dimensions import RowDimension
from openpyxl.worksheet.worksheet import Worksheet

from core.text import strip_unsafe

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A text cell starting with one of these would be run by a spreadsheet: as a formula
# (= + - @, and the full-width forms some spreadsheets read as the same), as a DDE
# command (|) or as a percentage (%); a tab or carriage return first hides any of them.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "|", "%", "＝", "＋", "－", "＠")
# Rows of a streamed query fetched at a time.
CHUNK = 2000

_PREFIX_CLASS = "[" + re.escape("".join(FORMULA_PREFIXES)) + "]"
# In a CSV file such text is written with a leading apostrophe, Excel's mark for "text,
# not a formula"; reading strips one apostrophe again. Text that already starts with
# apostrophes before such a character gets one more, so that the round trip is exact.
_CSV_ESCAPED = re.compile("'+" + _PREFIX_CLASS)
_CSV_NEEDS_ESCAPE = re.compile("'*" + _PREFIX_CLASS)


# --- The formula guard ----------------------------------------------------------------


def printable(value: Any) -> Any:
    """A value as a cell (or a CSV file) may hold it: a text without the characters of
    ``core.text.strip_unsafe`` (among them every character openpyxl's
    ``ILLEGAL_CHARACTERS_RE`` refuses); anything else as it is. Before the formula
    guard: a text's first character is what is left after stripping."""
    return strip_unsafe(value) if isinstance(value, str) else value


def is_formula(value: Any) -> bool:
    """Whether a spreadsheet would run ``value`` rather than show it."""
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


# --- Row heights ---------------------------------------------------------------------------

# A column's width counts the widths of the digit 0 of the sheet's font (Calibri 11 in
# Excel, Carlito in LibreOffice); a Chinese character is about two of them. A Latin letter
# is counted a little wider than a digit, since words break whole.
WIDE = 2.1
NARROW = 1.2
# The points one line of text takes at 11 pt (Chinese glyphs set taller than Latin ones),
# and what a cell adds above and below.
LINE_POINTS = 15.0
PADDING_POINTS = 4.0


def text_units(text: str) -> float:
    """The width of a one-line text, in widths of the digit 0."""
    return sum(WIDE if unicodedata.east_asian_width(c) in "WF" else NARROW for c in text)


def text_lines(text: str, width: float) -> int:
    """The lines ``text`` wraps to in a column ``width`` wide (its own line breaks kept)."""
    usable = max(width - 1.0, 1.0)
    return sum(max(1, math.ceil(text_units(line) / usable)) for line in text.split("\n"))


def row_height(texts: Iterable[tuple[str, float]], *, size: float = 11) -> float:
    """The height in points of a row whose wrapped cells hold these (text, column width)
    pairs, at a font of ``size`` points."""
    scale = size / 11
    lines = max((text_lines(text, width / scale) for text, width in texts if text), default=1)
    return round(lines * LINE_POINTS * scale + PADDING_POINTS, 1)


def guard(cell: Any) -> Any:
    """A cell whose text would run is typed as a string, with Excel's quote prefix. Works
    for a write-only cell and a worksheet's cell."""
    if is_formula(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def text_cell(sheet: Any, value: Any) -> WriteOnlyCell | None:
    """Every value is text. Text that a spreadsheet would run as a formula is stored as
    a plain string with Excel's quote prefix: shown and re-imported exactly as written,
    never evaluated."""
    text = printable(cell_text(value) if not isinstance(value, str) else value)
    if text == "":
        return None
    return guard(WriteOnlyCell(sheet, value=text))


def csv_text(text: str) -> str:
    """Text for a CSV cell, without what ``printable`` strips, with a formula
    neutralised (see ``_CSV_ESCAPED``)."""
    text = printable(text)
    return "'" + text if _CSV_NEEDS_ESCAPE.match(text) else text


def csv_untext(text: str) -> str:
    """The text a CSV cell written by ``csv_text`` stood for."""
    return text[1:] if _CSV_ESCAPED.match(text) else text


# --- Values -----------------------------------------------------------------------------


def chinese() -> bool:
    return (translation.get_language() or settings.LANGUAGE_CODE).lower().startswith("zh")


def cell_text(value: Any) -> str:
    """A cell as text: Excel's 1001 (or 1001.0) is the code "1001", blanks are ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


def choice_label(choices: type[models.Choices], value: str) -> str:
    """A stored choice by its label; a value no longer among the choices as it is."""
    return str(choices(value).label) if value in choices.values else value


@dataclass(frozen=True)
class Text:
    """A piece of the paper format in both languages."""

    zh: str
    en: str

    def __str__(self) -> str:
        return self.zh if chinese() else self.en


# --- Sheets in the office's layout ------------------------------------------------------

THIN = Side(style="thin", color="808080")
BOXED = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTRED = Alignment(horizontal="center", vertical="center", wrap_text=True)
WRAP = Alignment(wrap_text=True, vertical="top")

# Named styles, registered once per workbook: a cell then takes its style by name,
# which costs a lookup, not the hashing of a font, a border and an alignment per cell
# (what makes styling tens of thousands of rows slow).
STYLES = {
    "ledger-title": {"font": Font(bold=True, size=16), "alignment": CENTRED},
    "ledger-header": {"font": Font(bold=True), "alignment": CENTRED, "border": BOXED},
    "ledger-cell": {"border": BOXED, "alignment": Alignment(vertical="top")},
    "ledger-wrap": {"border": BOXED, "alignment": WRAP},
    "ledger-date": {"border": BOXED, "alignment": Alignment(vertical="top"), "number_format": "yyyy-mm-dd"},
    "ledger-foot": {"font": Font(bold=True), "border": BOXED, "alignment": WRAP},
}


def _register_styles(book: Workbook) -> None:
    for name, attributes in STYLES.items():
        if name not in book.named_styles:
            book.add_named_style(NamedStyle(name=name, **attributes))


@dataclass(frozen=True)
class Column:
    header: Text
    width: float = 12
    wrap: bool = False
    date: bool = False

    @property
    def style(self) -> str:
        return "ledger-date" if self.date else "ledger-wrap" if self.wrap else "ledger-cell"


class Sheet:
    """A write-only sheet: title row, header row, boxed rows, a foot, each row as tall as
    its wrapped text. Every text goes through ``printable``; a would-be formula is typed
    as text with the quote prefix (``guard``)."""

    def __init__(self, book: Workbook, name: Text, title: str, columns: list[Column]) -> None:
        _register_styles(book)
        self.sheet = book.create_sheet(str(name)[:31])
        self.columns = columns
        for index, column in enumerate(columns, start=1):
            self.sheet.column_dimensions[get_column_letter(index)].width = column.width
        setup = self.sheet.page_setup
        setup.orientation = "landscape"
        setup.paperSize = Worksheet.PAPERSIZE_A4
        setup.fitToWidth = 1
        setup.fitToHeight = 0
        self.sheet.sheet_properties.pageSetUpPr.fitToPage = True
        self.sheet.print_title_rows = "2:2"
        self.widths = [column.width for column in columns]
        self.wraps = [column.wrap for column in columns]
        self._rows = 0
        # The title spans the table: it wraps at the table's width, at its 16 points.
        self._append([title], styles=["ledger-title"], widths=[sum(self.widths)], wraps=[True], size=16)
        self.sheet.merged_cells.add(f"A1:{get_column_letter(len(columns))}1")
        headers = [str(column.header) for column in columns]
        self._append(headers, styles=["ledger-header"] * len(columns), wraps=[True] * len(columns))
        self._body_styles = [column.style for column in columns]

    def _append(
        self,
        values: Iterable[Any],
        *,
        styles: list[str],
        widths: list[float] | None = None,
        wraps: list[bool] | None = None,
        size: float = 11,
    ) -> None:
        cells = []
        wrapped = []
        for value, style, width, wrap in zip(values, styles, widths or self.widths, wraps or self.wraps, strict=False):
            cell = guard(WriteOnlyCell(self.sheet, value=printable(value)))
            cell.style = style
            if cell.data_type == "s" and is_formula(cell.value):
                cell.quotePrefix = True  # the named style above replaced the guard's
            cells.append(cell)
            if wrap and isinstance(cell.value, str):
                wrapped.append((cell.value, width))
        self._rows += 1
        if wrapped:
            height = row_height(wrapped, size=size)
            if height > LINE_POINTS * size / 11 + PADDING_POINTS:
                self.sheet.row_dimensions[self._rows] = RowDimension(
                    self.sheet, index=self._rows, ht=height, customHeight=True
                )
        self.sheet.append(cells)

    def row(self, values: Iterable[Any]) -> None:
        self._append(values, styles=self._body_styles)

    def foot(self, values: Iterable[Any]) -> None:
        self._append(values, styles=["ledger-foot"] * len(self.columns), wraps=[True] * len(self.columns))


def _save(book: Workbook) -> IO[bytes]:
    # A temporary file rather than memory: the response streams it from disk and
    # closes it when done (which deletes it).
    handle = tempfile.TemporaryFile()  # noqa: SIM115
    book.save(handle)
    handle.seek(0)
    return handle


def response(book: Workbook, filename: str) -> FileResponse:
    # A file name is made of names: of the characters a header should not carry, too.
    name = printable(filename)
    return FileResponse(_save(book), as_attachment=True, filename=f"{name}.xlsx", content_type=XLSX)


# --- A list page as a table -------------------------------------------------------------


@dataclass(frozen=True)
class ListColumn:
    header: str
    value: Callable[[Any], Any]
    width: int = 14


def _list_cell(sheet: Any, value: Any) -> WriteOnlyCell | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return WriteOnlyCell(sheet, value=value)
    text = value.isoformat() if isinstance(value, datetime.date) else printable(str(value))
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    return guard(cell)


def workbook(title: str, columns: Sequence[ListColumn], rows: Iterable[Any], *, sheet_name: str) -> bytes:
    """Written row by row (openpyxl's write-only mode) from a streamed query, so that a
    province's records never sit in memory as cells: a title row, the headers, one
    numbered row per record, the total at the foot."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_name[:31])
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A3"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = 9  # A4
    title_cell = guard(WriteOnlyCell(sheet, value=printable(title)))
    title_cell.font = Font(bold=True, size=14)
    sheet.append([title_cell])
    bold = Font(bold=True)
    headers = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=printable(column.header))
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        headers.append(cell)
    sheet.append(headers)
    count = 0
    for number, row in enumerate(rows, start=1):
        sheet.append([number, *(_list_cell(sheet, column.value(row)) for column in columns[1:])])
        count = number
    total = WriteOnlyCell(sheet, value=_("Total: %(count)s") % {"count": intcomma(count)})
    total.font = bold
    sheet.append([total])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def content_response(content: bytes, filename: str) -> HttpResponse:
    reply = HttpResponse(content, content_type=XLSX)
    reply["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(printable(filename), safe='')}.xlsx"
    return reply


# --- The import format --------------------------------------------------------------------


def import_sheet(book: Workbook, title: str, headers: Iterable[str], widths: Iterable[float]) -> Any:
    """A write-only sheet of the import format: the headers in bold, frozen; the caller
    appends its rows, each value through ``text_cell`` (or a number as it is)."""
    sheet = book.create_sheet(title)
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=printable(header))
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    return sheet
