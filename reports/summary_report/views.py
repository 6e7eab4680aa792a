"""The stage summary report's pages: the report (with "verify"), the office's words around
its figures, and the Word document and the ledgers' workbook, written by a Celery task
(``reports.export_jobs``) and followed on the export job's page with a progress bar.

The report states the county's figures: it is the county office's (and the
administrator's); nobody who sees less than the whole campaign reads it here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaign.models import Campaign, Stage
from campaign.scoping import scope_for
from campaign.selectors import current_campaign_for
from campaign.views import require
from reports import export_jobs, tasks
from reports.ledger import figures as ledger
from reports.models import ExportJob
from reports.summary_report import report as stage_report
from reports.summary_report import services
from reports.summary_report.forms import NarrativeForm


def _campaign_and_stage(request: HttpRequest, action: str, kind: str | None) -> tuple[Campaign, Stage]:
    require(request, action)
    campaign = current_campaign_for(request.user)
    if campaign is None:
        raise Http404
    if not ledger.sees_whole(scope_for(request.user), campaign):
        raise PermissionDenied
    stages = Stage.objects.filter(campaign=campaign)
    stage = stages.filter(kind=kind).first() if kind else stages.filter(is_current=True).first()
    if stage is None:
        raise Http404
    return campaign, stage


@login_required
@require_GET
def report_page(request: HttpRequest, stage: str | None = None) -> HttpResponse:
    """The report as the ledgers have it now; ``?verify=1``: every figure recounted from
    source, a difference shown beside its figure."""
    campaign, chosen = _campaign_and_stage(request, "stage_report.view", stage)
    built = stage_report.build(campaign, chosen, verify=request.GET.get("verify") == "1")
    context: dict[str, Any] = {
        "campaign": campaign,
        "report": built,
        "stages": Stage.objects.filter(campaign=campaign).order_by("order"),
        "can_edit": scope_for(request.user).can("stage_report.edit"),
        "state": ledger.ledger_state(campaign),
        "pending": ledger.pending_changes(campaign),
    }
    return render(request, "reports/summary_report/report.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def report_edit(request: HttpRequest, stage: str) -> HttpResponse:
    """The office's title and paragraphs around the figures (each save kept in the history)."""
    campaign, chosen = _campaign_and_stage(request, "stage_report.edit", stage)
    built = stage_report.build(campaign, chosen)
    form = NarrativeForm(request.POST or None, report=built)
    if request.method == "POST" and form.is_valid():
        try:
            services.stage_report_save(
                campaign=campaign,
                stage=chosen,
                title=form.cleaned_data["title"],
                narratives=form.narratives(),
                sections={stage_report.OPENING, *(section.name for section in built.sections)},
                user=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The report's text was saved."))
            return redirect("reports:stage_report_stage", stage=chosen.kind)
    history = built.saved.history.select_related("history_user").order_by("-history_date")[:10] if built.saved else []
    context = {"campaign": campaign, "report": built, "form": form, "history": history}
    return render(request, "reports/summary_report/edit.html", context)


@login_required
@require_POST
def report_export(request: HttpRequest, stage: str) -> HttpResponse:
    """Ask for the report as a Word document (``what=docx``) or its ledgers as one
    workbook (``what=xlsx``); the export job's page follows it."""
    campaign, chosen = _campaign_and_stage(request, "stage_report.view", stage)
    kinds = {"docx": ExportJob.Kind.STAGE_REPORT, "xlsx": ExportJob.Kind.STAGE_LEDGERS}
    kind = kinds.get(request.POST.get("what", ""))
    if kind is None:
        raise Http404
    assert request.user.is_authenticated
    job = export_jobs.stage_export_create(
        user=request.user, campaign=campaign, stage=chosen, kind=kind, language=get_language() or "zh-hans"
    )
    if job.status == ExportJob.Status.WAITING:
        transaction.on_commit(lambda: tasks.run_export_job.delay(job.pk))
    return redirect("reports:export_job", pk=job.pk)
