"""Jobs whose worker died: a running task keeps a heartbeat on its job; a job whose
heartbeat stopped is sent to its task again once, then failed with a message; asking
again for the same export does not join a dead job.

The worker's death is simulated by a heartbeat in the past (what a SIGKILL leaves);
bench/chaos_jobs.py kills a real worker process."""

from __future__ import annotations

import datetime
import threading
import time
from urllib.parse import urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.urls import resolve, reverse
from django.utils import timezone

from core import jobs
from opinions import imports
from opinions import tasks as opinion_tasks
from opinions.models import ImportJob
from reports import export_jobs
from reports import tasks as report_tasks
from reports.models import ExportJob

EXPORT = "reports:opinion_ledger_export"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.JOB_STALE_SECONDS = 60
    return tmp_path


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, int]]:
    """The tasks sent (instead of being run), as (task name, job id)."""
    sent: list[tuple[str, int]] = []
    for task in (opinion_tasks.run_import_job, report_tasks.run_export_job):
        monkeypatch.setattr(task, "delay", lambda job_id, name=task.name: sent.append((name, job_id)))
    return sent


def ago(seconds: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(seconds=seconds)


def import_job(world, status=ImportJob.Status.IMPORTING, heartbeat=None) -> ImportJob:
    path = default_storage.save("imports/upload.csv", ContentFile(b"rows"))
    return ImportJob.objects.create(
        campaign=world.campaign,
        user=world.users["office"],
        filename="opinions.csv",
        path=path,
        status=status,
        heartbeat_at=heartbeat,
    )


def export_job(world, status=ExportJob.Status.RUNNING, heartbeat=None) -> ExportJob:
    return ExportJob.objects.create(
        campaign=world.campaign,
        user=world.users["office"],
        language="en",
        filename="ledger.xlsx",
        path=default_storage.save("exports/ledger.xlsx", ContentFile(b"half a workbook")),
        status=status,
        heartbeat_at=heartbeat,
    )


def test_a_dead_job_is_sent_again_once_then_failed_with_a_message(world, sent, django_capture_on_commit_callbacks):
    dead_import = import_job(world, heartbeat=ago(120))
    dead_export = export_job(world, heartbeat=ago(61))
    beating = import_job(world, status=ImportJob.Status.CHECKING, heartbeat=ago(5))
    queued = export_job(world, status=ExportJob.Status.WAITING, heartbeat=None)  # no task has started it yet
    finished = export_job(world, status=ExportJob.Status.DONE, heartbeat=ago(3600))

    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.jobs_sweep_stale() == {"restarted": 2, "failed": 0}
    assert sorted(sent) == sorted(
        [("opinions.run_import_job", dead_import.pk), ("reports.run_export_job", dead_export.pk)]
    )
    for job in (dead_import, dead_export):
        job.refresh_from_db()
        # Waiting for its task again: no heartbeat until it starts, so not stale meanwhile.
        assert (job.running, job.heartbeat_at, job.restarts) == (True, None, 1)
    for job, status in ((beating, "checking"), (queued, "waiting"), (finished, "done")):
        job.refresh_from_db()
        assert (job.status, job.restarts) == (status, 0)

    # The task started again and its worker died again (out of memory, say): failed.
    sent.clear()
    ImportJob.objects.filter(pk=dead_import.pk).update(heartbeat_at=ago(61))
    ExportJob.objects.filter(pk=dead_export.pk).update(heartbeat_at=ago(61))
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.jobs_sweep_stale() == {"restarted": 0, "failed": 2}
    assert sent == []
    dead_import.refresh_from_db()
    dead_export.refresh_from_db()
    assert (dead_import.status, dead_import.error_count) == (ImportJob.Status.FAILED, 1)
    assert dead_import.errors == [
        {"sheet": "opinions.csv", "row": 0, "column": "", "message": "The job stopped unexpectedly; please try again."}
    ]
    assert dead_export.status == ExportJob.Status.FAILED
    assert dead_import.finished_at and dead_export.finished_at
    assert not default_storage.exists(dead_import.path) and not default_storage.exists(dead_export.path)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.jobs_sweep_stale() == {"restarted": 0, "failed": 0}, "nothing left to sweep"


def test_the_failure_message_is_translated(world, settings):
    job = import_job(world, heartbeat=ago(120))
    ImportJob.objects.filter(pk=job.pk).update(restarts=1)
    from django.utils import translation

    with translation.override("zh-hans"):
        jobs.jobs_sweep_stale()
    job.refresh_from_db()
    assert job.errors[0]["message"] == "任务意外中断，请重试。"


def test_a_restarted_job_is_done_by_its_task(world, django_capture_on_commit_callbacks):
    """Without the monkeypatch, Celery's eager mode runs the task sent again: the dead
    export is written afresh over the half file its first worker left."""
    job = export_job(world, heartbeat=ago(120))
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.jobs_sweep_stale() == {"restarted": 1, "failed": 0}
    job.refresh_from_db()
    assert (job.status, job.restarts) == (ExportJob.Status.DONE, 1)
    assert job.heartbeat_at is not None, "the task beat when it started"
    with default_storage.open(job.path, "rb") as handle:
        assert handle.read(2) == b"PK", "a workbook, not the half file"


def test_the_sweep_leaves_a_job_that_beat_meanwhile(world, sent, monkeypatch, django_capture_on_commit_callbacks):
    job = export_job(world, heartbeat=ago(120))
    stale = ExportJob.objects.filter(pk=job.pk).first()
    real_filter = ExportJob.objects.filter
    calls = []

    def filter_then_beat(*args, **kwargs):
        # The sweep has read the stale job; its task beats before the sweep writes.
        result = real_filter(*args, **kwargs)
        if kwargs.get("heartbeat_at") == stale.heartbeat_at and not calls:
            calls.append(1)
            real_filter(pk=job.pk).update(heartbeat_at=timezone.now())
        return result

    monkeypatch.setattr(ExportJob.objects, "filter", filter_then_beat)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.jobs_sweep_stale() == {"restarted": 0, "failed": 0}
    assert calls and sent == []
    job.refresh_from_db()
    assert (job.status, job.restarts) == (ExportJob.Status.RUNNING, 0)


def test_asking_again_does_not_join_a_dead_export(world, login, sent, django_capture_on_commit_callbacks):
    client = login(world.users["office"])

    def ask() -> ExportJob:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse(EXPORT))
        assert response.status_code == 302
        return ExportJob.objects.get(pk=resolve(urlsplit(response["Location"]).path).kwargs["pk"])

    first = ask()
    # Its task started and beats: asking again joins it.
    ExportJob.objects.filter(pk=first.pk).update(status=ExportJob.Status.RUNNING, heartbeat_at=ago(10))
    assert ask() == first
    # Its worker died: asking again starts a new export instead of showing the dead one.
    ExportJob.objects.filter(pk=first.pk).update(heartbeat_at=ago(61))
    second = ask()
    assert second != first and second.status == ExportJob.Status.WAITING
    assert sent[-1] == ("reports.run_export_job", second.pk)


