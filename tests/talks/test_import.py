"""Importing talk cards from a spreadsheet: every row checked as a card entered by hand,
every bad row named by row, column and reason, all or nothing; the export in the
import format imports back unchanged."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from campaign.models import ChangeOutbox, LeadershipTeam, Member
from talks.imports import talks_import
from talks.models import CardState, Relation, Talk, TalkKind
from talks.resources import export_bytes
from tests import factories as f
from tests.campaign.importing import csv_bytes, sheets_of, xlsx
from tests.form_once import FIELD, token_in
from tests.talks.factories import PublicTalkFactory, TalkFactory, analysis_day

ZH = [
    "谈话人编号",
    "谈话人",
    "谈话对象编号",
    "谈话对象",
    "对象身份",
    "与谈话人关系",
    "谈话类型",
    "谈话时间",
    "地点",
    "谈话主题",
]
EN = [
    "Member number",
    "Member name",
    "Other member number",
    "Talked with",
    "Role",
    "Relation",
    "Kind",
    "Date",
    "Place",
    "Topics",
]


def run(world, data: bytes, filename: str = "talks.xlsx", *, user=None, dry_run=False):
    return talks_import(campaign=world.campaign, user=user, source=io.BytesIO(data), filename=filename, dry_run=dry_run)


def messages(report) -> list[str]:
    with translation.override("en"):
        return [str(error) for error in report.errors]


@pytest.fixture
def people(world):
    """The world's member, his colleague in the same unit and team, the outside member."""
    colleague = Member.objects.get(campaign=world.campaign, name="李四INSIDE")
    return world.member, colleague, world.other_member


@pytest.fixture
def day(world) -> datetime.date:
    return analysis_day(world.campaign, 3)


def _new_outbox(before: set[int]) -> list[ChangeOutbox]:
    return list(ChangeOutbox.objects.exclude(pk__in=before))


def _outbox_ids() -> set[int]:
    return set(ChangeOutbox.objects.values_list("pk", flat=True))


def test_a_workbook_with_chinese_headers_records_every_card(world, people, day):
    member, colleague, outside = people
    rows = [
        ZH,
        [
            member.number,
            member.name,
            colleague.number,
            colleague.name,
            "",
            "",
            "党员之间",
            day,
            "党员活动室",
            "工作作风",
        ],
        [member.number, "", "", "刘大爷", "退休教师", "居民", "党员与群众", day.isoformat(), "社区", "群众关心的事"],
        [outside.number, "", member.number, "", "", "", "党员之间", day, "", "跨单位交流"],
    ]
    before = _outbox_ids()
    report = run(world, xlsx({"谈心谈话": rows}), user=world.users["office"])
    assert report.ok, messages(report)
    assert report.rows == 3
    cards = {card.topics: card for card in Talk.objects.select_related("member", "other_member")}
    public = cards["群众关心的事"]
    assert public.kind == TalkKind.PUBLIC and public.outsider_name == "刘大爷"
    assert public.outsider_role == "退休教师" and public.outsider_relation == Relation.RESIDENT
    assert public.other_member is None
    pair = cards["工作作风"]
    assert (pair.member, pair.other_member, pair.talked_on, pair.place) == (member, colleague, day, "党员活动室")
    for card in cards.values():
        assert card.state == CardState.RECORDED
        assert card.recorded_by == world.users["office"] and card.recorder_name == "office"
        history = card.history.get()
        assert history.history_type == "+" and history.history_user == world.users["office"]
        assert history.history_change_reason == "import talks.xlsx"
    # Announced once: one outbox row per unit of either person of any card.
    announced = _new_outbox(before)
    assert sorted(row.unit_id for row in announced) == sorted({world.unit.pk, world.other_unit.pk})
    assert {row.source for row in announced} == {"talks"}


