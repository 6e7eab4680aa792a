"""The general ledger of opinions as an export job: asked for with a POST, written by a
Celery task (``reports.export_jobs``), followed on the job's page with a progress bar
that static/js/progress.js keeps up to date from the JSON status (without JavaScript, a
link reloads the page), downloaded from there. A job is seen only by the user who
asked for it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_GET, require_POST

from campaign.models import OrgUnit
from campaign.scoping import get_object_for_user
from campaign.selectors import current_campaign_for
from campaign.views import require
from core.jobs import progress_response
from reports import export_jobs, exports, tasks
from reports.models import ExportJob


@login_required
@require_POST
def opinion_ledger_export(request: HttpRequest) -> HttpResponse:
    """Ask for the general ledger of opinions (征求意见建议总台账): one row per opinion the
    user may see; ``unit`` or ``committee`` narrows it to that organisation's subtree."""
    require(request, "ledgers.export")
    campaign = current_campaign_for(request.user)
    if campaign is None:
        raise Http404
    unit = None
    within = request.POST.get("unit") or request.POST.get("committee")
    if within:
        if not within.isdigit():
            raise Http404
        unit = get_object_for_user(request.user, OrgUnit.objects.filter(campaign=campaign), pk=int(within))
    job = export_jobs.export_job_create(
        user=request.user, campaign=campaign, unit=unit, language=get_language() or "zh-hans"
    )
    if job.status == ExportJob.Status.WAITING:
        # Also when the same export was asked for already and waits: should its message
        # have been lost, this one starts it (a job is written once however often sent).
        transaction.on_commit(lambda: tasks.run_export_job.delay(job.pk))
    return redirect("reports:export_job", pk=job.pk)


@login_required
@require_GET
def export_job(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "ledgers.export")
    job = export_jobs.export_job_for_user(request.user, pk)
    context = {"job": job, "jobs": export_jobs.export_jobs_for_user(request.user), "keep_days": export_jobs.KEEP.days}
    return render(request, "reports/export_job.html", context)


@login_required
@require_GET
def export_job_status(request: HttpRequest, pk: int) -> JsonResponse:
    require(request, "ledgers.export")
    job = export_jobs.export_job_for_user(request.user, pk)
    return progress_response(job, reverse("reports:export_job", kwargs={"pk": job.pk}))


@login_required
@require_GET
def export_job_download(request: HttpRequest, pk: int) -> FileResponse:
    require(request, "ledgers.export")
    job = export_jobs.export_job_for_user(request.user, pk)
    return FileResponse(
        export_jobs.export_job_file(job), as_attachment=True, filename=job.filename, content_type=exports.XLSX
    )
