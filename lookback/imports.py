"""Training attendance and look-back check results from a spreadsheet, all or nothing.

Two imports, each one sheet (of a workbook, or a CSV file), Chinese or English headers:

- **Attendance (培训签到)**: a session named by its organising committee's code and its
  date (组织党委编号 + 培训日期), a branch's code and the attendance (出席 / 缺席 / 补训,
  with the day made up). The session must be on record (recorded on the training page)
  and have happened; the branch's *current* secretary is the one recorded.
- **Check results (回头看结果)**: one row per unit and item (单位编号, 项目 1–6 or its name,
  是否达标, 说明, 推翻数据提示的理由). Every unit named needs its six items. The rows of a
  unit are the importer's self-check when he or she is its secretary, the verdict when
  he or she sits on its supervisory team; anyone else's row is refused.

Each unit or session goes through the services as if entered on the page (the same
checks, history and announcements); one transaction for the whole file
(``core.importing.import_all_or_nothing``): any bad row, and nothing stays written —
nor on a dry run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.import_records import FileRecord
from campaign.models import Campaign, ImportKind, OrgUnit, OrgUnitKind
from campaign.scoping import scope_for
from core.importing import (
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
    parse_date,
)
from lookback import services
from lookback.models import AttendanceStatus, BranchSecretary, Item, LookbackCheck, TrainingSession

ATTENDANCE = "attendance"
CHECKS = "checks"

ATTENDANCE_COLUMNS = (
    Column("committee", "Committee code", "组织党委编号", ("党委编号", "组织单位编号", "committee"), True),
    Column("held_on", "Session date", "培训日期", ("日期", "date"), True),
    Column("branch", "Branch code", "支部编号", ("branch",), True),
    Column("branch_name", "Branch", "支部名称", ("支部",)),
    Column("secretary", "Secretary", "支部书记", ("书记姓名", "secretary name")),
    Column("status", "Attendance", "出席情况", ("签到", "出席", "status"), True),
    Column("made_up_on", "Made up on", "补训日期", ("补课日期", "made up")),
    Column("no", "No.", "序号"),
)
CHECK_COLUMNS = (
    Column("unit", "Unit code", "单位编号", ("单位代码", "unit"), True),
    Column("unit_name", "Unit", "单位名称", ("单位",)),
    Column("item", "Item", "项目", ("看", "六看项目", "item number"), True),
    Column("met", "Met", "是否达标", ("达标", "met?"), True),
    Column("notes", "Notes", "说明", ("情况说明", "备注", "notes")),
    Column("reason", "Reason for overruling", "推翻数据提示的理由", ("理由", "reason")),
    Column("no", "No.", "序号"),
)
IGNORED = frozenset({"no", "branch_name", "secretary", "unit_name"})

ATTENDANCE_FORMAT = Format(
    kinds=(ATTENDANCE,),
    columns={ATTENDANCE: ATTENDANCE_COLUMNS},
    sheet_names={ATTENDANCE: ("培训签到", "attendance", "签到表", "培训情况")},
    labels={ATTENDANCE: gettext_lazy("Training attendance")},
)
CHECKS_FORMAT = Format(
    kinds=(CHECKS,),
    columns={CHECKS: CHECK_COLUMNS},
    sheet_names={CHECKS: ("回头看结果", "checks", "回头看", "六看")},
    labels={CHECKS: gettext_lazy("Look-back check results")},
)

_PRESENT = ("出席", "present", "到会", "参加", "已到", "是", "yes", "√")
_ABSENT = ("缺席", "absent", "请假", "未到", "否", "no", "×")
_MADE_UP = ("补训", "made up", "made up later", "补课", "补学")
_YES = ("是", "达标", "yes", "met", "y", "√", "1", "true")
_NO = ("否", "不达标", "no", "not met", "n", "×", "0", "false")
# An item by its number, or its name in either language (the labels and a few short forms).
_ITEM_NAMES = {
    Item.AWARENESS: ("认识和责任", "认识", "awareness"),
    Item.STANDARDS: ("标准要求", "标准", "standards"),
    Item.PRINCIPLES: ("政策原则", "政策", "principles", "policy"),
    Item.PROGRESS: ("工作推进", "推进", "progress", "work advanced"),
    Item.LEADERSHIP: ("领导指导", "领导", "leadership"),
    Item.SATISFACTION: ("群众满意", "满意", "satisfaction"),
}


def _among(text: str, values: Iterable[str]) -> bool:
    return normalise_name(text) in {normalise_name(v) for v in values}


def parse_item(text: str) -> int | None:
    name = normalise_name(text)
    digits = name.strip("()（）第看")
    if digits.isdigit() and int(digits) in Item.values:
        return int(digits)
    for number, label in Item.choices:
        if name == normalise_name(label) or any(name == normalise_name(n) for n in _ITEM_NAMES[Item(number)]):
            return number
    return None


@dataclass
class Count:
    label: str
    sheet: str
    created: int = 0
    unchanged: int = 0

    @property
    def rows(self) -> int:
        return self.created


class _Reader(SpreadsheetReader):
    pass


@dataclass
class _Row:
    table: Table
    line: int
    cells: dict[str, str]


@dataclass
class _Run:
    campaign: Campaign
    user: Any
    report: ImportReport
    format: Format
    kind: str
    rows: list[_Row] = field(default_factory=list)

    def error(self, row: _Row, key: str, message: str) -> None:
        column = (row.table.header_of(key) or self.format.column_header(self.kind, key)) if key else ""
        self.report.add_error(RowError(sheet=row.table.sheet, row=row.line, column=column, message=message))

    def service_errors(self, rows: list[_Row], error: ValidationError, fields: dict[str, str]) -> None:
        if not hasattr(error, "error_dict"):
            for message in error.messages:
                self.error(rows[0], "", message)
            return
        for name, messages in error.message_dict.items():
            column = "" if name == NON_FIELD_ERRORS else fields.get(name, "")
            for message in messages:
                self.error(rows[0], column, message)

    def read(self, tables: list[Table], *, max_rows: int | None) -> None:
        for table in tables:
            for line, cells in table.rows:
                if max_rows is not None and len(self.rows) >= max_rows:
                    raise FileError(
                        _("The file has more than %(max)s rows; split it into smaller files.")
                        % {"max": intcomma(max_rows)}
                    )
                self.rows.append(_Row(table, line, cells))
        if not self.rows:
            self.report.add_error(
                RowError(sheet=self.report.filename, row=0, column="", message=_("The file holds no rows to import."))
            )

    def required(self, row: _Row, *keys: str) -> bool:
        ok = True
        for key in keys:
            if not row.cells.get(key, ""):
                self.error(row, key, _("This cell is required."))
                ok = False
        return ok


# --- Attendance ----------------------------------------------------------------------------


def _attendance(run: _Run) -> Count:
    count = Count(label=str(ATTENDANCE_FORMAT.labels[ATTENDANCE]), sheet=run.rows[0].table.sheet if run.rows else "")
    scope = scope_for(run.user)
    codes = {normalise_name(r.cells.get("committee", "")) for r in run.rows} | {
        normalise_name(r.cells.get("branch", "")) for r in run.rows
    }
    units = {
        normalise_name(u.code): u
        for u in scope.filter(OrgUnit.objects.filter(campaign=run.campaign))
        if normalise_name(u.code) in codes
    }
    current = {
        s.branch_id: s
        for s in BranchSecretary.objects.filter(campaign=run.campaign, until__isnull=True).select_related("branch")
    }
    grouped: dict[int, tuple[TrainingSession, list[tuple[_Row, services.AttendanceEntry]]]] = {}
    for row in run.rows:
        if not run.required(row, "committee", "held_on", "branch", "status"):
            continue
        committee = units.get(normalise_name(row.cells["committee"]))
        if committee is None or committee.kind not in (OrgUnitKind.PARTY_COMMITTEE, OrgUnitKind.COUNTY_COMMITTEE):
            run.error(row, "committee", _("No party committee with this code in your reach."))
            continue
        day = parse_date(row.cells["held_on"])
        if day is None:
            run.error(row, "held_on", not_a_date(row.cells["held_on"]))
            continue
        session = (
            TrainingSession.objects.filter(campaign=run.campaign, committee=committee, held_on=day)
            .order_by("pk")
            .first()
        )
        if session is None:
            run.error(
                row,
                "held_on",
                _("%(committee)s held no training session on %(day)s; record the session first.")
                % {"committee": committee.name, "day": day.isoformat()},
            )
            continue
        branch = units.get(normalise_name(row.cells["branch"]))
        if branch is None or branch.kind != OrgUnitKind.BRANCH:
            run.error(row, "branch", _("No branch with this code in your reach."))
            continue
        secretary = current.get(branch.pk)
        if secretary is None:
            run.error(row, "branch", _("The branch has no secretary on record; name one first."))
            continue
        status_text = row.cells["status"]
        if _among(status_text, _PRESENT):
            status = AttendanceStatus.PRESENT
        elif _among(status_text, _ABSENT):
            status = AttendanceStatus.ABSENT
        elif _among(status_text, _MADE_UP):
            status = AttendanceStatus.MADE_UP
        else:
            run.error(row, "status", _("Write present (出席), absent (缺席) or made up (补训)."))
            continue
        made_up = None
        if row.cells.get("made_up_on"):
            made_up = parse_date(row.cells["made_up_on"])
            if made_up is None:
                run.error(row, "made_up_on", not_a_date(row.cells["made_up_on"]))
                continue
        grouped.setdefault(session.pk, (session, []))[1].append(
            (row, services.AttendanceEntry(secretary=secretary, status=status, made_up_on=made_up))
        )
    for session, entries in grouped.values():
        try:
            services.attendance_record(user=run.user, session=session, entries=[e for _r, e in entries])
        except ValidationError as error:
            rows = {f"secretary_{e.secretary.pk}": r for r, e in entries}
            if hasattr(error, "error_dict"):
                for name, messages in error.message_dict.items():
                    row = rows.get(name, entries[0][0])
                    for message in messages:
                        run.error(row, "status" if name in rows else "", message)
            else:
                run.service_errors([entries[0][0]], error, {})
        else:
            count.created += len(entries)
    return count


# --- Check results ------------------------------------------------------------------------------


def _checks(run: _Run) -> Count:
    count = Count(label=str(CHECKS_FORMAT.labels[CHECKS]), sheet=run.rows[0].table.sheet if run.rows else "")
    scope = scope_for(run.user)
    codes = {normalise_name(r.cells.get("unit", "")) for r in run.rows}
    units = {
        normalise_name(u.code): u
        for u in scope.filter(OrgUnit.objects.filter(campaign=run.campaign, kind=OrgUnitKind.UNIT))
        if normalise_name(u.code) in codes
    }
    by_unit: dict[int, tuple[OrgUnit, list[_Row], dict[int, services.ItemJudgement]]] = {}
    for row in run.rows:
        if not run.required(row, "unit", "item", "met"):
            continue
        unit = units.get(normalise_name(row.cells["unit"]))
        if unit is None:
            run.error(row, "unit", _("No unit with this code in your reach."))
            continue
        number = parse_item(row.cells["item"])
        if number is None:
            run.error(row, "item", _("Write the item's number (1–6) or its name."))
            continue
        if _among(row.cells["met"], _YES):
            met = True
        elif _among(row.cells["met"], _NO):
            met = False
        else:
            run.error(row, "met", _("Write met (是) or not met (否)."))
            continue
        _unit, rows, judgements = by_unit.setdefault(unit.pk, (unit, [], {}))
        if number in judgements:
            run.error(row, "item", _("This unit's item is given twice in the file."))
            continue
        rows.append(row)
        judgements[number] = services.ItemJudgement(
            met=met, notes=row.cells.get("notes", ""), reason=row.cells.get("reason", "")
        )
    fields = {"items": "item"}
    for unit, rows, judgements in by_unit.values():
        item_rows = {number: row for row, number in zip(rows, judgements, strict=True)}
        try:
            if services.is_unit_supervisor(run.user, unit):
                check = LookbackCheck.objects.filter(unit=unit).first()
                if check is None:
                    raise ValidationError(_("The unit has not self-checked yet: the verdict follows its self-check."))
                services.check_verdict(user=run.user, check=check, judgements=judgements)
            else:
                services.check_self(user=run.user, unit=unit, judgements=judgements)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for name, messages in error.message_dict.items():
                    number = int(name.rsplit("_", 1)[-1]) if name[-1:].isdigit() else None
                    row = item_rows.get(number, rows[0]) if number else rows[0]
                    column = "reason" if name.startswith("reason") else "notes" if name.startswith("notes") else ""
                    for message in messages:
                        run.error(row, column or fields.get(name, ""), message)
            else:
                run.service_errors(rows, error, fields)
        else:
            count.created += len(rows)
    return count


def _import(
    *,
    format: Format,
    kind: str,
    step: Callable[[_Run], Count],
    campaign: Campaign,
    user: Any,
    source: IO[bytes],
    filename: str,
    dry_run: bool = True,
    again: bool = False,
    max_rows: int | None,
    max_unpacked: int | None,
) -> ImportReport:
    if user is None or not (scope_for(user).can("lookback.import") and scope_for(user).can_see(campaign)):
        raise PermissionDenied
    report = ImportReport(filename=filename, dry_run=dry_run)
    reader_class = type("Reader", (_Reader,), {"format": format})

    def read(tables: list[Table]) -> Callable[[], None]:
        run = _Run(campaign=campaign, user=user, report=report, format=format, kind=kind)
        run.read(tables, max_rows=max_rows)
        if run.rows:
            report.counts.append(step(run))
        return lambda: None  # the services announced each change as they wrote it

    record = FileRecord(
        campaign=campaign,
        kind=ImportKind.TRAINING_ATTENDANCE if kind == ATTENDANCE else ImportKind.LOOKBACK_CHECKS,
        user=user,
        again=again,
    )
    import_all_or_nothing(reader_class(source, filename, kind=kind, max_unpacked=max_unpacked), report, read, record)
    return report


def attendance_import(*, max_rows: int | None = None, max_unpacked: int | None = None, **kwargs: Any) -> ImportReport:
    return _import(
        format=ATTENDANCE_FORMAT,
        kind=ATTENDANCE,
        step=_attendance,
        max_rows=max_rows,
        max_unpacked=max_unpacked,
        **kwargs,
    )


def checks_import(*, max_rows: int | None = None, max_unpacked: int | None = None, **kwargs: Any) -> ImportReport:
    return _import(
        format=CHECKS_FORMAT, kind=CHECKS, step=_checks, max_rows=max_rows, max_unpacked=max_unpacked, **kwargs
    )
