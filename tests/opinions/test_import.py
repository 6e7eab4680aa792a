"""Importing and exporting opinions and solicitation events: all or nothing, every bad
row named by row, column and reason; the export imports back unchanged."""

from __future__ import annotations

import csv
import datetime
import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from campaign.models import ChangeOutbox, TargetCategory
from campaign.scoping import ACTIONS, SECRETARY
from opinions import imports
from opinions.imports import opinions_import
from opinions.models import Channel, ImportJob, Opinion, OpinionKind, SolicitationEvent
from opinions.resources import campaign_querysets, export_bytes
from tests.campaign.importing import csv_bytes, sheets_of, xlsx
from tests.form_once import fresh
from tests.opinions.factories import OpinionFactory, SolicitationEventFactory

ZH = [
    "意见建议内容",
    "类型",
    "对象类型",
    "对象代码",
    "反映对象",
    "征求渠道",
    "征求时间",
    "所属方面",
    "意见来源",
    "征求活动",
    "记录单位代码",
]
EN = [
    "Content",
    "Kind",
    "Target type",
    "Target code",
    "Target",
    "Channel",
    "Date",
    "Aspect",
    "Source group",
    "Event",
    "Recording unit code",
]
EVENT_ZH = [
    "单位代码",
    "征求渠道",
    "名称",
    "级别",
    "日期",
    "截止日期",
    "地点",
    "参加对象",
    "参加人数",
    "发放征求意见表",
    "收回征求意见表",
    "设置意见箱",
]
DAY = "2026-02-15"


def run(world, data: bytes, filename: str = "opinions.csv", *, user=None, dry_run=False, **kwargs):
    return opinions_import(
        campaign=world.campaign, user=user, source=io.BytesIO(data), filename=filename, dry_run=dry_run, **kwargs
    )


def messages(report) -> list[str]:
    """Each problem as the English command line prints it (the messages themselves are
    in the language the import ran in)."""
    with translation.override("en"):
        return [str(error) for error in report.errors]


def row(text="会议太多，文山会海", kind="意见", ttype="", code="", target="", channel="座谈会", date=DAY, **more):
    values = {
        "aspect": more.get("aspect", "工作作风"),
        "source": more.get("source", "老干部"),
        "event": more.get("event", ""),
        "unit": more.get("unit", ""),
    }
    return [
        text,
        kind,
        ttype,
        code,
        target,
        channel,
        date,
        values["aspect"],
        values["source"],
        values["event"],
        values["unit"],
    ]


# --- The import -----------------------------------------------------------------


def test_a_csv_with_chinese_headers_records_opinions_with_category_and_unit_derived_from_the_target(world, targets):
    office = world.users["office"]
    data = csv_bytes(
        [
            ZH,
            row(text="班子团结有待加强", ttype="领导班子", code=targets.standing_team.code),
            row(text="建议多下基层", kind="建议", ttype="党员", code=targets.county_leader.number),
            row(text="窗口服务态度差", ttype="单位", code=world.other_unit.code, unit=world.unit.code),
            row(text="乡里路灯不亮", target="城关镇的路灯管理", channel="意见箱"),
        ]
    )
    report = run(world, data, user=office)
    assert report.ok, messages(report)
    assert report.rows == 4
    opinions = {o.text: o for o in Opinion.objects.all()}
    team = opinions["班子团结有待加强"]
    assert (team.target_team, team.category, team.ledger_unit) == (
        targets.standing_team,
        TargetCategory.STANDING_COMMITTEE_TEAM,
        world.unit,
    )
    leader = opinions["建议多下基层"]
    assert (leader.kind, leader.target_member, leader.category) == (
        OpinionKind.SUGGESTION,
        targets.county_leader,
        TargetCategory.COUNTY_LEVEL_LEADERS,
    )
    unit = opinions["窗口服务态度差"]
    assert (unit.target_unit, unit.category, unit.ledger_unit, unit.recording_unit) == (
        world.other_unit,
        TargetCategory.DEPARTMENT_TEAMS,
        world.other_unit,
        world.unit,
    )
    described = opinions["乡里路灯不亮"]
    assert (described.target, described.target_text, described.category, described.ledger_unit) == (
        None,
        "城关镇的路灯管理",
        "",
        None,
    )
    assert (team.channel, team.aspect, team.source_group, team.received_on) == (
        Channel.FORUM,
        "work",
        "veterans",
        datetime.date(2026, 2, 15),
    )
    # Every row has its history: who imported it and from which file.
    history = Opinion.history.filter(history_type="+")
    assert history.count() == 4
    assert {(h.history_user, h.history_change_reason) for h in history} == {(office, "import opinions.csv")}
    # One announcement per affected unit: the ledger roll-up recomputes exactly those.
    # (None: the general ledger's bucket of opinions with no target yet.)
    announced = list(ChangeOutbox.objects.filter(source="opinions").values_list("unit_id", flat=True))
    assert sorted(announced, key=str) == sorted([world.unit.pk, world.other_unit.pk, None], key=str)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's; SQLite inserts the rows")
def test_the_copy_path_works_with_debug_on(world, targets, settings):
    """DEBUG wraps every cursor in Django's CursorDebugWrapper, whose copy_expert takes
    no keyword arguments: the import failed with a TypeError on a development server."""
    settings.DEBUG = True
    forced = connection.force_debug_cursor
    connection.force_debug_cursor = True  # the wrapper whatever DEBUG was when the connection opened
    try:
        data = csv_bytes([ZH, row(ttype="党员", code=targets.county_leader.number), row(target="城关镇的路灯管理")])
        report = run(world, data, user=world.users["office"])
        copies = [query["sql"] for query in connection.queries if query["sql"].startswith("COPY ")]
    finally:
        connection.force_debug_cursor = forced
    assert report.ok, messages(report)
    assert Opinion.objects.count() == 2
    assert Opinion.history.filter(history_type="+").count() == 2
    assert copies, "the rows went through COPY, logged by the debug cursor"


