"""Large browser imports of talk cards as a job with a progress bar; choosing a
workbook's sheet (page and command); the day in messages as the file writes it."""

from __future__ import annotations

import datetime
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from campaign.models import Member
from talks.imports import talks_import
from talks.models import Talk, TalkImportJob
from tests.campaign.importing import xlsx
from tests.talks.factories import analysis_day
from tests.talks.test_import import ZH

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(world):
    """The world's member, his colleague in the same unit and team, the outside member."""
    return world.member, Member.objects.get(campaign=world.campaign, name="李四INSIDE"), world.other_member


@pytest.fixture
def day(world) -> datetime.date:
    return analysis_day(world.campaign, 3)


def _rows(people, day, count: int = 2) -> list[list]:
    member, colleague, _outside = people
    return [
        [member.number, "", colleague.number, "", "", "", "党员之间", day + datetime.timedelta(days=n), "", f"谈心{n}"]
        for n in range(count)
    ]


def test_a_large_file_is_a_job_checked_then_imported_with_its_progress(
    world, people, day, login, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_TASK_ROWS = 1  # two rows are "large" here
    client = login(world.users["office"])
    upload = SimpleUploadedFile("大批谈心卡.xlsx", xlsx({"谈心谈话": [ZH, *_rows(people, day)]}))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("talks:import_page"), {"file": upload})
    job = TalkImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("talks:import_job", args=[job.pk])
    assert job.status == TalkImportJob.Status.CHECKED and job.counts == [{"sheet": "谈心谈话", "created": 2}]
    assert not Talk.objects.exists()
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Every row is valid" in page and "Confirm the import" in page
    status = json.loads(client.get(reverse("talks:import_status", args=[job.pk])).content)
    assert status["status"] == "checked" and status["running"] is False

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(reverse("talks:import_confirm", args=[job.pk]))
    assert confirmed.status_code == 302
    job.refresh_from_db()
    assert job.status == TalkImportJob.Status.DONE and job.rows_done == 2
    assert Talk.objects.count() == 2
    assert set(Talk.objects.values_list("recorded_by", flat=True)) == {world.users["office"].pk}
    done = client.get(reverse("talks:import_job", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Imported" in done and reverse("talks:card_list") in done
    # Confirmed twice: told so, nothing written again.
    again = client.post(reverse("talks:import_confirm", args=[job.pk]), follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "This import is not waiting for confirmation." in again.content.decode()
    assert Talk.objects.count() == 2
    # The import page lists the user's large imports.
    assert "大批谈心卡.xlsx" in client.get(reverse("talks:import_page")).content.decode()


def test_a_large_file_with_a_bad_row_ends_its_job_with_the_problems(
    world, people, day, login, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_TASK_ROWS = 1
    member, _colleague, _outside = people
    rows = [ZH, *_rows(people, day), [member.number, "", member.number, "", "", "", "党员之间", day, "", "自己"]]
    client = login(world.users["office"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("talks:import_page"), {"file": SimpleUploadedFile("t.xlsx", xlsx({"谈心谈话": rows}))})
    job = TalkImportJob.objects.get()
    assert job.status == TalkImportJob.Status.INVALID and job.error_count == 1
    page = client.get(reverse("talks:import_job", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 problem; nothing was imported" in page and "A talk needs two people" in page
    assert "Confirm the import" not in page
    assert not Talk.objects.exists()


def _two_sheets(people, day) -> bytes:
    rows = _rows(people, day, 3)
    return xlsx({"一月": [ZH, rows[0]], "二月": [ZH, rows[1], rows[2]]})


def test_the_sheet_to_read_is_chosen_by_name(world, people, day):
    data = _two_sheets(people, day)
    both = talks_import(campaign=world.campaign, user=None, source=io.BytesIO(data), filename="t.xlsx", dry_run=True)
    with translation.override("en"):
        assert any("already holds" in str(error) for error in both.errors)
    report = talks_import(
        campaign=world.campaign, user=None, source=io.BytesIO(data), filename="t.xlsx", dry_run=False, sheet="二月"
    )
    assert report.ok and [(c.sheet, c.created) for c in report.counts] == [("二月", 2)]
    assert set(Talk.objects.values_list("topics", flat=True)) == {"谈心1", "谈心2"}
    missing = talks_import(
        campaign=world.campaign, user=None, source=io.BytesIO(data), filename="t.xlsx", dry_run=True, sheet="三月"
    )
    with translation.override("en"):
        assert any("The workbook has no sheet named 三月; its sheets are 一月" in str(e) for e in missing.errors)


def test_the_page_and_the_command_take_the_sheet(world, people, day, login, tmp_path):
    client = login(world.users["office"])
    upload = SimpleUploadedFile("t.xlsx", _two_sheets(people, day))
    page = client.post(reverse("talks:import_page"), {"file": upload, "sheet": "一月"}, HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "every row is valid" in text and client.session["talks_import"]["options"] == {"sheet": "一月"}
    path = tmp_path / "t.xlsx"
    path.write_bytes(_two_sheets(people, day))
    call_command("import_talks", str(path), "--sheet", "二月", "--campaign", world.campaign.slug, stdout=io.StringIO())
    assert set(Talk.objects.values_list("topics", flat=True)) == {"谈心1", "谈心2"}


def test_a_day_outside_the_stage_is_named_as_the_file_writes_it(world, people):
    member, colleague, _outside = people
    stage = world.campaign.stages.get(kind="analysis")
    late = stage.ends_on + datetime.timedelta(days=3)
    typed = f"{late.year}年{late.month}月{late.day}日"
    rows = [ZH, [member.number, "", colleague.number, "", "", "", "党员之间", typed, "", "阶段之外"]]
    report = talks_import(
        campaign=world.campaign, user=None, source=io.BytesIO(xlsx({"谈心谈话": rows})), filename="t.xlsx"
    )
    with translation.override("en"):
        found = [str(error) for error in report.errors]
    assert len(found) == 1 and f"{typed} lies outside it" in found[0]
    assert late.isoformat() not in found[0]


def test_the_page_says_the_header_may_sit_below_title_rows(world, login):
    client = login(world.users["office"])
    text = client.get(reverse("talks:import_page"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "under title and blank rows" in text and "The first row holds the headers" not in text
