"""The stage summary report as a Word document in the layout of official documents
(GB/T 9704-2012, 党政机关公文格式), through python-docx:

- A4 portrait; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm;
- the title in 2号 (22 pt) 小标宋, centred;
- body text in 3号 (16 pt) 仿宋, first line indented two characters, fixed 28 pt line
  spacing (22 lines a page);
- first-level headings ("一、") in 3号 黑体; the office's own paragraphs as body text;
- the page number at the foot in 4号 (14 pt) 宋体, "— 1 —".

The fonts are named as offices have them (方正小标宋简体, 仿宋_GB2312, 黑体); where they are
missing (LibreOffice on a server) another Chinese font takes their place. Text passes
through ``core.text.strip_unsafe`` as every export's does.
"""

from __future__ import annotations

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from core.text import strip_unsafe
from reports.summary_report.report import Report

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
PAGE_NUMBER_FONT = "宋体"
BODY_SIZE = Pt(16)  # 3号
TITLE_SIZE = Pt(22)  # 2号
PAGE_NUMBER_SIZE = Pt(14)  # 4号
LINE = Pt(28)


def _font(run: object, name: str, size: Pt, *, bold: bool = False) -> None:
    font = run.font  # type: ignore[attr-defined]
    font.name = name
    font.size = size
    font.bold = bold or None
    font.color.rgb = RGBColor(0, 0, 0)
    properties = run._element.get_or_add_rPr()  # type: ignore[attr-defined]
    properties.get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _paragraph(doc: object, text: str, *, font: str = BODY_FONT, size: Pt = BODY_SIZE, indent: bool = True) -> object:
    paragraph = doc.add_paragraph()  # type: ignore[attr-defined]
    layout = paragraph.paragraph_format
    layout.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    layout.line_spacing = LINE
    layout.space_before = layout.space_after = Pt(0)
    if indent:
        layout.first_line_indent = Pt(size.pt * 2)
    _font(paragraph.add_run(strip_unsafe(text)), font, size)
    return paragraph


def _page_number(section: object) -> None:
    footer = section.footer  # type: ignore[attr-defined]
    paragraph = footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(paragraph.add_run("— "), PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)
    run = paragraph.add_run()
    _font(run, PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)
    for kind, text in (("begin", None), (None, "PAGE"), ("separate", None), (None, None), ("end", None)):
        if kind is not None:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
            run._element.append(element)
        elif text is not None:
            instruction = OxmlElement("w:instrText")
            instruction.set(qn("xml:space"), "preserve")
            instruction.text = text
            run._element.append(instruction)
        else:
            shown = OxmlElement("w:t")
            shown.text = "1"
            run._element.append(shown)
    _font(paragraph.add_run(" —"), PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)


def report_docx(report: Report) -> bytes:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(20)
    normal = doc.styles["Normal"]
    normal.font.size = BODY_SIZE
    normal.font.name = BODY_FONT
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    _page_number(section)

    title = _paragraph(doc, report.title, font=TITLE_FONT, size=TITLE_SIZE, indent=False)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER  # type: ignore[attr-defined]
    title.paragraph_format.line_spacing = Pt(36)  # type: ignore[attr-defined]
    title.paragraph_format.space_after = LINE  # type: ignore[attr-defined]
    for text in report.opening.split("\n"):
        if text.strip():
            _paragraph(doc, text)
    for shown in report.sections:
        _paragraph(doc, shown.heading, font=HEADING_FONT)
        for text in shown.before.split("\n"):
            if text.strip():
                _paragraph(doc, text)
        # The figures' sentences: one paragraph, as the seed writes them.
        if shown.sentences:
            _paragraph(doc, shown.text)
        for text in shown.after.split("\n"):
            if text.strip():
                _paragraph(doc, text)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
