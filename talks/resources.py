"""The talk cards' spreadsheet format: one definition that import and export share.

One kind, a sheet of talk cards (or a whole CSV file), a row per card. The people are
named by their member numbers (staff or ID number); a talk with a person outside the
membership gives his or her name, role and relation instead of the other number. Each
column has a fixed key and a header in English and in Chinese (plus aliases); a file
may use any of them. Exports write the headers and choice labels of the current
language, so an export imports back unchanged. Documented in docs/import_format.md.

The import itself (checked row by row by the card services, written in bulk) is
``talks.imports``; the export goes through the django-import-export resource below.
The register in the office's layout (谈心谈话登记表) is ``talks.exports``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import IO, Any

from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy
from import_export import resources
from import_export.fields import Field
from openpyxl import Workbook

from core.excel import cell_text, csv_text, import_sheet, text_cell
from core.importing import CODE, DATE, ChoiceWidget, Column, Format, SpreadsheetReader
from talks.models import CardState, Relation, Talk, TalkKind

TALKS = "talks"
KINDS: tuple[str, ...] = (TALKS,)

COLUMNS: dict[str, tuple[Column, ...]] = {
    TALKS: (
        Column(
            "member",
            "Member number",
            "谈话人编号",
            ("谈话人党员编号", "first member number", "initiator number"),
            True,
            value=CODE,
        ),
        Column("member_name", "Member name", "谈话人", ("谈话人姓名", "initiator")),
        Column(
            "other_member",
            "Other member number",
            "谈话对象编号",
            ("对象编号", "谈话对象党员编号", "other member"),
            value=CODE,
        ),
        Column("other_name", "Talked with", "谈话对象", ("谈话对象姓名", "对象姓名", "counterpart")),
        Column("outsider_role", "Role", "对象身份", ("身份", "对象职务", "his or her role")),
        Column("outsider_relation", "Relation", "与谈话人关系", ("关系", "对象关系")),
        Column("kind", "Kind", "谈话类型", ("类型", "必谈类型", "must-talk kind"), True),
        Column("date", "Date", "谈话时间", ("时间", "日期", "谈话日期", "talked on"), True, value=DATE),
        Column("place", "Place", "地点", ("谈话地点",)),
        Column("topics", "Topics", "谈话主题", ("主要内容", "谈话内容", "内容", "topic"), True),
        Column("member_problems", "Problems the member raised", "谈话人提出的问题", ("谈话人反映的问题",)),
        Column(
            "other_problems", "Problems the other raised", "谈话对象提出的问题", ("对象提出的问题", "对象反映的问题")
        ),
        Column("agreed", "Agreed", "达成的共识", ("共识", "商定事项", "what was agreed")),
        Column("recorder", "Recorder", "记录人", ("记录人姓名",)),
        Column("no", "No.", "序号"),
    ),
}
# Accepted so that a numbered sheet imports, but never read or written.
IGNORED = frozenset({"no"})

FORMAT = Format(
    kinds=KINDS,
    columns=COLUMNS,
    sheet_names={TALKS: ("谈心谈话", "talks", "talk cards", "谈心卡", "谈心谈话记录")},
    labels={TALKS: gettext_lazy("Talk cards")},
)


class Reader(SpreadsheetReader):
    format = FORMAT
    csv_apostrophes = True  # the CSV export neutralises formulas with Excel's apostrophe


# Chinese labels of the choices, as offices write them; the first is what an export
# writes when the catalogue has no translation of the English label.
CHINESE_LABELS: dict[type[models.TextChoices], dict[str, tuple[str, ...]]] = {
    TalkKind: {
        TalkKind.TEAM: ("班子成员之间", "领导班子成员之间", "班子成员间"),
        TalkKind.CHARGE: ("与分管单位负责人", "领导干部与分管单位负责人", "与分管部门负责人"),
        TalkKind.MEMBER: ("党员之间", "党员与党员"),
        TalkKind.PUBLIC: ("党员与群众", "与群众"),
    },
    Relation: {
        Relation.RESIDENT: ("居民", "群众"),
        Relation.BUSINESS_OWNER: ("企业主", "业主"),
        Relation.COLLEAGUE: ("同事",),
        Relation.SERVICE_USER: ("服务对象",),
        Relation.RELATIVE: ("家属", "亲属"),
        Relation.OTHER: ("其他",),
    },
    CardState: {
        CardState.RECORDED: ("待审核",),
        CardState.RETURNED: ("退回修改",),
        CardState.REVISED: ("已修改待审核",),
        CardState.ADEQUATE: ("审核合格", "合格"),
    },
}


def choice_widget(choices: type[models.TextChoices], what: Any) -> ChoiceWidget:
    return ChoiceWidget(choices, what, CHINESE_LABELS[choices])


KIND_WIDGET = choice_widget(TalkKind, gettext_lazy("kind of talk"))
RELATION_WIDGET = choice_widget(Relation, gettext_lazy("relation"))
STATE_WIDGET = choice_widget(CardState, gettext_lazy("review"))


class TalkResource(resources.ModelResource):
    """A card as a row of the import format, with the headers of the current language."""

    member = Field(attribute="member__number", column_name="member")
    member_name = Field(attribute="member__name", column_name="member_name")
    other_member = Field(column_name="other_member")
    other_name = Field(column_name="other_name")
    outsider_role = Field(attribute="outsider_role", column_name="outsider_role")
    outsider_relation = Field(attribute="outsider_relation", column_name="outsider_relation", widget=RELATION_WIDGET)
    kind = Field(attribute="kind", column_name="kind", widget=KIND_WIDGET)
    date = Field(column_name="date")
    place = Field(attribute="place", column_name="place")
    topics = Field(attribute="topics", column_name="topics")
    member_problems = Field(attribute="member_problems", column_name="member_problems")
    other_problems = Field(attribute="other_problems", column_name="other_problems")
    agreed = Field(attribute="agreed", column_name="agreed")
    recorder = Field(attribute="recorder_name", column_name="recorder")

    class Meta:
        model = Talk
        fields = tuple(c.key for c in COLUMNS[TALKS] if c.key not in IGNORED)
        export_order = fields

    def get_export_headers(self, selected_fields: Any = None) -> list[str]:
        by_key = {c.key: c for c in COLUMNS[TALKS]}
        return [by_key[f.column_name].header() for f in self.get_export_fields(selected_fields)]

    def dehydrate_other_member(self, talk: Talk) -> str:
        return talk.other_member.number if talk.other_member_id else ""

    def dehydrate_other_name(self, talk: Talk) -> str:
        return talk.other_name

    def dehydrate_date(self, talk: Talk) -> str:
        return talk.talked_on.isoformat()

    def for_export(self, queryset: QuerySet[Talk]) -> QuerySet[Talk]:
        return queryset.select_related("member", "other_member").order_by("talked_on", "pk")


CHUNK = 2000
_WIDTHS = {"topics": 40, "member_problems": 30, "other_problems": 30, "agreed": 30, "place": 18, "kind": 16}


def export_rows(queryset: QuerySet[Talk]) -> Iterator[list[str]]:
    """The header row, then one row of text cells per card, read in chunks."""
    resource = TalkResource()
    fields = resource.get_export_fields()
    yield resource.get_export_headers()
    for talk in resource.for_export(queryset).iterator(chunk_size=CHUNK):
        yield [cell_text(resource.export_field(field, talk)) for field in fields]


def export_xlsx(queryset: QuerySet[Talk], target: IO[bytes]) -> None:
    """A workbook of one sheet, written row by row (write-only); every cell is text, and
    text a spreadsheet would run as a formula is stored as plain text."""
    workbook = Workbook(write_only=True)
    keys = [c.key for c in COLUMNS[TALKS] if c.key not in IGNORED]
    rows = export_rows(queryset)
    sheet = import_sheet(workbook, FORMAT.sheet_title(TALKS), next(rows), [_WIDTHS.get(key, 14) for key in keys])
    for row in rows:
        sheet.append([text_cell(sheet, value) for value in row])
    workbook.save(target)


def export_bytes(queryset: QuerySet[Talk], extension: str) -> bytes:
    """For a download: the cards as an .xlsx workbook, or as CSV (UTF-8 with the
    byte-order mark Excel looks for; a would-be formula gets Excel's apostrophe)."""
    if extension == "csv":
        text = io.StringIO()
        text.write("\ufeff")
        writer = csv.writer(text)
        for row in export_rows(queryset):
            writer.writerow([csv_text(value) for value in row])
        return text.getvalue().encode("utf-8")
    buffer = io.BytesIO()
    export_xlsx(queryset, buffer)
    return buffer.getvalue()
