"""Meeting records from a spreadsheet, as offices keep them, all or nothing; and the
same records written back in that format (to correct and import again).

Three kinds, each a sheet of a workbook (or a whole CSV file), in the order they are
read: attendance (出席情况), self-criticisms (自我批评) and criticisms (相互批评). A
meeting is named by its **reference**: the code of the leadership team or branch
that meets, and its planned date (班子或支部编号 + 计划日期) — both shown on the
meeting's page, unique among a campaign's meetings that are not cancelled, and what
the export writes, so that an exported file imports back to the same meeting.

Every row goes through the services, as a record entered by hand: the meeting must be
one the importer may manage; the attendance of an open meeting records it as held
(``services.meeting_hold``: the three no-convenings, a reason for each absence, every
attendee accounted for); a self-criticism or a criticism is refused from or to someone
not present (``services.self_criticism_save``, ``services.criticism_record``); a
criticism marked "to rectify" becomes a problem of the rectification stage. History and
announcements happen as they do on the pages. What is already on record is recognised
and left alone (the same attendance of a held meeting, the same self-criticism, the
same criticism), so a file imports twice without doubling anything.

The whole import runs in one transaction (``core.importing.import_all_or_nothing``):
every row is checked, each bad row reported with its sheet, row and column, and
nothing stays written unless every row is good — nor on a dry run.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from openpyxl import Workbook

from campaign.import_records import FileRecord
from campaign.models import Campaign, ImportKind, Member
from campaign.scoping import scope_for
from core.excel import chinese, import_sheet, text_cell
from core.importing import (
    CODE,
    DATE,
    ChoiceWidget,
    Column,
    FileError,
    Format,
    ImportReport,
    RowError,
    SpreadsheetReader,
    Table,
    import_all_or_nothing,
    normalise_name,
    not_a_date,
    padded_codes,
    parse_date,
    split_list,
    suggest,
)
from meetings import gate as gates
from meetings import services
from meetings.models import Attendance, Criticism, Meeting, MeetingState, SelfCriticism
from opinions.feedback_selectors import ASPECTS

ATTENDANCE, SELF_CRITICISMS, CRITICISMS = "attendance", "self_criticisms", "criticisms"
KINDS: tuple[str, ...] = (ATTENDANCE, SELF_CRITICISMS, CRITICISMS)

_MEETING = Column(
    "meeting",
    "Team or branch code",
    "班子或支部编号",
    ("会议编号", "单位编号", "支部编号", "班子编号", "code"),
    True,
    value=CODE,
)
_PLANNED = Column(
    "planned_on", "Planned date", "计划日期", ("计划召开日期", "会议日期", "planned on"), True, value=DATE
)
COLUMNS: dict[str, tuple[Column, ...]] = {
    ATTENDANCE: (
        _MEETING,
        _PLANNED,
        Column("held_on", "Held on", "召开日期", ("实际召开日期", "held"), value=DATE),
        Column("member", "Member number", "党员编号", ("编号", "number"), True, value=CODE),
        Column("member_name", "Name", "姓名", ("党员姓名", "member name")),
        Column("present", "Present", "出席情况", ("是否出席", "出席", "attendance"), True),
        Column("reason", "Reason for absence", "缺席原因", ("请假原因", "原因", "reason")),
        Column("no", "No.", "序号"),
    ),
    SELF_CRITICISMS: (
        _MEETING,
        _PLANNED,
        Column("member", "Member number", "党员编号", ("编号", "number"), True, value=CODE),
        Column("member_name", "Name", "姓名", ("党员姓名", "member name")),
        Column("summary", "Summary", "自我批评摘要", ("发言摘要", "摘要", "自我批评"), True),
        Column("aspects", "Aspects", "涉及方面", ("方面", "aspects touched")),
        Column("no", "No.", "序号"),
    ),
    CRITICISMS: (
        _MEETING,
        _PLANNED,
        Column("from_member", "From (number)", "批评人编号", ("提出人编号", "from number"), True, value=CODE),
        Column("from_name", "From", "批评人", ("提出人", "批评人姓名", "from name")),
        Column("to_member", "To (number)", "被批评人编号", ("对象编号", "to number"), True, value=CODE),
        Column("to_name", "To", "被批评人", ("被批评人姓名", "对象", "to name")),
        Column("aspect", "Aspect", "方面", ("问题方面", "所属方面"), True),
        Column("content", "Criticism", "批评意见", ("内容", "批评内容", "content"), True),
        Column("rectify", "To rectify", "列入整改", ("整改", "需整改", "rectify")),
        Column("no", "No.", "序号"),
    ),
}
# Accepted so that a numbered sheet imports, but never read.
IGNORED = frozenset({"no"})

FORMAT = Format(
    kinds=KINDS,
    columns=COLUMNS,
    sheet_names={
        ATTENDANCE: ("出席情况", "attendance", "出席", "参会情况"),
        SELF_CRITICISMS: ("自我批评", "self-criticisms", "self criticisms", "对照检查"),
        CRITICISMS: ("相互批评", "criticisms", "批评意见"),
    },
    labels={
        ATTENDANCE: pgettext_lazy("meeting", "Attendance"),
        SELF_CRITICISMS: gettext_lazy("Self-criticisms"),
        CRITICISMS: gettext_lazy("Criticisms"),
    },
)


class Reader(SpreadsheetReader):
    format = FORMAT


ASPECT_WIDGET = ChoiceWidget(
    ASPECTS,
    gettext_lazy("aspect"),
    {
        "ideals": ("理想信念",),
        "purpose": ("宗旨意识",),
        "discipline": ("组织纪律",),
        "ideology": ("思想作风",),
        "work": ("工作作风",),
        "integrity": ("廉洁自律", "廉洁从政"),
    },
)
# Yes and no as offices write them; the first of each is what an export writes.
_YES = ("是", "yes", "y", "√", "✓", "1", "true")
_NO = ("否", "no", "n", "×", "0", "false")
_PRESENT = ("出席", "present", "到会", "参加", "已到", *_YES)
_ABSENT = ("缺席", "absent", "请假", "未到", "未出席", *_NO)


def _yes_no(text: str, yes: Iterable[str], no: Iterable[str]) -> bool | None:
    name = normalise_name(text)
    if name in {normalise_name(v) for v in yes}:
        return True
    if name in {normalise_name(v) for v in no}:
        return False
    return None


def reference(meeting: Meeting) -> tuple[str, datetime.date]:
    """How a file names a meeting: the meeting team's or branch's code, its planned date."""
    subject = meeting.team if meeting.team_id else meeting.branch
    return (subject.code if subject is not None else ""), meeting.planned_on


# --- The report -----------------------------------------------------------------------------


@dataclass
class RecordCount:
    kind: str
    sheet: str
    created: int = 0
    unchanged: int = 0

    @property
    def rows(self) -> int:
        return self.created

    @property
    def label(self) -> str:
        return str(FORMAT.labels[self.kind])

    def __str__(self) -> str:
        return _("%(kind)s (%(sheet)s): %(created)s new, %(unchanged)s already on record") % {
            "kind": self.label,
            "sheet": self.sheet,
            "created": intcomma(self.created),
            "unchanged": intcomma(self.unchanged),
        }


def can_import(user: Any, campaign: Campaign) -> bool:
    scope = scope_for(user)
    return scope.can("meetings.manage") and scope.can_see(campaign)


def meeting_records_import(
    *,
    campaign: Campaign,
    user: Any,
    source: IO[bytes],
    filename: str,
    dry_run: bool = True,
    again: bool = False,
    max_rows: int | None = None,
    max_unpacked: int | None = None,
    sheet: str | None = None,
) -> ImportReport:
    """Import the meeting records of a file into ``campaign``, all or nothing (see the
    module). ``user`` records them, within his or her reach; ``max_rows``: refuse a file
    with more rows."""
    if user is None or not can_import(user, campaign):
        raise PermissionDenied
    report = ImportReport(filename=filename, dry_run=dry_run)

    def read(tables: list[Table]) -> Callable[[], None]:
        _Run(campaign=campaign, user=user, report=report).tables(tables, max_rows=max_rows)
        return lambda: None  # the services announced each change as they wrote it

    import_all_or_nothing(
        Reader(source, filename, max_unpacked=max_unpacked, sheet=sheet),
        report,
        read,
        FileRecord(campaign=campaign, kind=ImportKind.MEETING_RECORDS, user=user, again=again),
    )
    return report


@dataclass
class _Row:
    table: Table
    line: int
    cells: dict[str, str]


@dataclass
class _MeetingRows:
    meeting: Meeting
    rows: list[_Row] = field(default_factory=list)


# The column of the file each field of the services' errors comes from.
_FIELDS: Mapping[str, Mapping[str, str]] = {
    ATTENDANCE: {"held_on": "held_on", "override_reason": "meeting", "state": "meeting", "attendance": "present"},
    SELF_CRITICISMS: {"member": "member", "summary": "summary", "aspects": "aspects"},
    CRITICISMS: {"from_member": "from_member", "to_member": "to_member", "content": "content", "aspect": "aspect"},
}


class _Run:
    def __init__(self, *, campaign: Campaign, user: Any, report: ImportReport) -> None:
        self.campaign = campaign
        self.user = user
        self.report = report
        self.scope = scope_for(user)
        self.meetings: dict[tuple[str, datetime.date], Meeting | str] = {}
        self.members: dict[str, Member | None] = {}
        self.padded: dict[str, list[str]] = {}
        # Meetings whose attendance in this file was refused: their other rows wait for it.
        self.refused: set[int] = set()

    # --- Reading --------------------------------------------------------------------------

    def tables(self, tables: list[Table], *, max_rows: int | None) -> None:
        by_kind: dict[str, tuple[Table, list[_Row]]] = {}
        read = 0
        for table in tables:
            rows = []
            for line, cells in table.rows:
                read += 1
                if max_rows is not None and read > max_rows:
                    raise FileError(
                        _("The file has more than %(max)s rows; split it into smaller files.")
                        % {"max": intcomma(max_rows)}
                    )
                rows.append(_Row(table, line, cells))
            assert table.kind is not None
            by_kind[table.kind] = (table, rows)
        if read == 0:
            self.report.add_error(
                RowError(sheet=self.report.filename, row=0, column="", message=_("The file holds no rows to import."))
            )
            return
        numbers = {
            row.cells.get(key, "")
            for _table, rows in by_kind.values()
            for row in rows
            for key in ("member", "from_member", "to_member")
        }
        self.load_members(numbers)
        steps = {ATTENDANCE: self.attendance, SELF_CRITICISMS: self.self_criticisms, CRITICISMS: self.criticisms}
        for kind in KINDS:
            if kind in by_kind:
                table, rows = by_kind[kind]
                count = RecordCount(kind=kind, sheet=table.sheet)
                steps[kind](rows, count)
                self.report.counts.append(count)

    def load_members(self, numbers: set[str]) -> None:
        wanted = [n for n in numbers if n]
        found = {m.number: m for m in Member.objects.filter(campaign=self.campaign, number__in=wanted)}
        self.members = {n: found.get(n) for n in wanted}
        # Numbers that lost their leading zeros, for the message (one query).
        self.padded = padded_codes(
            [n for n in wanted if n not in found], Member.objects.filter(campaign=self.campaign), "number"
        )

    def error(self, row: _Row, key: str, message: str) -> None:
        column = (row.table.header_of(key) or FORMAT.column_header(row.table.kind or "", key)) if key else ""
        self.report.add_error(RowError(sheet=row.table.sheet, row=row.line, column=column, message=message))

    def service_errors(self, row: _Row, kind: str, error: ValidationError, *, renamed: Mapping[str, str] = {}) -> None:
        fields = {**_FIELDS[kind], **renamed}
        if not hasattr(error, "error_dict"):
            for message in error.messages:
                self.error(row, "", message)
            return
        for name, messages in error.message_dict.items():
            column = "" if name == NON_FIELD_ERRORS else fields.get(name, "")
            for message in messages:
                self.error(row, column, message)

    def meeting(self, row: _Row) -> Meeting | None:
        """The meeting the row names, if the importer may record it; else the row's error."""
        code, day_text = row.cells.get("meeting", ""), row.cells.get("planned_on", "")
        if not code:
            self.error(row, "meeting", _("This cell is required."))
            return None
        if not day_text:
            self.error(row, "planned_on", _("This cell is required."))
            return None
        day = parse_date(day_text)
        if day is None:
            self.error(row, "planned_on", not_a_date(day_text))
            return None
        key = (normalise_name(code), day)
        if key not in self.meetings:
            self.meetings[key] = self.find_meeting(code, day, day_text)
        found = self.meetings[key]
        if isinstance(found, str):
            self.error(row, "meeting", found)
            return None
        return found

    def find_meeting(self, code: str, day: datetime.date, typed: str) -> Meeting | str:
        """The meeting of a code and planned day; or what is wrong, showing the day as typed."""
        meetings = list(
            self.scope.filter(
                Meeting.objects.filter(campaign=self.campaign, planned_on=day)
                .exclude(state=MeetingState.CANCELLED)
                .filter(Q(team__code__iexact=code) | Q(branch__code__iexact=code))
                .select_related("campaign", "team", "branch", "unit")
            )
        )
        if not meetings:
            return _("No meeting of the team or branch coded %(code)s is planned for %(date)s within your reach.") % {
                "code": code,
                "date": typed,
            }
        if len(meetings) > 1:
            return _("Several meetings of %(code)s are planned for %(date)s; record them on their pages.") % {
                "code": code,
                "date": typed,
            }
        meeting = meetings[0]
        if not services.may_manage(self.user, meeting):
            return _("You may not record the meeting %(meeting)s.") % {"meeting": meeting}
        return meeting

    def member(self, row: _Row, number_key: str, name_key: str) -> Member | None:
        number = row.cells.get(number_key, "")
        if not number:
            self.error(row, number_key, _("This cell is required."))
            return None
        found = self.members.get(number)
        if found is None:
            message = _("No member has the number %(number)s in this campaign.") % {"number": number}
            self.error(row, number_key, suggest(message, self.padded.get(number, [])))
            return None
        name = row.cells.get(name_key, "")
        if name and normalise_name(name) != normalise_name(found.name):
            self.error(
                row,
                name_key,
                _("The member numbered %(number)s is %(name)s, not %(given)s.")
                % {"number": number, "name": found.name, "given": name},
            )
            return None
        return found

    # --- Attendance -----------------------------------------------------------------------

    def attendance(self, rows: list[_Row], count: RecordCount) -> None:
        groups: dict[int, _MeetingRows] = {}
        parsed: dict[int, tuple[Member, services.Presence, datetime.date | None]] = {}
        for row in rows:
            meeting = self.meeting(row)
            member = self.member(row, "member", "member_name")
            present = _yes_no(row.cells.get("present", ""), _PRESENT, _ABSENT)
            if row.cells.get("present") and present is None:
                self.error(
                    row,
                    "present",
                    _("Write “%(yes)s” or “%(no)s”.") % {"yes": _present_label(True), "no": _present_label(False)},
                )
            elif present is None:
                self.error(row, "present", _("This cell is required."))
            reason = row.cells.get("reason", "")
            if present is False and not reason:
                self.error(row, "reason", _("Give the reason for the absence."))
            if len(reason) > 500:
                self.error(
                    row,
                    "reason",
                    _("At most %(max)s characters; this cell has %(length)s.")
                    % {"max": intcomma(500), "length": intcomma(len(reason))},
                )
            held_on = None
            if row.cells.get("held_on"):
                held_on = parse_date(row.cells["held_on"])
                if held_on is None:
                    self.error(row, "held_on", not_a_date(row.cells["held_on"]))
            if meeting is None or member is None or present is None:
                if meeting is not None:
                    self.refused.add(meeting.pk)
                continue
            group = groups.setdefault(meeting.pk, _MeetingRows(meeting))
            if any(parsed[id(other)][0].pk == member.pk for other in group.rows):
                self.error(
                    row, "member", _("%(name)s is already in another row of this meeting.") % {"name": member.name}
                )
                self.refused.add(meeting.pk)
                continue
            group.rows.append(row)
            parsed[id(row)] = (member, services.Presence(present, "" if present else reason), held_on)
        for group in groups.values():
            self.hold(group, parsed, count)

    def hold(self, group: _MeetingRows, parsed: Mapping[int, Any], count: RecordCount) -> None:
        meeting = group.meeting
        first = group.rows[0]
        if meeting.is_recording:
            recorded = {a.member_id: a for a in Attendance.objects.filter(meeting=meeting)}
            for row in group.rows:
                member, presence, held_on = parsed[id(row)]
                if held_on is not None and held_on != meeting.held_on:
                    self.error(
                        row,
                        "held_on",
                        _("The meeting is recorded as held on %(date)s.")
                        % {"date": meeting.held_on.isoformat() if meeting.held_on else ""},
                    )
                    self.refused.add(meeting.pk)
                    continue
                before = recorded.get(member.pk)
                if (
                    before is None
                    or before.present != presence.present
                    or (not presence.present and before.absence_reason != presence.absence_reason)
                ):
                    self.error(
                        row,
                        "present",
                        _("The meeting was held on %(date)s and its attendance is settled; this row differs from it.")
                        % {"date": meeting.held_on.isoformat() if meeting.held_on else ""},
                    )
                    self.refused.add(meeting.pk)
                else:
                    count.unchanged += 1
            return
        attendees = {m.pk: m for m in gates.attendees_of([meeting])[meeting.pk]}
        rows_by_member = {parsed[id(row)][0].pk: row for row in group.rows}
        ok = True
        for member_pk, row in rows_by_member.items():
            if member_pk not in attendees:
                self.error(
                    row, "member", _("%(name)s does not attend this meeting.") % {"name": parsed[id(row)][0].name}
                )
                ok = False
        days = {parsed[id(row)][2] for row in group.rows if parsed[id(row)][2] is not None}
        if len(days) > 1:
            self.error(first, "held_on", _("The rows of one meeting give different dates it was held on."))
            ok = False
        if not ok:
            self.refused.add(meeting.pk)
            return
        held_on = days.pop() if days else meeting.planned_on
        attendance = {parsed[id(row)][0].pk: parsed[id(row)][1] for row in group.rows}
        try:
            services.meeting_hold(
                user=self.user, meeting=meeting, held_on=held_on, minutes=meeting.minutes, attendance=attendance
            )
        except ValidationError as error:
            self.refused.add(meeting.pk)
            for name, messages in error.message_dict.items():
                target = first
                key = _FIELDS[ATTENDANCE].get(name, "")
                if name.startswith("attendance_") and int(name.split("_", 1)[1]) in rows_by_member:
                    target, key = rows_by_member[int(name.split("_", 1)[1])], "present"
                for message in messages:
                    self.error(target, key, message)
            return
        meeting.refresh_from_db()
        count.created += len(group.rows)

    # --- Self-criticisms ------------------------------------------------------------------------

    def self_criticisms(self, rows: list[_Row], count: RecordCount) -> None:
        seen: dict[tuple[int, int], int] = {}
        for row in rows:
            meeting = self.meeting(row)
            member = self.member(row, "member", "member_name")
            aspects = []
            for text in split_list(row.cells.get("aspects", "")):
                value = ASPECT_WIDGET.lookup().get(normalise_name(text))
                if value is None:
                    self.error(row, "aspects", ASPECT_WIDGET.unknown(text))
                else:
                    aspects.append(value)
            if meeting is None or member is None or meeting.pk in self.refused:
                continue
            key = (meeting.pk, member.pk)
            if key in seen:
                self.error(
                    row,
                    "member",
                    _("The self-criticism of %(name)s is already in row %(row)d.")
                    % {"name": member.name, "row": seen[key]},
                )
                continue
            seen[key] = row.line
            summary = row.cells.get("summary", "")
            before = SelfCriticism.objects.filter(meeting=meeting, member=member).first()
            if (
                before is not None
                and before.summary == summary.strip()
                and sorted(before.aspects) == sorted(set(aspects))
            ):
                count.unchanged += 1
                continue
            try:
                services.self_criticism_save(
                    user=self.user, meeting=meeting, member=member, summary=summary, aspects=aspects
                )
            except ValidationError as error:
                self.service_errors(row, SELF_CRITICISMS, error)
            else:
                count.created += 1

    # --- Criticisms ------------------------------------------------------------------------------

    def criticisms(self, rows: list[_Row], count: RecordCount) -> None:
        for row in rows:
            meeting = self.meeting(row)
            from_member = self.member(row, "from_member", "from_name")
            to_member = self.member(row, "to_member", "to_name")
            aspect_text = row.cells.get("aspect", "")
            aspect = ASPECT_WIDGET.lookup().get(normalise_name(aspect_text)) if aspect_text else ""
            if aspect is None:
                self.error(row, "aspect", ASPECT_WIDGET.unknown(aspect_text))
            rectify_text = row.cells.get("rectify", "")
            rectify = _yes_no(rectify_text, _YES, _NO) if rectify_text else False
            if rectify is None:
                self.error(row, "rectify", _("Write “%(yes)s” or leave it empty.") % {"yes": _yes_label()})
            if meeting is None or from_member is None or to_member is None or aspect is None or rectify is None:
                continue
            if meeting.pk in self.refused:
                continue
            content = row.cells.get("content", "")
            existing = Criticism.objects.filter(
                meeting=meeting, from_member=from_member, to_member=to_member, aspect=aspect, content=content.strip()
            ).first()
            try:
                if existing is None:
                    existing = services.criticism_record(
                        user=self.user,
                        meeting=meeting,
                        from_member=from_member,
                        to_member=to_member,
                        content=content,
                        aspect=aspect,
                    )
                    count.created += 1
                else:
                    count.unchanged += 1
                if rectify and existing.problem_id is None:
                    services.criticism_to_rectify(user=self.user, criticism=existing)
            except ValidationError as error:
                self.service_errors(row, CRITICISMS, error)


