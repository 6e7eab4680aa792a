"""The look-back's imports (training attendance, check results) and the look-back
table of a party committee as a workbook.

The import pages: upload → dry run (every bad row, or what would be written) →
confirm (``campaign.import_pages.ImportFlow``); each row goes through the services as
the importer, within his or her reach.
"""

from __future__ import annotations

from typing import Any

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
from campaign.models import Campaign, OrgUnit, OrgUnitKind
from campaign.selectors import campaigns_for, current_campaign_for
from campaign.views import require
from core.importing import describe_columns
from core.once import creates
from core.uploads import upload_limit
from lookback import exports, imports, selectors


class ImportForm(OrgImportForm):
    kind = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = gettext_lazy("An .xlsx workbook (its first sheet) or a .csv file.")


def _context(format: imports.Format, kind: str, title: Any, explain: Any) -> Any:
    def context(request: HttpRequest, campaign: Campaign) -> dict[str, Any]:
        return {
            "title": title,
            "explain": explain,
            "sheet": format.sheet_names[kind][0],
            "columns": describe_columns(format.columns[kind], {}, imports.IGNORED),
        }

    return context


ATTENDANCE = ImportFlow(
    session_key="lookback_attendance_import",
    url_name="lookback:attendance_import",
    template="lookback/import_page.html",
    form_class=ImportForm,
    run=lambda **kw: imports.attendance_import(max_rows=settings.IMPORT_MAX_ROWS, **kw),
    context=_context(
        imports.ATTENDANCE_FORMAT,
        imports.ATTENDANCE,
        gettext_lazy("Import training attendance"),
        gettext_lazy(
            "One row per secretary and session. A session is named by its organising committee's code and its "
            "date, and must be recorded on the training page first and have happened. The branch's current "
            "secretary is the one recorded; a make-up needs its day."
        ),
    ),
)
CHECKS = ImportFlow(
    session_key="lookback_checks_import",
    url_name="lookback:checks_import",
    template="lookback/import_page.html",
    form_class=ImportForm,
    run=lambda **kw: imports.checks_import(max_rows=settings.IMPORT_MAX_ROWS, **kw),
    context=_context(
        imports.CHECKS_FORMAT,
        imports.CHECKS,
        gettext_lazy("Import look-back check results"),
        gettext_lazy(
            "One row per unit and item; every unit named needs its six items. The rows are your self-check for "
            "a unit whose secretary you are, your verdict for a unit your supervisory team oversees (after its "
            "self-check; a reason wherever the figures propose not met and you find it met)."
        ),
    ),
)


def _page(request: HttpRequest, flow: ImportFlow) -> HttpResponse:
    require(request, "lookback.import")
    campaign = current_campaign_for(request.user)
    if campaign is None:
        messages.error(request, _("There is no campaign to import into."))
        return redirect("campaign:home")
    return flow.page(request, campaign)


@upload_limit("DATA_UPLOAD_MAX_MEMORY_SIZE")
@login_required
@creates
def attendance_import(request: HttpRequest) -> HttpResponse:
    return _page(request, ATTENDANCE)


@upload_limit("DATA_UPLOAD_MAX_MEMORY_SIZE")
@login_required
@creates
def checks_import(request: HttpRequest) -> HttpResponse:
    return _page(request, CHECKS)


@login_required
@require_GET
def committee_table(request: HttpRequest, pk: int) -> HttpResponse:
    """The look-back table of a party committee (its units in the user's reach)."""
    require(request, "lookback.view")
    # A unit's secretary may ask for his committee's table: the committee need only be
    # of a campaign he sees; the rows are the units in his reach.
    committee = (
        OrgUnit.objects.filter(
            pk=pk,
            kind__in=[OrgUnitKind.PARTY_COMMITTEE, OrgUnitKind.COUNTY_COMMITTEE],
            campaign__in=campaigns_for(request.user),
        )
        .select_related("campaign")
        .first()
    )
    if committee is None:
        raise Http404
    rows = selectors.committee_rows(request.user, committee)
    return exports.lookback_table(committee.campaign, committee, rows)
