"""The tellers' paper tallies in and out as files: the import page (upload → dry run →
confirm, the importer entering as the first teller), and a branch's tally sheet in
the office's layout as a workbook and a Word document. For the tellers
(``appraisal.manage``), each branch within their reach, as the paper-entry page."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
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
from meetings.appraisal import exports, imports, selectors
from meetings.appraisal.models import PaperSheet


class ImportForm(OrgImportForm):
    kind = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = gettext_lazy(
            "An .xlsx workbook with a sheet of counts per member (and one per team), or a .csv file of one of them."
        )


def _import(**kwargs: Any) -> ImportReport:
    return imports.paper_tallies_import(max_rows=settings.IMPORT_MAX_ROWS, **kwargs)


def _context(request: HttpRequest, campaign: Campaign) -> dict[str, Any]:
    sheets = [
        {
            "label": imports.FORMAT.labels[kind],
            "sheet": imports.FORMAT.sheet_names[kind][0],
            "columns": describe_columns(imports.COLUMNS[kind], {}, imports.IGNORED),
        }
        for kind in imports.KINDS
    ]
    return {"sheets": sheets}


IMPORT = ImportFlow(
    session_key="appraisal_paper_import",
    url_name="appraisal:paper_import",
    template="meetings/appraisal/paper_import.html",
    form_class=ImportForm,
    run=_import,
    context=_context,
)


@upload_limit("DATA_UPLOAD_MAX_MEMORY_SIZE")
@login_required
@creates
def paper_import(request: HttpRequest) -> HttpResponse:
    require(request, "appraisal.manage")
    campaign = current_campaign_for(request.user)
    if campaign is None:
        messages.error(request, _("There is no campaign to import into."))
        return redirect("campaign:home")
    return IMPORT.page(request, campaign)


def _sheet(request: HttpRequest, pk: int) -> PaperSheet:
    require(request, "appraisal.manage")
    window = selectors.window_in_reach(request.user, pk)
    sheet = (
        PaperSheet.objects.filter(window=window)
        .select_related("window__branch", "window__campaign", "entered_by", "confirmed_by")
        .first()
    )
    if sheet is None:
        raise Http404
    return sheet


@login_required
@require_GET
def tally_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = _sheet(request, pk)
    return excel.response(exports.tally_workbook(sheet), exports.tally_title(sheet))


@login_required
@require_GET
def tally_docx(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = _sheet(request, pk)
    reply = HttpResponse(exports.tally_docx(sheet), content_type=DOCX)
    name = quote(excel.printable(exports.tally_title(sheet)), safe="")
    reply["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}.docx"
    return reply


@login_required
@require_GET
def tally_data(request: HttpRequest, pk: int) -> HttpResponse:
    """The tally in the import format."""
    sheet = _sheet(request, pk)
    reply = HttpResponse(imports.tally_data_workbook(sheet), content_type=excel.XLSX)
    name = quote(excel.printable(f"{sheet.window.branch.code}-tally"), safe="")
    reply["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}.xlsx"
    return reply