def _present_label(present: bool) -> str:
    return ("出席" if present else "缺席") if chinese() else ("present" if present else "absent")


def _yes_label() -> str:
    return "是" if chinese() else "yes"


# --- The records in the import format ----------------------------------------------------------

_WIDTHS = {"summary": 50, "content": 50, "reason": 24, "aspects": 24, "aspect": 14, "meeting": 16, "planned_on": 12}


def record_rows(meetings: Iterable[Meeting]) -> dict[str, list[list[str]]]:
    """The records of ``meetings`` as the rows of each kind (headers first), in the
    current language: what ``meeting_records_import`` reads back."""
    meetings = list(meetings)
    ids = [m.pk for m in meetings]
    refs = {m.pk: reference(m) for m in meetings}
    out: dict[str, list[list[str]]] = {
        kind: [[c.header() for c in COLUMNS[kind] if c.key not in IGNORED]] for kind in KINDS
    }
    held = dict(Meeting.objects.filter(pk__in=ids).values_list("pk", "held_on"))
    for a in (
        Attendance.objects.filter(meeting_id__in=ids).select_related("member").order_by("meeting_id", "member__number")
    ):
        code, day = refs[a.meeting_id]
        out[ATTENDANCE].append(
            [
                code,
                day.isoformat(),
                held[a.meeting_id].isoformat() if held[a.meeting_id] else "",
                a.member.number,
                a.member.name,
                _present_label(a.present),
                a.absence_reason,
            ]
        )
    for s in (
        SelfCriticism.objects.filter(meeting_id__in=ids)
        .select_related("member")
        .order_by("meeting_id", "member__number")
    ):
        code, day = refs[s.meeting_id]
        out[SELF_CRITICISMS].append(
            [
                code,
                day.isoformat(),
                s.member.number,
                s.member.name,
                s.summary,
                ("、" if chinese() else ", ").join(ASPECT_WIDGET.label(v) for v in s.aspects if v in ASPECTS.values),
            ]
        )
    for c in (
        Criticism.objects.filter(meeting_id__in=ids)
        .select_related("from_member", "to_member")
        .order_by("meeting_id", "pk")
    ):
        code, day = refs[c.meeting_id]
        out[CRITICISMS].append(
            [
                code,
                day.isoformat(),
                c.from_member.number,
                c.from_member.name,
                c.to_member.number,
                c.to_member.name,
                ASPECT_WIDGET.label(c.aspect) if c.aspect in ASPECTS.values else c.aspect,
                c.content,
                _yes_label() if c.problem_id else "",
            ]
        )
    return out


def record_workbook(meetings: Iterable[Meeting]) -> bytes:
    """A workbook of the three sheets in the import format; every cell text, a would-be
    formula stored as text."""
    book = Workbook(write_only=True)
    for kind, rows in record_rows(meetings).items():
        keys = [c.key for c in COLUMNS[kind] if c.key not in IGNORED]
        sheet = import_sheet(book, FORMAT.sheet_title(kind), rows[0], [_WIDTHS.get(k, 12) for k in keys])
        for values in rows[1:]:
            sheet.append([text_cell(sheet, value) for value in values])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