def test_english_headers_and_labels_in_a_workbook_import_too(world, targets):
    data = xlsx(
        {
            "opinions": [
                EN,
                [
                    "Too many meetings",
                    "Suggestion",
                    "Member",
                    targets.ordinary_member.number,
                    "",
                    "Forum or symposium",
                    datetime.date(2026, 3, 1),  # a date cell
                    "Work style",
                    "The public",
                    "",
                    "",
                ],
            ]
        }
    )
    report = run(world, data, "opinions.xlsx")
    assert report.ok, messages(report)
    opinion = Opinion.objects.get()
    assert (opinion.kind, opinion.target_member, opinion.received_on, opinion.source_group) == (
        OpinionKind.SUGGESTION,
        targets.ordinary_member,
        datetime.date(2026, 3, 1),
        "public",
    )


def test_invisible_characters_in_an_imported_row_are_not_stored(world, targets):
    code = targets.ordinary_member.number
    data = csv_bytes([ZH, row(text="会议\x01太多\u202e，\r\n文山会海", ttype="党员", code=f"\u202e{code}\x01")])
    report = run(world, data)
    assert report.ok, messages(report)
    opinion = Opinion.objects.get()
    assert (opinion.text, opinion.target_member) == ("会议太多，\n文山会海", targets.ordinary_member)
    # A workbook cannot hold a control character; a bidi override or isolate it can.
    sheet = [ZH, row(text="\u2066班子\u202e团结\u2069", ttype="党员", code=code, target="")]
    report = run(world, xlsx({"意见": sheet}), "opinions.xlsx")
    assert report.ok, messages(report)
    assert Opinion.objects.filter(text="班子团结").exists()


def test_a_dry_run_counts_the_rows_and_writes_nothing(world, targets):
    data = csv_bytes([ZH, *[row(ttype="党员", code=targets.ordinary_member.number)] * 3])
    report = run(world, data, dry_run=True)
    assert report.ok and report.rows == 3
    assert not Opinion.objects.exists()
    assert not ChangeOutbox.objects.exists()


def test_every_bad_row_is_named_by_row_column_and_reason_and_nothing_is_written(world, targets, monkeypatch):
    # Small chunks: the good rows of the first chunks are written, then rolled back.
    monkeypatch.setattr(imports, "CHUNK_ROWS", 2)
    good = row(ttype="党员", code=targets.ordinary_member.number)
    data = csv_bytes(
        [
            ZH,
            good,
            good,
            good,
            row(ttype="党员", code="NO-SUCH"),
            row(text="", ttype="党员", code=targets.ordinary_member.number),
            row(text="长" * 4001, ttype="党员", code=targets.ordinary_member.number),
            row(date="2020-01-01", ttype="党员", code=targets.ordinary_member.number),
            row(kind="批评", ttype="党员", code=targets.ordinary_member.number),
            row(date="去年", ttype="党员", code=targets.ordinary_member.number),
            good,
        ]
    )
    with translation.override("en"):
        report = run(world, data)
        found = messages(report)
    assert found == [
        "opinions.csv row 5, column 对象代码: No member has the number NO-SUCH in this campaign.",
        "opinions.csv row 6, column 意见建议内容: Write the content of the opinion.",
        "opinions.csv row 7, column 意见建议内容: The content is 4,001 characters long; at most 4,000 are allowed.",
        "opinions.csv row 8, column 征求时间: The date must lie within the campaign (2026-01-10 to 2026-06-30).",
        "opinions.csv row 9, column 类型: Unknown kind “批评”; use one of: Opinion, Suggestion.",
        "opinions.csv row 10, column 征求时间: “去年” is not a date; write it as 2025-03-05.",
    ]
    assert not Opinion.objects.exists()
    assert not Opinion.history.exists()
    assert not ChangeOutbox.objects.exists()


def test_checking_a_chunk_costs_the_same_queries_for_few_rows_or_many(world, targets):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests import factories as f

    members = [f.MemberFactory(campaign=world.campaign, unit=world.unit) for _ in range(30)]

    def queries(rows: list) -> int:
        with CaptureQueriesContext(connection) as captured:
            report = run(world, csv_bytes([ZH, *rows]), user=world.users["office"], dry_run=True)
        assert report.ok, messages(report)
        return len(captured)

    few = [row(ttype="党员", code=m.number, unit=world.unit.code) for m in members[:2]]
    many = [row(ttype="党员", code=m.number, unit=world.unit.code) for m in members * 5]
    many += [row(ttype="领导班子", code=targets.standing_team.code), row(ttype="单位", code=world.unit.code)] * 20
    few += [row(ttype="领导班子", code=targets.standing_team.code), row(ttype="单位", code=world.unit.code)]
    queries(few)  # the importer's scope is worked out once and kept on the user
    assert queries(few) == queries(many)


def test_messages_are_translated(world):
    data = csv_bytes([ZH, row(ttype="党员", code="NO-SUCH")])
    with translation.override("zh-hans"):
        report = run(world, data)
    assert report.error_count == 1
    with translation.override("en"):
        english = str(run(world, data).errors[0])
    assert report.errors[0].column == "对象代码"
    assert english.endswith("No member has the number NO-SUCH in this campaign.")


