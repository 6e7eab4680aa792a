"""The general ledger of opinions in Chromium: the office asks for it on the ledger page,
the job's page shows it written (Celery is eager here) and offers the file; a job still
waiting for its worker shows a progress bar. Screenshots go to /tmp/canvass-shots/."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from opinions.services import Target
from reports import export_jobs
from reports.ledger import rollup
from reports.models import ExportJob
from tests.browser.helpers import log_in, shoot, tr
from tests.conftest import World
from tests.reports.helpers import add_opinion

pytestmark = pytest.mark.browser


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_office_asks_for_the_ledger_of_opinions_and_downloads_it(
    live_world: World, open_page, media, language: str
) -> None:
    world = live_world
    for member in (world.member, world.other_member):
        add_opinion(world.campaign, Target(member=member))
    rollup.ledger_drain_outbox()
    page: Page = open_page(language=language)
    log_in(page, "office", language=language)
    page.goto("/ledgers/")
    with page.expect_navigation():
        page.get_by_role("button", name=tr(language, "General ledger of opinions (Excel)")).click()
    expect(page.locator("h2").first).to_have_text(tr(language, "Ready to download"))
    job = ExportJob.objects.get()
    assert (job.status, job.rows_done, job.language) == (ExportJob.Status.DONE, 2, language)
    shoot(page, f"perf-export-done-{language}")
    with page.expect_download() as download:
        page.get_by_role("link", name=tr(language, "Download")).click()
    assert download.value.suggested_filename == job.filename


def test_a_job_waiting_for_its_worker_shows_its_progress(live_world: World, open_page, media) -> None:
    world = live_world
    job = export_jobs.export_job_create(
        user=world.users["office"], campaign=world.campaign, unit=world.unit, language="zh-hans"
    )
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING, rows_total=11047, rows_done=4000)
    page: Page = open_page(language="zh-hans")
    log_in(page, "office", language="zh-hans")
    page.goto(f"/ledgers/exports/{job.pk}/")
    expect(page.locator("#import-progress")).to_have_attribute("value", "4000")
    expect(page.locator("[data-import-label]")).to_have_text(tr("zh-hans", "Being exported"))
    shoot(page, "perf-export-running-zh-hans")
    # The worker finishes: the page, polling the status, reloads and offers the file.
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.FAILED)
    expect(page.locator("h2").first).to_have_text(tr("zh-hans", "The export failed"), timeout=15_000)
    shoot(page, "perf-export-failed-zh-hans")