def test_running_tasks_write_their_heartbeat(world, targets_csv):
    export = export_job(world, status=ExportJob.Status.WAITING)
    export_jobs.export_job_run(job_id=export.pk)
    export.refresh_from_db()
    assert export.status == ExportJob.Status.DONE
    assert export.heartbeat_at is not None and export.heartbeat_at > ago(30)

    job = import_job(world, status=ImportJob.Status.CHECKING)
    default_storage.delete(job.path)
    default_storage.save(job.path, ContentFile(targets_csv))
    imports.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKED, job.errors
    assert job.heartbeat_at is not None
    # Confirmed: a new run of the task, which has not started yet.
    ImportJob.objects.filter(pk=job.pk).update(restarts=1)
    job = imports.import_job_confirm(job=job, user=world.users["office"])
    assert (job.status, job.heartbeat_at, job.restarts) == (ImportJob.Status.IMPORTING, None, 0)


@pytest.fixture
def targets_csv(world) -> bytes:
    from tests.campaign.importing import csv_bytes
    from tests.opinions.test_import import ZH, row

    return csv_bytes([ZH, row(target="城关镇的路灯管理")])


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_goes_on_while_a_long_step_runs(world, monkeypatch):
    """On PostgreSQL the heartbeat is written from a thread, on a connection of its own,
    while the task's transaction is open and whatever step it is in."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite lets one connection write at a time: there the task beats once, when it starts")
    monkeypatch.setattr(jobs, "heartbeat_interval", lambda: 0.05)
    job = export_job(world, status=ExportJob.Status.WAITING)
    other = connections.create_connection(DEFAULT_DB_ALIAS)  # another request's view of the job
    seen: list[datetime.datetime] = []
    write = export_jobs.exports.opinion_ledger_workbook

    def slow_workbook(*args, **kwargs):
        # A long step that reports no progress (a large workbook being built).
        for _ in range(4):
            time.sleep(0.2)
            with other.cursor() as cursor:
                cursor.execute("SELECT heartbeat_at FROM reports_exportjob WHERE id = %s", [job.pk])
                seen.append(cursor.fetchone()[0])
        return write(*args, **kwargs)

    monkeypatch.setattr(export_jobs.exports, "opinion_ledger_workbook", slow_workbook)
    try:
        export_jobs.export_job_run(job_id=job.pk)
    finally:
        other.close()
    assert len(set(seen)) == 4, f"a new heartbeat at every look: {seen}"
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    assert not [t for t in threading.enumerate() if t.name.startswith("heartbeat-")], "the thread stopped"
