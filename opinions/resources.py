"""The opinions' spreadsheet format: one definition that import and export share.

Two kinds, in the order they depend on each other: solicitation events, then
opinions (an opinion may name an event of the same file). Each column has a fixed
key and a header in English and in Chinese (plus aliases); a file may use any of
them. Exports write the headers and choice labels of the current language, so an
export imports back unchanged. The format is documented in docs/import_format.md.

The import itself (validation in bulk, writing in batches) is ``opinions.imports``;
the export goes through the django-import-export resources below.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import IO, Any

from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy
from import_export import resources
from import_export.fields import Field
from openpyxl import Workbook

from campaign.models import Campaign
from core.excel import cell_text, csv_text, import_sheet, text_cell
from core.importing import CODE, DATE, NUMBER, ChoiceWidget, Column, Format, SpreadsheetReader, join_list
from opinions.models import Aspect, Channel, EventLevel, Opinion, OpinionKind, SolicitationEvent, SourceGroup

EVENTS = "events"
OPINIONS = "opinions"
# Dependency order: opinions may name the events of the same workbook.
KINDS: tuple[str, ...] = (EVENTS, OPINIONS)


class TargetType(models.TextChoices):
    """What the target code of an opinion row names."""

    TEAM = "team", gettext_lazy("Leadership team")
    MEMBER = "member", gettext_lazy("Member")
    UNIT = "unit", gettext_lazy("Organisation")


COLUMNS: dict[str, tuple[Column, ...]] = {
    EVENTS: (
        Column("number", "Number", "编号", ("event number", "活动编号", "id"), value=NUMBER),
        Column(
            "unit",
            "Unit code",
            "单位代码",
            ("unit_code", "host unit code", "举办单位代码", "组织单位代码"),
            True,
            value=CODE,
        ),
        Column("channel", "Channel", "征求渠道", ("kind", "类型", "渠道", "活动类型"), True),
        Column("title", "Title", "名称", ("活动名称", "event", "活动"), True),
        Column("level", "Level", "级别", ("层级",)),
        Column("date", "Date", "日期", ("held on", "举办日期", "时间", "开始日期"), True, value=DATE),
        Column("until", "Until", "截止日期", ("ends on", "结束日期"), value=DATE),
        Column("place", "Place", "地点"),
        Column("attendee_groups", "Attendee groups", "参加对象", ("参加人员",)),
        Column("attendance", "Attendance", "参加人数", ("人数",), value=NUMBER),
        Column("forms_issued", "Forms issued", "发放征求意见表", ("发放份数",), value=NUMBER),
        Column("forms_returned", "Forms returned", "收回征求意见表", ("收回份数",), value=NUMBER),
        Column("boxes_set", "Suggestion boxes set", "设置意见箱", ("意见箱数", "boxes"), value=NUMBER),
        Column("no", "No.", "序号"),
    ),
    OPINIONS: (
        Column("text", "Content", "意见建议内容", ("content", "内容", "意见内容"), True),
        Column("kind", "Kind", "类型", ("意见/建议", "意见建议类型"), True),
        Column("target_type", "Target type", "对象类型", ("反映对象类型",)),
        Column("target_code", "Target code", "对象代码", ("反映对象代码", "对象编号"), value=CODE),
        Column("target", "Target", "反映对象", ("对象",)),
        Column("channel", "Channel", "征求渠道", ("渠道",)),
        Column("date", "Date", "征求时间", ("received on", "日期", "时间", "收到日期"), True, value=DATE),
        Column("aspect", "Aspect", "所属方面", ("方面",)),
        Column("source_group", "Source group", "意见来源", ("来源", "来源群体")),
        Column("event", "Event", "征求活动", ("活动",)),
        Column("recording_unit", "Recording unit code", "记录单位代码", ("recorded by", "记录单位"), value=CODE),
        Column("no", "No.", "序号"),
    ),
}
# Accepted so that a numbered sheet imports, but never read or written.
IGNORED = frozenset({"no"})

FORMAT = Format(
    kinds=KINDS,
    columns=COLUMNS,
    sheet_names={
        EVENTS: ("征求意见活动", "events", "solicitation events", "活动"),
        OPINIONS: ("意见建议", "opinions", "意见建议台账"),
    },
    labels={EVENTS: gettext_lazy("Solicitation events"), OPINIONS: gettext_lazy("Opinions and suggestions")},
)


class Reader(SpreadsheetReader):
    format = FORMAT
    csv_apostrophes = True  # the CSV export neutralises formulas with Excel's apostrophe


# Chinese labels of the choices, as offices write them; the first is what an export
# writes when the catalogue has no translation of the English label.
CHINESE_LABELS: dict[type[models.TextChoices], dict[str, tuple[str, ...]]] = {
    OpinionKind: {OpinionKind.OPINION: ("意见",), OpinionKind.SUGGESTION: ("建议",)},
    Channel: {
        Channel.FORUM: ("座谈会", "座谈"),
        Channel.QUESTIONNAIRE: ("征求意见表", "问卷", "问卷调查"),
        Channel.SUGGESTION_BOX: ("意见箱",),
        Channel.TV_NOTICE: ("电视公告", "电视"),
        Channel.HOTLINE: ("热线电话", "热线"),
        Channel.OPEN_LETTER: ("公开信",),
        Channel.MESSAGE_BOARD: ("留言板",),
        Channel.VISIT: ("走访", "上门走访", "登门走访"),
        Channel.ONLINE: ("网上意见箱", "网上征求"),
    },
    Aspect: {
        Aspect.IDEALS: ("理想信念",),
        Aspect.PURPOSE: ("宗旨意识",),
        Aspect.DISCIPLINE: ("组织纪律",),
        Aspect.IDEOLOGY: ("思想作风",),
        Aspect.WORK_STYLE: ("工作作风",),
        Aspect.INTEGRITY: ("廉洁自律", "廉洁从政"),
    },
    SourceGroup: {
        SourceGroup.VETERAN_CADRES: ("老干部", "离退休老干部"),
        SourceGroup.DEPUTIES: ("人大代表和政协委员", "两代表一委员"),
        SourceGroup.BUSINESS: ("企业主", "企业业主"),
        SourceGroup.VULNERABLE: ("弱势群体", "困难群众"),
        SourceGroup.COUNTY_OFFICIALS: ("县直机关干部", "机关干部"),
        SourceGroup.TOWNSHIP: ("乡镇代表",),
        SourceGroup.MEMBERS: ("党员",),
        SourceGroup.PUBLIC: ("群众", "人民群众"),
    },
    EventLevel: {
        EventLevel.COUNTY: ("县级", "县"),
        EventLevel.COMMITTEE: ("党委",),
        EventLevel.UNIT: ("单位",),
        EventLevel.BRANCH: ("支部",),
    },
    TargetType: {
        TargetType.TEAM: ("领导班子", "班子"),
        TargetType.MEMBER: ("党员", "个人"),
        TargetType.UNIT: ("单位", "部门", "单位部门"),
    },
}


def choice_widget(choices: type[models.TextChoices], what: Any) -> ChoiceWidget:
    return ChoiceWidget(choices, what, CHINESE_LABELS[choices])


KIND_WIDGET = choice_widget(OpinionKind, gettext_lazy("kind"))
CHANNEL_WIDGET = choice_widget(Channel, gettext_lazy("channel"))
ASPECT_WIDGET = choice_widget(Aspect, gettext_lazy("aspect"))
SOURCE_GROUP_WIDGET = choice_widget(SourceGroup, gettext_lazy("source group"))
LEVEL_WIDGET = choice_widget(EventLevel, gettext_lazy("level"))
TARGET_TYPE_WIDGET = choice_widget(TargetType, gettext_lazy("target type"))


# An event named in an opinion row: "#CODE" (the code of a row of the workbook's events
# sheet, else of an event already recorded: ``SolicitationEvent.code``), or its title,
# followed by " @ 2026-02-15" (the day it was held) when the title alone is not enough.
EVENT_NUMBER = re.compile(r"^#\s*(\S{1,40})$")
EVENT_TITLE_AND_DAY = re.compile(r"^(.*?\S)\s*@\s*(\d{4}-\d{2}-\d{2})$")


class EventNames:
    """Counts of the campaign's event titles, by host unit and overall, to name each
    event the way an import finds it again: among the recording unit's events when it
    held one of that title, else among all the campaign's events."""

    def __init__(self, events: Iterable[tuple[int, int, str, datetime.date]]) -> None:
        self.count: Counter[tuple[Any, ...]] = Counter()
        for _pk, unit_id, title, held_on in events:
            for key in ((unit_id, title), (None, title), (unit_id, title, held_on), (None, title, held_on)):
                self.count[key] += 1

    def where(self, title: str, recording_unit_id: int | None) -> int | None:
        """The unit among whose events a title is looked up (None: the whole campaign)."""
        return recording_unit_id if self.count[(recording_unit_id, title)] else None

    def reference(self, event: SolicitationEvent, recording_unit_id: int | None) -> str:
        where = self.where(event.title, recording_unit_id)
        if where is None or where == event.unit_id:
            if self.count[(where, event.title)] == 1 and not _looks_like_a_reference(event.title):
                return event.title
            if self.count[(where, event.title, event.held_on)] == 1 and not EVENT_NUMBER.match(event.title):
                return f"{event.title} @ {event.held_on.isoformat()}"
        return f"#{event.code}"


