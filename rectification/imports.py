"""Practical results (为民办实事) from a workbook: one sheet, one row per record, headers
in Chinese or English (docs/import_format.md). All or nothing, after a dry run: every
row is checked as the entry form checks it (``services.result_check``) and nothing is
written if any row is bad. An organisation is named by its code, within the importer's
reach.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.import_records import FileRecord
from campaign.models import Campaign, ImportKind, OrgUnit
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
    not_a_date,
    parse_date,
    split_list,
)
from rectification import services

RESULTS = "results"

COLUMNS = (
    Column("unit", "Organisation code", "单位编号", ("单位代码", "code"), True),
    Column("working_team", "Working team", "工作组", ("工作队",)),
    Column("done_on", "Date", "日期", ("时间",), True),
    Column("households_visited", "Households visited", "走访户数", ("走访农户",)),
    Column("person_times", "Person-times", "走访人次", ("人次",)),
    Column("practical_things", "Practical things done", "办实事件数", ("办实事",)),
    Column("donations_yuan", "Donations (yuan)", "捐款（元）", ("捐款", "捐款元")),
    Column("spring_farming_yuan", "Spring-farming funds (yuan)", "春耕资金（元）", ("春耕资金",)),
    Column("structure_adjustment_yuan", "Structure-adjustment funds (yuan)", "结构调整资金（元）", ("结构调整资金",)),
    Column("condolence_yuan", "Condolence funds (yuan)", "慰问资金（元）", ("慰问金", "慰问资金")),
    Column("households_planting", "Households helped to plant", "帮扶种植户数", ("种植户数",)),
    Column("planted_mu", "Planted area (mu)", "种植面积（亩）", ("种植面积", "亩数")),
    Column("crop", "Crop", "种植品种", ("作物",)),
    Column("households_livestock", "Households helped to breed", "帮扶养殖户数", ("养殖户数",)),
    Column("livestock_head", "Head of livestock", "养殖头数", ("头数",)),
    Column("livestock_kind", "Kind of livestock", "养殖品种", ("畜种",)),
    Column("disputes_investigated", "Disputes investigated", "排查矛盾纠纷", ("排查纠纷",)),
    Column("disputes_solved", "Disputes solved", "调处化解", ("化解纠纷",)),
    Column("disputes_handed_over", "Disputes handed over", "移交处理", ("移交纠纷",)),
    Column("handed_to", "Handed over to", "移交部门", ()),
    Column("dispute_subjects", "Disputes (one per line)", "纠纷事项", ("纠纷",)),
    Column("note", "What was done", "主要事项", ("备注", "说明")),
)

FORMAT = Format(
    kinds=(RESULTS,),
    columns={RESULTS: COLUMNS},
    sheet_names={RESULTS: ("为民办实事", "practical results")},
    labels={RESULTS: gettext_lazy("practical results")},
)


class Reader(SpreadsheetReader):
    format = FORMAT


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


def can_import(user: Any, campaign: Campaign) -> bool:
    return scope_for(user).can("rectification.results")


def results_import(
    *,
    campaign: Campaign,
    user: Any,
    source: IO[bytes],
    filename: str,
    dry_run: bool = True,
    again: bool = False,
    max_rows: int | None = None,
    max_unpacked: int | None = None,
) -> ImportReport:
    if user is None or not can_import(user, campaign):
        raise PermissionDenied
    report = ImportReport(filename=filename, dry_run=dry_run)

    def read(tables: list[Table]) -> Callable[[], None]:
        _read(campaign=campaign, user=user, report=report, tables=tables, max_rows=max_rows)
        return lambda: None  # the service announced its change as it wrote

    import_all_or_nothing(
        Reader(source, filename, max_unpacked=max_unpacked),
        report,
        read,
        FileRecord(campaign=campaign, kind=ImportKind.PRACTICAL_RESULTS, user=user, again=again),
    )
    return report


def _read(*, campaign: Campaign, user: Any, report: ImportReport, tables: list[Table], max_rows: int | None) -> None:
    scope = scope_for(user)
    units = {u.code.lower(): u for u in OrgUnit.objects.filter(campaign=campaign)}
    checked: list[tuple[OrgUnit, services.ResultInput, dict[str, Any]]] = []
    read = 0
    for table in tables:
        count = RecordCount(kind=RESULTS, sheet=table.sheet)

        def error(line: int, key: str, message: str, table: Table = table) -> None:
            column = (table.header_of(key) or FORMAT.column_header(RESULTS, key)) if key else ""
            report.add_error(RowError(sheet=table.sheet, row=line, column=column, message=message))

        for line, cells in table.rows:
            read += 1
            if max_rows is not None and read > max_rows:
                raise FileError(
                    _("The file has more than %(max)s rows; split it into smaller files.") % {"max": intcomma(max_rows)}
                )
            code = cells.get("unit", "").strip()
            unit = units.get(code.lower())
            if unit is None:
                error(line, "unit", _("No organisation of this campaign has the code “%(code)s”.") % {"code": code})
                continue
            if not scope.can_edit_unit(unit):
                error(line, "unit", _("The organisation “%(name)s” is not in your reach.") % {"name": unit.name})
                continue
            day = parse_date(cells.get("done_on", ""))
            if day is None:
                error(line, "done_on", not_a_date(cells.get("done_on", "")))
                continue
            data = services.ResultInput(
                done_on=day,
                working_team=cells.get("working_team", ""),
                counts={key: cells.get(key, "") for key in services.COUNT_FIELDS},
                amounts={key: cells.get(key, "") for key in services.AMOUNT_FIELDS},
                crop=cells.get("crop", ""),
                livestock_kind=cells.get("livestock_kind", ""),
                note=cells.get("note", ""),
                disputes_investigated=cells.get("disputes_investigated", ""),
                disputes_solved=cells.get("disputes_solved", ""),
                disputes_handed_over=cells.get("disputes_handed_over", ""),
                dispute_subjects=split_list(cells.get("dispute_subjects", "").replace("\n", "；")),
                handed_to=cells.get("handed_to", ""),
            )
            try:
                fields = services.result_check(campaign=campaign, unit=unit, data=data)
            except ValidationError as problem:
                for field, messages in problem.message_dict.items():
                    for message in messages:
                        error(line, field if field in {c.key for c in COLUMNS} else "", message)
                continue
            checked.append((unit, data, fields))
            count.created += 1
        report.counts.append(count)
    if read == 0:
        report.add_error(
            RowError(sheet=report.filename, row=0, column="", message=_("The file holds no rows to import."))
        )
        return
    if report.ok and checked:
        services.results_store(user=user, campaign=campaign, rows=checked)
