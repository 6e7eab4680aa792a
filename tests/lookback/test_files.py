"""The look-back's files: attendance and check results imported all or nothing (Chinese
or English headers, every bad row named), the order register and a committee's
look-back table in the office's layout."""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from lookback import imports, services
from lookback.models import Attendance, AttendanceStatus, CheckItem, LookbackCheck, RemedialOrder
from tests.lookback.factories import overruled, secretary, session, today
from tests.meetings.test_files import xlsx


def attendance_file(world, *, status: str = "出席", english: bool = False) -> Callable[[], io.BytesIO]:
    """A secretary for the world's branch, a session of its committee yesterday, and a
    file that records his attendance there."""
    term = secretary(world.branch)
    held = session(world.committee)
    headers = (
        ["Committee code", "Session date", "Branch code", "Secretary", "Attendance", "Made up on"]
        if english
        else ["组织党委编号", "培训日期", "支部编号", "支部书记", "出席情况", "补训日期"]
    )
    rows = [headers, [world.committee.code, held.held_on.isoformat(), world.branch.code, term.member.name, status, ""]]

    def make() -> io.BytesIO:
        source = xlsx({"培训签到": rows})
        source.name = "签到.xlsx"
        return source

    return make


def checks_file(world, *, met: str = "是", items: range = range(1, 7)) -> Callable[[], io.BytesIO]:
    rows = [["单位编号", "单位名称", "项目", "是否达标", "说明"]]
    rows += [[world.unit.code, world.unit.name, str(n), met, "自查情况"] for n in items]

    def make() -> io.BytesIO:
        source = xlsx({"回头看结果": rows})
        source.name = "回头看.xlsx"
        return source

    return make


def _run(run, world, user, make, *, dry_run: bool = False):
    return run(campaign=world.campaign, user=user, source=make(), filename="f.xlsx", dry_run=dry_run)


@pytest.mark.parametrize("english", [False, True])
def test_attendance_imports_with_chinese_or_english_headers(world, english):
    make = attendance_file(world, status="present" if english else "出席", english=english)
    report = _run(imports.attendance_import, world, world.users["office"], make, dry_run=True)
    assert report.ok, report.errors
    assert not Attendance.objects.exists()  # a dry run writes nothing
    report = _run(imports.attendance_import, world, world.users["office"], make)
    assert report.ok and report.rows == 1
    assert Attendance.objects.get().status == AttendanceStatus.PRESENT


def test_bad_attendance_rows_are_named_and_nothing_is_written(world):
    term = secretary(world.branch)
    held = session(world.committee)
    future = session(world.committee, held_on=today() + datetime.timedelta(days=3))
    rows = [
        ["组织党委编号", "培训日期", "支部编号", "出席情况", "补训日期"],
        [world.committee.code, held.held_on.isoformat(), world.branch.code, "出席", ""],
        [world.committee.code, future.held_on.isoformat(), world.branch.code, "出席", ""],
        [world.committee.code, "2026-13-40", world.branch.code, "出席", ""],
        [world.committee.code, held.held_on.isoformat(), world.branch.code, "迟到", ""],
    ]
    report = imports.attendance_import(
        campaign=world.campaign, user=world.users["office"], source=xlsx({"培训签到": rows}), filename="f.xlsx"
    )
    text = " ".join(str(e) for e in report.errors)
    assert not report.ok
    assert "row 3" in text and "has not happened yet" in text
    assert "row 4" in text and "row 5" in text
    assert not Attendance.objects.exists()
    assert term.pk  # the secretary stays as he was


def test_check_results_import_as_the_secretarys_self_check_then_the_supervisors_verdict(world):
    report = _run(imports.checks_import, world, world.users["secretary"], checks_file(world))
    assert report.ok, report.errors
    check = LookbackCheck.objects.get(unit=world.unit)
    assert check.items.filter(self_met=True).count() == 6
    proposed = services.proposals_for(world.unit)
    rows = [["单位编号", "项目", "是否达标", "说明", "推翻数据提示的理由"]]
    verdict = overruled(proposed, short=(2,))
    rows += [[world.unit.code, str(n), "是" if j.met else "否", j.notes, j.reason] for n, j in verdict.items()]
    report = imports.checks_import(
        campaign=world.campaign,
        user=world.users["supervisor"],
        source=xlsx({"回头看结果": rows}),
        filename="f.xlsx",
        dry_run=False,
    )
    assert report.ok, report.errors
    assert CheckItem.objects.get(check_record=check, item=2).verdict_met is False


def test_check_results_with_an_item_missing_or_from_an_outsider_are_refused(world):
    report = _run(imports.checks_import, world, world.users["secretary"], checks_file(world, items=range(1, 6)))
    assert not report.ok
    assert "Satisfaction" in " ".join(str(e) for e in report.errors)
    report = _run(imports.checks_import, world, world.users["office"], checks_file(world))
    assert not report.ok
    assert "Only the unit's secretary" in " ".join(str(e) for e in report.errors)
    assert not LookbackCheck.objects.exists()


def test_the_order_register_and_the_committee_table_in_the_office_layout(world, login):
    check = services.check_self(user=world.users["secretary"], unit=world.unit, judgements=overruled({}, short=()))
    proposed = services.proposals_for(world.unit)
    services.check_verdict(user=world.users["supervisor"], check=check, judgements=overruled(proposed, short=(2,)))
    services.order_issue(user=world.users["supervisor"], check=check, items=[2], work="重新征求意见", deadline=today())
    client = login(world.users["office"])
    with_register = client.get(reverse("lookback:order_list_export"))
    book = load_workbook(io.BytesIO(b"".join(with_register.streaming_content)))
    sheet = book.active
    assert sheet.page_setup.orientation == "landscape"
    values = [c for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert "城关镇政府INSIDE" in values and "重新征求意见" in values
    assert any(str(v).startswith("Total 1") for v in values)
    table = client.get(reverse("lookback:committee_table", args=[world.committee.pk]))
    book = load_workbook(io.BytesIO(b"".join(table.streaming_content)))
    values = [c for row in book.active.iter_rows(values_only=True) for c in row if c]
    assert "城关镇政府INSIDE" in values and "not met" in values
    assert RemedialOrder.objects.count() == 1
