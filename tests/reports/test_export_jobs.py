"""The general ledger of opinions as an export job: asked for with a POST, written by a
Celery task (eager under pytest), followed with a progress bar, downloaded by the user
who asked and by nobody else."""

from __future__ import annotations

import datetime
import io
from urllib.parse import urlsplit

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import timezone

from campaign.models import OrgUnitKind, RoleAssignment
from opinions.models import Channel
from opinions.services import Target
from reports import export_jobs, tasks
from reports.ledger import rollup
from reports.models import ExportJob
from reports.opinions import exports
from tests import factories as f
from tests.reports.helpers import add_opinion

EXPORT = "reports:opinion_ledger_export"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def opinions(ledgers):
    """An opinion about every kind of target, inside and outside, rolled up."""
    for target in ledgers.targets():
        add_opinion(ledgers.campaign, target)
    rollup.ledger_drain_outbox()
    return ledgers


def job_of(response) -> ExportJob:
    assert response.status_code == 302, response.status_code
    return ExportJob.objects.get(pk=resolve(urlsplit(response["Location"]).path).kwargs["pk"])


def rows_of(response) -> list[tuple]:
    assert response["Content-Type"] == exports.XLSX
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [tuple(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def test_without_a_broker_the_export_is_written_at_once_and_waits_for_download(
    opinions, login, django_capture_on_commit_callbacks
):
    client = login(opinions.world.users["office"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse(EXPORT))
    job = job_of(response)
    # Sent on commit, run at once by Celery's eager mode: no worker needed.
    assert (job.status, job.rows_done, job.rows_total, job.percent) == (ExportJob.Status.DONE, 11, 11, 100)
    page = client.get(response["Location"]).content.decode()
    assert "Ready to download" in page and "11 opinions and suggestions." in page
    assert reverse("reports:export_job_download", args=[job.pk]) in page
    assert "js/progress.js" not in page
    rows = rows_of(client.get(reverse("reports:export_job_download", args=[job.pk])))
    assert rows[1][:4] == ("No.", "Content", "Kind", "Target")
    assert len(rows) - 3 == 11, "the title, the headers, a row per opinion, the totals"
    assert job.filename == "General ledger of opinions - 示范县第一批.xlsx"


def test_a_job_waiting_for_its_worker_shows_a_progress_bar(
    opinions, login, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(tasks.run_export_job, "delay", lambda job_id: sent.append(job_id))
    client = login(opinions.world.users["office"])
    with django_capture_on_commit_callbacks(execute=True):
        job = job_of(client.post(reverse(EXPORT)))
    assert sent == [job.pk] and job.status == ExportJob.Status.WAITING
    page = client.get(reverse("reports:export_job", args=[job.pk])).content.decode()
    assert 'id="import-progress"' in page and "js/progress.js" in page
    assert f'data-status-url="{reverse("reports:export_job_status", args=[job.pk])}"' in page
    assert f'href="{reverse("reports:export_job", args=[job.pk])}">Refresh</a>' in page
    assert client.get(reverse("reports:export_job_download", args=[job.pk])).status_code == 404
    status = client.get(reverse("reports:export_job_status", args=[job.pk])).json()
    assert status == {
        "status": "waiting",
        "label": "Waiting to start",
        "running": True,
        "rows_done": 0,
        "rows_total": 0,
        "percent": 0,
        "text": "0 of about 0 rows",
        "url": reverse("reports:export_job", args=[job.pk]),
    }
    # Asked again while it waits: the same job, not a second one (its task sent again,
    # should the first message have been lost).
    with django_capture_on_commit_callbacks(execute=True):
        assert job_of(client.post(reverse(EXPORT))) == job
    assert sent == [job.pk, job.pk]
    assert ExportJob.objects.count() == 1

    tasks.run_export_job.apply(args=[job.pk])  # what the worker does (run here, in eager mode)
    tasks.run_export_job.apply(args=[job.pk])  # delivered twice: written once
    job.refresh_from_db()
    assert (job.status, job.rows_done) == (ExportJob.Status.DONE, 11)
    status = client.get(reverse("reports:export_job_status", args=[job.pk])).json()
    assert (status["running"], status["percent"], status["label"]) == (False, 100, "Ready to download")
    assert len(rows_of(client.get(reverse("reports:export_job_download", args=[job.pk])))) - 3 == 11


def test_a_job_is_seen_only_by_the_user_who_asked(opinions, login):
    world = opinions.world
    job = job_of(login(world.users["secretary"]).post(reverse(EXPORT)))
    tasks.run_export_job.apply(args=[job.pk])
    for role in ("office", "admin", "supervisor"):
        client = login(world.users[role])
        for name in ("export_job", "export_job_status", "export_job_download"):
            assert client.get(reverse(f"reports:{name}", args=[job.pk])).status_code == 404, (role, name)
    member = login(world.users["member"])
    assert member.get(reverse("reports:export_job_download", args=[job.pk])).status_code == 403
    assert member.post(reverse(EXPORT)).status_code == 403
    assert login(world.users["secretary"]).get(reverse(EXPORT)).status_code == 405, "asked for with a POST only"


def test_a_secretarys_export_holds_his_subtree_only(opinions, login):
    client = login(opinions.world.users["secretary"])
    job = job_of(client.post(reverse(EXPORT)))
    tasks.run_export_job.apply(args=[job.pk])
    text = "\n".join(
        str(v) for row in rows_of(client.get(reverse("reports:export_job_download", args=[job.pk]))) for v in row
    )
    assert "张三INSIDE" in text and "OUTSIDE" not in text
    outside = client.post(reverse(EXPORT), {"unit": opinions.world.other_unit.pk})
    assert outside.status_code == 404
    assert client.post(reverse(EXPORT), {"committee": "x"}).status_code == 404
    assert ExportJob.objects.count() == 1


def test_an_export_of_one_organisation_narrows_to_its_subtree(opinions, login):
    client = login(opinions.world.users["office"])
    job = job_of(client.post(reverse(EXPORT), {"unit": opinions.world.unit.pk}))
    tasks.run_export_job.apply(args=[job.pk])
    rows = rows_of(client.get(reverse("reports:export_job_download", args=[job.pk])))
    assert rows[0][0] == "城关镇政府INSIDE: general ledger of opinions and suggestions"
    assert len(rows) - 3 == 4, "the unit, its team and its two members"
    assert job.filename == "General ledger of opinions - 城关镇政府INSIDE.xlsx"


def test_a_user_who_lost_the_organisation_meanwhile_gets_no_file(opinions, login):
    world = opinions.world
    client = login(world.users["secretary"])
    job = job_of(client.post(reverse(EXPORT), {"unit": world.unit.pk}))
    RoleAssignment.objects.filter(user=world.users["secretary"]).update(unit=world.other_unit)
    tasks.run_export_job.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    assert not default_storage.exists(job.path)
    page = client.get(reverse("reports:export_job", args=[job.pk])).content.decode()
    assert "The export failed" in page and "Nothing was written." in page
    assert client.get(reverse("reports:export_job_download", args=[job.pk])).status_code == 404


def test_an_error_while_writing_leaves_the_job_failed_and_no_file(opinions, login, monkeypatch):
    client = login(opinions.world.users["office"])
    job = job_of(client.post(reverse(EXPORT)))

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(exports, "opinion_ledger_workbook", broken)
    tasks.run_export_job.apply(args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.finished_at is not None) == (ExportJob.Status.FAILED, True)
    assert not default_storage.exists(job.path)
    status = client.get(reverse("reports:export_job_status", args=[job.pk])).json()
    assert (status["running"], status["label"]) == (False, "Failed")


def test_old_exports_and_their_files_go_when_the_user_asks_for_another(opinions, login):
    office = opinions.world.users["office"]
    client = login(office)
    old = job_of(client.post(reverse(EXPORT)))
    tasks.run_export_job.apply(args=[old.pk])
    assert default_storage.exists(old.path)
    recent = job_of(client.post(reverse(EXPORT), {"unit": opinions.world.unit.pk}))
    tasks.run_export_job.apply(args=[recent.pk])
    ExportJob.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - export_jobs.KEEP - datetime.timedelta(hours=1)
    )
    newest = job_of(client.post(reverse(EXPORT)))
    assert not ExportJob.objects.filter(pk=old.pk).exists()
    assert not default_storage.exists(old.path)
    assert default_storage.exists(recent.path), "kept until it is as old"
    page = client.get(reverse("reports:export_job", args=[newest.pk])).content.decode()
    assert "Your recent exports" in page and reverse("reports:export_job", args=[recent.pk]) in page


def test_a_missing_file_is_not_found(opinions, login):
    client = login(opinions.world.users["office"])
    job = job_of(client.post(reverse(EXPORT)))
    tasks.run_export_job.apply(args=[job.pk])
    default_storage.delete(job.path)
    assert client.get(reverse("reports:export_job_download", args=[job.pk])).status_code == 404


def test_a_job_runs_again_over_a_file_left_by_a_worker_that_died(opinions, login):
    client = login(opinions.world.users["office"])
    job = job_of(client.post(reverse(EXPORT)))
    # The first worker set the job running, wrote part of the file, and died.
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING, rows_total=11, rows_done=5)
    default_storage.save(job.path, ContentFile(b"half a workbook"))
    tasks.run_export_job.apply(args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.rows_done) == (ExportJob.Status.DONE, 11)
    assert len(rows_of(client.get(reverse("reports:export_job_download", args=[job.pk])))) - 3 == 11


def _grow(ledgers, n: int) -> None:
    """``n`` more units with a member, a team and an opinion about each."""
    campaign, world = ledgers.campaign, ledgers.world
    for _ in range(n):
        unit = f.OrgUnitFactory(campaign=campaign, parent=world.committee, kind=OrgUnitKind.UNIT)
        member = f.MemberFactory(campaign=campaign, unit=unit)
        team = f.LeadershipTeamFactory(campaign=campaign, unit=unit)
        add_opinion(campaign, Target(member=member))
        add_opinion(campaign, Target(team=team), channel=Channel.VISIT)
    rollup.ledger_drain_outbox()


def _task_queries(client) -> int:
    job = job_of(client.post(reverse(EXPORT)))
    with CaptureQueriesContext(connection) as captured:
        export_jobs.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    return len(captured.captured_queries)


@pytest.mark.parametrize("role", ["office", "secretary"])
def test_the_task_runs_the_same_queries_with_10_or_300_opinions(opinions, login, role, monkeypatch):
    monkeypatch.setattr(exports, "CHUNK", 50)  # several chunks of the server-side cursor either way
    client = login(opinions.world.users[role])
    _grow(opinions, 5)
    few = _task_queries(client)
    _grow(opinions, 150)
    assert _task_queries(client) == few


def test_old_jobs_are_not_swept_while_they_run(opinions):
    office = opinions.world.users["office"]
    job = export_jobs.export_job_create(user=office, campaign=opinions.campaign, unit=None, language="en")
    ExportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - export_jobs.KEEP * 2)
    export_jobs.export_job_create(user=office, campaign=opinions.campaign, unit=opinions.world.unit, language="en")
    assert ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.WAITING).exists()


