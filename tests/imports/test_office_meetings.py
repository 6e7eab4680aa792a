"""The corpus's meeting records and paper tallies: office-shaped workbooks (a title row,
an instruction sheet, full-width codes and numbers, a date cell with a time, notes and
tellers at the foot) import with the figures the rows say, counted here."""

from __future__ import annotations

import datetime
import io

import pytest
from openpyxl import Workbook

from campaign.models import Member
from meetings import imports, services
from meetings.appraisal import imports as tally_imports
from meetings.appraisal import services as appraisal_services
from meetings.appraisal.models import PaperSheet
from meetings.models import Attendance, Criticism, MeetingState, SelfCriticism
from tests.meetings.factories import MeetingFactory, low_quotas, settle, talk

WIDE = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


def workbook(sheets: dict[str, list[list]]) -> io.BytesIO:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


@pytest.fixture
def people(world):
    low_quotas(world.campaign)
    return world.member, Member.objects.get(campaign=world.campaign, name="李四INSIDE")


def test_meeting_records_kept_as_an_office_keeps_them(world, people):
    meeting = MeetingFactory(branch=world.branch)
    settle(people)
    talk(*people)
    services.meetings_follow_gate(campaign_id=meeting.campaign_id)
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.READY
    zhang, li = people
    code = meeting.branch.code.translate(WIDE)
    when = datetime.datetime.combine(meeting.planned_on, datetime.time(14, 30))  # a date cell with a time
    attendance = [[code, when, when, p.number.translate(WIDE), p.name, "出席", ""] for p in people]
    self_criticisms = [[code, when, zhang.number, zhang.name, "理论学习抓得不紧", "理想信念、工作作风"]]
    criticisms = [
        [code, when, li.number, li.name, zhang.number, zhang.name, "工作作风", "调研不够深入", ""],
        [code, when, zhang.number, zhang.name, li.number, li.name, "组织纪律", "请假手续不全", "是"],
    ]
    source = workbook(
        {
            "填表说明": [["填表说明"], ["1. 出席情况每人一行。"], ["2. 日期写 2026-02-15。"]],
            "出席情况": [
                ["机关支部专题组织生活会出席情况"],
                [],
                ["序号", "班子或支部编号", "计划日期", "召开日期", "党员编号", "姓　名", "出席情况", "缺席原因"],
                *[[i, *row] for i, row in enumerate(attendance, start=1)],
                ["填表人：张三", None, None, None, None, None, "审核：李四"],
            ],
            "自我批评": [
                ["班子或支部编号", "计划日期", "党员编号", "姓名", "自我批评摘要", "涉及方面"],
                *self_criticisms,
            ],
            "相互批评": [
                [
                    "班子或支部编号",
                    "计划日期",
                    "批评人编号",
                    "批评人",
                    "被批评人编号",
                    "被批评人",
                    "方面",
                    "批评意见",
                    "列入整改",
                ],
                *criticisms,
                ["合计", None, None, None, None, None, None, "2"],
            ],
        }
    )
    report = imports.meeting_records_import(
        campaign=world.campaign, user=world.users["office"], source=source, filename="会议记录.xlsx", dry_run=False
    )
    assert report.ok, [str(e) for e in report.errors]
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.HELD and meeting.held_on == meeting.planned_on
    assert Attendance.objects.filter(meeting=meeting, present=True).count() == len(attendance)
    assert SelfCriticism.objects.filter(meeting=meeting).count() == len(self_criticisms)
    assert Criticism.objects.filter(meeting=meeting).count() == len(criticisms)


def test_a_paper_tally_with_a_title_full_width_counts_and_the_tellers_at_the_foot(world, people):
    appraisal_services.window_open(user=world.users["secretary"], campaign=world.campaign, branch=world.branch)
    zhang, li = people
    code = world.branch.code
    counts = {zhang.number: (1, 1, 0, 0), li.number: (0, 1, 1, 0)}
    rows = [
        [
            code,
            "２" if number == zhang.number else None,
            number.translate(WIDE),
            name,
            *(str(c).translate(WIDE) for c in cs),
        ]
        for (number, cs), name in zip(counts.items(), [zhang.name, li.name], strict=True)
    ]
    source = workbook(
        {
            "计票-党员": [
                ["机关支部民主评议党员计票表"],
                ["支部编号", "实到人数", "党员编号", "姓名", "优秀", "合格", "基本合格", "不合格"],
                *rows,
                ["合计", None, None, None, 1, 2, 1, 0],
                ["计票人：张三", None, None, "监票人：李四"],
            ]
        }
    )
    report = tally_imports.paper_tallies_import(
        campaign=world.campaign, user=world.users["secretary"], source=source, filename="计票.xlsx", dry_run=False
    )
    assert report.ok, [str(e) for e in report.errors]
    sheet = PaperSheet.objects.get(window__branch=world.branch)
    got = {c.member.number: (c.excellent, c.qualified, c.basic, c.unqualified) for c in sheet.member_counts.all()}
    assert (sheet.present, got) == (2, counts)