def test_a_target_outside_the_importers_scope_is_refused(world, targets, monkeypatch):
    # Only the office imports today; were secretaries allowed to, their scope would hold.
    monkeypatch.setitem(ACTIONS, "opinions.import", ACTIONS["opinions.import"] | {SECRETARY})
    secretary = world.users["secretary"]
    data = csv_bytes(
        [
            ZH,
            row(ttype="党员", code=targets.ordinary_member.number, unit=world.unit.code),
            row(ttype="党员", code=targets.outside_member.number),
            row(ttype="领导班子", code=targets.outside_team.code),
            row(ttype="党员", code=targets.ordinary_member.number, unit=world.other_unit.code),
        ]
    )
    with translation.override("en"):
        report = run(world, data, user=secretary)
        found = messages(report)
    assert found == [
        "opinions.csv row 3, column 对象代码: 王五OUTSIDE is outside the organisations you may record for.",
        f"opinions.csv row 4, column 对象代码: {targets.outside_team} is outside the organisations you may record for.",
        "opinions.csv row 5, column 记录单位代码: You may not record opinions for 第一中学OUTSIDE.",
    ]
    assert not Opinion.objects.exists()


def test_only_those_who_may_import_into_the_campaign_can(world):
    data = csv_bytes([ZH, row(target="某单位")])
    for role in ("secretary", "supervisor", "member"):
        with pytest.raises(PermissionDenied):
            run(world, data, user=world.users[role])
    from tests.matrix import build_elsewhere

    elsewhere = build_elsewhere()
    with pytest.raises(PermissionDenied):
        run(world, data, user=elsewhere.role.user)


def test_a_code_of_another_campaign_is_unknown_here(world):
    from tests.matrix import build_elsewhere

    elsewhere = build_elsewhere()
    data = csv_bytes([ZH, row(ttype="党员", code=elsewhere.member.number)])
    with translation.override("en"):
        found = messages(run(world, data, user=world.users["office"]))
    assert found == [
        f"opinions.csv row 2, column 对象代码: No member has the number {elsewhere.member.number} in this campaign."
    ]


def test_a_code_shared_by_two_kinds_of_target_needs_the_target_type(world, targets):
    targets.ordinary_member.number = world.unit.code
    targets.ordinary_member.save()
    data = csv_bytes([ZH, row(code=world.unit.code)])
    with translation.override("en"):
        report = run(world, data)
    assert report.error_count == 1
    assert "is the code of more than one target" in report.errors[0].message
    data = csv_bytes([ZH, row(ttype="单位", code=world.unit.code)])
    assert run(world, data).ok
    assert Opinion.objects.get().target_unit == world.unit


def test_a_code_whose_name_contradicts_it_is_refused_naming_both(world, targets):
    member = targets.ordinary_member
    data = csv_bytes([ZH, row(ttype="党员", code=member.number, target="另一个人")])
    with translation.override("en"):
        report = run(world, data)
    assert report.error_count == 1 and report.errors[0].column == "对象代码"
    assert report.errors[0].message == f"The code {member.number} is {member.name}, not 另一个人."
    assert not Opinion.objects.exists()
    # The same name, written with other spaces (full-width or none), agrees.
    spaced = "\u3000".join(member.name)
    assert run(world, csv_bytes([ZH, row(ttype="党员", code=member.number, target=spaced)])).ok
    assert Opinion.objects.get().target_member == member


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_data_under_a_blank_header_refuses_the_file_naming_the_column(world, targets, kind):
    """A column under a merged group header has no header of its own: its data would be
    dropped while the dry run said every row was good."""
    member = targets.ordinary_member
    headers = [*ZH, "", ""]  # columns L and M have no header
    good = [*row(ttype="党员", code=member.number), "", ""]
    bad = [*row(ttype="党员", code=member.number), "落在无表头的列里", ""]
    data = csv_bytes([headers, good, bad]) if kind == "csv" else xlsx({"意见建议": [headers, good, bad]})
    with translation.override("en"):
        report = run(world, data, filename=f"opinions.{kind}", dry_run=True)
    assert [error.message for error in report.errors] == [
        "Column L has no header, yet row 3 holds data in it: give the column a header, or delete it."
    ]
    # Past the last header too.
    beyond = [*row(ttype="党员", code=member.number), "", "", "多出的一列"]
    data = csv_bytes([ZH, beyond]) if kind == "csv" else xlsx({"意见建议": [ZH, beyond]})
    with translation.override("en"):
        report = run(world, data, filename=f"opinions.{kind}")
    assert report.errors[0].message.startswith("Column N has no header, yet row 2")
    assert not Opinion.objects.exists()


def test_a_row_without_any_target_is_refused(world):
    data = csv_bytes([ZH, row(), row(ttype="党员")])
    with translation.override("en"):
        assert messages(run(world, data)) == [
            "opinions.csv row 2, column 反映对象: Give the target's type and code, or describe the target.",
            "opinions.csv row 3, column 对象代码: Give the code of the Member.",
        ]


def test_headers_that_are_missing_or_unknown_are_reported_alone(world):
    data = csv_bytes([["意见建议内容", "类型", "颜色"], ["内容", "意见", "红"]])
    with translation.override("en"):
        found = messages(run(world, data))
    assert any("Cannot tell what this sheet holds" in message for message in found)
    data = csv_bytes([["意见建议内容", "类型", "征求时间", "颜色"], ["内容", "意见", DAY, "红"]])
    with translation.override("en"):
        found = messages(run(world, data))
    assert found == [
        "opinions.csv row 1, column 颜色: Unknown column “颜色”; the columns of Opinions and suggestions are: "
        "Content, Kind, Target type, Target code, Target, Channel, Date, Aspect, Source group, Event, "
        "Recording unit code, No.."
    ]


# --- Events ---------------------------------------------------------------------


def event_row(unit, title="老干部座谈会", channel="座谈会", date=DAY, **more):
    return [
        unit.code,
        channel,
        title,
        more.get("level", "单位"),
        date,
        more.get("until", ""),
        more.get("place", "镇政府会议室"),
        more.get("groups", "老干部、群众"),
        more.get("attendance", 25),
        more.get("issued", 30),
        more.get("returned", 28),
        more.get("boxes", 0),
    ]