def test_a_csv_with_english_headers_and_labels(world, people, day):
    member, colleague, _outside = people
    team = LeadershipTeam.objects.get(campaign=world.campaign, unit=world.unit)
    assert {member, colleague} <= set(team.members.all())
    rows = [
        [*EN, "Agreed", "Recorder"],
        [member.number, "", colleague.number, "", "", "", "Between members of one leadership team",
         day.strftime("%Y/%m/%d"), "", "Team work", "Meet weekly", "Secretary Wang"],
        [member.number, "", "", "Ms Li", "shop owner", "Business owner", "Member with the public",
         f"{day.year}年{day.month}月{day.day}日", "", "Street trade", "", ""],
    ]  # fmt: skip
    report = run(world, csv_bytes(rows), "talks.csv", user=world.users["office"])
    assert report.ok, messages(report)
    team_talk = Talk.objects.get(kind=TalkKind.TEAM)
    assert team_talk.agreed == "Meet weekly" and team_talk.recorder_name == "Secretary Wang"
    public = Talk.objects.get(kind=TalkKind.PUBLIC)
    assert public.outsider_relation == Relation.BUSINESS_OWNER and public.talked_on == day
    assert public.recorder_name == "office"


def test_gb18030_csv_as_chinese_excel_saves_it(world, people, day):
    member, colleague, _outside = people
    rows = [ZH, [member.number, "", colleague.number, "", "", "", "党员之间", day.isoformat(), "", "谈心"]]
    report = run(world, csv_bytes(rows, encoding="gb18030"), "talks.csv")
    assert report.ok, messages(report)
    assert Talk.objects.count() == 1


def test_the_dry_run_names_every_bad_row_by_row_column_and_reason(world, people, day):
    member, colleague, outside = people
    stage = world.campaign.stages.get(order=2)
    late = stage.ends_on + datetime.timedelta(days=1)

    def on(n: int) -> datetime.date:
        return day + datetime.timedelta(days=n)  # a day of its own: no row repeats another's talk

    rows = [
        ZH,
        [member.number, "", colleague.number, "", "", "", "党员之间", on(0), "", "好的一行"],  # row 2: good
        ["M999999", "", colleague.number, "", "", "", "党员之间", on(1), "", "没有这个人"],  # row 3
        [member.number, "", member.number, "", "", "", "党员之间", on(2), "", "自己"],  # row 4
        [member.number, "", colleague.number, "", "", "", "党员之间", late, "", "阶段之外"],  # row 5
        [member.number, "", colleague.number, "", "", "", "闲聊", on(3), "", "类型不明"],  # row 6
        [member.number, "", colleague.number, "", "", "", "党员之间", "下周二", "", "日期不明"],  # row 7
        [member.number, "王二", colleague.number, "", "", "", "党员之间", on(4), "", "姓名不符"],  # row 8
        [member.number, "", outside.number, "", "", "", "班子成员之间", on(5), "", "不在一个班子"],  # row 9
        [member.number, "", "", "刘大爷", "", "", "党员与群众", on(6), "", "缺关系"],  # row 10
        [member.number, "", colleague.number, "", "", "", "党员之间", on(7), "", ""],  # row 11: no topics
    ]
    report = run(world, xlsx({"谈心谈话": rows}), dry_run=True)
    assert not report.ok and not report.counts
    found = messages(report)
    expected = [
        "谈心谈话 row 3, column 谈话人编号: No member has the number M999999 in this campaign.",
        "谈心谈话 row 4, column 谈话对象编号: A talk needs two people",
        "谈心谈话 row 5, column 谈话时间: Talks are recorded for the analysis-and-evaluation stage",
        "谈心谈话 row 6, column 谈话类型: Unknown kind of talk “闲聊”",
        "谈心谈话 row 7, column 谈话时间: “下周二” is not a date",
        f"谈心谈话 row 8, column 谈话人: The member numbered {member.number} is 张三INSIDE, not 王二.",
        "谈心谈话 row 9, column 谈话类型: 张三INSIDE and 王五OUTSIDE are not in one leadership team",
        "谈心谈话 row 10, column 与谈话人关系: Say how he or she stands to the member",
        "谈心谈话 row 11, column 谈话主题: This cell is required.",
    ]
    for start in expected:
        assert any(message.startswith(start) for message in found), (start, found)
    assert not any(" row 2," in message or " row 2:" in message for message in found)
    assert report.error_count == len(expected)
    # An unreadable cell is reported once, not again by the card checks.
    assert len([m for m in found if " row 3," in m]) == 1
    assert len([m for m in found if " row 6," in m]) == 1
    assert not Talk.objects.exists()


