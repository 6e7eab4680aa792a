"""The meeting record (会议记录) as the office files it: a workbook in the office's
layout (``core.excel.Sheet``: a title row, the headers, boxed rows, A4) and a Word
document (``core.docx``: a title, headings, tables, A4). Both hold the meeting's
particulars and supervisors present, the attendees and their attendance, the
self-criticisms, the mutual criticisms and the problems handed to rectification.

The texts of the paper layout are ``core.excel.Text`` pairs, Chinese and English, as in
the other office layouts. The record in the import format is ``meetings.imports``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook

from core.docx import Document
from core.excel import Column, Sheet, Text, chinese
from meetings.models import Criticism, MeetingKind, MeetingState
from meetings.selectors import MeetingPage, aspect_label

T = Text
KIND = {
    MeetingKind.DEMOCRATIC_LIFE: T("民主生活会", "democratic life meeting"),
    MeetingKind.ORGANISATIONAL_LIFE: T("专题组织生活会", "special organisational life meeting"),
}
STATE = {
    MeetingState.PLANNED: T("计划中", "planned"),
    MeetingState.READY: T("可召开", "ready to convene"),
    MeetingState.HELD: T("已召开", "held"),
    MeetingState.FOLLOWED_UP: T("已跟踪", "followed up"),
    MeetingState.CANCELLED: T("已取消", "cancelled"),
}
PRESENT, ABSENT = T("出席", "present"), T("缺席", "absent")
YES = T("是", "yes")
SELF, MUTUAL = T("自我批评", "self-criticism"), T("相互批评", "criticism")
SEP = T("、", ", ")


def title(page: MeetingPage) -> str:
    meeting = page.meeting
    if chinese():
        return f"{meeting.subject_name}{KIND[meeting.kind]}记录"
    return f"{meeting.subject_name}: record of the {KIND[meeting.kind]}"


def _date(value: Any) -> str:
    return value.isoformat() if value else ""


def particulars(page: MeetingPage) -> list[tuple[str, str]]:
    meeting = page.meeting
    present = [r for r in page.records if r.present]
    supervisors = [f"{s.name}（{s.team.name}）" for s in page.supervisors_present]
    rows = [
        (str(T("会议类型", "Kind")), str(KIND[meeting.kind])),
        (str(T("组织", "Organisation")), meeting.subject_name),
        (str(T("计划日期", "Planned date")), _date(meeting.planned_on)),
        (str(T("召开日期", "Held on")), _date(meeting.held_on)),
        (str(T("地点", "Place")), meeting.place),
        (str(T("主持人", "Chair")), meeting.chair.name if meeting.chair_id and meeting.chair else ""),
        (str(T("状态", "State")), str(STATE.get(meeting.state, meeting.state))),
        (str(T("应到人数", "Attendees")), str(len(page.records))),
        (str(T("实到人数", "Present")), str(len(present)) if meeting.is_recording else ""),
        (str(T("到会督导人员", "Supervisors present")), str(SEP).join(supervisors)),
    ]
    if meeting.override_reason:
        rows.append((str(T("未满足“三不召开”仍召开的理由", "Held despite the gate, because")), meeting.override_reason))
    rows.append((str(T("会议纪要", "Minutes")), meeting.minutes))
    return rows


def attendance_rows(page: MeetingPage) -> list[list[Any]]:
    rows = []
    for number, record in enumerate(page.records, start=1):
        attendance = record.attendance
        state = "" if attendance is None else str(PRESENT if attendance.present else ABSENT)
        reason = attendance.absence_reason if attendance is not None and not attendance.present else ""
        rows.append([number, record.member.name, record.member.number, state, reason])
    return rows


def self_criticism_rows(page: MeetingPage) -> list[list[Any]]:
    """Each attendee's self-criticism with the problems he or she named in it."""
    rows = []
    for record in page.records:
        found = record.self_criticism
        named = [c for c in record.criticisms_received if c.is_self]
        if found is not None or named:
            aspects = str(SEP).join(aspect_label(a) for a in found.aspects) if found is not None else ""
            problems = "\n".join(f"{n}. {c.content}" for n, c in enumerate(named, start=1))
            rows.append([len(rows) + 1, record.member.name, aspects, found.summary if found else "", problems])
    return rows


