"""Excel exports of feedback: the office's list of lists (what the progress page
shows), and one target's list laid out like the paper the member signs — the title
"XXX同志征求意见建议清单", No. · content · aspect, and at the foot the signature and
the date, left blank for the pen."""

from __future__ import annotations

import io
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

from campaign.models import TargetCategory
from core.excel import CHUNK, content_response, guard, printable, workbook
from core.excel import ListColumn as Column
from opinions.feedback_selectors import Sheet, TargetRow, list_category, target_rows
from opinions.models import Aspect, FeedbackList


def list_columns() -> list[Column]:
    def signed_at(fl: FeedbackList) -> str:
        return timezone.localtime(fl.signed_at).strftime("%Y-%m-%d %H:%M") if fl.signed_at else ""

    return [
        Column(_("No."), lambda fl: None, 6),
        Column(_("Target"), lambda fl: fl.target_name, 20),
        Column(_("Category"), lambda fl: str(TargetCategory(list_category(fl)).label), 20),
        Column(_("Unit"), lambda fl: fl.ledger_unit.name, 22),
        Column(_("Items"), lambda fl: fl.item_count, 8),
        Column(_("Opinions"), lambda fl: fl.opinion_count, 8),
        Column(_("Wording consolidated"), lambda fl: _("yes") if fl.wording_confirmed else "", 10),
        Column(_("Status"), lambda fl: fl.get_status_display(), 10),
        Column(_("Released on"), lambda fl: fl.released_on, 12),
        Column(_("Signed by"), lambda fl: fl.signed_by.name if fl.signed_by_id else "", 12),
        Column(_("Signed at"), signed_at, 16),
    ]


def lists_response(lists: QuerySet[FeedbackList], *, title: str) -> HttpResponse:
    content = workbook(title, list_columns(), lists.iterator(chunk_size=CHUNK), sheet_name=_("Feedback lists"))
    return content_response(content, _("feedback lists"))


def _target_rows(rows: QuerySet) -> Iterator[TargetRow]:
    """The rows of ``targets_awaiting`` with their targets, loaded a chunk at a time."""
    chunk: list[dict] = []
    for row in rows.iterator(chunk_size=CHUNK):
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield from target_rows(chunk)
            chunk = []
    if chunk:
        yield from target_rows(chunk)


def target_columns() -> list[Column]:
    return [
        Column(_("No."), lambda row: None, 6),
        Column(_("Target"), lambda row: row.target.name, 20),
        Column(_("Category"), lambda row: row.category_label, 20),
        Column(_("Unit"), lambda row: row.target.unit.name, 22),
        Column(_("Opinions waiting"), lambda row: row.waiting, 10),
        Column(_("List"), lambda row: row.feedback_list.get_status_display() if row.feedback_list else "", 12),
    ]


def targets_response(rows: QuerySet, *, title: str) -> HttpResponse:
    content = workbook(title, target_columns(), _target_rows(rows), sheet_name=_("Awaiting feedback"))
    return content_response(content, _("awaiting feedback"))


def sheet_workbook(sheet: Sheet) -> bytes:
    book = Workbook()
    ws = book.active
    ws.title = _("List")[:31]
    ws.page_setup.orientation = "portrait"
    ws.page_setup.paperSize = 9  # A4
    ws.page_setup.fitToWidth = 1
    ws.column_dimensions["A"].width = 8
    ws.column_dimensions["B"].width = 70
    ws.column_dimensions["C"].width = 18
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")

    ws.append([printable(sheet.title)])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=3)
    guard(ws["A1"])
    ws["A1"].font = Font(bold=True, size=16)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append([_("No."), _("Content"), _("Aspect")])
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.border = box
        cell.alignment = Alignment(horizontal="center")
    for number, item in enumerate(sheet.items, start=1):
        ws.append([number, None, str(Aspect(item.aspect).label) if item.aspect else ""])
        for cell in ws[ws.max_row]:
            cell.border = box
            cell.alignment = wrap
        content = ws.cell(row=ws.max_row, column=2)
        # Stored as text, never read as a formula, whatever the wording starts with.
        content.value = printable(item.text)
        content.data_type = "s"
        guard(content)
    ws.append([])
    ws.append(["", _("Signature:"), _("Date:")])
    foot = ws.max_row
    ws.row_dimensions[foot].height = 30
    for cell in ws[foot]:
        cell.alignment = Alignment(vertical="bottom")
    ws.print_title_rows = "2:2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def sheet_response(sheet: Sheet) -> HttpResponse:
    return content_response(sheet_workbook(sheet), sheet.title)