def _looks_like_a_reference(title: str) -> bool:
    return bool(EVENT_NUMBER.match(title) or EVENT_TITLE_AND_DAY.match(title))


# --- Export through django-import-export --------------------------------------------


class FormatResource(resources.ModelResource):
    """Rows of one kind in the import format: headers of the current language."""

    format_kind: str

    def get_export_headers(self, selected_fields: Any = None) -> list[str]:
        by_key = {c.key: c for c in COLUMNS[self.format_kind]}
        return [by_key[f.column_name].header() for f in self.get_export_fields(selected_fields)]

    def for_export(self, queryset: QuerySet) -> QuerySet:
        return queryset


class EventResource(FormatResource):
    format_kind = EVENTS

    # The event's code: opinion rows (of this workbook or a later file) name it as "#code".
    number = Field(attribute="code", column_name="number")
    unit = Field(attribute="unit__code", column_name="unit")
    channel = Field(attribute="channel", column_name="channel", widget=CHANNEL_WIDGET)
    title = Field(attribute="title", column_name="title")
    level = Field(attribute="level", column_name="level", widget=LEVEL_WIDGET)
    date = Field(attribute="held_on", column_name="date")
    until = Field(attribute="ends_on", column_name="until")
    place = Field(attribute="place", column_name="place")
    attendee_groups = Field(column_name="attendee_groups")
    attendance = Field(attribute="attendance", column_name="attendance")
    forms_issued = Field(attribute="forms_issued", column_name="forms_issued")
    forms_returned = Field(attribute="forms_returned", column_name="forms_returned")
    boxes_set = Field(attribute="boxes_set", column_name="boxes_set")

    class Meta:
        model = SolicitationEvent
        fields = (
            "number",
            "unit",
            "channel",
            "title",
            "level",
            "date",
            "until",
            "place",
            "attendee_groups",
            "attendance",
            "forms_issued",
            "forms_returned",
            "boxes_set",
        )
        export_order = fields

    def dehydrate_attendee_groups(self, event: SolicitationEvent) -> str:
        return join_list(SOURCE_GROUP_WIDGET.label(group) for group in event.attendee_groups or [])

    def dehydrate_date(self, event: SolicitationEvent) -> str:
        return event.held_on.isoformat()

    def dehydrate_until(self, event: SolicitationEvent) -> str:
        return event.ends_on.isoformat() if event.ends_on else ""

    def for_export(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("unit").order_by("unit__path", "held_on", "pk")


class OpinionResource(FormatResource):
    format_kind = OPINIONS

    text = Field(attribute="text", column_name="text")
    kind = Field(attribute="kind", column_name="kind", widget=KIND_WIDGET)
    target_type = Field(column_name="target_type")
    target_code = Field(column_name="target_code")
    target = Field(column_name="target")
    channel = Field(attribute="channel", column_name="channel", widget=CHANNEL_WIDGET)
    date = Field(column_name="date")
    aspect = Field(attribute="aspect", column_name="aspect", widget=ASPECT_WIDGET)
    source_group = Field(attribute="source_group", column_name="source_group", widget=SOURCE_GROUP_WIDGET)
    event = Field(column_name="event")
    recording_unit = Field(column_name="recording_unit")

    class Meta:
        model = Opinion
        fields = (
            "text",
            "kind",
            "target_type",
            "target_code",
            "target",
            "channel",
            "date",
            "aspect",
            "source_group",
            "event",
            "recording_unit",
        )
        export_order = fields

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._event_names: dict[int, EventNames] = {}

    def dehydrate_target_type(self, opinion: Opinion) -> str:
        if opinion.target_team_id:
            return TARGET_TYPE_WIDGET.label(TargetType.TEAM)
        if opinion.target_member_id:
            return TARGET_TYPE_WIDGET.label(TargetType.MEMBER)
        if opinion.target_unit_id:
            return TARGET_TYPE_WIDGET.label(TargetType.UNIT)
        return ""

    def dehydrate_target_code(self, opinion: Opinion) -> str:
        if opinion.target_team_id:
            return opinion.target_team.code
        if opinion.target_member_id:
            return opinion.target_member.number
        if opinion.target_unit_id:
            return opinion.target_unit.code
        return ""

    def dehydrate_target(self, opinion: Opinion) -> str:
        target = opinion.target
        return target.name if target is not None else opinion.target_text

    def dehydrate_date(self, opinion: Opinion) -> str:
        return opinion.received_on.isoformat()

    def dehydrate_event(self, opinion: Opinion) -> str:
        if not opinion.event_id:
            return ""
        if opinion.campaign_id not in self._event_names:
            events = SolicitationEvent.objects.filter(campaign_id=opinion.campaign_id)
            self._event_names[opinion.campaign_id] = EventNames(events.values_list("pk", "unit_id", "title", "held_on"))
        return self._event_names[opinion.campaign_id].reference(opinion.event, opinion.recording_unit_id)

    def dehydrate_recording_unit(self, opinion: Opinion) -> str:
        return opinion.recording_unit.code if opinion.recording_unit_id else ""

    def for_export(self, queryset: QuerySet) -> QuerySet:
        return (
            queryset.select_related("target_team", "target_member", "target_unit", "recording_unit")
            .select_related("event")
            .only(
                *(f.attname for f in Opinion._meta.concrete_fields),
                "target_team__code",
                "target_team__name",
                "target_member__number",
                "target_member__name",
                "target_unit__code",
                "target_unit__name",
                "recording_unit__code",
                "event__title",
                "event__unit",
                "event__held_on",
            )
            .order_by("pk")
        )


RESOURCES: dict[str, type[FormatResource]] = {EVENTS: EventResource, OPINIONS: OpinionResource}
_WIDTHS = {"text": 60, "title": 30, "target": 24, "event": 24, "attendee_groups": 30, "place": 20}
CHUNK = 2000


def export_rows(kind: str, queryset: QuerySet) -> Iterator[list[str]]:
    """The header row, then one row of text cells per record, read in chunks."""
    resource = RESOURCES[kind]()
    fields = resource.get_export_fields()
    yield resource.get_export_headers()
    for obj in resource.for_export(queryset).iterator(chunk_size=CHUNK):
        yield [cell_text(resource.export_field(field, obj)) for field in fields]


def campaign_querysets(campaign: Campaign) -> list[tuple[str, QuerySet]]:
    return [
        (EVENTS, SolicitationEvent.objects.filter(campaign=campaign)),
        (OPINIONS, Opinion.objects.filter(campaign=campaign)),
    ]


def export_xlsx(parts: Iterable[tuple[str, QuerySet]], target: IO[bytes]) -> None:
    """A workbook with a sheet per kind, written row by row (write-only), so that a
    county's opinions never sit in memory as cells. Numbers stay numbers; text that a
    spreadsheet would run as a formula is stored as plain text."""
    workbook = Workbook(write_only=True)
    for kind, queryset in parts:
        rows = export_rows(kind, queryset)
        keys = [c.key for c in COLUMNS[kind] if c.key not in IGNORED]
        sheet = import_sheet(workbook, FORMAT.sheet_title(kind), next(rows), [_WIDTHS.get(key, 14) for key in keys])
        numbers = {i for i, key in enumerate(keys) if key in NUMBER_COLUMNS}
        for row in rows:
            sheet.append(
                [
                    (int(value) if value else None) if i in numbers else text_cell(sheet, value)
                    for i, value in enumerate(row)
                ]
            )
    workbook.save(target)


NUMBER_COLUMNS = frozenset({"number", "attendance", "forms_issued", "forms_returned", "boxes_set"})


def export_csv(kind: str, queryset: QuerySet, target: IO[str]) -> None:
    """One kind as CSV (UTF-8 with a byte-order mark, so that Excel reads the Chinese);
    text that a spreadsheet would run as a formula gets Excel's leading apostrophe."""
    writer = csv.writer(target)
    for row in export_rows(kind, queryset):
        writer.writerow([csv_text(value) for value in row])


def export_bytes(parts: list[tuple[str, QuerySet]], extension: str) -> bytes:
    """For a download: an .xlsx of every part, or the CSV of a single one."""
    if extension == "csv":
        text = io.StringIO()
        text.write("\ufeff")
        (kind, queryset), *_rest = parts
        export_csv(kind, queryset, text)
        return text.getvalue().encode("utf-8")
    buffer = io.BytesIO()
    export_xlsx(parts, buffer)
    return buffer.getvalue()