def criticism_rows(page: MeetingPage) -> list[list[Any]]:
    mutual = [c for c in page.criticisms if not c.is_self]
    return [
        [
            number,
            c.from_member.name,
            c.to_member.name,
            aspect_label(c.aspect),
            c.content,
            str(YES) if c.problem_id else "",
        ]
        for number, c in enumerate(mutual, start=1)
    ]


def problem_rows(page: MeetingPage) -> list[list[Any]]:
    """The criticisms (and problems named in self-criticisms) handed to rectification."""
    marked: Iterable[Criticism] = [c for c in page.criticisms if c.problem_id]
    return [
        [number, c.to_member.name, aspect_label(c.aspect), c.content, str(SELF if c.is_self else MUTUAL)]
        for number, c in enumerate(marked, start=1)
    ]


# The tables both layouts print: sheet name, heading, columns (header, width, wraps), rows.
def tables(page: MeetingPage) -> list[tuple[Text, list[Column], list[list[Any]]]]:
    return [
        (
            T("出席情况", "Attendance"),
            [
                Column(T("序号", "No."), 6),
                Column(T("姓名", "Name"), 14),
                Column(T("党员编号", "Member number"), 14),
                Column(T("出席情况", "Present"), 10),
                Column(T("缺席原因", "Reason for absence"), 36, wrap=True),
            ],
            attendance_rows(page),
        ),
        (
            T("自我批评", "Self-criticisms"),
            [
                Column(T("序号", "No."), 6),
                Column(T("姓名", "Name"), 16),
                Column(T("涉及方面", "Aspects"), 20, wrap=True),
                Column(T("发言摘要", "Summary"), 44, wrap=True),
                Column(T("查摆的问题", "Problems named"), 40, wrap=True),
            ],
            self_criticism_rows(page),
        ),
        (
            T("相互批评", "Mutual criticisms"),
            [
                Column(T("序号", "No."), 6),
                Column(T("批评人", "From"), 14),
                Column(T("被批评人", "To"), 14),
                Column(T("方面", "Aspect"), 14, wrap=True),
                Column(T("批评意见", "Criticism"), 60, wrap=True),
                Column(T("列入整改", "To rectify"), 9),
            ],
            criticism_rows(page),
        ),
        (
            T("整改问题", "Problems to rectify"),
            [
                Column(T("序号", "No."), 6),
                Column(T("对象", "Member"), 16),
                Column(T("方面", "Aspect"), 14, wrap=True),
                Column(T("问题", "Problem"), 66, wrap=True),
                Column(T("来源", "Source"), 12),
            ],
            problem_rows(page),
        ),
    ]


def record_workbook(page: MeetingPage) -> Workbook:
    book = Workbook(write_only=True)
    heading = title(page)
    summary = Sheet(
        book,
        T("会议概况", "Meeting"),
        heading,
        [Column(T("项目", "Item"), 22, wrap=True), Column(T("内容", "Particulars"), 80, wrap=True)],
    )
    for label, value in particulars(page):
        summary.row([label, value])
    for name, columns, rows in tables(page):
        sheet = Sheet(book, name, f"{heading} — {name}", columns)
        for values in rows:
            sheet.row(values)
        if not rows:
            sheet.row([None, str(T("（无）", "(none)"))])
    return book


def record_docx(page: MeetingPage) -> bytes:
    document = Document(title(page), page.meeting.campaign.name)
    document.heading(str(T("会议概况", "The meeting")))
    document.facts(particulars(page)[:-1])
    for name, columns, rows in tables(page):
        document.heading(str(name))
        if rows:
            document.table([str(c.header) for c in columns], rows, [max(c.width, 9) for c in columns])
        else:
            document.paragraph(str(T("（无）", "(none)")))
    minutes = page.meeting.minutes
    if minutes:
        document.heading(str(T("会议纪要", "Minutes")))
        document.paragraph(minutes)
    return document.content()