def test_a_workbook_of_events_and_opinions_links_opinions_to_the_events_by_title(world, targets):
    data = xlsx(
        {
            # Opinions first on purpose: events are imported first whatever the order.
            "意见建议": [
                ZH,
                row(
                    ttype="党员",
                    code=targets.ordinary_member.number,
                    channel="",
                    event="老干部座谈会",
                    unit=world.unit.code,
                    date="",
                ),
            ],
            "征求意见活动": [EVENT_ZH, event_row(world.unit)],
        }
    )
    dry = run(world, data, "all.xlsx", dry_run=True)
    assert dry.ok, messages(dry)
    assert [(c.kind, c.created) for c in dry.counts] == [("events", 1), ("opinions", 1)]
    assert not SolicitationEvent.objects.exists()
    report = run(world, data, "all.xlsx", user=world.users["office"])
    assert report.ok, messages(report)
    event = SolicitationEvent.objects.get()
    assert (event.unit, event.channel, event.attendee_groups, event.forms_issued, event.forms_returned) == (
        world.unit,
        Channel.FORUM,
        ["veterans", "public"],
        30,
        28,
    )
    opinion = Opinion.objects.get()
    # The channel and the date come from the event when the row leaves them blank.
    assert (opinion.event, opinion.channel, opinion.received_on) == (event, Channel.FORUM, event.held_on)
    assert SolicitationEvent.history.get().history_user == world.users["office"]
    assert ChangeOutbox.objects.filter(source="events", unit=world.unit).count() == 1


def test_an_opinion_names_another_units_event_by_number(world, targets, forum):
    other = SolicitationEventFactory(campaign=world.campaign, unit=world.other_unit, title="老干部座谈会")
    data = csv_bytes(
        [
            ZH,
            row(ttype="党员", code=targets.ordinary_member.number, event=f"#{other.code}", channel=""),
            row(
                ttype="党员",
                code=targets.ordinary_member.number,
                event="城关镇老干部座谈会INSIDE",
                unit=world.unit.code,
                channel="",
            ),
            row(ttype="党员", code=targets.ordinary_member.number, event="没开过的会", unit=world.unit.code),
            row(ttype="党员", code=targets.ordinary_member.number, event=f"#{other.code}", channel="热线"),
        ]
    )
    with translation.override("en"):
        found = messages(run(world, data))
    assert found == [
        "opinions.csv row 4, column 征求活动: 城关镇政府INSIDE recorded no event called “没开过的会”.",
        "opinions.csv row 5, column 征求渠道: "
        "The event 老干部座谈会 was a Forum or symposium; the channel must match it.",
    ]
    assert run(world, csv_bytes([ZH, *list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1:3]])).ok
    assert set(Opinion.objects.values_list("event_id", flat=True)) == {other.pk, forum.pk}


def test_bad_event_rows_are_named_and_nothing_is_written(world):
    data = csv_bytes(
        [
            EVENT_ZH,
            event_row(world.unit, issued=10, returned=12),
            event_row(world.unit, title="党员座谈会", date="2025-12-01"),
            event_row(world.unit, title="群众座谈会", attendance="很多"),
            event_row(world.unit, title="第二次座谈会", groups="外星人"),
            ["NOPE", "座谈会", "座谈", "", DAY, "", "", "", "", "", "", ""],
        ]
    )
    numbered = csv_bytes(
        [
            ["编号", *EVENT_ZH],
            [7, *event_row(world.unit, title="群众座谈会", date="2026-03-01")],
            [7, *event_row(world.unit, title="青年座谈会", date="2026-03-01")],
            ["第 七", *event_row(world.unit, title="妇女座谈会", date="2026-03-01")],
        ]
    )
    with translation.override("en"):
        found = messages(run(world, data, "events.csv")) + messages(run(world, numbered, "numbered.csv"))
    assert found == [
        "events.csv row 2, column 收回征求意见表: 12 forms cannot have come back when only 10 were issued.",
        "events.csv row 3, column 日期: The date must lie within the campaign (2026-01-10 to 2026-06-30).",
        "events.csv row 4, column 参加人数: “很多” is not a whole number of zero or more.",
        "events.csv row 5, column 参加对象: Unknown source group “外星人”; use one of: Veteran cadres, "
        "People's Congress deputies and CPPCC members, Business owners, Vulnerable groups, County officials, "
        "Township representatives, Party members, The public.",
        "events.csv row 6, column 单位代码: No organisation has the code NOPE in this campaign.",
        "numbered.csv row 3, column 编号: This number already appears in row 2 of this sheet.",
        "numbered.csv row 4, column 编号: “第 七” is not an event code; write at most 40 letters or digits, no spaces.",
    ]
    assert not SolicitationEvent.objects.exists()


def test_events_already_recorded_are_not_recorded_twice(world):
    data = csv_bytes([EVENT_ZH, event_row(world.unit)])
    assert run(world, data, "events.csv").ok
    again = run(world, data, "events.csv")
    assert again.ok
    assert [(c.created, c.unchanged) for c in again.counts] == [(0, 1)]
    assert SolicitationEvent.objects.count() == 1
    # Different figures: another event of the same title and day (a second forum).
    changed = run(world, csv_bytes([EVENT_ZH, event_row(world.unit, attendance=99)]), "events.csv")
    assert [(c.created, c.unchanged) for c in changed.counts] == [(1, 0)]
    assert sorted(SolicitationEvent.objects.values_list("attendance", flat=True)) == [25, 99]


