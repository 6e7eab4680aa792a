"""Word documents (.docx) the apps write in the office's layout: a title, headings,
paragraphs and boxed tables on A4 portrait, through python-docx.

Every text written first loses the characters XML cannot hold and the invisible ones
``core.text`` strips from input (``core.text.strip_unsafe``), so that a text stored
before input was cleaned still downloads as a document Word and WPS open. A Word
document runs no formulas; nothing else needs guarding.

Reading an uploaded .docx is another matter (untrusted XML): see ``reviews.docx``.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from docx import Document as new_document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from core.excel import cell_text
from core.text import strip_unsafe

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# A4 portrait, with the margins of an office's printed record.
PAGE_WIDTH, PAGE_HEIGHT = Cm(21.0), Cm(29.7)
MARGIN = Cm(2.2)
EAST_ASIAN_FONT = "SimSun"


def _text(value: Any) -> str:
    return strip_unsafe(value if isinstance(value, str) else cell_text(value))


class Document:
    """A document being written: ``title``, ``heading``, ``paragraph``, ``facts`` (a
    two-column table of label and value), ``table``; ``content()`` gives the bytes."""

    def __init__(self, title: str, subtitle: str = "") -> None:
        self.doc = new_document()
        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(section, side, MARGIN)
        normal = self.doc.styles["Normal"]
        normal.font.size = Pt(11)
        normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), EAST_ASIAN_FONT)
        for name in ("Title", "Heading 1", "Heading 2"):
            style = self.doc.styles[name]
            style.font.color.rgb = RGBColor(0, 0, 0)  # a record is printed in black
            style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), EAST_ASIAN_FONT)
        self.doc.styles["Title"].font.size = Pt(20)
        heading = self.doc.add_heading(_text(title), level=0)
        heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if subtitle:
            paragraph = self.doc.add_paragraph(_text(subtitle))
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER

    @property
    def usable_width(self) -> int:
        return int(PAGE_WIDTH - 2 * MARGIN)

    def heading(self, text: str, level: int = 1) -> None:
        self.doc.add_heading(_text(text), level=level)

    def paragraph(self, text: str) -> None:
        """A paragraph per line of ``text`` (its own line breaks kept)."""
        for line in _text(text).split("\n"):
            self.doc.add_paragraph(line)

    def facts(self, rows: Iterable[tuple[str, Any]]) -> None:
        """A table of label and value, the labels in bold."""
        items = list(rows)
        table = self._table(len(items), 2, [0.25, 0.75])
        for row, (label, value) in zip(table.rows, items, strict=True):
            self._fill(row.cells[0], label, bold=True)
            self._fill(row.cells[1], value)

    def table(self, headers: Sequence[str], rows: Iterable[Sequence[Any]], widths: Sequence[float]) -> None:
        """A boxed table: the header row in bold (repeated on every page), then the
        rows. ``widths``: each column's share of the page's width."""
        body = [list(row) for row in rows]
        table = self._table(len(body) + 1, len(headers), widths)
        header = table.rows[0]
        header_properties = header._tr.get_or_add_trPr()
        repeat = header_properties.makeelement(qn("w:tblHeader"), {})
        header_properties.append(repeat)
        for cell, text in zip(header.cells, headers, strict=True):
            self._fill(cell, text, bold=True, centred=True)
        for row, values in zip(table.rows[1:], body, strict=True):
            for cell, value in zip(row.cells, values, strict=True):
                self._fill(cell, value)

    def _table(self, rows: int, columns: int, widths: Sequence[float]) -> Any:
        table = self.doc.add_table(rows=rows, cols=columns)
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        total = sum(widths)
        for index, share in enumerate(widths):
            width = int(self.usable_width * share / total)
            # The grid's width (what LibreOffice and WPS lay out by) and each cell's (Word's).
            table.columns[index].width = width
            for cell in table.columns[index].cells:
                cell.width = width
        self.doc.add_paragraph()
        return table

    @staticmethod
    def _fill(cell: Any, value: Any, *, bold: bool = False, centred: bool = False) -> None:
        lines = _text(value).split("\n")
        paragraph = cell.paragraphs[0]
        for index, line in enumerate(lines):
            if index:
                paragraph = cell.add_paragraph()
            run = paragraph.add_run(line)
            run.bold = bold or None
            if centred or isinstance(value, int):
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER

    def content(self) -> bytes:
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return buffer.getvalue()