def test_nothing_is_written_when_one_row_is_bad(world, people, day):
    member, colleague, _outside = people
    rows = [
        ZH,
        [member.number, "", colleague.number, "", "", "", "党员之间", day, "", "好的一行"],
        [member.number, "", member.number, "", "", "", "党员之间", day, "", "自己"],
    ]
    before = _outbox_ids()
    report = run(world, xlsx({"talks": rows}))
    assert not report.ok and report.error_count == 1
    assert not Talk.objects.exists()
    assert not Talk.history.exists()
    assert _new_outbox(before) == []


def test_a_good_file_dry_run_counts_and_writes_nothing(world, people, day):
    member, colleague, _outside = people
    rows = [ZH, [member.number, "", colleague.number, "", "", "", "党员之间", day, "", "谈心"]]
    before = _outbox_ids()
    report = run(world, xlsx({"talks": rows}), dry_run=True)
    assert report.ok and report.rows == 1 and report.dry_run and not report.written
    assert not Talk.objects.exists()
    assert _new_outbox(before) == []


@pytest.mark.parametrize("dry_run", [True, False])
def test_the_same_talk_twice_in_the_file_is_refused(world, people, day, dry_run):
    member, colleague, _outside = people
    rows = [
        ZH,
        [member.number, "", colleague.number, "", "", "", "党员之间", day, "", "第一次"],
        [member.number, "", "", "刘大爷", "", "居民", "党员与群众", day, "", "群众"],
        # The same two people the other way round, the same day: the same talk.
        [colleague.number, "", member.number, "", "", "", "党员之间", day, "", "第二次"],
        [member.number, "", "", " 刘大爷 ", "", "居民", "党员与群众", day, "", "又一次"],
    ]
    report = run(world, xlsx({"talks": rows}), dry_run=dry_run)
    assert messages(report) == [
        "talks row 4: The same talk (the same two people on the same day) is already in row 2.",
        "talks row 5: The same talk (the same two people on the same day) is already in row 3.",
    ]
    assert not Talk.objects.exists()


def test_a_talk_already_on_record_is_refused_and_names_the_card(world, people, day):
    member, colleague, _outside = people
    card = TalkFactory(member=colleague, other_member=member, talked_on=day)
    rows = [ZH, [member.number, "", colleague.number, "", "", "", "党员之间", day, "", "又记一次"]]
    report = run(world, xlsx({"talks": rows}))
    [message] = messages(report)
    assert message.startswith("talks row 2: This talk is already on record")
    assert f"card no. {card.pk}" in message
    assert Talk.objects.count() == 1


def test_the_same_people_on_another_day_is_another_talk(world, people, day):
    member, colleague, _outside = people
    TalkFactory(member=member, other_member=colleague, talked_on=day)
    rows = [
        ZH,
        [member.number, "", colleague.number, "", "", "", "党员之间", day + datetime.timedelta(days=1), "", "再谈"],
    ]
    report = run(world, xlsx({"talks": rows}))
    assert report.ok, messages(report)
    assert Talk.objects.count() == 2


def test_a_secretary_imports_only_cards_of_members_in_his_subtree(world, people, day):
    member, colleague, outside = people
    other = f.MemberFactory(campaign=world.campaign, unit=world.other_unit, name="赵七OUTSIDE")
    secretary = world.users["secretary"]
    inside_rows = [
        ZH,
        [member.number, "", colleague.number, "", "", "", "党员之间", day, "", "单位内"],
        # The first person is in the secretary's unit; the other may be anyone.
        [member.number, "", outside.number, "", "", "", "党员之间", day, "", "跨单位"],
    ]
    report = run(world, xlsx({"talks": inside_rows}), user=secretary)
    assert report.ok, messages(report)
    assert Talk.objects.filter(recorded_by=secretary).count() == 2

    outside_rows = [ZH, [outside.number, "", other.number, "", "", "", "党员之间", day, "", "别的单位"]]
    report = run(world, xlsx({"talks": outside_rows}), user=secretary)
    [message] = messages(report)
    assert message.startswith("talks row 2, column 谈话人编号: You may record only talks of the members in your charge")
    assert Talk.objects.count() == 2


