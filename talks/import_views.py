"""Talk cards in and out as spreadsheets.

- The import page: upload → dry run (every bad row, or how many cards would be
  written) → confirm. The file waits in storage under a random token that only the
  session knows. For the county office and unit secretaries (``talks.import``); a
  secretary imports only the cards of the members in his or her subtree.
- The cards in the user's reach in the import format (to correct and import again).
- Each unit's talk register (谈心谈话登记表) in the office's layout, and the page that
  lists the units to choose from (``talks.export``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from campaign.forms import OrgImportForm
from campaign.import_pages import ImportFlow
from campaign.models import Campaign, OrgUnit
from campaign.scoping import get_object_for_user, scope_for
from campaign.selectors import current_campaign_for
from campaign.views import require
from core import excel as office
from core.importing import ImportReport, describe_columns
from core.once import creates
from core.uploads import upload_limit
from talks import exports, imports, resources
from talks.models import Talk


class ImportForm(OrgImportForm):
    """The spreadsheet: kind of file, size and first bytes checked as for the
    organisation's import; its rows by the dry run."""

    kind = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = gettext_lazy("An .xlsx workbook with a sheet of talk cards, or a .csv file.")


def _in_campaign(action: str, nothing: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A page of the user's current campaign, for those allowed ``action``; with no
    campaign at all, home with the message ``nothing``."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def page(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            require(request, action)
            campaign = current_campaign_for(request.user)
            if campaign is None:
                messages.error(request, str(nothing))
                return redirect("campaign:home")
            return view(request, campaign, *args, **kwargs)

        return page

    return decorate


def _cards(request: HttpRequest, campaign: Campaign) -> Any:
    return scope_for(request.user).filter(Talk.objects.filter(campaign=campaign))


# --- Import -------------------------------------------------------------------------


def _import(**kwargs: Any) -> ImportReport:
    # A browser's file is bounded; the command reads files of any size.
    return imports.talks_import(max_rows=settings.IMPORT_MAX_ROWS, **kwargs)


def _page_context(request: HttpRequest, campaign: Campaign) -> dict[str, Any]:
    return {"columns": format_description(), "can_export": scope_for(request.user).can("talks.export")}


IMPORT = ImportFlow(
    session_key="talks_import",
    url_name="talks:import_page",
    template="talks/import_page.html",
    form_class=ImportForm,
    run=_import,
    context=_page_context,
)


@upload_limit("DATA_UPLOAD_MAX_MEMORY_SIZE")
@login_required
@creates
@_in_campaign("talks.import", gettext_lazy("There is no campaign to import into."))
def import_page(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    return IMPORT.page(request, campaign)


def format_description() -> list[dict[str, Any]]:
    """The columns, as the import page explains them in the current language."""
    widgets = {"kind": resources.KIND_WIDGET, "outsider_relation": resources.RELATION_WIDGET}
    return describe_columns(resources.COLUMNS[resources.TALKS], widgets, resources.IGNORED)


# --- Export -------------------------------------------------------------------------

XLSX = office.XLSX


@login_required
@require_GET
@_in_campaign("talks.export", gettext_lazy("There is no campaign to export."))
def import_export(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    """The cards in the user's reach in the import format: a workbook, or with
    ``?format=csv`` a CSV file."""
    extension = "csv" if request.GET.get("format") == "csv" else "xlsx"
    content = resources.export_bytes(_cards(request, campaign), extension)
    reply = HttpResponse(content, content_type=XLSX if extension == "xlsx" else "text/csv; charset=utf-8")
    name = f"{campaign.slug}-talks"
    reply["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name, safe='')}.{extension}"
    return reply


@login_required
@require_GET
@_in_campaign("talks.export", gettext_lazy("There is no campaign to export."))
def register(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    """The units in the user's reach, each with the cards of its register."""
    units = scope_for(request.user).filter(OrgUnit.objects.filter(campaign=campaign)).order_by("path")
    counts = exports.register_counts(_cards(request, campaign))
    rows = [{"unit": unit, "cards": counts.get(unit.pk, 0)} for unit in units.only("pk", "name", "code", "kind")]
    return render(request, "talks/register_units.html", {"campaign": campaign, "rows": rows})


@login_required
@require_GET
def register_export(request: HttpRequest, pk: int) -> HttpResponse:
    """One unit's talk register; a unit outside the user's reach is not found."""
    require(request, "talks.export")
    unit = get_object_for_user(request.user, OrgUnit.objects.select_related("campaign"), pk=pk)
    book = exports.register_workbook(unit, _cards(request, unit.campaign))
    return office.response(book, _("Talk register of %(unit)s") % {"unit": unit.name})
