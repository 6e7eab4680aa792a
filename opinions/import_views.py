"""The office's spreadsheet import of opinions and events: upload → dry run → confirm.

A small file is checked and imported in the request; a larger one as a job
(``core.jobs.job_start``: a Celery task sent to a worker, or, on the embedded default
without a broker, run in a thread of the server so that the browser is not kept
waiting), its page showing a progress bar that static/js/progress.js keeps up to date from the
JSON status (without JavaScript, a link reloads the page). A job is seen only by the
user who started it.
"""

from __future__ import annotations

from functools import partial
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from campaign.forms import OrgImportForm
from campaign.models import Campaign
from campaign.selectors import current_campaign_for
from campaign.services import upload_extension
from campaign.views import require
from core.importing import describe_columns
from core.jobs import job_start, progress_response
from core.once import AlreadySubmitted, FormOnce, creates
from core.uploads import upload_limit, upload_refusal
from opinions import imports, resources, tasks
from opinions.models import ImportJob

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportForm(OrgImportForm):
    """The spreadsheet to import: kind of file, size and first bytes checked as for the
    organisation's import; a workbook's sheets are told apart by name or by headers."""

    kind = None


def _campaign(request: HttpRequest) -> Campaign | None:
    return current_campaign_for(request.user)


@upload_limit("DATA_UPLOAD_MAX_MEMORY_SIZE")
@login_required
@creates
def import_page(request: HttpRequest) -> HttpResponse:
    require(request, "opinions.import")
    campaign = _campaign(request)
    if campaign is None:
        messages.error(request, _("There is no campaign to import into."))
        return redirect("campaign:home")
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    form = ImportForm()
    if request.method == "POST":
        # A body larger than the cap by its Content-Length never gets here (upload_limit);
        # one cut off while it streamed does.
        refusal = upload_refusal(request)
        if refusal:
            messages.error(request, refusal)
        else:
            form = ImportForm(request.POST, request.FILES)
            once = FormOnce(request)
            if form.is_valid() and once.valid_for(form):
                upload = form.cleaned_data["file"]
                # One job however often the upload is sent (core.once).
                try:
                    with once.consume() as use:
                        job = imports.import_job_create(
                            campaign=campaign, user=request.user, upload=upload, extension=upload_extension(upload.name)
                        )
                        use.leads_to(reverse("opinions:import_job", kwargs={"pk": job.pk}))
                except AlreadySubmitted as done:
                    return done.response(request, "opinions:import_page")
                _start(job, imports.import_job_estimate(job))
                return redirect("opinions:import_job", pk=job.pk)
    context = {
        "campaign": campaign,
        "form": form,
        "limit": limit,
        "jobs": imports.import_jobs_for_user(request.user),
        "formats": format_description(),
    }
    return render(request, "opinions/import_page.html", context)


def _start(job: ImportJob, rows: int) -> None:
    """A few thousand rows are handled in the request; more by a job: a Celery task on
    the full stack, a thread of this process on the embedded default (no broker), so
    that the page answers at once and follows the job's progress."""
    if rows > job.rows_total:
        ImportJob.objects.filter(pk=job.pk).update(rows_total=rows)
    if rows <= settings.IMPORT_TASK_ROWS:
        imports.import_job_run(job_id=job.pk)
    else:
        transaction.on_commit(partial(job_start, tasks.run_import_job, job.pk))


@login_required
@require_GET
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "opinions.import")
    job = imports.import_job_for_user(request.user, pk)
    counts = [imports.SheetCount(**count) for count in job.counts]
    context = {"job": job, "counts": counts, "formats": format_description() if job.error_count else None}
    return render(request, "opinions/import_job.html", context)


@login_required
@require_POST
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "opinions.import")
    job = imports.import_job_for_user(request.user, pk)
    try:
        job = imports.import_job_confirm(job=job, user=request.user, again=request.POST.get("again") == "1")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        _start(job, job.rows_total)
    return redirect("opinions:import_job", pk=job.pk)


@login_required
@require_GET
def import_status(request: HttpRequest, pk: int) -> JsonResponse:
    require(request, "opinions.import")
    job = imports.import_job_for_user(request.user, pk)
    return progress_response(job, reverse("opinions:import_job", kwargs={"pk": job.pk}))


@login_required
@require_GET
def import_export(request: HttpRequest) -> HttpResponse:
    """The campaign's events and opinions in the import format: a workbook with a sheet
    of each (``?what=events`` or ``?what=opinions`` for one), or, with ``?format=csv``,
    one kind as CSV (opinions unless ``what=events``)."""
    require(request, "opinions.import")
    campaign = _campaign(request)
    if campaign is None:
        messages.error(request, _("There is no campaign to export."))
        return redirect("campaign:home")
    extension = "csv" if request.GET.get("format") == "csv" else "xlsx"
    parts = resources.campaign_querysets(campaign)
    what = request.GET.get("what")
    if what in resources.KINDS:
        parts = [(kind, queryset) for kind, queryset in parts if kind == what]
    elif extension == "csv":
        parts = [(kind, queryset) for kind, queryset in parts if kind == resources.OPINIONS]
    content = resources.export_bytes(parts, extension)
    name = "-".join([campaign.slug, *(kind for kind, _queryset in parts)])
    reply = HttpResponse(content, content_type=XLSX if extension == "xlsx" else "text/csv; charset=utf-8")
    reply["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name, safe='')}.{extension}"
    return reply


def format_description() -> list[dict[str, Any]]:
    """What the import page tells users about the format, in the current language."""
    widgets = {
        "kind": resources.KIND_WIDGET,
        "channel": resources.CHANNEL_WIDGET,
        "aspect": resources.ASPECT_WIDGET,
        "source_group": resources.SOURCE_GROUP_WIDGET,
        "attendee_groups": resources.SOURCE_GROUP_WIDGET,
        "level": resources.LEVEL_WIDGET,
        "target_type": resources.TARGET_TYPE_WIDGET,
    }
    return [
        {
            "kind": resources.FORMAT.labels[kind],
            "sheet": f"{resources.FORMAT.sheet_names[kind][0]} / {kind}",
            "columns": describe_columns(resources.COLUMNS[kind], widgets, resources.IGNORED),
        }
        for kind in resources.KINDS
    ]
