"""Meeting records in and out as files.

- The import page: upload → dry run (every bad row, or what would be written) →
  confirm (``campaign.import_pages.ImportFlow``), for those who record meetings
  (``meetings.manage``); each row only for a meeting the importer may manage.
- A meeting's record (会议记录) in the office's layout, as a workbook and as a Word
  document, for whoever sees the meeting; and its records in the import format, for
  whoever manages it (to correct and import again).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from campaign.forms import OrgImportForm
from campaign.import_pages import ImportFlow
from campaign.models import Campaign
from campaign.selectors import current_campaign_for
from campaign.views import require
from core import excel
from core.docx import DOCX
from core.importing import ImportReport, describe_columns
from core.once import creates
from core.uploads import upload_limit
from meetings import exports, imports, selectors, services


class ImportForm(OrgImportForm):
    kind = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = gettext_lazy(
            "An .xlsx workbook with sheets of attendance, self-criticisms and criticisms, or a .csv file of one."
        )


def _import(**kwargs: Any) -> ImportReport:
    return imports.meeting_records_import(max_rows=settings.IMPORT_MAX_ROWS, **kwargs)


def format_description() -> list[dict[str, Any]]:
    """Each sheet's columns, as the import page explains them."""
    return [
        {
            "label": imports.FORMAT.labels[kind],
            "sheet": imports.FORMAT.sheet_names[kind][0],
            "columns": describe_columns(
                imports.COLUMNS[kind],
                {"aspect": imports.ASPECT_WIDGET, "aspects": imports.ASPECT_WIDGET},
                imports.IGNORED,
            ),
        }
        for kind in imports.KINDS
    ]


def _context(request: HttpRequest, campaign: Campaign) -> dict[str, Any]:
    return {"sheets": format_description()}


IMPORT = ImportFlow(
    session_key="meetings_import",
    url_name="meetings:records_import",
    template="meetings/files/import_page.html",
    form_class=ImportForm,
    run=_import,
    context=_context,
)


@upload_limit("DATA_UPLOAD_MAX_MEMORY_SIZE")
@login_required
@creates
def records_import(request: HttpRequest) -> HttpResponse:
    require(request, "meetings.manage")
    campaign = current_campaign_for(request.user)
    if campaign is None:
        messages.error(request, _("There is no campaign to import into."))
        return redirect("campaign:home")
    return IMPORT.page(request, campaign)


def _page(request: HttpRequest, pk: int) -> selectors.MeetingPage:
    require(request, "meetings.view")
    return selectors.meeting_page(request.user, selectors.meeting_for_user(request.user, pk))


def _attachment(content: bytes, content_type: str, name: str, extension: str) -> HttpResponse:
    reply = HttpResponse(content, content_type=content_type)
    filename = quote(excel.printable(name), safe="")
    reply["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}.{extension}"
    return reply


@login_required
@require_GET
def record_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    page = _page(request, pk)
    return excel.response(exports.record_workbook(page), exports.title(page))


@login_required
@require_GET
def record_docx(request: HttpRequest, pk: int) -> HttpResponse:
    page = _page(request, pk)
    return _attachment(exports.record_docx(page), DOCX, exports.title(page), "docx")


@login_required
@require_GET
def record_data(request: HttpRequest, pk: int) -> HttpResponse:
    """The meeting's records in the import format."""
    require(request, "meetings.manage")
    meeting = selectors.meeting_for_user(request.user, pk)
    if not services.may_manage(request.user, meeting):
        raise PermissionDenied
    code, day = imports.reference(meeting)
    return _attachment(imports.record_workbook([meeting]), excel.XLSX, f"{code}-{day.isoformat()}", "xlsx")
