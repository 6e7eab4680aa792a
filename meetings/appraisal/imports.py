"""The tellers' paper tallies from a spreadsheet, all or nothing.

Two kinds, each a sheet of a workbook (or a whole CSV file): the count per member
(计票-党员: the branch's code, the members present, the member's number, and the
ballots counting him or her excellent / qualified / basically qualified /
unqualified), and, optionally, the count per leadership team the branch rates
(计票-班子: satisfied / basically satisfied / dissatisfied). A branch is named by its
code; its voting window is the campaign's one for it. The members present may be given
on any row of the branch (on several, the same number).

Each branch's rows are entered as one tally by ``services.sheet_save`` with the
importer as the first teller: only a secretary over the branch or the county office,
only while the tally is not confirmed, no count above the members present, no member
off the branch's roll, no team the branch does not rate. A tally entered by import
counts, like one typed in, once a second, different teller confirms it in the app.
A branch whose file gives no team sheet keeps the team counts it has (and the other
way round).

One transaction (``core.importing.import_all_or_nothing``): every bad row reported
with its sheet, row and column; nothing stays written unless every row is good, nor on
a dry run.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from campaign.import_records import FileRecord
from campaign.models import Campaign, ImportKind, LeadershipTeam, Member
from campaign.scoping import scope_for
from core.excel import import_sheet, text_cell
from core.importing import (
    CODE,
    NUMBER,
    Column,
    FileError,
    Format,
    ImportReport,
    RowError,
    SpreadsheetReader,
    Table,
    import_all_or_nothing,
    normalise_name,
)
from meetings.appraisal import services
from meetings.appraisal.models import AppraisalWindow, PaperSheet

MEMBERS, TEAMS = "member_counts", "team_counts"
KINDS: tuple[str, ...] = (MEMBERS, TEAMS)

_BRANCH = Column("branch", "Branch code", "支部编号", ("党支部编号", "branch"), True, value=CODE)
_PRESENT = Column("present", "Members present", "实到人数", ("到会人数", "参加人数", "present"), value=NUMBER)
COLUMNS: dict[str, tuple[Column, ...]] = {
    MEMBERS: (
        _BRANCH,
        Column("branch_name", "Branch", "支部", ("党支部", "支部名称")),
        _PRESENT,
        Column("member", "Member number", "党员编号", ("编号", "number"), True, value=CODE),
        Column("member_name", "Name", "姓名", ("党员姓名",)),
        Column("excellent", "Excellent", "优秀", ("优秀票",), value=NUMBER),
        Column("qualified", "Qualified", "合格", ("合格票",), value=NUMBER),
        Column("basic", "Basically qualified", "基本合格", ("基本合格票",), value=NUMBER),
        Column("unqualified", "Unqualified", "不合格", ("不合格票",), value=NUMBER),
        Column("total", "Total", "合计", ("小计",)),
        Column("no", "No.", "序号"),
    ),
    TEAMS: (
        _BRANCH,
        Column("branch_name", "Branch", "支部", ("党支部", "支部名称")),
        _PRESENT,
        Column("team", "Team code", "班子编号", ("领导班子编号", "team"), True, value=CODE),
        Column("team_name", "Leadership team", "领导班子", ("班子", "班子名称")),
        Column("satisfied", "Satisfied", "满意", ("满意票",), value=NUMBER),
        Column("team_basic", "Basically satisfied", "基本满意", ("基本满意票",), value=NUMBER),
        Column("dissatisfied", "Dissatisfied", "不满意", ("不满意票",), value=NUMBER),
        Column("total", "Total", "合计", ("小计",)),
        Column("no", "No.", "序号"),
    ),
}
# Accepted so that a printed tally sheet imports, but never read: the total is the sum.
IGNORED = frozenset({"no", "total", "branch_name"})
MEMBER_COUNTS = {"excellent": "excellent", "qualified": "qualified", "basic": "basic", "unqualified": "unqualified"}
TEAM_COUNTS = {"satisfied": "satisfied", "team_basic": "basic", "dissatisfied": "dissatisfied"}

FORMAT = Format(
    kinds=KINDS,
    columns=COLUMNS,
    sheet_names={
        MEMBERS: ("计票-党员", "member counts", "民主评议党员计票", "党员计票"),
        TEAMS: ("计票-班子", "team counts", "班子满意度计票", "班子计票"),
    },
    labels={MEMBERS: gettext_lazy("Paper counts of members"), TEAMS: gettext_lazy("Paper counts of teams")},
)


class Reader(SpreadsheetReader):
    format = FORMAT


@dataclass
class TallyCount:
    kind: str
    sheet: str
    created: int = 0

    @property
    def rows(self) -> int:
        return self.created

    @property
    def label(self) -> str:
        return str(FORMAT.labels[self.kind])

    def __str__(self) -> str:
        return _("%(kind)s (%(sheet)s): %(created)s rows entered") % {
            "kind": self.label,
            "sheet": self.sheet,
            "created": intcomma(self.created),
        }


def can_import(user: Any, campaign: Campaign) -> bool:
    scope = scope_for(user)
    return scope.can("appraisal.manage") and scope.can_see(campaign)


def paper_tallies_import(
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
    """Enter the paper tallies of a file as the first teller, all or nothing (see the module)."""
    if user is None or not can_import(user, campaign):
        raise PermissionDenied
    report = ImportReport(filename=filename, dry_run=dry_run)

    def read(tables: list[Table]) -> Callable[[], None]:
        _Run(campaign, user, report).tables(tables, max_rows=max_rows)
        return lambda: None

    import_all_or_nothing(
        Reader(source, filename, max_unpacked=max_unpacked, sheet=sheet),
        report,
        read,
        FileRecord(campaign=campaign, kind=ImportKind.PAPER_TALLIES, user=user, again=again),
    )
    return report


@dataclass
class _Row:
    table: Table
    line: int
    cells: dict[str, str]


@dataclass
class _Tally:
    window: AppraisalWindow
    present: int | None = None
    present_row: _Row | None = None
    first: _Row | None = None
    members: dict[int, tuple[_Row, dict[str, int]]] = field(default_factory=dict)
    teams: dict[int, tuple[_Row, dict[str, int]]] = field(default_factory=dict)
    kinds: set[str] = field(default_factory=set)
    refused: bool = False


class _Run:
    def __init__(self, campaign: Campaign, user: Any, report: ImportReport) -> None:
        self.campaign, self.user, self.report = campaign, user, report
        self.scope = scope_for(user)
        self.windows: dict[str, AppraisalWindow | str] = {}
        self.tallies: dict[int, _Tally] = {}

    def error(self, row: _Row, key: str, message: str) -> None:
        column = (row.table.header_of(key) or FORMAT.column_header(row.table.kind or "", key)) if key else ""
        self.report.add_error(RowError(sheet=row.table.sheet, row=row.line, column=column, message=message))

    def tables(self, tables: list[Table], *, max_rows: int | None) -> None:
        read = 0
        by_kind: dict[str, tuple[Table, list[_Row]]] = {}
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
        numbers = [r.cells.get("member", "") for r in by_kind.get(MEMBERS, (None, []))[1]]
        members = {
            m.number: m for m in Member.objects.filter(campaign=self.campaign, number__in=[n for n in numbers if n])
        }
        codes = [r.cells.get("team", "") for r in by_kind.get(TEAMS, (None, []))[1]]
        teams = {
            normalise_name(t.code): t
            for t in LeadershipTeam.objects.filter(campaign=self.campaign, code__in=[c for c in codes if c])
        }
        for kind in KINDS:
            if kind not in by_kind:
                continue
            table, rows = by_kind[kind]
            count = TallyCount(kind=kind, sheet=table.sheet)
            for row in rows:
                if self.row(row, kind, members, teams):
                    count.created += 1
            self.report.counts.append(count)
        for tally in self.tallies.values():
            self.save(tally)

    def window(self, row: _Row) -> _Tally | None:
        code = row.cells.get("branch", "")
        if not code:
            self.error(row, "branch", _("This cell is required."))
            return None
        key = normalise_name(code)
        if key not in self.windows:
            window = (
                self.scope.filter(AppraisalWindow.objects.filter(campaign=self.campaign, branch__code__iexact=code))
                .select_related("branch", "campaign")
                .first()
            )
            if window is None:
                self.windows[key] = _("No branch coded %(code)s within your reach has a voting window.") % {
                    "code": code
                }
            elif not services.may_manage(self.user, window.branch):
                self.windows[key] = _("Only a secretary over %(branch)s or the county office may do this.") % {
                    "branch": window.branch
                }
            else:
                self.windows[key] = window
        found = self.windows[key]
        if isinstance(found, str):
            self.error(row, "branch", found)
            return None
        return self.tallies.setdefault(found.pk, _Tally(found))

    def number(self, row: _Row, key: str) -> int | None:
        text = row.cells.get(key, "")
        if not text:
            return 0
        if not text.isdecimal():
            self.error(row, key, _("“%(value)s” is not a whole number of ballots.") % {"value": text})
            return None
        value = int(text)
        return value

    def row(self, row: _Row, kind: str, members: Mapping[str, Member], teams: Mapping[str, LeadershipTeam]) -> bool:
        tally = self.window(row)
        present = self.number(row, "present") if row.cells.get("present") else None
        bad_present = bool(row.cells.get("present")) and present is None
        fields = MEMBER_COUNTS if kind == MEMBERS else TEAM_COUNTS
        counts = {name: self.number(row, column) for column, name in fields.items()}
        subject: Any = None
        if kind == MEMBERS:
            number = row.cells.get("member", "")
            subject = members.get(number)
            if not number:
                self.error(row, "member", _("This cell is required."))
            elif subject is None:
                self.error(
                    row, "member", _("No member has the number %(number)s in this campaign.") % {"number": number}
                )
            elif row.cells.get("member_name") and normalise_name(row.cells["member_name"]) != normalise_name(
                subject.name
            ):
                self.error(
                    row,
                    "member_name",
                    _("The member numbered %(number)s is %(name)s, not %(given)s.")
                    % {"number": number, "name": subject.name, "given": row.cells["member_name"]},
                )
                subject = None
        else:
            code = row.cells.get("team", "")
            subject = teams.get(normalise_name(code))
            if not code:
                self.error(row, "team", _("This cell is required."))
            elif subject is None:
                self.error(
                    row, "team", _("No leadership team has the code %(code)s in this campaign.") % {"code": code}
                )
        if tally is None:
            return False
        tally.kinds.add(kind)
        tally.first = tally.first or row
        if present is not None:
            if tally.present is not None and tally.present != present:
                self.error(
                    row,
                    "present",
                    _("Row %(row)d gives %(present)d members present for this branch.")
                    % {"row": tally.present_row.line if tally.present_row else 0, "present": tally.present},
                )
                tally.refused = True
            elif tally.present is None:
                tally.present, tally.present_row = present, row
        if subject is None or bad_present or any(v is None for v in counts.values()):
            tally.refused = True
            return False
        into = tally.members if kind == MEMBERS else tally.teams
        if subject.pk in into:
            self.error(
                row,
                "member" if kind == MEMBERS else "team",
                _("%(name)s is already counted in row %(row)d.")
                % {"name": subject.name, "row": into[subject.pk][0].line},
            )
            tally.refused = True
            return False
        into[subject.pk] = (row, {name: value or 0 for name, value in counts.items()})
        return True

    def save(self, tally: _Tally) -> None:
        if tally.refused or tally.first is None:
            return
        existing = PaperSheet.objects.filter(window=tally.window).first()
        present = tally.present
        if present is None:
            if existing is None:
                self.error(
                    tally.first, "present", _("Give the number of members present on at least one row of the branch.")
                )
                return
            present = existing.present
        member_counts = {pk: counts for pk, (_row, counts) in tally.members.items()}
        team_counts = {pk: counts for pk, (_row, counts) in tally.teams.items()}
        if existing is not None:
            if MEMBERS not in tally.kinds:
                member_counts = {
                    c.member_id: {n: getattr(c, n) for n in services.MEMBER_COUNT_FIELDS}
                    for c in existing.member_counts.all()
                }
            if TEAMS not in tally.kinds:
                team_counts = {
                    c.team_id: {n: getattr(c, n) for n in services.TEAM_COUNT_FIELDS}
                    for c in existing.team_counts.all()
                }
        try:
            services.sheet_save(
                user=self.user,
                window=tally.window,
                present=present,
                member_counts=member_counts,
                team_counts=team_counts,
            )
        except ValidationError as error:
            rows = {f"member-{pk}": row for pk, (row, _c) in tally.members.items()}
            rows |= {f"team-{pk}": row for pk, (row, _c) in tally.teams.items()}
            if not hasattr(error, "error_dict"):
                for message in error.messages:
                    self.error(tally.first, "branch", message)
                return
            for name, messages in error.message_dict.items():
                target, key = tally.first, "branch"
                if name == "present":
                    target, key = tally.present_row or tally.first, "present"
                elif name in rows:
                    target, key = rows[name], ""
                elif name != NON_FIELD_ERRORS:
                    key = ""
                for message in messages:
                    self.error(target, key, message)


def tally_rows(sheet: PaperSheet) -> dict[str, list[list[Any]]]:
    """A tally in the import format, headers first (for the tally sheet's round trip)."""
    window = sheet.window
    out: dict[str, list[list[Any]]] = {
        kind: [[c.header() for c in COLUMNS[kind] if c.key not in IGNORED]] for kind in KINDS
    }
    for c in sheet.member_counts.select_related("member").order_by("member__name", "member__pk"):
        out[MEMBERS].append(
            [
                window.branch.code,
                sheet.present,
                c.member.number,
                c.member.name,
                c.excellent,
                c.qualified,
                c.basic,
                c.unqualified,
            ]
        )
    for t in sheet.team_counts.select_related("team").order_by("team__code"):
        out[TEAMS].append(
            [window.branch.code, sheet.present, t.team.code, t.team.name, t.satisfied, t.basic, t.dissatisfied]
        )
    return out


def tally_data_workbook(sheet: PaperSheet) -> bytes:
    """A tally in the import format: to correct (until confirmed) and import again."""
    book = Workbook(write_only=True)
    for kind, rows in tally_rows(sheet).items():
        target = import_sheet(book, FORMAT.sheet_title(kind), rows[0], [12] * len(rows[0]))
        for values in rows[1:]:
            target.append([v if isinstance(v, int) else text_cell(target, v) for v in values])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