def test_twin_events_are_told_apart_by_number_in_a_workbook(world, targets):
    """Two forums of one unit, title and day: opinions name each by its number."""
    first = SolicitationEventFactory(campaign=world.campaign, unit=world.unit, title="座谈会", attendance=10)
    second = SolicitationEventFactory(campaign=world.campaign, unit=world.unit, title="座谈会", attendance=20)
    for event in (first, second, second):
        OpinionFactory(target_member=targets.ordinary_member, event=event, recording_unit=world.unit)
    with translation.override("zh-hans"):
        exported = _export(world, "xlsx")
    assert {line[-2] for line in sheets_of(exported)["意见建议"][1:]} == {f"#{first.code}", f"#{second.code}"}
    # Into the same campaign: the events are those already recorded.
    again = run(world, exported, "again.xlsx")
    assert [(c.kind, c.created, c.unchanged) for c in again.counts] == [("events", 0, 2), ("opinions", 3, 0)]
    assert sorted(Opinion.objects.values_list("event__attendance", flat=True)) == [10, 10, 20, 20, 20, 20]
    # Into a campaign without them: new events, each opinion with its own.
    Opinion.objects.all().delete()
    SolicitationEvent.objects.all().delete()
    # The same file a second time: confirmed (campaign.import_records).
    assert run(world, exported, "fresh.xlsx", again=True).ok
    assert sorted(Opinion.objects.values_list("event__attendance", flat=True)) == [10, 20, 20]


# --- Export and the round trip ---------------------------------------------------------


@pytest.fixture
def recorded(world, targets, forum):
    box = SolicitationEventFactory(
        campaign=world.campaign,
        unit=world.unit,
        channel=Channel.SUGGESTION_BOX,
        title='=HYPERLINK("http://evil")',
        held_on=datetime.date(2026, 2, 1),
        ends_on=datetime.date(2026, 3, 1),
        boxes_set=4,
        attendee_groups=["public"],
    )
    same_title = SolicitationEventFactory(
        campaign=world.campaign, unit=world.unit, title=forum.title, held_on=datetime.date(2026, 4, 1)
    )
    OpinionFactory(
        target_member=targets.ordinary_member, text="=1+2 会多", event=forum, recording_unit=world.unit, aspect="work"
    )
    OpinionFactory(target_member=targets.ordinary_member, text="-减少检查", event=same_title, recording_unit=world.unit)
    OpinionFactory(
        target_member=None,
        target_team=targets.standing_team,
        text="@常委 '=多调研",
        kind=OpinionKind.SUGGESTION,
        channel=Channel.SUGGESTION_BOX,
        event=box,
        source_group="public",
    )
    OpinionFactory(target_member=None, target_unit=world.other_unit, text="'++换届", channel=Channel.HOTLINE)
    OpinionFactory(
        campaign=world.campaign,
        target_member=None,
        target_text="县里的某个局",
        text="办事难",
        channel=Channel.ONLINE,
        category="",
        ledger_unit=None,
    )
    return world


def _export(world, extension: str, what: str | None = None) -> bytes:
    parts = [(kind, qs) for kind, qs in campaign_querysets(world.campaign) if what in (None, kind)]
    return export_bytes(parts, extension)


FIELDS = (
    "kind",
    "text",
    "channel",
    "source_group",
    "aspect",
    "target_team_id",
    "target_member_id",
    "target_unit_id",
    "target_text",
    "category",
    "ledger_unit_id",
    "received_on",
    "recording_unit_id",
)


def _opinions() -> list[tuple]:
    rows = []
    for opinion in Opinion.objects.select_related("event").order_by("pk"):
        event = opinion.event
        rows.append((*(getattr(opinion, f) for f in FIELDS), event and (event.unit_id, event.title, event.held_on)))
    return rows


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_workbook_export_imports_back_unchanged(recorded, language):
    world = recorded
    with translation.override(language):
        exported = _export(world, "xlsx")
    before = _opinions()
    events_before = sorted(
        SolicitationEvent.objects.values_list(
            "unit", "channel", "title", "held_on", "ends_on", "boxes_set", "attendee_groups"
        )
    )
    Opinion.objects.all().delete()
    SolicitationEvent.objects.all().delete()
    with translation.override(language):
        report = run(world, exported, "export.xlsx", user=world.users["office"])
    assert report.ok, messages(report)
    assert _opinions() == before
    assert (
        sorted(
            SolicitationEvent.objects.values_list(
                "unit", "channel", "title", "held_on", "ends_on", "boxes_set", "attendee_groups"
            )
        )
        == events_before
    )
    with translation.override(language):
        assert _without_numbers(sheets_of(_export(world, "xlsx"))) == _without_numbers(sheets_of(exported))


def _without_numbers(sheets: dict) -> dict:
    """The sheets but for the events' numbers (their ids: new ones after an import)."""
    return {name: [line[1:] for line in lines] if i == 0 else lines for i, (name, lines) in enumerate(sheets.items())}


def test_the_csv_export_imports_back_unchanged(recorded):
    world = recorded
    events = _export(world, "csv", "events")
    opinions = _export(world, "csv", "opinions")
    before = _opinions()
    Opinion.objects.all().delete()
    SolicitationEvent.objects.all().delete()
    assert run(world, events, "events.csv").ok
    report = run(world, opinions, "opinions.csv")
    assert report.ok, messages(report)
    assert _opinions() == before
    assert _export(world, "csv", "opinions") == opinions


def test_exported_text_is_never_run_as_a_formula(recorded):
    world = recorded
    book = load_workbook(io.BytesIO(_export(world, "xlsx")))
    cells = [
        cell for sheet in book.worksheets for line in sheet.iter_rows() for cell in line if isinstance(cell.value, str)
    ]
    risky = [cell for cell in cells if cell.value.startswith(("=", "+", "-", "@"))]
    assert {cell.value for cell in risky} >= {"=1+2 会多", "-减少检查", "@常委 '=多调研", '=HYPERLINK("http://evil")'}
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in risky)
    lines = list(csv.reader(io.StringIO(_export(world, "csv", "opinions").decode("utf-8-sig"))))
    texts = [line[0] for line in lines[1:]]
    assert "'=1+2 会多" in texts and "'-减少检查" in texts and "''++换届" in texts and "'@常委 '=多调研" in texts
    assert not any(text.startswith(("=", "+", "-", "@")) for line in lines for text in line)


