"""The office-layout exports print: LibreOffice, which computes no row height of its own,
turns each workbook into a PDF in which every wrapped cell's whole text is on the page
(a cell cut at its row's height loses the lines below it), the title and headers too,
and no apostrophe of the formula guard is printed.

The demo as shipped, with one unit's records given texts long enough to wrap many times
and a would-be formula; one LibreOffice run converts every export."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import openpyxl
import pytest
from django.test import Client
from django.urls import resolve, reverse

from campaign.models import Member, OrgUnit, OrgUnitKind
from opinions.models import Opinion
from reports.ledger.rollup import ledger_rollup_full
from reports.models import ExportJob
from reports.opinions.selectors import subtree_figures
from talks.models import Talk
from tests.conftest import need
from tests.demo.helpers import fresh_user

pytestmark = pytest.mark.django_db

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")
LONG = "会议室里反映的问题：" + "基层调研不够深入，对群众反映强烈的热点难点问题解决不及时，" * 6 + "完。"
FORMULA = "=SUM(1,2) 不应执行"


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture
def exports(seeded, tmp_path, django_capture_on_commit_callbacks) -> dict[str, Path]:
    need(SOFFICE is not None and PDFTOTEXT is not None, "LibreOffice (soffice) and pdftotext are not installed")
    unit = OrgUnit.objects.get(campaign=seeded.campaign, name="县委办公室")
    opinions = Opinion.objects.filter(campaign=seeded.campaign, target_member__unit=unit)
    first = opinions.order_by("pk").first()
    opinions.filter(pk=first.pk).update(text=LONG)
    opinions.exclude(pk=first.pk).filter(pk__in=opinions.order_by("pk").values("pk")[1:2]).update(text=FORMULA)
    talk = Talk.objects.filter(campaign=seeded.campaign, member__unit=unit).order_by("pk").first()
    Talk.objects.filter(pk=talk.pk).update(member_problems=LONG)
    member = Member.objects.filter(unit=unit).order_by("pk").first()
    ledger_rollup_full(campaign_id=seeded.campaign.pk)

    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(fresh_user("office"))
    urls = {
        "summary": reverse("reports:summary_export"),
        "sub_ledger": reverse("reports:unit_ledger_export", args=[unit.pk]),
        "talks_summary": reverse("reports:talks_county_export"),
        "talks_unit": reverse("reports:talks_unit_export", args=[unit.pk]),
        "talks_member": reverse("reports:talks_member_export", args=[member.pk]),
        "talks_review": reverse("reports:talks_review_export"),
        "documents": reverse("reports:documents_progress_export"),
        "documents_unit": reverse("reports:documents_unit_export", args=[unit.pk]),
        "talk_register": reverse("talks:register_export", args=[unit.pk]),
    }
    files = {}
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, name
        files[name] = tmp_path / f"{name}.xlsx"
        files[name].write_bytes(body(response))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:opinion_ledger_export"), {"unit": unit.pk})
    job = ExportJob.objects.get(pk=resolve(urlsplit(response["Location"]).path).kwargs["pk"])
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    files["general_ledger"] = tmp_path / "general_ledger.xlsx"
    files["general_ledger"].write_bytes(body(client.get(reverse("reports:export_job_download", args=[job.pk]))))

    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to", "pdf"]
        + ["--outdir", str(tmp_path), *map(str, files.values())],
        check=True,
        capture_output=True,
        timeout=240,
    )
    return files


def wrapped_texts(path: Path) -> list[str]:
    """The text of every cell that wraps (the title, the headers, the long columns)."""
    book = openpyxl.load_workbook(io.BytesIO(path.read_bytes()))
    return [
        str(cell.value)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value not in (None, "") and cell.alignment.wrap_text
    ]


def test_every_wrapped_cell_of_every_office_export_prints_whole(exports):
    cut = []
    for name, path in exports.items():
        pdf = path.with_suffix(".pdf")
        assert pdf.exists(), f"LibreOffice made no PDF of {name}"
        printed = squeeze(subprocess.run([PDFTOTEXT, "-raw", str(pdf), "-"], capture_output=True, text=True).stdout)
        texts = wrapped_texts(path)
        assert texts, name
        cut += [f"{name}: {text[:40]}" for text in texts if squeeze(text) not in printed]
    assert not cut, "cut on the page:\n" + "\n".join(cut)


def test_the_long_text_and_the_guarded_formula_print_as_written(exports):
    printed = squeeze(
        subprocess.run(
            [PDFTOTEXT, "-raw", str(exports["general_ledger"].with_suffix(".pdf")), "-"],
            capture_output=True,
            text=True,
        ).stdout
    )
    assert squeeze(LONG) in printed
    assert squeeze(FORMULA) in printed
    assert squeeze("'" + FORMULA) not in printed  # the guard is a cell's type, not a printed apostrophe


def test_every_units_sub_ledger_totals_equal_its_figures_and_the_ledger(seeded):
    """Every unit of the demo: the sub-ledger's foot equals its own statistics sheet and
    the ledger's figure for the unit's subtree (opinions about a unit as a whole included)."""
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(fresh_user("office"))
    units = OrgUnit.objects.filter(campaign=seeded.campaign).exclude(kind=OrgUnitKind.BRANCH).order_by("pk")
    for unit in units:
        book = openpyxl.load_workbook(
            io.BytesIO(body(client.get(reverse("reports:unit_ledger_export", args=[unit.pk]))))
        )
        sheet, figures = book.worksheets
        foot = list(sheet.iter_rows(values_only=True))[-1]
        statistics = list(figures.iter_rows(values_only=True))[-1]
        assert foot[6] == statistics[2] == subtree_figures(unit).total, unit.name
    assert units.count() > 80
