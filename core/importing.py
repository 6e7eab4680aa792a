"""Spreadsheet import machinery shared by every app's file formats.

A file format (``Format``) is a set of kinds, each a sheet of a workbook (or a whole
CSV file) with fixed columns. Each column has a key and a header in English and in
Chinese, plus aliases; a file may use any of them. ``SpreadsheetReader`` streams the
rows of an .xlsx (openpyxl read-only) or .csv file as ``(row number as seen in Excel,
{column key: text})``, after checking the file is what it claims to be and, for a
workbook, that it does not unpack into more than it should (a zip bomb).
``RowError`` and ``ImportReport`` carry what is wrong with a file, row by row.

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
import re
import zipfile
from array import array
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, ClassVar
from xml.etree.ElementTree import ParseError
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

from core.excel import cell_text, chinese, csv_untext
from core.text import clean_text
from core.uploads import DAMAGED_ZIP

# Cells that list several codes or names may separate them with any of these.
LIST_SEPARATORS = re.compile(r"[,，、;；\n]")
# A day as offices write it: 2025-03-05, 2025/3/5, 2025.3.5, 2025年3月5日 (a date cell's
# midnight time of day dropped).
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[T ]00:00(?::00(?:\.0+)?)?)?$")


# --- Columns and formats ----------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    en: str
    zh: str
    aliases: tuple[str, ...] = ()
    required: bool = False

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
    """Headers and sheet names compare without case, spacing, underscores or a '*'."""
    name = cell_text(text).replace("_", " ").replace("*", "").casefold()
    return " ".join(name.split())


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
    unknown."""

    sheet: str
    kind: str | None
    headers: list[str]  # as in the file
    format: Format
    keys: list[str | None] = field(default_factory=list)  # column key per position, None if unknown
    problems: list[HeaderProblem] = field(default_factory=list)
    rows: Iterator[tuple[int, dict[str, str]]] = field(default_factory=lambda: iter(()))
    declared_rows: int | None = None

    def header_of(self, key: str) -> str:
        for header, column_key in zip(self.headers, self.keys, strict=False):
            if column_key == key:
                return header
        return ""

    def map_headers(self) -> None:
        """Decide the column key of each header and what is wrong with the header row."""
        self.keys, self.problems = [], []
        if self.kind is None:
            return
        lookup = self.format.column_lookup(self.kind)
        seen: set[str] = set()
        for header in self.headers:
            if not header:
                self.keys.append(None)
                continue
            column = lookup.get(normalise_name(header))
            if column is None:
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


def _unheaded(table: Table) -> tuple[list[int], int]:
    """The positions of the columns without a header, and the header row's width: a
    cell there holds data no column reads."""
    return [i for i, header in enumerate(table.headers) if not header], len(table.headers)


def _check_headed(texts: list[str], number: int, unheaded: list[int], width: int) -> None:
    """Data under no header (a column whose header is a merged group header above it,
    or past the last header) would be dropped without a word: the file is refused,
    naming the column and the row."""
    for i in unheaded:
        if i < len(texts) and texts[i]:
            raise FileError(unheaded_column(i, number))
    if len(texts) > width:
        for i in range(width, len(texts)):
            if texts[i]:
                raise FileError(unheaded_column(i, number))


def unheaded_column(index: int, number: int) -> str:
    return _(
        "Column %(column)s has no header, yet row %(row)d holds data in it: give the column a header, or delete it."
    ) % {"column": get_column_letter(index + 1), "row": number}


def _rows(values: Iterator[Iterable[Any]], table: Table) -> Iterator[tuple[int, dict[str, str]]]:
    unheaded, width = _unheaded(table)
    with _reading_workbook():
        for number, raw in enumerate(values, start=2):
            texts = [read_cell(v) for v in raw]
            if not any(texts):
                continue
            _check_headed(texts, number, unheaded, width)
            yield number, {key: texts[i] if i < len(texts) else "" for i, key in enumerate(table.keys) if key}


