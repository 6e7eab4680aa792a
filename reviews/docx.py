"""Reading and writing .docx with the standard library: a .docx is a zip of XML parts.

Reading takes the paragraphs of word/document.xml and files them under the section
whose heading precedes them. An upload is refused before anything is decompressed if
it is not a zip holding word/document.xml, if it is too large, or if its parts would
expand to far more than the upload (a zip bomb). Writing produces a minimal package
(document, styles, relationships) that Word and WPS open.

What is read is cleaned as typed text is (``core.text.clean_text``); what is written loses
the characters XML cannot hold (``core.text.strip_unsafe``), so that a text stored with a
control character still downloads as a document Word opens.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from xml.etree.ElementTree import ParseError
from xml.sax.saxutils import escape

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core.text import clean_text, strip_unsafe
from core.uploads import DAMAGED_ZIP
from reviews.models import SECTION_FIELDS, Section

MAX_DOCUMENT_XML_BYTES = 20 * 1024 * 1024
MAX_TOTAL_UNCOMPRESSED = 40 * 1024 * 1024
MAX_RATIO = 100  # text XML compresses 5–20×; a bomb, hundreds or thousands of times
MAX_ENTRIES = 2000

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}

# Words that mark a heading as the start of a section, Chinese and English.
HEADING_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (Section.IDEALS, ("理想信念", "ideals and beliefs", "ideals")),
    (Section.PURPOSE, ("宗旨意识", "宗旨", "sense of purpose", "purpose")),
    (Section.DISCIPLINE, ("组织纪律", "纪律", "organisational discipline", "discipline")),
    (Section.IDEOLOGY, ("思想作风", "ideological style", "ideological")),
    (Section.WORK_STYLE, ("工作作风", "work style")),
    (Section.CAUSES, ("原因", "根源", "causes", "cause")),
    (Section.DIRECTION, ("努力方向", "整改措施", "方向", "direction of effort", "direction")),
)
MAX_HEADING_LENGTH = 40


def heading_names() -> str:
    """The headings that start the sections, in the language of the page: the Chinese
    ones on a Chinese page, the English ones on an English page (both are read)."""
    if (get_language() or "").startswith("zh"):
        return "、".join(words[0] for _name, words in HEADING_WORDS)
    return ", ".join(next(w for w in words if w.isascii()) for _name, words in HEADING_WORDS)


HEADING_STYLE = re.compile(r"^(heading|title|标题|\d+$)", re.IGNORECASE)


def _section_of_heading(text: str) -> str | None:
    lowered = text.strip().lower()
    if not lowered or len(lowered) > MAX_HEADING_LENGTH:
        return None
    for name, words in HEADING_WORDS:
        if any(word in lowered for word in words):
            return name
    return None


def too_large() -> ValidationError:
    limit = settings.DOCX_UPLOAD_MAX_BYTES
    return ValidationError({"file": _("The file is larger than %(mb)d MB.") % {"mb": max(1, limit // (1024 * 1024))}})


def _check_package(data: bytes) -> zipfile.ZipFile:
    if len(data) > settings.DOCX_UPLOAD_MAX_BYTES:
        raise too_large()
    not_docx = ValidationError({"file": _("This is not a Word document (.docx); save it as .docx and try again.")})
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise not_docx
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except DAMAGED_ZIP:
        raise not_docx from None
    names = {info.filename for info in infos}
    if "word/document.xml" not in names or "[Content_Types].xml" not in names:
        raise not_docx
    bomb = ValidationError({"file": _("The file expands to far more than its size; it was refused as unsafe.")})
    if len(infos) > MAX_ENTRIES:
        raise bomb
    total = sum(info.file_size for info in infos)
    if total > MAX_TOTAL_UNCOMPRESSED:
        raise bomb
    for info in infos:
        if info.file_size > MAX_RATIO * max(info.compress_size, 1) and info.file_size > 1024 * 1024:
            raise bomb
        if info.filename == "word/document.xml" and info.file_size > MAX_DOCUMENT_XML_BYTES:
            raise bomb
    return archive


def _read_limited(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    # The sizes in the directory can lie: read at most the limit, and refuse more.
    with archive.open(name) as part:
        data = part.read(limit + 1)
    if len(data) > limit:
        raise ValidationError({"file": _("The file expands to far more than its size; it was refused as unsafe.")})
    return data


def read_docx(data: bytes) -> dict[str, str]:
    """The sections of an uploaded .docx, by heading; ValidationError if unusable."""
    archive = _check_package(data)
    try:
        xml = _read_limited(archive, "word/document.xml", MAX_DOCUMENT_XML_BYTES)
    except DAMAGED_ZIP:
        raise ValidationError({"file": _("The Word document is damaged and cannot be read.")}) from None
    try:
        # Word never writes a DTD, and entities are how XML bombs work: any DOCTYPE is
        # refused, in whatever encoding the part declares (a byte search misses UTF-16).
        root = fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise ValidationError(
            {"file": _("The Word document contains declarations Word never writes; refused.")}
        ) from None
    except (ParseError, ValueError):  # ValueError: an encoding the parser does not read
        raise ValidationError({"file": _("The Word document is damaged and cannot be read.")}) from None

    sections: dict[str, list[str]] = {name: [] for name in SECTION_FIELDS}
    current: str | None = None
    found_heading = False
    for paragraph in root.iter(f"{{{W}}}p"):
        text = "".join(node.text or "" for node in paragraph.iter() if node.tag in (f"{{{W}}}t", f"{{{W}}}tab"))
        text = text.strip()
        style = paragraph.find("w:pPr/w:pStyle", NS)
        style_name = style.get(f"{{{W}}}val", "") if style is not None else ""
        heading = _section_of_heading(text)
        if heading is not None and (HEADING_STYLE.match(style_name) or not text.endswith(("。", ".", "；", ";"))):
            current = heading
            found_heading = True
            continue
        if text and current is not None:
            sections[current].append(text)
    if not found_heading:
        raise ValidationError(
            {
                "file": _("No section headings were found. Give each section a heading: %(headings)s.")
                % {"headings": heading_names()}
            }
        )
    return {name: clean_text("\n".join(lines), multiline=True) for name, lines in sections.items()}


# --- Writing ---------------------------------------------------------------------

PACKAGE = "http://schemas.openxmlformats.org/package/2006"
OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAIN_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
STYLES_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
CONTENT_TYPES = (
    f'{XML_HEAD}<Types xmlns="{PACKAGE}/content-types">'
    f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/word/document.xml" ContentType="{MAIN_TYPE}"/>'
    f'<Override PartName="/word/styles.xml" ContentType="{STYLES_TYPE}"/>'
    "</Types>"
)
RELS = (
    f'{XML_HEAD}<Relationships xmlns="{PACKAGE}/relationships">'
    f'<Relationship Id="rId1" Type="{OFFICE}/officeDocument" Target="word/document.xml"/>'
    "</Relationships>"
)
DOCUMENT_RELS = (
    f'{XML_HEAD}<Relationships xmlns="{PACKAGE}/relationships">'
    f'<Relationship Id="rId1" Type="{OFFICE}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="{W}">
<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/>
<w:pPr><w:spacing w:after="120" w:line="360" w:lineRule="auto"/><w:ind w:firstLine="480"/></w:pPr>
<w:rPr><w:rFonts w:eastAsia="SimSun"/><w:sz w:val="24"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/>
<w:pPr><w:jc w:val="center"/><w:ind w:firstLine="0"/></w:pPr><w:rPr><w:b/><w:sz w:val="36"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/>
<w:pPr><w:keepNext/><w:spacing w:before="240"/><w:ind w:firstLine="0"/><w:outlineLvl w:val="0"/></w:pPr>
<w:rPr><w:b/><w:sz w:val="28"/></w:rPr></w:style>
</w:styles>"""


def _paragraph(text: str, style: str | None = None) -> str:
    props = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f'<w:p>{props}<w:r><w:t xml:space="preserve">{escape(strip_unsafe(text))}</w:t></w:r></w:p>'


def write_docx(*, title: str, sections: Mapping[str, str]) -> bytes:
    body = [_paragraph(title, "Title")]
    for name in SECTION_FIELDS:
        body.append(_paragraph(str(Section(name).label), "Heading1"))
        body.extend(_paragraph(line) for line in (sections.get(name) or "").split("\n") if line.strip())
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<w:document xmlns:w="{W}"><w:body>{"".join(body)}'
        '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/>'
        '<w:pgMar w:top="1440" w:right="1440" w:bottom="1440" w:left="1440"'
        ' w:header="720" w:footer="720" w:gutter="0"/>'
        "</w:sectPr></w:body></w:document>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELS)
        archive.writestr("word/_rels/document.xml.rels", DOCUMENT_RELS)
        archive.writestr("word/styles.xml", STYLES)
        archive.writestr("word/document.xml", document)
    return buffer.getvalue()
