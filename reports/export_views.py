"""The pages of an export job (the general ledger of opinions, asked for with a POST by
``reports.opinions.views.opinion_ledger_export``, written by a Celery task:
``reports.export_jobs``): followed on the job's page with a progress bar
that static/js/progress.js keeps up to date from the JSON status (without JavaScript, a
link reloads the page), downloaded from there. A job is seen only by the user who
asked for it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from campaign.views import require
from core.docx import DOCX
from core.excel import XLSX
from core.jobs import progress_response
from reports import export_jobs


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
    kind = DOCX if job.filename.endswith(".docx") else XLSX
    return FileResponse(export_jobs.export_job_file(job), as_attachment=True, filename=job.filename, content_type=kind)
