"""Spreadsheet import machinery shared by every app's file formats.

A file format (``Format``) is a set of kinds, each a sheet of a workbook (or a whole
CSV file) with fixed columns. Each column has a key and a header in English and in
Chinese, plus aliases; a file may use any of them. ``SpreadsheetReader`` streams the
rows of an .xlsx (openpyxl read-only) or .csv file as ``(row number as seen in Excel,
{column key: text})``, after checking the file is what it claims to be and, for a
workbook, that it does not unpack into more than it should (a zip bomb).
``RowError`` and ``ImportReport`` carry what is wrong with a file, row by row.

Files are read as offices keep them (docs/import_format.md, "Office layouts"): the
header row is found below title rows, a two-row header under merged group cells is
read as one (``find_header``), notes and totals after the data are not data
(``is_note``), sheets of instructions or tallies are passed over, and codes, numbers,
dates and headers are compared after NFKC (``Column.value``, ``normalise_name``).
``file_refusal`` names what a file is when it is not something an import reads.

The organisation's format lives in ``campaign.resources``; the opinions' in
``opinions.resources``; the talks' in ``talks.resources``. What a file is written
with, and the formula guard, are ``core.excel``. The headers are a file format, not user interface text: they
are spelled out in both languages rather than looked up in the translation
catalogue, so that a file written yesterday still imports after a translator rewords
a label.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime
import hashlib
import io
import itertools
import re
import unicodedata
import zipfile
from array import array
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, ClassVar
from xml.etree.ElementTree import ParseError, iterparse
from xml.parsers import expat

from defusedxml import DefusedXmlException
from django.conf import settings
from django.db import models, transaction
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from import_export import widgets
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_to_tuple

from core.excel import cell_text, chinese, csv_untext
from core.text import clean_text
from core.uploads import DAMAGED_ZIP

# Cells that list several codes or names may separate them with any of these.
LIST_SEPARATORS = re.compile(r"[,，、;；\n]")
# A day as offices write it: 2025-03-05, 2025/3/5, 2025.3.5, 2025年3月5日 (a date cell's
# midnight time of day dropped).
_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:(?:[T ]|\s+)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
# Excel counts days from 1899-12-30 (the 1900 leap-year bug included); a General cell
# holding a date shows this number. The range is Excel's own (1900-01-01 to 9999-12-31).
EXCEL_EPOCH = datetime.date(1899, 12, 30)
_SERIALS = range(1, 2958466)
_SERIAL_TEXT = re.compile(r"^\d{5}(?:\.\d+)?$")

# What a column holds decides how its cells are read: codes, numbers and dates are
# normalised (NFKC: the full-width digits and letters a Chinese input method types,
# every width of space); text is kept as typed.
TEXT, CODE, NUMBER, DATE = "text", "code", "number", "date"


# --- Columns and formats ----------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    en: str
    zh: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    value: str = TEXT  # TEXT, CODE (one code or a list of codes), NUMBER or DATE

    def header(self) -> str:
        return self.zh if chinese() else self.en

    def names(self) -> tuple[str, ...]:
        return (self.key, self.en, self.zh, *self.aliases)


@dataclass(frozen=True)
class Format:
    """The kinds one import reads, in the order they depend on each other, with their
    columns, sheet names (the first Chinese and the kind itself are what an export
    writes) and labels."""

    kinds: tuple[str, ...]
    columns: Mapping[str, tuple[Column, ...]]
    sheet_names: Mapping[str, tuple[str, ...]]
    labels: Mapping[str, Promise | str]

    def sheet_title(self, kind: str) -> str:
        return self.sheet_names[kind][0] if chinese() else kind

    def kind_for_sheet(self, name: str) -> str | None:
        wanted = normalise_name(name)
        for kind in self.kinds:
            if wanted in {normalise_name(n) for n in self.sheet_names[kind]} | {normalise_name(self.labels[kind])}:
                return kind
        return None

    def column_lookup(self, kind: str) -> dict[str, Column]:
        return {normalise_name(name): column for column in self.columns[kind] for name in column.names()}

    def column_header(self, kind: str, key: str) -> str:
        return next(c.header() for c in self.columns[kind] if c.key == key)

    def detect_kind(self, headers: Iterable[str]) -> str | None:
        """The kind whose required columns are all present and which names the most headers."""
        names = [normalise_name(h) for h in headers if cell_text(h)]
        best: tuple[int, str] | None = None
        for kind in self.kinds:
            lookup = self.column_lookup(kind)
            keys = {lookup[n].key for n in names if n in lookup}
            if not all(c.key in keys for c in self.columns[kind] if c.required):
                continue
            score = len(keys) - sum(1 for n in names if n not in lookup)
            if best is None or score > best[0]:
                best = (score, kind)
        return best[1] if best else None

    def unknown_column(self, kind: str, header: str) -> str:
        return _("Unknown column “%(header)s”; the columns of %(kind)s are: %(columns)s.") % {
            "header": header,
            "kind": self.labels[kind],
            "columns": join_list(c.header() for c in self.columns[kind]),
        }

    def sheet_choices(self) -> str:
        """How a user may name the sheets, for a message."""
        return join_list(f"{self.sheet_names[kind][0]}/{kind}" for kind in self.kinds)


# --- Cells ------------------------------------------------------------------------


def read_cell(value: Any) -> str:
    """A cell as the text an import stores: ``cell_text``, then cleaned of invisible
    characters as a typed text is (``core.text.clean_text``). Every cell may hold line
    breaks (Alt+Enter in Excel), so it is cleaned as multiline text; a one-line column
    that gets several lines is the column's business, as before."""
    return clean_text(cell_text(value), multiline=True)


def normalise_name(text: Any) -> str:
    """Headers, sheet names and choice labels compare after NFKC (full-width letters,
    ＊ and （）), without case, spaces of any width (姓　　名, lined up with spaces, is
    姓名), underscores or a '*'."""
    name = nfkc(cell_text(text)).replace("_", "").replace("*", "").casefold()
    return "".join(name.split())