@pytest.mark.django_db(transaction=True)
def test_progress_is_seen_by_other_requests_while_the_export_runs(world, monkeypatch):
    from django.db import DEFAULT_DB_ALIAS, connections

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("An in-memory SQLite database locks tables between connections (a file is WAL)")
    office = world.users["office"]
    for member in (world.member, world.other_member):
        for _ in range(3):
            add_opinion(world.campaign, Target(member=member))
    monkeypatch.setattr(exports, "CHUNK", 2)
    monkeypatch.setattr(export_jobs._Progress, "INTERVAL", 0)
    job = export_jobs.export_job_create(user=office, campaign=world.campaign, unit=None, language="en")
    seen = []
    other = connections.create_connection(DEFAULT_DB_ALIAS)  # another request's view of the job
    write = export_jobs._Progress._write

    def watched(self, status=None):
        write(self, status)
        with other.cursor() as cursor:
            cursor.execute("SELECT status, rows_done, rows_total FROM reports_exportjob WHERE id = %s", [job.pk])
            seen.append(cursor.fetchone())

    monkeypatch.setattr(export_jobs._Progress, "_write", watched)
    try:
        export_jobs.export_job_run(job_id=job.pk)
        # Written while the export's own transaction was still open.
        assert seen == [("running", 0, 6), ("running", 2, 6), ("running", 4, 6), ("running", 6, 6), ("running", 6, 6)]
        job.refresh_from_db()
        assert (job.status, job.rows_done, job.rows_total) == (ExportJob.Status.DONE, 6, 6)
    finally:
        other.close()


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_the_job_runs_in_a_thread_and_the_page_shows_at_once(world, login, settings, monkeypatch):
    """The embedded default (issue 16, 7): the request that asks returns at once, the job
    runs in a thread of the server, and a second click joins it instead of starting a
    second job or a second thread."""
    import threading

    from core import jobs

    settings.JOBS_IN_THREAD = True
    for member in (world.member, world.other_member):
        add_opinion(world.campaign, Target(member=member))
    release, threads = threading.Event(), []
    run, start = export_jobs.export_job_run, jobs.job_start

    def held(*, job_id):  # the job waits until the test has looked at its page
        assert release.wait(10)
        run(job_id=job_id)

    def started(task, job_id):
        thread = start(task, job_id)
        threads.append(thread)
        return thread

    monkeypatch.setattr(export_jobs, "export_job_run", held)
    monkeypatch.setattr("reports.opinions.views.job_start", started)
    client = login(world.users["office"])
    try:
        response = client.post(reverse(EXPORT))
        job = job_of(response)
        assert job.status == ExportJob.Status.WAITING and threads[0] is not None and threads[0].is_alive()
        page = client.get(response["Location"]).content.decode()
        assert "js/progress.js" in page and "Waiting to start" in page

        again = client.post(reverse(EXPORT), follow=True)
        assert again.redirect_chain[-1][0] == reverse("reports:export_job", args=[job.pk])
        assert "already being written" in again.content.decode()
        assert ExportJob.objects.count() == 1
        assert threads[1] is None, "the job already running in a thread is not started again"
    finally:
        release.set()
        for thread in threads:
            if thread is not None:
                thread.join(20)
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.rows_total) == (ExportJob.Status.DONE, 2, 2)
    assert not jobs.job_running_in_thread(tasks.run_export_job, job.pk)
    assert len(rows_of(client.get(reverse("reports:export_job_download", args=[job.pk])))) - 3 == 2
    # Finished: asking again starts a new export.
    assert job_of(client.post(reverse(EXPORT))) != job
    threads[-1].join(20)


def test_the_embedded_default_runs_jobs_in_a_thread_only_without_a_broker():
    from django.conf import settings as live

    # Under pytest (eager Celery) jobs run where they are sent unless a test says otherwise.
    assert live.CELERY_TASK_ALWAYS_EAGER and not live.JOBS_IN_THREAD