def _csv_rows(reader: Iterator[list[str]], table: Table, *, apostrophes: bool) -> Iterator[tuple[int, dict[str, str]]]:
    """As ``_rows`` for a CSV file, whose cells are all text already (a million rows
    pass through here: no per-cell type checks). ``apostrophes``: undo ``csv_text``."""
    columns = [(i, key) for i, key in enumerate(table.keys) if key]
    width = len(table.keys)
    unheaded, headed_width = _unheaded(table)
    try:
        for number, raw in enumerate(reader, start=2):
            texts = [clean_text(value.strip(), multiline=True) for value in raw]
            if not any(texts):
                continue
            if unheaded or len(texts) > headed_width:
                _check_headed(texts, number, unheaded, headed_width)
            if len(texts) < width:
                texts += [""] * (width - len(texts))
            if apostrophes:
                texts = [csv_untext(text) if text[:1] == "'" else text for text in texts]
            yield number, {key: texts[i] for i, key in columns}
    except (csv.Error, UnicodeDecodeError):
        raise FileError(not_a_spreadsheet()) from None


class SpreadsheetReader:
    """Opens an .xlsx (read-only, streaming) or a .csv (streaming, UTF-8 or GB18030,
    as Chinese Excel saves it) and hands out its tables. Use as a context manager.

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

    def __init__(self, source: IO[bytes], filename: str, kind: str | None = None, max_unpacked: int | None = None):
        self.source = source
        self.filename = filename
        self.kind = kind
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
        if self.extension == "xlsx":
            return self._xlsx_tables()
        if self.extension == "csv":
            return [self._csv_table()]
        if self.extension == "xls":
            raise FileError(_("Old .xls workbooks cannot be read; save the file as .xlsx and upload it again."))
        raise FileError(_("Choose an .xlsx or .csv file."))

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
        tables = []
        for sheet in sheets:
            declared = sheet.max_row
            # Some programs write a wrong size into the file; read what is really there.
            sheet.reset_dimensions()
            values = sheet.iter_rows(values_only=True)
            with _reading_workbook():
                headers = [read_cell(v) for v in next(values, ())]
            while headers and not headers[-1]:
                headers.pop()
            named = self.format.kind_for_sheet(sheet.title)
            if self.kind and named not in (None, self.kind):
                continue  # another kind's sheet, not asked for
            kind = named or (self.kind if self.kind and len(sheets) == 1 else None) or self.format.detect_kind(headers)
            if not headers and kind is None:
                continue  # an empty sheet
            if self.kind and kind != self.kind:
                continue
            table = Table(sheet=sheet.title, kind=kind, headers=headers, format=self.format)
            table.map_headers()
            table.rows = _rows(values, table)
            table.declared_rows = max(0, declared - 1) if isinstance(declared, int) and declared > 1 else None
            tables.append(table)
        return tables

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
        try:
            headers = [read_cell(v) for v in next(reader, [])]
        except (csv.Error, UnicodeDecodeError):
            raise FileError(not_a_spreadsheet()) from None
        while headers and not headers[-1]:
            headers.pop()
        kind = self.kind or self.format.detect_kind(headers)
        table = Table(sheet=self.filename, kind=kind, headers=headers, format=self.format)
        table.map_headers()
        table.rows = _csv_rows(reader, table, apostrophes=self.csv_apostrophes)
        table.declared_rows = max(0, lines - 1)
        return table


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
    for table in tables:
        if table.kind is None:
            report.add_error(
                RowError(
                    sheet=table.sheet,
                    row=1,
                    column="",
                    message=_(
                        "Cannot tell what this sheet holds; name it one of %(names)s, or choose what the file holds."
                    )
                    % {"names": format.sheet_choices()},
                ),
            )
            continue
        if table.kind in first_sheet:
            report.add_error(
                RowError(
                    sheet=table.sheet,
                    row=1,
                    column="",
                    message=_("The sheet %(other)s already holds %(kind)s; put them on one sheet.")
                    % {"other": first_sheet[table.kind], "kind": format.labels[table.kind]},
                )
            )
            continue
        first_sheet[table.kind] = table.sheet
        for problem in table.problems:
            report.add_error(RowError(sheet=table.sheet, row=1, column=problem.column, message=problem.message))


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