@pytest.mark.parametrize("role", ["member", "supervisor"])
def test_members_and_supervisors_may_not_import(world, people, day, role):
    member, colleague, _outside = people
    rows = [ZH, [member.number, "", colleague.number, "", "", "", "党员之间", day, "", "谈心"]]
    with pytest.raises(PermissionDenied):
        run(world, xlsx({"talks": rows}), user=world.users[role])


def test_an_empty_file_and_a_file_of_another_format_are_refused(world):
    report = run(world, xlsx({"talks": [ZH]}))
    assert messages(report) == ["talks.xlsx: The file holds no rows to import."]
    report = run(world, b"%PDF-1.4 not a sheet", "talks.csv")
    assert not report.ok and "not a spreadsheet" in messages(report)[0]
    report = run(
        world,
        csv_bytes(
            [["谈话人编号", "谈话类型", "谈话时间", "谈话主题", "颜色"], ["M1", "党员之间", "2026-03-01", "x", "红"]]
        ),
        "t.csv",
    )
    assert any("Unknown column “颜色”" in m for m in messages(report))


def test_a_missing_required_column_is_named(world):
    report = run(world, csv_bytes([["谈话人编号", "谈话类型", "谈话时间"], ["M1", "党员之间", "2026-03-01"]]), "t.csv")
    assert not report.ok
    assert any("The column “Topics” is missing." in m for m in messages(report))


def test_cells_too_long_are_named(world, people, day):
    member, _colleague, _outside = people
    rows = [ZH, [member.number, "", "", "某" * 101, "", "居民", "党员与群众", day, "地" * 201, "谈心"]]
    found = messages(run(world, xlsx({"talks": rows})))
    assert "talks row 2, column 谈话对象: At most 100 characters; this cell has 101." in found
    assert "talks row 2, column 地点: At most 200 characters; this cell has 201." in found


# --- The export in the import format imports back unchanged ---------------------------


@pytest.fixture
def recorded(world, people, day):
    member, colleague, outside = people
    TalkFactory(member=member, other_member=colleague, talked_on=day, topics='=HYPERLINK("x")', agreed="一\n二")
    TalkFactory(member=outside, other_member=member, talked_on=day, place="+1", recorder_name="王书记")
    PublicTalkFactory(
        member=member, talked_on=day + datetime.timedelta(days=1), outsider_name="刘大爷", outsider_role="-"
    )
    PublicTalkFactory(member=colleague, talked_on=day, outsider_relation=Relation.RELATIVE, other_problems="@家里")
    return Talk.objects.filter(campaign=world.campaign)


def _fields(cards) -> list[tuple]:
    return sorted(
        cards.values_list(
            "kind",
            "member__number",
            "other_member__number",
            "outsider_name",
            "outsider_role",
            "outsider_relation",
            "talked_on",
            "place",
            "topics",
            "member_problems",
            "other_problems",
            "agreed",
            "recorder_name",
        ),
        key=repr,
    )


@pytest.mark.parametrize(
    ("language", "extension"), [("zh-hans", "xlsx"), ("en", "xlsx"), ("zh-hans", "csv"), ("en", "csv")]
)
def test_the_export_imports_back_unchanged(world, recorded, language, extension):
    with translation.override(language):
        exported = export_bytes(recorded, extension)
    before = _fields(recorded)
    Talk.objects.all().delete()
    with translation.override(language):
        report = run(world, exported, f"talks.{extension}", user=world.users["office"])
    assert report.ok, messages(report)
    assert _fields(Talk.objects.all()) == before
    with translation.override(language):
        again = export_bytes(Talk.objects.all(), extension)
    if extension == "xlsx":
        assert sheets_of(again) == sheets_of(exported)
    else:
        assert again == exported


def test_the_export_neutralises_formulas(world, recorded):
    with translation.override("zh-hans"):
        sheets = sheets_of(export_bytes(recorded, "xlsx"))
    [(title, rows)] = sheets.items()
    assert title == "谈心谈话"
    assert rows[0][0] == "谈话人编号"
    cells = [cell for row in rows for cell in row]
    assert '=HYPERLINK("x")' in cells  # stored as text, not as a formula
    csv_text = export_bytes(recorded, "csv").decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text and "'+1" in csv_text and "'@家里" in csv_text


