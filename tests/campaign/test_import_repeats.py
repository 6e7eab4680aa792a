"""The same file, or the same rows, imported twice into a campaign: the dry run says so
(by the file's hash, or by the rows found in earlier files, whatever their format), and
the import is refused until confirmed, in the browser and on the command line, for
every import (campaign.import_records)."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation
from django.utils.timezone import localtime

from campaign.models import ImportedFile, ImportKind, OrgUnit
from opinions.imports import opinions_import
from opinions.models import ImportJob, Opinion
from talks.imports import talks_import
from talks.models import TalkKind
from tests.campaign.importing import UNIT_HEADERS, csv_bytes, run, xlsx
from tests.form_once import FIELD, token_in
from tests.talks.factories import analysis_day


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def org_file(world) -> bytes:
    return xlsx({"units": [UNIT_HEADERS, ["NU1", "新单位一", "Unit", world.committee.code]]})


def opinion_rows(world) -> list[list[str]]:
    day = world.campaign.starts_on.isoformat()
    return [
        ["Content", "Kind", "Target code", "Channel", "Date"],
        ["会议太多", "Opinion", world.unit.code, "Hotline", day],
        ["检查太多", "Opinion", world.unit.code, "Hotline", day],
        ["多下基层", "Suggestion", world.unit.code, "Hotline", day],
    ]


def opinions(world, data: bytes, filename: str, **kwargs):
    return opinions_import(campaign=world.campaign, user=None, source=io.BytesIO(data), filename=filename, **kwargs)


def test_the_same_org_file_twice_is_named_by_the_dry_run_and_changes_nothing(world):
    """An organisation's rows are matched by code: a file again doubles nothing, so the
    dry run tells, and the import needs no confirmation."""
    data = org_file(world)
    first = run(world.campaign, data, "org.xlsx")
    assert first.ok and first.repeats == []
    record = ImportedFile.objects.get(campaign=world.campaign)
    assert (record.kind, record.rows, record.filename) == (ImportKind.ORG, 1, "org.xlsx")
    check = run(world.campaign, data, "org-copy.xlsx", dry_run=True)
    assert check.ok and not check.again_needed
    assert check.repeats == [
        f"This file was already imported into this campaign on {localtime(record.imported_at).date().isoformat()} "
        "(org.xlsx, 1 row)."
    ]
    second = run(world.campaign, data, "org-copy.xlsx")
    assert second.ok and [c.unchanged for c in second.counts] == [1]
    assert OrgUnit.objects.filter(campaign=world.campaign, code="NU1").count() == 1


def test_the_same_opinions_file_twice_needs_confirming(world):
    data = csv_bytes(opinion_rows(world))
    assert opinions(world, data, "o.csv", dry_run=False).ok
    check = opinions(world, data, "o-copy.csv", dry_run=True)
    assert check.ok and check.again_needed
    assert check.repeats[0].startswith("This file was already imported into this campaign on ")
    refused = opinions(world, data, "o-copy.csv", dry_run=False)
    assert [str(e) for e in refused.errors][-1] == (
        "o-copy.csv: Nothing was imported; confirm that the file is to be imported again."
    )
    assert Opinion.objects.filter(campaign=world.campaign).count() == 3
    assert ImportedFile.objects.filter(campaign=world.campaign).count() == 1
    assert opinions(world, data, "o-copy.csv", dry_run=False, again=True).ok
    assert Opinion.objects.filter(campaign=world.campaign).count() == 6
    assert ImportedFile.objects.filter(campaign=world.campaign).count() == 2


def test_rows_seen_before_in_a_file_of_another_format_are_counted(world):
    rows = opinion_rows(world)
    assert opinions(world, csv_bytes(rows), "first.csv", dry_run=False).ok
    # The same two rows in a workbook, in another order, with one new row.
    later = xlsx(
        {"opinions": [rows[0], rows[2], ["新的一条", "Opinion", world.unit.code, "Hotline", rows[1][4]], rows[1]]}
    )
    check = opinions(world, later, "later.xlsx", dry_run=True)
    assert check.ok
    day = localtime(ImportedFile.objects.get().imported_at).date().isoformat()
    assert check.repeats == [f"2 of this file's 3 rows were already imported into this campaign (first.csv, {day})."]
    assert not opinions(world, later, "later.xlsx", dry_run=False).ok
    assert Opinion.objects.filter(campaign=world.campaign).count() == 3
    assert opinions(world, later, "later.xlsx", dry_run=False, again=True).ok
    assert Opinion.objects.filter(campaign=world.campaign).count() == 6


def test_a_file_with_new_rows_only_imports_without_a_question(world):
    rows = opinion_rows(world)
    assert opinions(world, csv_bytes(rows[:2]), "a.csv", dry_run=False).ok
    report = opinions(world, csv_bytes([rows[0], *rows[2:]]), "b.csv", dry_run=False)
    assert report.ok and report.repeats == []


def test_the_command_refuses_without_a_terminal_and_imports_with_again(world, tmp_path):
    path = tmp_path / "opinions.csv"
    path.write_bytes(csv_bytes(opinion_rows(world)))
    call_command("import_opinions", str(path), "--campaign", "demo", stdout=io.StringIO())
    out, err = io.StringIO(), io.StringIO()
    call_command("import_opinions", str(path), "--campaign", "demo", "--dry-run", stdout=out)
    assert "This file was already imported into this campaign" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("import_opinions", str(path), "--campaign", "demo", "--no-input", stdout=out, stderr=err)
    assert "--again" in err.getvalue()
    assert Opinion.objects.filter(campaign=world.campaign).count() == 3
    call_command("import_opinions", str(path), "--campaign", "demo", "--again", stdout=io.StringIO())
    assert Opinion.objects.filter(campaign=world.campaign).count() == 6


def test_the_command_asks_whoever_runs_it(world, tmp_path, monkeypatch):
    path = tmp_path / "opinions.csv"
    path.write_bytes(csv_bytes(opinion_rows(world)))
    call_command("import_opinions", str(path), "--campaign", "demo", stdout=io.StringIO())
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    answers = iter(["n", "y"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    with pytest.raises(CommandError):
        call_command("import_opinions", str(path), "--campaign", "demo", stdout=io.StringIO(), stderr=io.StringIO())
    assert Opinion.objects.filter(campaign=world.campaign).count() == 3
    out = io.StringIO()
    call_command("import_opinions", str(path), "--campaign", "demo", stdout=out)
    assert "Imported 3 rows" in out.getvalue()
    assert Opinion.objects.filter(campaign=world.campaign).count() == 6


def talk_file(world) -> bytes:
    colleague = world.member.teams.get().members.exclude(pk=world.member.pk).get()
    day = analysis_day(world.campaign, 1).isoformat()
    return xlsx(
        {
            "talks": [
                ["Member number", "Other member number", "Kind", "Date", "Topics"],
                [world.member.number, colleague.number, str(TalkKind.TEAM.label), day, "谈工作作风"],
            ]
        }
    )


def test_talk_cards_again_name_the_file_as_well_as_the_cards_on_record(world):
    data = talk_file(world)
    first = talks_import(campaign=world.campaign, user=None, source=io.BytesIO(data), filename="t.xlsx", dry_run=False)
    assert first.ok, [str(e) for e in first.errors]
    check = talks_import(campaign=world.campaign, user=None, source=io.BytesIO(data), filename="t.xlsx")
    assert not check.ok  # the card is on record already
    assert any("already imported" in message for message in check.repeats)


def test_an_opinion_import_job_asks_for_the_box_too(world, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = login(world.users["office"])
    data = csv_bytes(opinion_rows(world))
    assert opinions(world, data, "o.csv", dry_run=False).ok
    upload = io.BytesIO(data)
    upload.name = "o.csv"
    page = client.get(reverse("opinions:import_page"))
    response = client.post(reverse("opinions:import_page"), {"file": upload, FIELD: token_in(page.content)})
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.CHECKED and job.repeats
    shown = client.get(reverse("opinions:import_job", kwargs={"pk": job.pk})).content.decode()
    assert "Imported before" in shown and 'name="again"' in shown
    client.post(reverse("opinions:import_confirm", kwargs={"pk": job.pk}))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKED
    client.post(reverse("opinions:import_confirm", kwargs={"pk": job.pk}), {"again": "1"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert Opinion.objects.filter(campaign=world.campaign).count() == 6
    assert response.status_code == 302


def test_celery_lines_stay_out_of_an_import_commands_output(
    world, tmp_path, caplog, django_capture_on_commit_callbacks, monkeypatch
):
    """In eager mode the roll-up an import enqueues runs in the command's process when
    the import commits: its "Task … succeeded" line must not mix into what the command
    prints. (The test's own transaction never commits: the commit's callbacks are run
    where the command's commit would run them, inside the command.)"""
    import logging

    from campaign.import_command import ImportCommand

    original = ImportCommand.import_file
    ran = []

    def committing(self, options):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            original(self, options)
        ran.extend(callbacks)

    monkeypatch.setattr(ImportCommand, "import_file", committing)
    path = tmp_path / "org.xlsx"
    path.write_bytes(org_file(world))
    caplog.set_level(logging.INFO)
    call_command("import_org", str(path), "--campaign", "demo", stdout=io.StringIO())
    assert ran  # the roll-up did run, in this process
    assert [r.getMessage() for r in caplog.records if r.name.split(".")[0] in ("celery", "kombu", "amqp")] == []
    # The levels are as they were once the command is done.
    assert logging.getLogger("celery").level == logging.NOTSET
