"""Excel exports of what the opinion and event lists show, laid out like the office's
paper: a title row, the headers, one row per record, the total at the foot.

Workbooks are written row by row (openpyxl's write-only mode) from a streamed query,
so a province's opinions never sit in memory as cells. Every text cell that a
spreadsheet would read as a formula is stored as plain text.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from campaign.models import TargetCategory
from opinions.models import Aspect, Channel, Opinion, OpinionKind, OpinionStatus, SolicitationEvent, SourceGroup

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A text cell starting with one of these would be run as a formula by a spreadsheet.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "|", "%")
CHUNK = 2000


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], Any]
    width: int = 14


def _label(choices: type, value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def _text_cell(sheet: Any, value: Any) -> WriteOnlyCell | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return WriteOnlyCell(sheet, value=value)
    text = value.isoformat() if isinstance(value, datetime.date) else str(value)
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    if text.startswith(FORMULA_PREFIXES):
        cell.quotePrefix = True
    return cell


def workbook(title: str, columns: Sequence[Column], rows: Iterable[Any], *, sheet_name: str) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_name[:31])
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A3"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = 9  # A4
    title_cell = WriteOnlyCell(sheet, value=title)
    title_cell.font = Font(bold=True, size=14)
    sheet.append([title_cell])
    bold = Font(bold=True)
    headers = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        headers.append(cell)
    sheet.append(headers)
    count = 0
    for number, row in enumerate(rows, start=1):
        sheet.append([number, *(_text_cell(sheet, column.value(row)) for column in columns[1:])])
        count = number
    total = WriteOnlyCell(sheet, value=_("Total: %(count)d") % {"count": count})
    total.font = bold
    sheet.append([total])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def response(content: bytes, filename: str) -> HttpResponse:
    reply = HttpResponse(content, content_type=XLSX)
    reply["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename, safe='')}.xlsx"
    return reply


def _target(opinion: Opinion) -> str:
    target = opinion.target
    return target.name if target is not None else opinion.target_text


def opinion_columns(*, with_submitter: bool) -> list[Column]:
    columns = [
        Column(_("No."), lambda o: None, 6),
        Column(_("Content"), lambda o: o.text, 60),
        Column(_("Kind"), lambda o: _label(OpinionKind, o.kind), 8),
        Column(_("Target"), _target, 20),
        Column(_("Category"), lambda o: _label(TargetCategory, o.category), 18),
        Column(_("Unit"), lambda o: o.ledger_unit.name if o.ledger_unit_id else "", 20),
        Column(_("Channel"), lambda o: _label(Channel, o.channel), 14),
        Column(_("Event"), lambda o: o.event.title if o.event_id else "", 20),
        Column(_("Source group"), lambda o: _label(SourceGroup, o.source_group) if o.source_group else "", 14),
        Column(_("Date"), lambda o: o.received_on, 12),
        Column(_("Aspect"), lambda o: _label(Aspect, o.aspect) if o.aspect else "", 14),
        Column(_("Status"), lambda o: _label(OpinionStatus, o.status), 10),
        Column(_("Recorded by"), lambda o: o.recording_unit.name if o.recording_unit_id else "", 18),
        Column(_("Merged into"), lambda o: f"#{o.merged_into_id}" if o.merged_into_id else "", 10),
        Column(_("Merged here"), lambda o: getattr(o, "merged_count", 0) or None, 10),
        Column(_("Reference"), lambda o: f"#{o.pk}", 10),
    ]
    if with_submitter:
        columns += [
            Column(_("Submitter's name"), lambda o: o.submitter_name, 14),
            Column(_("Submitter's contact"), lambda o: o.submitter_contact, 18),
        ]
    return columns


def opinions_response(opinions: QuerySet[Opinion], *, with_submitter: bool, title: str) -> HttpResponse:
    content = workbook(
        title,
        opinion_columns(with_submitter=with_submitter),
        opinions.iterator(chunk_size=CHUNK),
        sheet_name=_("Opinions"),
    )
    return response(content, _("opinions"))


def event_columns() -> list[Column]:
    return [
        Column(_("No."), lambda e: None, 6),
        Column(_("Title"), lambda e: e.title, 30),
        Column(_("Kind"), lambda e: _label(Channel, e.channel), 14),
        Column(_("Host unit"), lambda e: e.unit.name, 20),
        Column(_("Level"), lambda e: e.get_level_display(), 10),
        Column(_("Date"), lambda e: e.held_on, 12),
        Column(_("Until"), lambda e: e.ends_on, 12),
        Column(_("Place"), lambda e: e.place, 16),
        Column(
            _("Attendee groups"),
            lambda e: "、".join(_label(SourceGroup, group) for group in e.attendee_groups or []),
            24,
        ),
        Column(_("Attendance"), lambda e: e.attendance, 10),
        Column(_("Forms issued"), lambda e: e.forms_issued, 10),
        Column(_("Forms returned"), lambda e: e.forms_returned, 10),
        Column(_("Suggestion boxes set"), lambda e: e.boxes_set, 10),
        Column(_("Opinions recorded"), lambda e: getattr(e, "opinion_count", None), 10),
    ]


def events_response(events: QuerySet[SolicitationEvent], *, title: str) -> HttpResponse:
    content = workbook(title, event_columns(), events.iterator(chunk_size=CHUNK), sheet_name=_("Events"))
    return response(content, _("solicitation events"))
