"""Talk cards in and out as spreadsheets.

- The import page: upload → dry run (every bad row, or how many cards would be
  written) → confirm. The file waits in storage under a random token that only the
  session knows. A file of more than ``IMPORT_TASK_ROWS`` rows is a job instead
  (``TalkImportJob``): checked and, once confirmed, imported by a Celery task (on the
  embedded default in a thread of the server), its page showing a progress bar that
  static/js/progress.js keeps up to date, then the result with a link to the cards.
  For the county office and unit secretaries (``talks.import``); a
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

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from campaign.forms import OrgImportForm
from campaign.import_pages import ImportFlow
from campaign.models import Campaign, OrgUnit
from campaign.scoping import get_object_for_user, scope_for
from campaign.selectors import current_campaign_for
from campaign.services import upload_extension
from campaign.views import require
from core import excel as office
from core.importing import ImportReport, describe_columns
from core.jobs import job_start, progress_response
from core.once import creates
from core.uploads import upload_limit
from talks import exports, imports, resources, tasks
from talks.models import Talk, TalkImportJob


class ImportForm(OrgImportForm):
    """The spreadsheet: kind of file, size and first bytes checked as for the
    organisation's import; its rows by the dry run. ``sheet``: which sheet of a
    workbook that has several holds the cards."""

    kind = None
    sheet = forms.CharField(
        label=gettext_lazy("Sheet"),
        max_length=100,
        required=False,
        help_text=gettext_lazy(
            "Only when the workbook has several sheets of cards: the name of the one to import. "
            "Leave it empty to read every sheet of cards."
        ),
    )

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
    return {
        "columns": format_description(),
        "can_export": scope_for(request.user).can("talks.export"),
        "jobs": imports.import_jobs_for_user(request.user),
        "task_rows": settings.IMPORT_TASK_ROWS,
    }


def _options(form: forms.Form) -> dict[str, Any]:
    return {"sheet": form.cleaned_data.get("sheet") or None}


def _large(request: HttpRequest, campaign: Campaign, form: forms.Form) -> HttpResponse | None:
    """A file of more than ``IMPORT_TASK_ROWS`` rows is checked and imported as a job,
    its page following the progress; a smaller one stays in the request (None)."""
    upload = form.cleaned_data["file"]
    sheet = form.cleaned_data.get("sheet") or ""
    if imports.estimate_rows(upload, upload.name, sheet or None) <= settings.IMPORT_TASK_ROWS:
        return None
    job = imports.import_job_create(
        campaign=campaign, user=request.user, upload=upload, extension=upload_extension(upload.name), sheet=sheet
    )
    _start(job)
    return redirect("talks:import_job", pk=job.pk)


def _start(job: TalkImportJob) -> None:
    # On commit: the task's own transaction must see the job (core.jobs.job_start).
    transaction.on_commit(lambda: job_start(tasks.run_import_job, job.pk))


IMPORT = ImportFlow(
    session_key="talks_import",
    url_name="talks:import_page",
    template="talks/import_page.html",
    form_class=ImportForm,
    run=_import,
    options=_options,
    context=_page_context,
    large=_large,
)


@upload_limit("DATA_UPLOAD_MAX_MEMORY_SIZE")
@login_required
@creates
@_in_campaign("talks.import", gettext_lazy("There is no campaign to import into."))
def import_page(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    return IMPORT.page(request, campaign)


@login_required
@require_GET
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """A large import's page: its check, the confirmation, its progress, its result."""
    require(request, "talks.import")
    job = imports.with_progress(imports.import_job_for_user(request.user, pk))
    counts = [imports.TalkCount(**count) for count in job.counts]
    return render(request, "talks/import_job.html", {"job": job, "counts": counts, "columns": format_description()})


@login_required
@require_POST
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "talks.import")
    job = imports.import_job_for_user(request.user, pk)
    try:
        job = imports.import_job_confirm(job=job, user=request.user, again=request.POST.get("again") == "1")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        _start(job)
    return redirect("talks:import_job", pk=job.pk)


@login_required
@require_GET
def import_status(request: HttpRequest, pk: int) -> JsonResponse:
    """What the progress bar reads (static/js/progress.js)."""
    require(request, "talks.import")
    job = imports.with_progress(imports.import_job_for_user(request.user, pk))
    return progress_response(job, reverse("talks:import_job", kwargs={"pk": job.pk}))


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