def nfkc(text: str) -> str:
    """Text compatibility-normalised (NFKC): full-width digits, letters and signs (＊,
    （）, ＃) as their ordinary forms, every width of space as a space, and trimmed."""
    if text.isascii():
        return text.strip()
    return unicodedata.normalize("NFKC", text).strip()


def read_code(text: str) -> str:
    """A code, a number or a list of them as matched and stored: NFKC, spaces inside
    collapsed to one."""
    text = nfkc(text)
    return " ".join(text.split()) if " " in text or "\t" in text else text


def read_date(value: Any, text: str) -> str:
    """A date column's cell as text that ``parse_date`` reads: a date cell (with or
    without a time of day) as its day, an Excel serial number in a General cell (or
    written out by a CSV export of one) as the day it counts, typed text as typed
    (NFKC: full-width digits)."""
    if (type(value) is str or value is None) and text.isascii():
        if len(text) == 5 and text.isdigit() or "." in text and _SERIAL_TEXT.match(text):
            return (EXCEL_EPOCH + datetime.timedelta(days=int(float(text)))).isoformat()
        return text
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        if int(value) in _SERIALS:
            return (EXCEL_EPOCH + datetime.timedelta(days=int(value))).isoformat()
        return text
    text = nfkc(text)
    if _SERIAL_TEXT.match(text):
        return (EXCEL_EPOCH + datetime.timedelta(days=int(float(text)))).isoformat()
    return text


def parse_date(text: str) -> datetime.date | None:
    """2025-03-05, 2025/3/5, 2025.3.5, 2025年3月5日, or a workbook's date cell."""
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        pass
    match = _DATE.match(text)
    if match is None:
        return None
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


# A code that lost its leading zeros (Excel shows 0101 typed into a General cell as 101)
# is looked for with up to this many zeros restored.
LOST_ZEROS = 6


def padded_codes(missing: Iterable[str], queryset: Any, field: str) -> dict[str, list[str]]:
    """For codes not found, the codes of ``queryset`` (in ``field``) each equals once
    the leading zeros a spreadsheet dropped are restored: 101 → 0101. One query for all
    of them; only codes of digits are looked for. A suggestion for the message, never a
    guess: the row stays refused."""
    wanted: dict[str, str] = {}
    for code in missing:
        if code and code.isdigit() and code.isascii():
            for zeros in range(1, LOST_ZEROS + 1):
                wanted["0" * zeros + code] = code
    if not wanted:
        return {}
    found: dict[str, list[str]] = {}
    for value in sorted(queryset.filter(**{f"{field}__in": list(wanted)}).values_list(field, flat=True)):
        found.setdefault(wanted[value], []).append(value)
    return found


def suggest(message: str, suggestions: Iterable[str]) -> str:
    """A message about an unknown code, with the codes it may have been meant as."""
    codes = list(suggestions)
    if not codes:
        return message
    separator = "" if chinese() else " "  # 。 needs no space after it
    return message + separator + _("Did you mean %(codes)s?") % {"codes": (_(" or ")).join(codes)}


def not_a_date(text: str) -> str:
    return _("“%(value)s” is not a date; write it as 2025-03-05.") % {"value": text}


def split_list(text: str) -> list[str]:
    """Codes or names from one cell, in order, each once."""
    seen: dict[str, None] = {}
    for part in LIST_SEPARATORS.split(text or ""):
        if part.strip():
            seen.setdefault(part.strip(), None)
    return list(seen)


def join_list(items: Iterable[str]) -> str:
    return ("、" if chinese() else ", ").join(items)


class ChoiceWidget(widgets.Widget):
    """A choice read as its stored value, its English label or a Chinese label, and
    written as the label of the current language. ``chinese_labels`` gives, for each
    value, the Chinese labels offices write; the first is what an export writes when
    the catalogue has no translation of the English label."""

    def __init__(
        self, choices: type[models.TextChoices], what: Any, chinese_labels: Mapping[str, tuple[str, ...]]
    ) -> None:
        super().__init__()
        self.choices = choices
        self.what = what
        self.chinese_labels = chinese_labels
        self._lookup: dict[str, str] | None = None

    def lookup(self) -> dict[str, str]:
        if self._lookup is None:
            lookup: dict[str, str] = {}
            for value, label in zip(self.choices.values, self.choices.labels, strict=True):
                names = [value, *self.chinese_labels[value]]
                for language in ("en", "zh-hans"):
                    with translation.override(language):
                        names.append(str(label))
                for name in names:
                    lookup.setdefault(normalise_name(name), value)
            self._lookup = lookup
        return self._lookup

    def clean(self, value: Any, row: dict | None = None, **kwargs: Any) -> str:
        text = cell_text(value)
        if not text:
            return ""
        try:
            return self.lookup()[normalise_name(text)]
        except KeyError:
            raise ValueError(self.unknown(text)) from None

    def unknown(self, text: str) -> str:
        return _("Unknown %(what)s “%(value)s”; use one of: %(choices)s.") % {
            "what": self.what,
            "value": text,
            "choices": join_list(self.label(v) for v in self.choices.values),
        }

    def label(self, value: str) -> str:
        english = self.choices(value).label
        if not chinese():
            return str(english)
        translated = str(english)
        with translation.override("en"):
            untranslated = str(english)
        return translated if translated != untranslated else self.chinese_labels[value][0]

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return self.label(value) if value else ""


def describe_columns(
    columns: Iterable[Column], widgets: Mapping[str, ChoiceWidget], ignored: Collection[str] = ()
) -> list[dict[str, Any]]:
    """The columns as an import page explains them, in the current language: the header,
    the other language's header, whether it is required, and a choice column's labels."""
    description = []
    for column in columns:
        if column.key in ignored:
            continue
        widget = widgets.get(column.key)
        description.append(
            {
                "header": column.header(),
                "other": column.en if column.header() == column.zh else column.zh,
                "required": column.required,
                "values": join_list(widget.label(v) for v in widget.choices.values) if widget else "",
            }
        )
    return description