def test_export_writes_codes_and_labels_of_the_current_language(recorded, targets):
    with translation.override("zh-hans"):
        sheets = sheets_of(_export(recorded, "xlsx"))
    assert list(sheets) == ["征求意见活动", "意见建议"]
    headers, *rows = sheets["意见建议"]
    assert headers[:4] == ("意见建议内容", "类型", "对象类型", "对象代码")
    team_row = next(r for r in rows if r[0] == "@常委 '=多调研")
    assert team_row[1:4] == ("建议", "领导班子", targets.standing_team.code)
    with translation.override("en"):
        sheets = sheets_of(_export(recorded, "xlsx"))
    assert list(sheets) == ["events", "opinions"]
    assert sheets["opinions"][0][:2] == ("Content", "Kind")


# --- Files that are not what they claim ---------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("opinions.csv", b"%PDF-1.4 not a table"),
        ("opinions.csv", b"\x00\x01\x02binary"),
        ("opinions.xlsx", b"just some text, not a zip"),
        ("opinions.xlsx", b"PK\x03\x04broken zip"),
        ("opinions.txt", b"a,b,c"),
    ],
)
def test_a_file_that_is_not_a_spreadsheet_is_refused(world, name, data):
    with translation.override("en"):
        report = run(world, data, name)
    assert report.error_count == 1
    assert report.errors[0].row == 0
    assert report.errors[0].message in (
        "This file is not a spreadsheet that can be read; upload an .xlsx workbook or a .csv file.",
        "Choose an .xlsx or .csv file.",
    )


def _bomb(megabytes: int) -> bytes:
    """A workbook whose shared strings unpack into ``megabytes`` MB of one letter."""
    base = io.BytesIO(xlsx({"opinions": [ZH, row(target="某单位")]}))
    out = io.BytesIO()
    with zipfile.ZipFile(base) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            bomb.writestr(info, source.read(info))
        with bomb.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            block = b"A" * (1 << 20)
            for _ in range(megabytes):
                part.write(block)
    return out.getvalue()


def test_a_zip_bomb_disguised_as_a_workbook_is_refused_before_it_is_opened(world, settings, monkeypatch):
    opened = []
    monkeypatch.setattr("core.importing.load_workbook", lambda *a, **k: opened.append(a))
    data = _bomb(20)
    assert len(data) < 100_000
    with translation.override("en"):
        report = run(world, data, "opinions.xlsx")
    assert messages(report) == [
        "opinions.xlsx: This workbook unpacks into 20 MB, more than an import may read; split it into smaller files."
    ]
    # Even within the cap on size, a file packed a thousand times smaller is no honest workbook.
    settings.IMPORT_MAX_UNPACKED_BYTES = 10 * (1 << 20)
    with translation.override("en"):
        assert "unpacks into 20 MB" in messages(run(world, data, "opinions.xlsx", max_unpacked=1 << 30))[0]
    assert opened == []


def test_an_honest_workbook_passes_the_size_check(world, targets):
    rows = [
        row(text=f"第{i}条意见：会议多，检查多", ttype="党员", code=targets.ordinary_member.number) for i in range(2000)
    ]
    assert run(world, xlsx({"opinions": [ZH, *rows]}), "opinions.xlsx", dry_run=True).ok


def test_a_file_with_more_rows_than_allowed_is_refused(world, targets):
    data = csv_bytes([ZH, *[row(ttype="党员", code=targets.ordinary_member.number)] * 4])
    with translation.override("en"):
        report = run(world, data, max_rows=3)
    assert messages(report) == ["opinions.csv: The file has more than 3 rows; split it into smaller files."]
    assert not Opinion.objects.exists()


def test_a_csv_saved_by_chinese_excel_in_gb18030_imports(world, targets):
    data = csv_bytes([ZH, row(ttype="党员", code=targets.ordinary_member.number)], encoding="gb18030")
    assert run(world, data).ok
    assert Opinion.objects.get().text == "会议太多，文山会海"


def test_dates_are_read_as_offices_write_them(world, targets):
    dates = ["2026-02-15", "2026/2/15", "2026.2.15", "2026年2月15日", "2026-02-15T00:00:00"]
    data = csv_bytes([ZH, *[row(ttype="党员", code=targets.ordinary_member.number, date=d) for d in dates]])
    assert run(world, data).ok
    assert set(Opinion.objects.values_list("received_on", flat=True)) == {datetime.date(2026, 2, 15)}


# --- The commands -----------------------------------------------------------------


def test_import_opinions_command_lists_bad_rows_and_exits_with_status_1(world, targets, tmp_path):
    path = tmp_path / "opinions.csv"
    path.write_bytes(
        csv_bytes([ZH, row(ttype="党员", code=targets.ordinary_member.number), row(ttype="党员", code="X9")])
    )
    err = io.StringIO()
    with translation.override("en"), pytest.raises(CommandError) as raised:
        call_command("import_opinions", str(path), "--campaign", "demo", stderr=err)
    assert raised.value.returncode == 1
    assert "opinions.csv row 3, column 对象代码: No member has the number X9 in this campaign." in err.getvalue()
    assert not Opinion.objects.exists()


def test_import_opinions_command_dry_run_then_import_as_a_user(world, targets, tmp_path):
    path = tmp_path / "opinions.csv"
    path.write_bytes(csv_bytes([ZH, *[row(ttype="党员", code=targets.ordinary_member.number)] * 2]))
    out = io.StringIO()
    with translation.override("en"):
        call_command("import_opinions", str(path), "--dry-run", stdout=out)
    assert "Dry run: every row is valid; nothing was written." in out.getvalue()
    assert not Opinion.objects.exists()
    with translation.override("en"):
        call_command("import_opinions", str(path), "--user", "office", stdout=out)
    assert "Imported 2 rows into" in out.getvalue()
    assert Opinion.history.first().history_user == world.users["office"]
    with translation.override("en"), pytest.raises(CommandError, match="may not import"):
        call_command("import_opinions", str(path), "--user", "secretary")