# --- The command ------------------------------------------------------------------------


def test_the_command_prints_bad_rows_and_exits_with_status_1(world, people, day, tmp_path):
    member, _colleague, _outside = people
    path = tmp_path / "talks.xlsx"
    path.write_bytes(xlsx({"talks": [ZH, [member.number, "", member.number, "", "", "", "党员之间", day, "", "自己"]]}))
    err = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_talks", str(path), "--campaign", "demo", stderr=err, stdout=io.StringIO())
    assert raised.value.returncode == 1
    assert "1 problem(s) found; nothing was imported." in str(raised.value)
    assert err.getvalue().startswith("talks row 2, column 谈话对象编号: A talk needs two people")
    assert not Talk.objects.exists()


def test_the_command_dry_run_then_import_as_a_user(world, people, day, tmp_path):
    member, colleague, _outside = people
    path = tmp_path / "cards.csv"
    path.write_bytes(
        csv_bytes([ZH, [member.number, "", colleague.number, "", "", "", "党员之间", day.isoformat(), "", "谈"]])
    )
    out = io.StringIO()
    call_command("import_talks", str(path), "--dry-run", stdout=out)
    assert out.getvalue() == ("Talk cards (cards.csv): 1 new\nDry run: every row is valid; nothing was written.\n")
    assert not Talk.objects.exists()
    out = io.StringIO()
    call_command("import_talks", str(path), "--user", "secretary", stdout=out)
    assert "Imported 1 rows into 示范县第一批." in out.getvalue()
    assert Talk.objects.get().recorded_by == world.users["secretary"]
    with pytest.raises(CommandError, match="may not import"):
        call_command("import_talks", str(path), "--user", "supervisor")
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_talks", str(tmp_path / "nothing.csv"))


# --- The import page ----------------------------------------------------------------


def _upload(rows, name: str = "talks.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, xlsx({"talks": rows}))


def test_the_page_checks_then_imports_on_confirmation(world, people, day, login):
    member, colleague, _outside = people
    client = login(world.users["secretary"])
    url = reverse("talks:import_page")
    page = client.get(url)
    assert page.status_code == 200 and "谈话人编号" in page.content.decode()
    rows = [ZH, [member.number, "", colleague.number, "", "", "", "党员之间", day, "", "谈心"]]
    checked = client.post(url, {"file": _upload(rows)})
    text = checked.content.decode()
    assert "every row is valid" in text and "Confirm the import" in text
    assert not Talk.objects.exists()
    confirm = {"confirm": "1", "token": client.session["talks_import"]["token"], FIELD: token_in(text)}
    done = client.post(url, confirm)
    assert done.status_code == 302 and done["Location"] == url
    assert Talk.objects.get().recorded_by == world.users["secretary"]
    # The same confirmation twice is told so and imports nothing more.
    again = client.post(url, confirm, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "This form was already submitted; nothing was saved twice." in again.content.decode()
    assert Talk.objects.count() == 1


def test_the_page_lists_bad_rows_and_offers_no_confirmation(world, people, day, login):
    member, _colleague, _outside = people
    client = login(world.users["office"])
    rows = [ZH, [member.number, "", member.number, "", "", "", "党员之间", day, "", "自己"]]
    page = client.post(reverse("talks:import_page"), {"file": _upload(rows)})
    text = page.content.decode()
    assert "1 problem; nothing was imported" in text
    assert "谈话对象编号" in text and "A talk needs two people" in text
    assert "Confirm the import" not in text
    assert "talks_import" not in client.session


def test_the_page_refuses_a_file_that_is_not_a_spreadsheet(world, login):
    client = login(world.users["office"])
    page = client.post(reverse("talks:import_page"), {"file": SimpleUploadedFile("talks.xls", b"\xd0\xcf\x11\xe0")})
    # An old workbook is named as such (tests/imports/test_office_files.py has the others).
    assert "old Excel 97–2003 workbook (.xls)" in page.content.decode()
    assert not Talk.objects.exists()