# --- What is wrong with a file ----------------------------------------------------

# A file of nothing but bad rows still gets a report a person can read.
ERROR_LIMIT = 10_000


@dataclass(frozen=True)
class RowError:
    sheet: str
    row: int  # as the user sees it in Excel: the header is row 1; 0 for the file as a whole
    column: str  # the header as written in the file, "" for the row as a whole
    message: str

    def __str__(self) -> str:
        if not self.row:
            return _("%(sheet)s: %(message)s") % {"sheet": self.sheet, "message": self.message}
        if not self.column:
            return _("%(sheet)s row %(row)d: %(message)s") % {
                "sheet": self.sheet,
                "row": self.row,
                "message": self.message,
            }
        return _("%(sheet)s row %(row)d, column %(column)s: %(message)s") % {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportReport:
    """The outcome of an import: every bad row (the first ``ERROR_LIMIT``), or what was
    (or, on a dry run, would be) written. ``counts`` hold one entry per sheet, each with
    a ``rows`` property."""

    filename: str
    dry_run: bool
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0  # may exceed len(errors) when the list was cut at ERROR_LIMIT
    counts: list[Any] = field(default_factory=list)
    # What was imported before: the file itself, or some of its rows (``ImportRecord``).
    # A dry run says so; an import then asks to be confirmed again (``again``).
    repeats: list[str] = field(default_factory=list)
    again_needed: bool = False  # the repeats would be written again: ask first

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run

    @property
    def rows(self) -> int:
        return sum(c.rows for c in self.counts)

    def add_error(self, error: RowError) -> None:
        self.error_count += 1
        if len(self.errors) < ERROR_LIMIT:
            self.errors.append(error)


# --- Reading files ----------------------------------------------------------------


class FileError(Exception):
    """The file as a whole cannot be read (not a spreadsheet, too large)."""


@dataclass
class HeaderProblem:
    column: str
    message: str


@dataclass
class Table:
    """One sheet (or a CSV file) holding one kind. ``rows`` yields (row number as seen
    in Excel, {column key: text}) for non-blank rows, reading the file as it goes.
    ``declared_rows``: how many rows the file says it holds below the header (a
    workbook's recorded size, a CSV file's line count), for a progress bar; None if
    unknown. ``header_row``: the row (as seen in Excel) of the header, the lower one of
    a two-row header."""

    sheet: str
    kind: str | None
    headers: list[str]  # as in the file (a two-row header's group and column joined)
    format: Format
    keys: list[str | None] = field(default_factory=list)  # column key per position, None if unknown
    problems: list[HeaderProblem] = field(default_factory=list)
    rows: Iterator[tuple[int, dict[str, str]]] = field(default_factory=lambda: iter(()))
    declared_rows: int | None = None
    header_row: int = 1
    # Positions whose header is a serial number (序号, No.) no column of the kind reads.
    serial: set[int] = field(default_factory=set)

    def header_of(self, key: str) -> str:
        for header, column_key in zip(self.headers, self.keys, strict=False):
            if column_key == key:
                return header
        return ""

    def map_headers(self) -> None:
        """Decide the column key of each header and what is wrong with the header row."""
        self.keys, self.problems, self.serial = [], [], set()
        if self.kind is None:
            return
        lookup = self.format.column_lookup(self.kind)
        seen: set[str] = set()
        for position, header in enumerate(self.headers):
            if not header:
                self.keys.append(None)
                continue
            name = normalise_name(header)
            column = lookup.get(name)
            if column is None and name in SERIAL_HEADERS:
                # Every format accepts (and ignores) the numbering offices put first.
                self.serial.add(position)
                self.keys.append(None)
            elif column is None:
                self.problems.append(HeaderProblem(header, self.format.unknown_column(self.kind, header)))
                self.keys.append(None)
            elif column.key in seen:
                self.problems.append(HeaderProblem(header, _("This column appears twice.")))
                self.keys.append(None)
            else:
                seen.add(column.key)
                self.keys.append(column.key)
        for column in self.format.columns[self.kind]:
            if column.required and column.key not in seen:
                self.problems.append(
                    HeaderProblem(
                        column.header(), _("The column “%(column)s” is missing.") % {"column": column.header()}
                    )
                )


# A serial-number column (序号) any format accepts and ignores.
SERIAL_HEADERS = frozenset({"序号", "no.", "no", "#", "seq.", "s/n"})
# How many rows at the top of a sheet are looked through for its header row (title
# rows, blank rows and a two-row header above the data).
HEADER_SEARCH = 20
# A row after the data whose first filled cell starts with one of these, and which
# leaves a required column blank, is a note or a total, not data (compared after NFKC,
# without spaces, case-folded).
NOTE_WORDS = (
    "填表人",
    "填报人",
    "制表人",
    "制表",
    "审核人",
    "审核",
    "合计",
    "总计",
    "小计",
    "共计",
    "注:",
    "备注",
    "说明",
    "填表说明",
    "填报说明",
    "填表日期",
    "填报日期",
    "制表日期",
    "负责人",
    "联系人",
    "联系电话",
    "统计人",
    "计票人",
    "监票人",
    "唱票人",
    "total",
    "note",
    "preparedby",
    "checkedby",
)
_NOTE_INITIALS = frozenset(word[0] for word in NOTE_WORDS) | frozenset(word[0].upper() for word in NOTE_WORDS)
# Notes held back at a time (rows after them turn them back into data).
_NOTES_HELD = 50
# Sheet names of what is clearly not data: instructions, tallies and summaries, charts.
_NOT_DATA_SHEET = re.compile(
    r"说明|须知|填表|填报要求|目录|封面|统计|汇总|合计|计数|图表|instruction|readme|read me|notes|help|summary|"
    r"tally|totals|chart|pivot",
    re.IGNORECASE,
)


def is_note(texts: list[str]) -> bool:
    """Whether a row's first filled cell starts like a note or a total row."""
    first = next((t for t in texts if t), "")
    if not first or first[0] not in _NOTE_INITIALS:
        return False
    return "".join(nfkc(first[:12]).split()).casefold().startswith(NOTE_WORDS)


def _header_score(headers: list[str], lookup: Mapping[str, Column]) -> int:
    return len({lookup[n].key for n in map(normalise_name, headers) if n in lookup})


def _joined_headers(top: list[str], bottom: list[str], lookup: Mapping[str, Column]) -> list[str]:
    """A two-row header as one: under a group cell merged across several columns (its
    text is in the first of them) each column is named by group and column joined
    (谈话对象 + 编号 = 谈话对象编号), or by the lower cell, or by the group, whichever
    the format knows; a cell merged down both rows names its column alone."""
    width = max(len(top), len(bottom))
    top = top + [""] * (width - len(top))
    bottom = bottom + [""] * (width - len(bottom))
    headers = []
    group = ""
    for upper, lower in zip(top, bottom, strict=True):
        if upper:
            group = upper if lower else ""
        elif not lower:
            group = ""
        upper = upper or (group if lower else "")
        if not lower or not upper:
            headers.append(upper or lower)
            continue
        for candidate in (upper + lower, lower, upper):
            if normalise_name(candidate) in lookup:
                headers.append(candidate)
                break
        else:
            headers.append(upper + lower)
    return headers


@dataclass
class _Header:
    index: int  # in the rows looked through, of the header's last row
    headers: list[str]
    kind: str | None


def find_header(rows: list[tuple[int, list[str]]], format: Format, kind: str | None) -> _Header | None:
    """The header among a sheet's first rows (number, texts): the row — or pair of
    consecutive rows, a group row above the column row — that names the most columns
    of ``kind`` (of any kind when None); a single row before a pair, the earlier before
    the later. None when no row names any column."""
    kinds = [kind] if kind else list(format.kinds)
    lookups = {k: format.column_lookup(k) for k in kinds}
    best: tuple[int, int, int] | None = None  # score, -depth, -index
    found: _Header | None = None
    for i, (number, texts) in enumerate(rows):
        if not any(texts):
            continue
        candidates = [(1, texts)]
        if i + 1 < len(rows) and rows[i + 1][0] == number + 1 and any(rows[i + 1][1]):
            candidates.append((2, []))
        for depth, headers in candidates:
            for k, lookup in lookups.items():
                joined = headers if depth == 1 else _joined_headers(texts, rows[i + 1][1], lookup)
                score = _header_score(joined, lookup)
                rank = (score, -depth, -i)
                if score and (best is None or rank > best):
                    best = rank
                    found = _Header(i + depth - 1, joined, k if kind else None)
    if found is not None and kind is None:
        found.kind = format.detect_kind(found.headers)
    return found


# What openpyxl raises, besides a damaged zip's errors, reading a damaged workbook.
_UNREADABLE: tuple[type[BaseException], ...] = (ParseError, KeyError, TypeError, *DAMAGED_ZIP)


@contextlib.contextmanager
def _reading_workbook() -> Iterator[None]:
    """openpyxl reads a workbook's XML as it is asked for (a sheet's rows as they are
    iterated): a part that is damaged, or refused by defusedxml, is the file's fault and
    is reported as such, not answered with a 500."""
    try:
        yield
    except DefusedXmlException:
        raise FileError(unsafe_xml()) from None
    except _UNREADABLE:
        raise FileError(not_a_spreadsheet()) from None


def unheaded_column(index: int, number: int) -> str:
    return _(
        "Column %(column)s has no header, yet row %(row)d holds data in it: give the column a header, or delete it."
    ) % {"column": get_column_letter(index + 1), "row": number}


def formula_without_value(coordinate: str, formula: str) -> str:
    return _(
        "Cell %(cell)s holds a formula (=%(formula)s) whose result was not saved with the file; open the file in "
        "Excel or WPS, let it calculate, save it and upload it again (or type the value)."
    ) % {"cell": coordinate, "formula": formula[:100]}


def _rows(
    table: Table,
    values: Iterator[tuple[int, Any]],
    texts_of: Callable[[Any], list[str]],
    reading: Callable[[], contextlib.AbstractContextManager[None]],
    *,
    formulas: Mapping[tuple[int, int], str] | None = None,
) -> Iterator[tuple[int, dict[str, str]]]:
    """The data rows of a table: ``values`` are (row number, raw row), ``texts_of``
    turns a raw row into cell texts, ``reading`` turns the file's own errors into
    ``FileError``. Codes, numbers and dates are read as their columns say; data under
    no header (a column whose header is a merged group header above it, or past the
    last header) refuses the file, naming the column and row, so nothing is dropped
    without a word; a formula cell whose result the file does not hold is named as a
    formula. Notes and totals after the data (填表人, 合计, …) are held back and
    dropped at the end; a data row after them makes them data again. (A million rows
    pass through here: the common row takes the shortest path.)"""
    width = len(table.headers)
    keyed = [(i, key) for i, key in enumerate(table.keys) if key]
    unheaded = [i for i, header in enumerate(table.headers) if not header and i not in table.serial]
    columns = {c.key: c for c in table.format.columns[table.kind]} if table.kind else {}
    dates = [i for i, key in keyed if columns[key].value == DATE]
    codes = [i for i, key in keyed if columns[key].value in (CODE, NUMBER)]
    required = [i for i, key in keyed if columns[key].required]
    held: list[tuple[int, list[str], Any]] = []

    def data(number: int, texts: list[str], raw: Any) -> tuple[int, dict[str, str]]:
        if unheaded or len(texts) > width:
            for i in unheaded:
                if i < len(texts) and texts[i]:
                    raise FileError(unheaded_column(i, number))
            for i in range(width, len(texts)):
                if texts[i]:
                    raise FileError(unheaded_column(i, number))
        if len(texts) < width:
            texts += [""] * (width - len(texts))
        if formulas:
            for i, _key in keyed:
                if not texts[i] and (number, i + 1) in formulas:
                    coordinate = f"{get_column_letter(i + 1)}{number}"
                    raise FileError(formula_without_value(coordinate, formulas[number, i + 1]))
        for i in dates:
            text = texts[i]
            if text or (i < len(raw) and raw[i] is not None):
                texts[i] = read_date(raw[i] if i < len(raw) else None, text)
        for i in codes:
            text = texts[i]
            if text and not (text.isascii() and " " not in text and "\t" not in text):
                texts[i] = read_code(text)
        return number, {key: texts[i] for i, key in keyed}

    with reading():
        for number, raw in values:
            texts = texts_of(raw)
            if not any(texts):
                continue
            first = texts[0] or next((t for t in texts if t), "")
            if (
                first[0] in _NOTE_INITIALS
                and len(held) < _NOTES_HELD
                and is_note(texts)
                and any(i >= len(texts) or not texts[i] for i in required)
            ):
                held.append((number, texts, raw))
                continue
            if held:
                for item in held:
                    yield data(*item)
                held = []
            yield data(number, texts, raw)


class SpreadsheetReader:
    """Opens an .xlsx (read-only, streaming) or a .csv (streaming, UTF-8 or GB18030,
    as Chinese Excel saves it) and hands out its tables. Use as a context manager.

    A sheet's header need not be its first row: title rows, blank rows and a group row
    above it are passed over (``find_header``), and sheets that are clearly not data
    (instructions, tallies) are skipped when another sheet holds data.

    A subclass names its ``format``. ``max_unpacked``: the most bytes a workbook may
    unpack into (its parts as the zip directory records them), checked before openpyxl
    opens it; openpyxl holds a workbook's shared strings in memory, and a few kilobytes
    can be made to unpack into gigabytes. None: the ``IMPORT_MAX_UNPACKED_BYTES`` setting.
    """

    format: ClassVar[Format]
    # Whether a CSV file's text cells may carry the apostrophe of ``csv_text``.
    csv_apostrophes: ClassVar[bool] = False
    # An honest workbook packs its XML five to twenty times smaller; far beyond that is
    # repetition made to fill memory.
    MAX_PACKING_RATIO: ClassVar[int] = 100

    def __init__(
        self,
        source: IO[bytes],
        filename: str,
        kind: str | None = None,
        max_unpacked: int | None = None,
        sheet: str | None = None,
    ):
        self.source = source
        self.filename = filename
        self.kind = kind
        # The one sheet of a workbook to read (its name as the user typed it), if given.
        self.sheet = sheet or None
        self.max_unpacked = max_unpacked if max_unpacked is not None else settings.IMPORT_MAX_UNPACKED_BYTES
        self._workbook: Any = None
        self._text: io.TextIOWrapper | None = None

    def __enter__(self) -> SpreadsheetReader:
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._workbook is not None:
            self._workbook.close()
        if self._text is not None:
            self._text.detach()

    @property
    def extension(self) -> str:
        return self.filename.rsplit(".", 1)[-1].lower() if "." in self.filename else ""

    def tables(self) -> list[Table]:
        self.source.seek(0)
        refusal = file_refusal(self.source, self.extension)
        if refusal:
            raise FileError(refusal)
        if self.extension == "xlsx":
            return self._xlsx_tables()
        return [self._csv_table()]

    def _check_unpacked_size(self) -> None:
        self.source.seek(0)
        try:
            with zipfile.ZipFile(self.source) as archive:
                infos = archive.infolist()
        except DAMAGED_ZIP:
            raise FileError(not_a_spreadsheet()) from None
        # Python's zipfile never unpacks a part beyond the size its directory records,
        # so the recorded sizes bound what openpyxl can be made to read.
        unpacked = sum(info.file_size for info in infos)
        packed = max(1, sum(info.compress_size for info in infos))
        if unpacked > self.max_unpacked or unpacked > packed * self.MAX_PACKING_RATIO + (1 << 20):
            raise FileError(
                _("This workbook unpacks into %(size)d MB, more than an import may read; split it into smaller files.")
                % {"size": unpacked // (1 << 20) or 1}
            )

    def _check_no_dtd(self) -> None:
        """Refuse a workbook any of whose XML parts declares a DTD. Excel never writes
        one; entities declared in it are how XML bombs and file disclosures work.
        openpyxl parses through defusedxml, which refuses entities but lets a bare
        DOCTYPE pass; this refuses them all, in any encoding the part declares."""
        self.source.seek(0)
        try:
            with zipfile.ZipFile(self.source) as archive:
                for info in archive.infolist():
                    if info.filename.lower().endswith((".xml", ".rels", ".vml")):
                        with archive.open(info) as part:
                            if xml_declares_dtd(part):
                                raise FileError(unsafe_xml())
        except DAMAGED_ZIP:
            raise FileError(not_a_spreadsheet()) from None

    def _xlsx_tables(self) -> list[Table]:
        self.source.seek(0)
        if self.source.read(4) != b"PK\x03\x04":
            raise FileError(not_a_spreadsheet())
        self._check_unpacked_size()
        self._check_no_dtd()
        self.source.seek(0)
        with _reading_workbook():
            self._workbook = load_workbook(self.source, read_only=True, data_only=True)
        sheets = self._workbook.worksheets
        if self.sheet is not None:
            wanted = normalise_name(self.sheet)
            chosen = [sheet for sheet in sheets if normalise_name(sheet.title) == wanted]
            if not chosen:
                raise FileError(
                    _("The workbook has no sheet named %(sheet)s; its sheets are %(sheets)s.")
                    % {"sheet": self.sheet, "sheets": join_list(sheet.title for sheet in sheets)}
                )
            sheets = chosen
        tables = []
        unknown: list[tuple[Table, bool]] = []  # sheets of no kind; whether clearly not data
        for sheet in sheets:
            declared = sheet.max_row
            # Some programs write a wrong size into the file; read what is really there.
            sheet.reset_dimensions()
            named = self.format.kind_for_sheet(sheet.title)
            if self.kind and named not in (None, self.kind) and self.sheet is None:
                continue  # another kind's sheet, not asked for
            values = enumerate(sheet.iter_rows(values_only=True), start=1)
            with _reading_workbook():
                top = list(itertools.islice(values, HEADER_SEARCH))
            texts = [(number, [read_cell(v) for v in raw]) for number, raw in top]
            fixed = named or (self.kind if self.kind and len(sheets) == 1 else None)
            if self.sheet is not None and self.kind:
                fixed = self.kind  # the sheet the user chose holds what the import reads
            header = find_header(texts, self.format, fixed)
            if header is None:
                first = next((i for i, (_number, row) in enumerate(texts) if any(row)), None)
                if first is None:
                    continue  # an empty sheet
                header = _Header(first, texts[first][1], fixed)
            headers = list(header.headers)
            while headers and not headers[-1]:
                headers.pop()
            kind = header.kind
            if self.kind and kind != self.kind:
                continue
            table = Table(sheet=sheet.title, kind=kind, headers=headers, format=self.format)
            table.header_row = texts[header.index][0]
            table.map_headers()
            if kind is None:
                # Instructions, a tally or a chart's data: nothing any column of the format reads.
                clearly_not_data = bool(_NOT_DATA_SHEET.search(sheet.title)) or not find_header(
                    texts, self.format, None
                )
                unknown.append((table, clearly_not_data))
                continue
            rest = itertools.chain(top[header.index + 1 :], values)
            table.rows = _rows(table, rest, _cell_texts, _reading_workbook, formulas=self._formulas(sheet))
            table.declared_rows = (
                max(0, declared - table.header_row) if isinstance(declared, int) and declared > 1 else None
            )
            tables.append(table)
        if tables:
            # A sheet that names no column beside sheets of data is skipped; one that
            # names some columns, yet not enough to tell its kind, is still reported.
            tables += [table for table, not_data in unknown if not not_data]
        elif unknown:
            tables = [table for table, _not_data in unknown]
        return sorted(tables, key=lambda t: [s.title for s in sheets].index(t.sheet))

    def _formulas(self, sheet: Any) -> dict[tuple[int, int], str]:
        """The formula cells of a sheet that hold no result (a file written by a
        program that does not calculate): (row, column) → the formula. Read from the
        sheet's XML only when it holds a formula at all."""
        path = getattr(sheet, "_worksheet_path", None)
        archive = getattr(self._workbook, "_archive", None)
        if not path or archive is None:
            return {}
        try:
            with archive.open(path) as part:
                holds = False
                tail = b""
                while block := part.read(1 << 20):
                    if b"<f" in tail + block or b":f>" in tail + block or b":f " in tail + block:
                        holds = True
                        break
                    tail = block[-8:]
            if not holds:
                return {}
            found: dict[tuple[int, int], str] = {}
            with archive.open(path) as part:
                # (No DTD can reach this parser: _check_no_dtd refused the workbook.)
                for _event, element in iterparse(part):
                    tag = element.tag.rsplit("}", 1)[-1]
                    if tag == "row":
                        element.clear()  # its cells are read; memory stays bounded
                    if tag != "c":
                        continue
                    formula = value = None
                    for child in element:
                        name = child.tag.rsplit("}", 1)[-1]
                        if name == "f":
                            formula = child
                        elif name == "v":
                            value = child
                    if formula is not None and (value is None or (not value.text and element.get("t") != "str")):
                        row, column = coordinate_to_tuple(element.get("r", "A1"))
                        found[row, column] = formula.text or ""
                        if len(found) >= ERROR_LIMIT:
                            break
                    element.clear()
            return found
        except _UNREADABLE:
            raise FileError(not_a_spreadsheet()) from None

    def _csv_table(self) -> Table:
        encoding, lines = _csv_encoding(self.source)
        self.source.seek(0)
        self._text = io.TextIOWrapper(self.source, encoding=encoding, newline="")
        try:
            first_line = self._text.readline()
        except UnicodeDecodeError:
            raise FileError(not_a_spreadsheet()) from None
        self._text.seek(0)
        # Excel writes commas, or semicolons where the comma is the decimal mark; some tools tabs.
        delimiter = max(",;\t", key=first_line.count)
        reader = csv.reader(self._text, delimiter=delimiter)
        apostrophes = self.csv_apostrophes

        def texts_of(raw: list[str]) -> list[str]:
            texts = [clean_text(value.strip(), multiline=True) for value in raw]
            if apostrophes:
                texts = [csv_untext(text) if text[:1] == "'" else text for text in texts]
            return texts

        values = enumerate(reader, start=1)
        try:
            top = list(itertools.islice(values, HEADER_SEARCH))
        except (csv.Error, UnicodeDecodeError):
            raise FileError(not_a_spreadsheet()) from None
        texts = [(number, texts_of(raw)) for number, raw in top]
        if not any(any(row) for _number, row in texts):
            raise FileError(empty_file())
        header = find_header(texts, self.format, self.kind)
        if header is None:
            first = next(i for i, (_number, row) in enumerate(texts) if any(row))
            header = _Header(first, texts[first][1], self.kind)
        headers = list(header.headers)
        while headers and not headers[-1]:
            headers.pop()
        table = Table(sheet=self.filename, kind=self.kind or header.kind, headers=headers, format=self.format)
        table.header_row = texts[header.index][0]
        table.map_headers()

        table.rows = _rows(table, itertools.chain(top[header.index + 1 :], values), texts_of, _reading_csv)
        table.declared_rows = max(0, lines - table.header_row)
        return table


@contextlib.contextmanager
def _reading_csv() -> Iterator[None]:
    try:
        yield
    except (csv.Error, UnicodeDecodeError):
        raise FileError(not_a_spreadsheet()) from None


def _cell_texts(raw: Iterable[Any]) -> list[str]:
    return [read_cell(v) for v in raw]


def _csv_encoding(source: IO[bytes]) -> tuple[str, int]:
    """UTF-8 (with or without a byte-order mark) if the whole file decodes as such,
    else GB18030; a file with NUL bytes is not text at all. Reads in blocks, counting
    the lines on the way (an estimate of the rows, for a progress bar)."""
    source.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    first = True
    lines = 0
    last = b""
    while block := source.read(1 << 20):
        if b"\x00" in block or (first and block.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF"))):
            raise FileError(not_a_spreadsheet())
        first = False
        lines += block.count(b"\n")
        last = block
        if utf8:
            try:
                decoder.decode(block)
            except UnicodeDecodeError:
                utf8 = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    if last and not last.endswith(b"\n"):
        lines += 1
    return ("utf-8-sig" if utf8 else "gb18030"), lines


# --- What a file is, by its first bytes ------------------------------------------------

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
# The stream an encrypted Office file (Excel's "Encrypt with Password") holds, as its
# compound file's directory names it (UTF-16).
_ENCRYPTED = "EncryptionInfo".encode("utf-16-le")
_ODS = b"application/vnd.oasis.opendocument.spreadsheet"


def file_refusal(source: IO[bytes], extension: str) -> str | None:
    """Why a file cannot be imported, told from its name and first bytes, as precisely
    as they allow (the browser's form and the command line alike); None when it may be
    read. Leaves ``source`` at its start."""
    source.seek(0)
    head = source.read(8192)
    source.seek(0)
    if extension in ("ods", "ots") or (head.startswith(b"PK\x03\x04") and _ODS in head[:200]):
        return ods_refused()
    if head.startswith(_OLE):
        if _ENCRYPTED in head or _ENCRYPTED in _read_all(source):
            return encrypted_refused()
        return xls_refused()
    if extension == "xls":
        return xls_refused()
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (not head.startswith(b"PK") and _looks_utf16(head)):
        return utf16_refused()
    if extension not in ("xlsx", "csv"):
        return _("Choose an .xlsx or .csv file.")
    stripped = head
    for bom in _BOMS:
        if stripped.startswith(bom):
            stripped = stripped[len(bom) :]
            break
    if not stripped.strip(b" \t\r\n,;") and len(head) < 8192:
        return empty_file()
    return None


def _read_all(source: IO[bytes]) -> bytes:
    """An Office compound file's directory may lie anywhere in it (uploads are capped)."""
    source.seek(0)
    data = source.read()
    source.seek(0)
    return data


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 without a byte-order mark: every other byte NUL in a text of ASCII."""
    sample = head[:400]
    return len(sample) >= 8 and sample[1::2].count(0) > len(sample) // 3


def empty_file() -> str:
    return _("The file is empty: it holds no rows at all.")


def xls_refused() -> str:
    return _(
        "This is an old Excel 97–2003 workbook (.xls), which cannot be read; open it in Excel or WPS, save it as "
        "an .xlsx workbook and upload that."
    )


def ods_refused() -> str:
    return _(
        "This is an OpenDocument spreadsheet (.ods), which cannot be read; in LibreOffice choose File → Save As, "
        "save it as an Excel 2007–365 workbook (.xlsx) and upload that."
    )


def encrypted_refused() -> str:
    return _(
        "This workbook is protected by a password, so it cannot be read; open it, remove the password (File → "
        "Info → Protect Workbook → Encrypt with Password, and clear it), save it and upload it again."
    )


def utf16_refused() -> str:
    return _(
        "This is a UTF-16 text file (Excel's “Unicode Text”), which cannot be read; save it as “CSV UTF-8 (comma "
        "delimited)” or as an .xlsx workbook and upload that."
    )


def not_a_spreadsheet() -> str:
    return _("This file is not a spreadsheet that can be read; upload an .xlsx workbook or a .csv file.")


def unsafe_xml() -> str:
    return _(
        "This workbook contains XML declarations (a DTD or entities) that Excel never writes; it was refused as "
        "unsafe. Open it in Excel and save it again as .xlsx."
    )


class _Found(Exception):
    pass


# An XML part's prolog (before its root element) longer than this is refused unread.
_PROLOG_LIMIT = 64 * 1024


def xml_declares_dtd(stream: IO[bytes]) -> bool:
    """Whether the XML in ``stream`` declares a DTD (<!DOCTYPE …>) before its root
    element, in whatever encoding it is written (expat reads the declaration and the
    byte-order mark). Reads only the prolog: it stops at the root element's start.
    A prolog longer than any honest file's is taken as a declaration; malformed XML is
    left to the parser that reads the part."""
    parser = expat.ParserCreate()
    seen: list[str] = []

    def doctype(*args: Any) -> None:
        seen.append("dtd")
        raise _Found

    def root(*args: Any) -> None:
        seen.append("root")
        raise _Found

    parser.StartDoctypeDeclHandler = doctype
    parser.StartElementHandler = root
    read = 0
    try:
        while read <= _PROLOG_LIMIT:
            chunk = stream.read(4096)
            parser.Parse(chunk, not chunk)
            if not chunk:
                return False
            read += len(chunk)
    except _Found:
        return seen == ["dtd"]
    except expat.ExpatError:
        return False
    return True


def chunks(rows: Iterator[tuple[int, dict[str, str]]], size: int) -> Iterator[list[tuple[int, dict[str, str]]]]:
    chunk: list[tuple[int, dict[str, str]]] = []
    for item in rows:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def check_tables(tables: list[Table], report: ImportReport, *, filename: str, kind: str | None, format: Format) -> None:
    """Problems of the file's structure: reported alone, since rows of a sheet whose
    headers are wrong (or of sheets that depend on it) would only repeat them."""
    if not tables:
        message = (
            _("The file holds no sheet of %(kind)s.") % {"kind": format.labels[kind]}
            if kind
            else _("The file holds nothing to import.")
        )
        report.add_error(RowError(sheet=filename, row=0, column="", message=message))
        return
    first_sheet: dict[str, str] = {}
    data_sheets = [table.sheet for table in tables if table.kind is not None]
    for table in tables:
        if table.kind is None:
            if data_sheets:
                # Which sheet to choose: the others were read as data.
                message = _(
                    "Cannot tell what this sheet holds, beside %(sheets)s; name it one of %(names)s, or delete it "
                    "from the file if it holds nothing to import."
                ) % {"sheets": join_list(data_sheets), "names": format.sheet_choices()}
            else:
                message = _(
                    "Cannot tell what this sheet holds; name it one of %(names)s, or choose what the file holds."
                ) % {"names": format.sheet_choices()}
            report.add_error(RowError(sheet=table.sheet, row=table.header_row, column="", message=message))
            continue
        if table.kind in first_sheet:
            report.add_error(
                RowError(
                    sheet=table.sheet,
                    row=table.header_row,
                    column="",
                    message=_("The sheet %(other)s already holds %(kind)s; put them on one sheet.")
                    % {"other": first_sheet[table.kind], "kind": format.labels[table.kind]},
                )
            )
            continue
        first_sheet[table.kind] = table.sheet
        for problem in table.problems:
            report.add_error(
                RowError(sheet=table.sheet, row=table.header_row, column=problem.column, message=problem.message)
            )


def import_all_or_nothing(
    reader: SpreadsheetReader,
    report: ImportReport,
    read: Callable[[list[Table]], Callable[[], None]],
    record: ImportRecord | None = None,
) -> None:
    """One import, all or nothing: the file's structure is checked, then ``read(tables)``
    checks (and, unless it is a dry run, writes) the rows, all inside ONE transaction.
    The transaction is rolled back on a dry run or when any row is bad; otherwise the
    callable that ``read`` returned runs last, inside it (to announce the change). A file
    that cannot be read at all is reported as a whole. A bad report keeps no counts."""
    try:
        with reader, transaction.atomic():
            tables = reader.tables()
            check_tables(tables, report, filename=report.filename, kind=reader.kind, format=reader.format)
            if record is not None:
                _fingerprint(reader, tables, record)
            finish = read(tables) if report.ok else None
            if record is not None and record.sha256:
                record.compare(report)
            if report.dry_run or not report.ok:
                transaction.set_rollback(True)
            else:
                if record is not None:
                    record.keep(report)
                if finish is not None:
                    finish()
    except FileError as exc:
        report.add_error(RowError(sheet=report.filename, row=0, column="", message=str(exc)))
    if not report.ok:
        report.counts = []


# --- Files and rows imported before ---------------------------------------------------


class ImportRecord:
    """What an import remembers of the files it wrote, to tell when the same file (by
    its SHA-256) or some of its rows (by a digest of each row's cells, whatever the
    file's format) come again. ``import_all_or_nothing`` fills ``sha256`` and
    ``row_digests`` while the rows stream by; a subclass (``campaign.import_records``)
    compares them with the campaign's earlier imports and keeps them.

    ``compare`` adds to ``report.repeats`` what was imported before, and (through
    ``refuse_unless_confirmed``) refuses an import that is not a dry run unless ``again``
    (the user confirmed).
    ``keep`` stores the file's record, in the import's transaction."""

    def __init__(self, *, again: bool = False) -> None:
        self.again = again
        self.sha256 = ""
        self.row_digests = array("q")

    def compare(self, report: ImportReport) -> None:  # pragma: no cover (the subclass's)
        raise NotImplementedError

    def keep(self, report: ImportReport) -> None:  # pragma: no cover (the subclass's)
        raise NotImplementedError

    def refuse_unless_confirmed(self, report: ImportReport) -> None:
        """Ask before writing again what was imported before. An import that would
        create nothing (every row matched a record left as it is, or updated) has
        nothing to double, and needs no confirmation."""
        creates = any(getattr(count, "created", 0) for count in report.counts)
        report.again_needed = report.ok and bool(report.repeats) and creates
        if report.again_needed and not report.dry_run and not self.again:
            for message in report.repeats:
                report.add_error(RowError(sheet=report.filename, row=0, column="", message=message))
            report.add_error(
                RowError(
                    sheet=report.filename,
                    row=0,
                    column="",
                    message=_("Nothing was imported; confirm that the file is to be imported again."),
                )
            )


# Columns that number the rows of one file (序号) say nothing about a row's content.
_UNCOUNTED = frozenset({"no"})


def row_digest(kind: str | None, row: Mapping[str, str]) -> int:
    """A row's cells, by column key, as a signed 64-bit number."""
    text = "\x1e".join(f"{key}\x1f{value}" for key, value in sorted(row.items()) if value and key not in _UNCOUNTED)
    digest = hashlib.blake2b(f"{kind}\x1d{text}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _fingerprint(reader: SpreadsheetReader, tables: list[Table], record: ImportRecord) -> None:
    """Hash the file, and wrap each table's rows so that their digests are taken as they are read."""
    position = reader.source.tell()
    reader.source.seek(0)
    sha = hashlib.sha256()
    while block := reader.source.read(1 << 20):
        sha.update(block)
    reader.source.seek(position)
    record.sha256 = sha.hexdigest()
    for table in tables:
        table.rows = _digesting(table.rows, table.kind, record.row_digests)


def _digesting(
    rows: Iterator[tuple[int, dict[str, str]]], kind: str | None, digests: array
) -> Iterator[tuple[int, dict[str, str]]]:
    for number, row in rows:
        digests.append(row_digest(kind, row))
        yield number, row
