"""Issue 17 on the demo county: the stage summary report holds every figure of
``stage_summary --json`` in its sentence, as the seed states it; ``stage_report --verify``
agrees with a recount and names a figure a drifted ledger row changed; the .docx prints
to PDF with LibreOffice with its Chinese as characters; the ledgers' workbook and the
report's pages answer for the office."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from io import StringIO
from pathlib import Path

import docx
import openpyxl
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import resolve, reverse
from django.utils import translation

from campaign.models import Stage, StageKind
from reports.models import ExportJob, LedgerLevel, LedgerRow
from reports.summary_report import report as stage_report
from tests.conftest import need
from tests.demo.helpers import fresh_user

pytestmark = pytest.mark.django_db

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")
PDFTOPPM = shutil.which("pdftoppm")


def leaves(tree: dict, prefix: str = "") -> dict[str, int]:
    found = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            found.update(leaves(value, f"{path}."))
        else:
            found[path] = value
    return found


@pytest.fixture
def written(seeded, tmp_path) -> tuple[Path, dict[str, int]]:
    out = StringIO()
    call_command("stage_summary", "--campaign", seeded.campaign.slug, "--json", stdout=out)
    summary = leaves(json.loads(out.getvalue()))
    path = tmp_path / "report.docx"
    with translation.override("zh-hans"):
        call_command(
            "stage_report",
            "--campaign",
            seeded.campaign.slug,
            "--stage",
            "analysis",
            "--out",
            str(path),
            "--verify",
            stdout=StringIO(),
        )
    return path, summary


def test_the_docx_holds_every_figure_of_the_stage_summary_in_its_sentence(seeded, written):
    path, summary = written
    paragraphs = [paragraph.text for paragraph in docx.Document(str(path)).paragraphs]
    with translation.override("zh-hans"):
        built = stage_report.build(seeded.campaign, Stage.objects.get(campaign=seeded.campaign, kind="analysis"))
        # Read in the report's language: a figure is written as its language writes it.
        figures = {shown.fig.name: (shown, sentence.text) for shown, sentence in built.figures()}
    missing = sorted(set(summary) - set(figures))
    assert not missing, f"figures of stage_summary --json not in the report: {missing}"
    for name, value in summary.items():
        shown, sentence = figures[name]
        assert shown.value == value, name
        assert str(value) in sentence, name  # 11047 in Chinese, as the seed states it
        assert any(sentence in paragraph for paragraph in paragraphs), f"{name}: its sentence is not in the .docx"
    # As the seed states it.
    first = figures["opinions.total"][1]
    team_opinions = figures["opinions.standing_committee_team.opinion"][0].value
    team_suggestions = figures["opinions.standing_committee_team.suggestion"][0].value
    assert first.startswith(
        f"共征求意见建议{summary['opinions.total']}条，其中对县委常委会班子的"
        f"{summary['opinions.by_category.standing_committee_team']}条（意见{team_opinions}条、建议{team_suggestions}条）"
    ), first
    assert team_opinions + team_suggestions == summary["opinions.by_category.standing_committee_team"]
    # Numbered headings in the seed's order, the shortcomings last.
    headings = [section.heading for section in built.sections]
    assert headings[0].startswith("一、") and headings[-1].startswith(f"{'一二三四五六七八九十'[len(headings) - 1]}、")
    assert [section.name for section in built.sections] == [
        "opinions",
        "talks",
        "documents",
        "meetings",
        "appraisal",
        "lookback",
        "rectification",
        "shortcomings",
    ]


def test_a_drifted_ledger_figure_makes_verify_exit_1_naming_it(seeded, tmp_path):
    row = LedgerRow.objects.get(
        campaign=seeded.campaign, level=LedgerLevel.COUNTY, dimension="category", key="standing_committee_team"
    )
    LedgerRow.objects.filter(pk=row.pk).update(value=row.value + 1)
    err = StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command(
            "stage_report",
            "--campaign",
            seeded.campaign.slug,
            "--stage",
            "analysis",
            "--out",
            str(tmp_path / "drifted.docx"),
            "--verify",
            stdout=StringIO(),
            stderr=err,
        )
    assert exited.value.code == 1
    assert "opinions.by_category.standing_committee_team" in err.getvalue()
    assert f"{row.value + 1}" in err.getvalue() and f"{row.value}" in err.getvalue()
    # The page shows the difference beside the figure.
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(fresh_user("office"))
    page = client.get(reverse("reports:stage_report_stage", args=["analysis"]) + "?verify=1").content.decode()
    assert "opinions.by_category.standing_committee_team" in page
    assert f"recount: {row.value}" in page


def test_the_report_prints_to_pdf_with_its_chinese(seeded, written, tmp_path):
    need(
        SOFFICE is not None and PDFTOTEXT is not None and PDFTOPPM is not None,
        "LibreOffice and poppler are not installed",
    )
    path, summary = written
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to", "pdf"]
        + ["--outdir", str(tmp_path), str(path)],
        check=True,
        capture_output=True,
        timeout=240,
    )
    pdf = tmp_path / "report.pdf"
    text = subprocess.run([PDFTOTEXT, str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    squeezed = "".join(text.split())
    assert f"共征求意见建议{summary['opinions.total']}条" in squeezed
    assert "存在的不足" in squeezed and "— 1 —".replace(" ", "") in squeezed
    subprocess.run([PDFTOPPM, "-png", "-r", "60", "-f", "1", "-l", "2", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert pages and all(page.stat().st_size > 5000 for page in pages)
    shots = Path("/tmp/canvass-shots/stage-report")
    shots.mkdir(parents=True, exist_ok=True)
    for page in pages:
        shutil.copy(page, shots / page.name)


def test_the_office_writes_the_text_asks_for_the_docx_and_the_workbook(seeded, django_capture_on_commit_callbacks):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    office = fresh_user("office")
    client.force_login(office)
    edit = reverse("reports:stage_report_edit", args=["analysis"])
    assert client.get(edit).status_code == 200
    response = client.post(
        edit,
        {
            "title": "某县先进性教育活动分析评议阶段工作总结",
            "opening__text": "3月17日，我县转入分析评议阶段。",
            "talks__after": "谈心谈话做到了“五必谈”。",
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("reports:stage_report")).content.decode()
    assert "某县先进性教育活动分析评议阶段工作总结" in page and "谈心谈话做到了“五必谈”。" in page
    too_long = client.post(edit, {"title": "x", "talks__after": "长" * 4001})
    assert too_long.status_code == 200 and "4000" in too_long.content.decode()

    stage = Stage.objects.get(campaign=seeded.campaign, kind=StageKind.ANALYSIS)
    assert stage.pk
    for what, kind in (("docx", ExportJob.Kind.STAGE_REPORT), ("xlsx", ExportJob.Kind.STAGE_LEDGERS)):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("reports:stage_report_export", args=["analysis"]), {"what": what})
        job = ExportJob.objects.get(pk=resolve(response["Location"]).kwargs["pk"])
        job.refresh_from_db()
        assert (job.kind, job.status, job.user) == (kind, ExportJob.Status.DONE, office)
        download = client.get(reverse("reports:export_job_download", args=[job.pk]))
        content = b"".join(download.streaming_content)
        if what == "docx":
            texts = [p.text for p in docx.Document(io.BytesIO(content)).paragraphs]
            assert texts[0] == "某县先进性教育活动分析评议阶段工作总结"
            assert "3月17日，我县转入分析评议阶段。" in texts
        else:
            book = openpyxl.load_workbook(io.BytesIO(content))
            assert book.sheetnames == ["总账", "分账（按党委）", "分账（按单位）"]
            assert book["分账（按单位）"].max_row >= 91 + 3
    # A secretary reads no county report.
    secretary = Client()
    secretary.force_login(fresh_user("secretary"))
    assert secretary.get(reverse("reports:stage_report")).status_code == 403


def test_the_demo_countys_dashboards_run_the_same_few_queries(seeded):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from campaign.models import OrgUnit, OrgUnitKind, SupervisoryTeam
    from tests.reports.test_dashboard import MAX_QUERIES

    committee = OrgUnit.objects.filter(campaign=seeded.campaign, kind=OrgUnitKind.PARTY_COMMITTEE).first()
    team = SupervisoryTeam.objects.filter(campaign=seeded.campaign).first()
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(fresh_user("office"))
    for url in (
        reverse("reports:dashboard"),
        reverse("reports:dashboard_unit", args=[committee.pk]),
        reverse("reports:dashboard_team", args=[team.pk]),
    ):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        assert len(captured) <= MAX_QUERIES, (url, len(captured))
    assert len(response.context["dashboard"].heat) == team.units.count()
