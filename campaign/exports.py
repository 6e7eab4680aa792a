"""Excel exports shared by the apps.

- ``xlsx_response``: what a list page shows, in the import format (so it round-trips).
- The office's paper layout (DESIGN §7): ``Sheet`` writes a write-only sheet with a
  title row across the table, the headers below it (``Text``: Chinese under zh-hans,
  English under en), boxed rows and totals at the foot, printed A4 landscape with the
  headers repeated on every page. Every value goes through ``safe``: a text that a
  spreadsheet would read as a formula (= + - @, a tab or a carriage return first) gets
  a leading apostrophe. ``response`` streams the workbook from a temporary file.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import quote

from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from campaign.importing import FORMULA_PREFIXES, chinese

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(kind: str, queryset: QuerySet, *, filename: str) -> HttpResponse:
    from campaign.resources import export_xlsx

    response = HttpResponse(export_xlsx(kind, queryset), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(filename)}.xlsx"
    return response


def _quote(name: str) -> str:
    return quote(name, safe="")


# --- Pieces of the paper format -------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A piece of the paper format in both languages."""

    zh: str
    en: str

    def __str__(self) -> str:
        return self.zh if chinese() else self.en


def safe(value: Any) -> Any:
    """A value as a cell may hold it, with any would-be formula turned into text."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


# --- Sheets in the office's layout --------------------------------------------------

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
    """A write-only sheet: title row, header row, boxed rows, a foot."""

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
        self._append([title], styles=["ledger-title"])
        self.sheet.merged_cells.add(f"A1:{get_column_letter(len(columns))}1")
        self._append([str(column.header) for column in columns], styles=["ledger-header"] * len(columns))
        self._body_styles = [column.style for column in columns]

    def _append(self, values: Iterable[Any], *, styles: list[str]) -> None:
        cells = []
        for value, style in zip(values, styles, strict=False):
            cell = WriteOnlyCell(self.sheet, value=safe(value))
            cell.style = style
            cells.append(cell)
        self.sheet.append(cells)

    def row(self, values: Iterable[Any]) -> None:
        self._append(values, styles=self._body_styles)

    def foot(self, values: Iterable[Any]) -> None:
        self._append(values, styles=["ledger-foot"] * len(self.columns))


def _save(book: Workbook) -> IO[bytes]:
    # A temporary file rather than memory: the response streams it from disk and
    # closes it when done (which deletes it).
    handle = tempfile.TemporaryFile()  # noqa: SIM115
    book.save(handle)
    handle.seek(0)
    return handle


def response(book: Workbook, filename: str) -> FileResponse:
    return FileResponse(_save(book), as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX)
