"""Exports written by a Celery task: the general ledger of opinions (征求意见建议总台账).

The whole campaign's general ledger reads every opinion the user may see and writes a
row for each: seconds for the demo's 11,047, minutes for a province's million — too
long for a request. So the page asks for it (``export_job_create``), a task writes it
(``reports.tasks.run_export_job`` → ``export_job_run``), reporting its progress on the
job row, and the file waits in storage (MEDIA_ROOT/exports, under a random name) for
the user who asked, and for nobody else, until ``KEEP`` has passed.

What the workbook holds is decided when it is written, with the scope of the user who
asked at that time: an organisation he or she may no longer see is not exported.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import secrets
import tempfile
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from campaign.models import Campaign, OrgUnit, Stage
from campaign.scoping import AnyUser, scope_for
from core.jobs import alive, claim_job, job_heartbeat, reading_snapshot
from opinions.models import Opinion
from reports.ledger.figures import sees_whole
from reports.models import ExportJob
from reports.opinions import exports

if TYPE_CHECKING:
    # The user model (AUTH_USER_MODEL is Django's own): what an ExportJob belongs to.
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

EXPORT_DIR = "exports"
# A finished export's file is kept this long; the user's older ones are deleted when he
# or she asks for another.
KEEP = datetime.timedelta(days=7)
# Recent exports listed on a job's page.
RECENT = 10
_LOCK_NAMESPACE = 0x1AA  # "export" in the advisory lock space of this database


def export_job_create(*, user: User, campaign: Campaign, unit: OrgUnit | None, language: str) -> ExportJob:
    """Ask for the general ledger of opinions of ``campaign`` as ``user`` sees it
    (narrowed to ``unit``'s subtree if given). The caller enqueues ``run_export_job``
    on commit. The same export already waiting or being written is returned instead of
    a second one, unless its worker died (no recent heartbeat)."""
    scope = scope_for(user)
    if not scope.can("ledgers.export") or not scope.filter(Campaign.objects.filter(pk=campaign.pk)).exists():
        raise PermissionDenied
    if unit is not None and not scope.filter(OrgUnit.objects.filter(pk=unit.pk, campaign=campaign)).exists():
        raise PermissionDenied
    pending = export_job_pending(user=user, campaign=campaign, unit=unit, language=language)
    if pending is not None:
        return pending
    _purge(user)
    with translation.override(language):
        title = _("General ledger of opinions")
        name = f"{title} - {unit.name}" if unit is not None else f"{title} - {campaign.name}"
    return ExportJob.objects.create(
        campaign=campaign,
        user=user,
        kind=ExportJob.Kind.OPINION_LEDGER,
        unit=unit,
        language=language,
        filename=f"{name[:240]}.xlsx",
        path=f"{EXPORT_DIR}/{secrets.token_urlsafe(32)}.xlsx",
    )


def export_job_pending(*, user: User, campaign: Campaign, unit: OrgUnit | None, language: str) -> ExportJob | None:
    """The same export, asked by the same user, still waiting or being written (and not
    left by a worker that died): a second click joins it rather than start another."""
    asked = ExportJob.objects.filter(
        user=user,
        campaign=campaign,
        kind=ExportJob.Kind.OPINION_LEDGER,
        unit=unit,
        language=language,
        status__in=ExportJob.RUNNING,
    )
    return alive(asked).first()


def export_job_for_user(user: AnyUser, pk: int) -> ExportJob:
    """A job, for the user who asked for it; anyone else is told it does not exist."""
    if not user.is_authenticated:  # an anonymous user has no exports
        raise Http404
    job = ExportJob.objects.select_related("campaign").filter(pk=pk, user_id=user.pk).first()
    if job is None:
        raise Http404
    return job


def export_jobs_for_user(user: AnyUser, limit: int = RECENT) -> QuerySet[ExportJob]:
    if not user.is_authenticated:  # an anonymous user has no exports
        return ExportJob.objects.none()
    return ExportJob.objects.filter(user_id=user.pk).order_by("-created_at", "-pk")[:limit]


def export_job_file(job: ExportJob) -> File:
    """The finished file of a job, opened for reading; Http404 if it is not (or no
    longer) there."""
    if job.status != ExportJob.Status.DONE:
        raise Http404
    try:
        return default_storage.open(job.path, "rb")
    except FileNotFoundError:
        raise Http404 from None


def ledger_opinions_for(user: AnyUser, campaign: Campaign, unit: OrgUnit | None) -> QuerySet[Opinion]:
    """The opinions of the general ledger that ``user`` may see, within ``unit``'s subtree."""
    opinions = scope_for(user).filter(Opinion.objects.filter(campaign=campaign))
    if unit is not None:
        opinions = opinions.filter(ledger_unit__path__startswith=unit.path)
    return opinions


def export_job_run(*, job_id: int) -> None:
    """Write a job's workbook. Safe to run twice: a finished job is left as it is, a
    lock keeps two workers from writing one job at once, and a task delivered again
    after its worker died writes the file afresh. An unexpected error is logged and
    leaves the job failed, so that its page stops waiting."""
    try:
        with job_heartbeat(ExportJob, job_id):
            _run(job_id)
    except Exception:
        logger.exception("Export job %s failed", job_id)
        job = ExportJob.objects.filter(pk=job_id).first()
        if job is not None and job.running:
            ExportJob.objects.filter(pk=job_id).update(status=ExportJob.Status.FAILED, finished_at=timezone.now())
            with contextlib.suppress(OSError):
                default_storage.delete(job.path)


def _run(job_id: int) -> None:
    # One consistent read of the opinions (core.jobs.reading_snapshot): on PostgreSQL a
    # transaction that the job is finished with; on SQLite a read that blocks no writer,
    # the job finished after it. Its progress goes through a connection of its own
    # (_Progress).
    with reading_snapshot() as writes_inside:
        if not claim_job(_LOCK_NAMESPACE, job_id):
            return
        job = ExportJob.objects.select_related("campaign", "user", "unit").filter(pk=job_id).first()
        if job is None or not job.running:
            return
        scope, unit = scope_for(job.user), job.unit
        if job.kind != ExportJob.Kind.OPINION_LEDGER:
            _run_stage(job)
            return
        if not scope.can("ledgers.export") or (
            unit is not None and not scope.filter(OrgUnit.objects.filter(pk=unit.pk)).exists()
        ):
            # The user's roles changed since he or she asked: nothing is written.
            finish = {"status": ExportJob.Status.FAILED, "finished_at": timezone.now()}
        else:
            opinions = ledger_opinions_for(job.user, job.campaign, unit)
            with translation.override(job.language), _Progress(job) as progress, tempfile.TemporaryFile() as handle:
                progress.start(opinions.filter(merged_into__isnull=True).count())
                book = exports.opinion_ledger_workbook(
                    job.campaign, opinions, heading=unit.name if unit is not None else "", progress=progress
                )
                book.save(handle)
                handle.seek(0)
                if default_storage.exists(job.path):  # a task delivered again writes afresh
                    default_storage.delete(job.path)
                saved = default_storage.save(job.path, File(handle))
            if saved != job.path:  # a storage that renames on save would lose the file
                default_storage.delete(saved)
                raise RuntimeError(f"The storage saved {job.path} as {saved}.")
            finish = {
                "status": ExportJob.Status.DONE,
                "rows_total": max(progress.total, progress.done),
                "rows_done": progress.done,
                "finished_at": timezone.now(),
            }
        if writes_inside:
            ExportJob.objects.filter(pk=job.pk).update(**finish)
    if not writes_inside:
        ExportJob.objects.filter(pk=job.pk, status__in=ExportJob.RUNNING).update(**finish)


def stage_export_create(*, user: User, campaign: Campaign, stage: Stage, kind: str, language: str) -> ExportJob:
    """Ask for the stage summary report of ``stage`` as a Word document
    (``ExportJob.Kind.STAGE_REPORT``) or its ledgers as one workbook (``STAGE_LEDGERS``);
    the same export already waiting or being written is returned instead of a second."""
    scope = scope_for(user)
    if not scope.can("stage_report.view") or not sees_whole(scope, campaign) or stage.campaign_id != campaign.pk:
        raise PermissionDenied
    if kind not in (ExportJob.Kind.STAGE_REPORT, ExportJob.Kind.STAGE_LEDGERS):
        raise ValueError(kind)
    asked = ExportJob.objects.filter(
        user=user, campaign=campaign, kind=kind, stage=stage, language=language, status__in=ExportJob.RUNNING
    )
    pending = alive(asked).first()
    if pending is not None:
        return pending
    _purge(user)
    suffix = "docx" if kind == ExportJob.Kind.STAGE_REPORT else "xlsx"
    with translation.override(language):
        title = _("Stage summary report") if suffix == "docx" else _("Ledgers of the stage")
        name = f"{title} - {campaign.name} - {stage.get_kind_display()}"
    return ExportJob.objects.create(
        campaign=campaign,
        user=user,
        kind=kind,
        stage=stage,
        language=language,
        filename=f"{name[:240]}.{suffix}",
        path=f"{EXPORT_DIR}/{secrets.token_urlsafe(32)}.{suffix}",
    )


def _run_stage(job: ExportJob) -> None:
    """Write a stage summary report (.docx) or its ledgers (.xlsx), inside ``_run``'s
    transaction; the progress counts the report's sections."""
    from reports.summary_report import docx as report_docx
    from reports.summary_report import report as stage_report
    from reports.summary_report import workbook as stage_workbook

    scope = scope_for(job.user)
    if job.stage is None or not scope.can("stage_report.view") or not sees_whole(scope, job.campaign):
        ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.FAILED, finished_at=timezone.now())
        return
    with translation.override(job.language), _Progress(job) as progress, tempfile.TemporaryFile() as handle:
        progress.start(2)
        built = stage_report.build(job.campaign, job.stage)
        progress(1)
        if job.kind == ExportJob.Kind.STAGE_REPORT:
            handle.write(report_docx.report_docx(built))
        else:
            stage_workbook.stage_workbook(built, job.user).save(handle)
        progress(2)
        handle.seek(0)
        if default_storage.exists(job.path):  # a task delivered again writes afresh
            default_storage.delete(job.path)
        saved = default_storage.save(job.path, File(handle))
    if saved != job.path:
        default_storage.delete(saved)
        raise RuntimeError(f"The storage saved {job.path} as {saved}.")
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.DONE, rows_total=2, rows_done=2, finished_at=timezone.now()
    )