def test_export_opinions_command_writes_what_import_opinions_reads(recorded, tmp_path):
    out = tmp_path / "all.xlsx"
    call_command("export_opinions", str(out), "--campaign", "demo", stdout=io.StringIO())
    before = _opinions()
    Opinion.objects.all().delete()
    SolicitationEvent.objects.all().delete()
    call_command("import_opinions", str(out), "--campaign", "demo", stdout=io.StringIO())
    assert _opinions() == before
    csv_out = tmp_path / "opinions.csv"
    call_command("export_opinions", str(csv_out), stdout=io.StringIO())
    assert csv_out.read_bytes().startswith(b"\xef\xbb\xbf")


# --- The pages ---------------------------------------------------------------------

PAGE = reverse("opinions:import_page")


@pytest.fixture
def office(world, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return login(world.users["office"])


def upload(client, data: bytes, name: str = "opinions.csv"):
    return client.post(
        PAGE, {"file": SimpleUploadedFile(name, data), **fresh()}, HTTP_ACCEPT_LANGUAGE="en", follow=True
    )


def stored(settings) -> list:
    folder = settings.MEDIA_ROOT / "imports"
    return list(folder.iterdir()) if folder.exists() else []


def test_office_uploads_sees_the_dry_run_and_confirms(world, targets, office, settings):
    data = csv_bytes([ZH, *[row(ttype="党员", code=targets.ordinary_member.number)] * 3])
    response = upload(office, data)
    page = response.content.decode()
    job = ImportJob.objects.get()
    assert response.redirect_chain == [(reverse("opinions:import_job", args=[job.pk]), 302)]
    assert "Every row is valid" in page and "Confirm the import" in page
    assert (job.status, job.rows_total, job.user) == (ImportJob.Status.CHECKED, 3, world.users["office"])
    assert not Opinion.objects.exists()
    assert len(stored(settings)) == 1
    response = office.post(reverse("opinions:import_confirm", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "Imported" in response.content.decode()
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.counts) == (
        ImportJob.Status.DONE,
        3,
        [{"kind": "opinions", "sheet": "opinions.csv", "created": 3, "unchanged": 0}],
    )
    assert Opinion.objects.count() == 3
    assert stored(settings) == []  # the file is not kept once imported
    # A second confirmation imports nothing more.
    response = office.post(reverse("opinions:import_confirm", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "This import is not waiting for confirmation." in response.content.decode()
    assert Opinion.objects.count() == 3


def test_bad_rows_are_listed_on_the_page_and_the_file_is_not_kept(world, office, settings):
    response = upload(office, csv_bytes([ZH, row(ttype="党员", code="X1"), row(text="", target="某单位")]))
    page = response.content.decode()
    assert "2 problems; nothing was imported" in page
    assert "No member has the number X1 in this campaign." in page
    assert "Write the content of the opinion." in page
    assert ImportJob.objects.get().status == ImportJob.Status.INVALID
    assert "Confirm the import" not in page
    assert stored(settings) == []


def test_a_large_import_runs_as_a_task_with_a_progress_bar(
    world, targets, office, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.IMPORT_TASK_ROWS = 2
    sent = []
    from opinions import tasks

    monkeypatch.setattr(tasks.run_import_job, "delay", lambda job_id: sent.append(job_id))
    data = csv_bytes([ZH, *[row(ttype="党员", code=targets.ordinary_member.number)] * 5])
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(office, data)
    job = ImportJob.objects.get()
    assert sent == [job.pk]
    page = response.content.decode()
    assert job.status == ImportJob.Status.CHECKING and job.rows_total == 5
    assert 'id="import-progress"' in page and 'data-status-url="/opinions/import/' in page
    assert "js/progress.js" in page
    assert f'href="{reverse("opinions:import_job", args=[job.pk])}">Refresh</a>' in page
    status = office.get(reverse("opinions:import_status", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en").json()
    assert status == {
        "status": "checking",
        "label": "Being checked",
        "running": True,
        "rows_done": 0,
        "rows_total": 5,
        "percent": 0,
        "text": "0 of about 5 rows",
        "url": reverse("opinions:import_job", args=[job.pk]),
    }
    tasks.run_import_job.apply(args=[job.pk])  # what the worker does (run here, in eager mode)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKED
    with django_capture_on_commit_callbacks(execute=True):
        office.post(reverse("opinions:import_confirm", args=[job.pk]))
    assert sent == [job.pk, job.pk]
    tasks.run_import_job.apply(args=[job.pk])
    tasks.run_import_job.apply(args=[job.pk])  # delivered twice: imported once
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.percent) == (ImportJob.Status.DONE, 5, 100)
    assert Opinion.objects.count() == 5
    status = office.get(reverse("opinions:import_status", args=[job.pk])).json()
    assert (status["running"], status["percent"]) == (False, 100)


def test_in_eager_mode_the_task_runs_where_it_is_sent(
    world, targets, office, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_TASK_ROWS = 2
    data = csv_bytes([ZH, *[row(ttype="党员", code=targets.ordinary_member.number)] * 5])
    with django_capture_on_commit_callbacks(execute=True):
        upload(office, data)
    # Sent on commit, run at once by Celery's eager mode: no worker needed.
    job = ImportJob.objects.get()
    page = office.get(reverse("opinions:import_job", args=[job.pk])).content.decode()
    assert "Every row is valid" in page
    with django_capture_on_commit_callbacks(execute=True):
        office.post(reverse("opinions:import_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert (job.status, Opinion.objects.count()) == (ImportJob.Status.DONE, 5)


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_a_large_import_runs_in_a_thread_and_the_page_shows_at_once(
    world, targets, office, settings, monkeypatch
):
    """The embedded default (issue 16): the check and the import of a large file run in
    a thread of the server (core.jobs.job_start), as exports do; the request that asks
    returns at once with the progress page."""
    import threading

    from core import jobs
    from opinions import import_views, tasks

    settings.IMPORT_TASK_ROWS = 2
    settings.JOBS_IN_THREAD = True
    release, threads = threading.Event(), []
    run, start = imports.import_job_run, jobs.job_start

    def held(*, job_id):  # the job waits until the test has looked at its page
        assert release.wait(10)
        run(job_id=job_id)

    def started(task, job_id):
        thread = start(task, job_id)
        threads.append(thread)
        return thread

    monkeypatch.setattr(imports, "import_job_run", held)
    monkeypatch.setattr(import_views, "job_start", started)
    data = csv_bytes([ZH, *[row(ttype="党员", code=targets.ordinary_member.number)] * 5])
    try:
        page = upload(office, data).content.decode()
        job = ImportJob.objects.get()
        assert job.status == ImportJob.Status.CHECKING and threads[0].is_alive()
        assert 'id="import-progress"' in page and "js/progress.js" in page
        release.set()
        threads[0].join(20)
        job.refresh_from_db()
        assert job.status == ImportJob.Status.CHECKED
        assert not jobs.job_running_in_thread(tasks.run_import_job, job.pk)

        release.clear()
        page = office.post(
            reverse("opinions:import_confirm", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en", follow=True
        ).content.decode()
        job.refresh_from_db()
        assert job.status == ImportJob.Status.IMPORTING and threads[1].is_alive()
        assert "js/progress.js" in page and Opinion.objects.count() == 0
        release.set()
        threads[1].join(20)
    finally:
        release.set()
        for thread in threads:
            if thread is not None:
                thread.join(20)
    job.refresh_from_db()
    assert (job.status, job.rows_done, Opinion.objects.count()) == (ImportJob.Status.DONE, 5, 5)


def test_a_jobs_page_and_status_write_its_counts_with_thousands_separators(world, targets, office):
    """One number format (issue 16): 4,000 of about 11,047 rows, in Chinese as in English."""
    upload(office, csv_bytes([ZH, row(ttype="党员", code=targets.ordinary_member.number)]))
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.IMPORTING, rows_done=4000, rows_total=11047)
    for language, text in (("en", "4,000 of about 11,047 rows"), ("zh-hans", "4,000")):
        page = office.get(reverse("opinions:import_job", args=[job.pk]), HTTP_ACCEPT_LANGUAGE=language)
        assert text in page.content.decode() and "11,047" in page.content.decode()
        status = office.get(reverse("opinions:import_status", args=[job.pk]), HTTP_ACCEPT_LANGUAGE=language).json()
        assert text in status["text"] and "11,047" in status["text"]


def test_a_job_is_seen_only_by_the_user_who_started_it(world, targets, office, login, settings):
    upload(office, csv_bytes([ZH, row(ttype="党员", code=targets.ordinary_member.number)]))
    job = ImportJob.objects.get()
    other_office = world.users["admin"]
    client = login(other_office)
    for name in ("import_job", "import_status"):
        assert client.get(reverse(f"opinions:{name}", args=[job.pk])).status_code == 404
    assert client.post(reverse("opinions:import_confirm", args=[job.pk])).status_code == 404
    client = login(world.users["secretary"])
    assert client.get(reverse("opinions:import_status", args=[job.pk])).status_code == 403
    assert ImportJob.objects.get().status == ImportJob.Status.CHECKED


def test_an_oversized_upload_is_refused_before_it_is_read(world, office, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = upload(office, csv_bytes([ZH, *[row(target="某单位")] * 2000]))
    assert "The file is too large; the largest accepted is 1.0\xa0KB." in response.content.decode()
    assert not ImportJob.objects.exists()
    assert stored(settings) == []


@pytest.mark.parametrize(
    ("name", "data"),
    [("opinions.xlsx", b"not a zip at all"), ("opinions.csv", b"%PDF-1.7"), ("opinions.pdf", b"%PDF-1.7")],
)
def test_a_malformed_upload_is_refused_with_a_message(world, office, settings, name, data):
    page = upload(office, data, name).content.decode()
    assert (
        "This file is not a spreadsheet that can be read; upload an .xlsx workbook or a .csv file." in page
        or "Choose an .xlsx or .csv file." in page
    )
    assert not ImportJob.objects.exists()


def test_a_zip_bomb_upload_ends_as_a_job_with_one_problem(world, office, settings):
    page = upload(office, _bomb(20), "opinions.xlsx").content.decode()
    assert "This workbook unpacks into 20 MB" in page
    assert ImportJob.objects.get().status == ImportJob.Status.INVALID
    assert stored(settings) == []


def test_the_import_page_describes_the_format_and_links_the_exports(world, office):
    page = office.get(PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Target code" in page and "对象代码" in page
    assert reverse("opinions:import_export") + "?format=csv&amp;what=opinions" in page


def test_the_export_page_gives_the_campaigns_workbook(recorded, office):
    response = office.get(reverse("opinions:import_export"), HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert list(sheets_of(response.content)) == ["events", "opinions"]
    response = office.get(reverse("opinions:import_export") + "?format=csv&what=events")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize("role", ["supervisor", "secretary", "member"])
def test_other_roles_may_not_import_or_export(world, login, role):
    client = login(world.users[role])
    assert client.get(PAGE).status_code == 403
    assert client.get(reverse("opinions:import_export")).status_code == 403