def _purge(user: User) -> None:
    """The user's finished exports older than KEEP, and their files."""
    old = ExportJob.objects.filter(user_id=user.pk, created_at__lt=timezone.now() - KEEP).exclude(
        status__in=[ExportJob.Status.WAITING, ExportJob.Status.RUNNING]
    )
    for path in old.values_list("path", flat=True):
        with contextlib.suppress(OSError):
            default_storage.delete(path)
    old.delete()


class _Progress:
    """Writes a job's progress where other requests can read it while the export's own
    transaction is still open, through a second connection of its own, at most once a
    second: on PostgreSQL, and on a SQLite file when the export only reads (a job in a
    thread of the embedded server: core.jobs.job_start). Inside a transaction that holds
    SQLite's one write lock (the tests) only the final figures are written, with the job."""

    INTERVAL = 1.0

    def __init__(self, job: ExportJob) -> None:
        self.job = job
        self.connection: Any = None
        self.last = 0.0
        self.total = 0
        self.done = 0

    def __enter__(self) -> _Progress:
        if connection.vendor == "postgresql" or (
            connection.vendor == "sqlite" and not connection.in_atomic_block and not connection.is_in_memory_db()  # type: ignore[attr-defined]
        ):
            self.connection = connections.create_connection(DEFAULT_DB_ALIAS)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.connection is not None:
            self.connection.close()

    def start(self, total: int) -> None:
        self.total = total
        self._write(status=ExportJob.Status.RUNNING)

    def __call__(self, done: int) -> None:
        self.done = done
        now = timezone.now().timestamp()
        if now - self.last >= self.INTERVAL:
            self._write()

    def _write(self, status: str | None = None) -> None:
        self.last = timezone.now().timestamp()
        if self.connection is None:
            return
        table = self.connection.ops.quote_name(ExportJob._meta.db_table)
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET status = COALESCE(%s, status), rows_done = %s, rows_total = %s "  # a model's table
                "WHERE id = %s",
                [status, self.done, max(self.done, self.total), self.job.pk],
            )
