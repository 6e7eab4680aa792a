"""The ledger pages and exports: what each role sees, the drill-down, the office's
layout of the workbooks, and a bounded number of queries whatever the data size."""

from __future__ import annotations

import datetime
import io
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import translation

from campaign.models import RoleKind
from opinions.models import Aspect, Channel, FeedbackList, OpinionKind
from opinions.services import Target, opinion_merge
from reports import tasks
from reports.ledger import reconcile, rollup
from reports.opinions import exports
from tests import factories as f
from tests.opinions.factories import bulk_opinions
from tests.reports.helpers import add_event, add_opinion, set_list

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def filled(ledgers):
    """Opinions about every kind of target, inside and outside, rolled up."""
    campaign = ledgers.campaign
    for target in ledgers.targets():
        add_opinion(campaign, target)
    add_opinion(campaign, Target(member=ledgers.member), kind=OpinionKind.OPINION, aspect=Aspect.WORK_STYLE)
    add_opinion(campaign, Target(member=ledgers.other_member), channel=Channel.HOTLINE)
    add_event(campaign, ledgers.world.unit, forms_issued=40)
    add_event(campaign, ledgers.world.other_unit, channel=Channel.SUGGESTION_BOX, boxes_set=2)
    set_list(campaign, member=ledgers.member, status=FeedbackList.Status.SIGNED)
    rollup.ledger_drain_outbox()
    return ledgers


def zh_label(choices, value: str) -> str:
    # The catalogue's wording once there is one, the office's until then.
    with translation.override("zh-hans"):
        return exports.label(choices, value)


def workbook(response) -> openpyxl.Workbook:
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def exported(client, data: dict | None = None, **headers):
    """The general ledger of opinions as a user gets it: asked for (an export job),
    written by its task (run here as the worker would), then downloaded."""
    asked = client.post(reverse("reports:opinion_ledger_export"), data or {}, **headers)
    assert asked.status_code == 302, asked.status_code
    pk = resolve(urlsplit(asked["Location"]).path).kwargs["pk"]
    tasks.run_export_job.apply(args=[pk])
    return client.get(reverse("reports:export_job_download", args=[pk]))


def rows_of(sheet) -> list[tuple]:
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def drill_links(html: str) -> list[dict[str, list[str]]]:
    """The query strings of every link to the opinions list on a page."""
    base = reverse("opinions:opinion_list")
    found = []
    for part in html.split('href="')[1:]:
        url = part.split('"', 1)[0].replace("&amp;", "&")
        if urlsplit(url).path == base and "?" in url:
            found.append(parse_qs(urlsplit(url).query))
    return found


# --- Who sees what -------------------------------------------------------------------


def test_office_sees_the_county_general_ledger_and_every_unit(filled, login):
    response = login(filled.world.users["office"]).get(reverse("reports:general_ledger"))
    page = response.content.decode()
    assert response.context["whole"], "the county's general ledger, not a sum of subtrees"
    assert "城关镇政府INSIDE" in page and "第一中学OUTSIDE" in page
    figures = reconcile.ledger_stored(campaign_id=filled.campaign.pk)
    assert figures[("county", None, "total", "all")] == 13
    assert '<span class="ledger-total">13</span>' in page


def test_secretary_sees_only_the_figures_of_his_subtree(filled, login):
    response = login(filled.world.users["secretary"]).get(reverse("reports:general_ledger"))
    page = response.content.decode()
    assert "城关镇政府INSIDE" in page
    assert "OUTSIDE" not in page
    # Inside: the team, the two members (one with two opinions) and the unit itself.
    assert '<span class="ledger-total">5</span>' in page
    assert response.context["unassigned"] is None
    assert response.context["figures"].total == 5


def test_county_supervisor_sees_the_units_his_team_supervises(filled, login):
    response = login(filled.world.users["supervisor"]).get(reverse("reports:general_ledger"))
    assert response.context["figures"].total == 5
    assert "OUTSIDE" not in response.content.decode()


def test_members_see_no_ledger(filled, login):
    client = login(filled.world.users["member"])
    for url in (
        reverse("reports:general_ledger"),
        reverse("reports:unit_ledger", args=[filled.world.unit.pk]),
        reverse("reports:member_ledger", args=[filled.colleague.pk]),
        reverse("reports:summary_export"),
        reverse("reports:unit_ledger_export", args=[filled.world.unit.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("reports:opinion_ledger_export")).status_code == 403


def test_a_secretary_cannot_open_the_sub_ledger_of_another_unit(filled, login):
    client = login(filled.world.users["secretary"])
    assert client.get(reverse("reports:unit_ledger", args=[filled.world.other_unit.pk])).status_code == 404
    assert client.get(reverse("reports:member_ledger", args=[filled.other_member.pk])).status_code == 404
    assert client.get(reverse("reports:unit_ledger_export", args=[filled.world.other_unit.pk])).status_code == 404


def test_nobody_but_the_office_reads_the_figures_about_himself(filled, login):
    # The member is also a secretary of his unit: he may read his colleague's list, not his own.
    f.RoleAssignmentFactory(
        user=filled.world.users["member"], campaign=filled.campaign, kind=RoleKind.SECRETARY, unit=filled.world.unit
    )
    client = login(filled.world.users["member"])
    assert client.get(reverse("reports:member_ledger", args=[filled.member.pk])).status_code == 404
    assert client.get(reverse("reports:member_ledger", args=[filled.colleague.pk])).status_code == 200
    office = login(filled.world.users["office"])
    assert office.get(reverse("reports:member_ledger", args=[filled.member.pk])).status_code == 200


# --- Figures and drill-down --------------------------------------------------------------


def test_the_summary_by_unit_folds_branches_into_their_unit_and_totals_every_row(filled, login):
    add_opinion(filled.campaign, Target(unit=filled.world.branch))  # a branch as a target
    rollup.ledger_drain_outbox()
    response = login(filled.world.users["office"]).get(reverse("reports:general_ledger"))
    rows = {row.unit.name: row.figures for row in response.context["rows"]}
    assert "机关支部INSIDE" not in rows
    assert rows["城关镇政府INSIDE"].total == 6
    assert rows["城关镇政府INSIDE"].lists_signed == 1
    assert rows["第一中学OUTSIDE"].total == 3
    assert response.context["totals"].total == 14, "every unit plus the opinions with no target yet"
    assert response.context["unassigned"].total == 1


def test_a_branch_secretary_sees_his_branch_in_the_summary(filled, login):
    add_opinion(filled.campaign, Target(unit=filled.world.branch))
    rollup.ledger_drain_outbox()
    user = f.UserFactory(username="branch-secretary")
    f.RoleAssignmentFactory(user=user, campaign=filled.campaign, kind=RoleKind.SECRETARY, unit=filled.world.branch)
    response = login(user).get(reverse("reports:general_ledger"))
    assert [(row.unit.name, row.figures.total) for row in response.context["rows"]] == [("机关支部INSIDE", 1)]
    assert response.context["figures"].total == 1


def test_the_summary_filters_by_party_committee_and_searches(filled, login):
    client = login(filled.world.users["office"])
    response = client.get(reverse("reports:general_ledger"), {"committee": filled.world.other_committee.pk})
    assert [row.unit.name for row in response.context["rows"]] == ["教育系统党委", "第一中学OUTSIDE"]
    assert response.context["totals"].total == 3
    response = client.get(reverse("reports:general_ledger"), {"q": "城关镇政府"})
    assert [row.unit.name for row in response.context["rows"]] == ["城关镇政府INSIDE"]


def test_a_figure_links_to_the_opinions_behind_it(filled, login):
    client = login(filled.world.users["office"])
    general = drill_links(client.get(reverse("reports:general_ledger")).content.decode())
    assert {"category": ["other_members"]} in general
    assert {"kind": ["opinion"]} in general

    unit = drill_links(client.get(reverse("reports:unit_ledger", args=[filled.world.unit.pk])).content.decode())
    unit_id = str(filled.world.unit.pk)
    assert {"ledger_unit": [unit_id], "aspect": [Aspect.WORK_STYLE]} in unit
    assert {"target_member": [str(filled.member.pk)]} in unit
    assert {"target_team": [str(filled.team_in.pk)]} in unit

    member = drill_links(client.get(reverse("reports:member_ledger", args=[filled.member.pk])).content.decode())
    assert {"target_member": [str(filled.member.pk)], "kind": ["opinion"]} in member
    assert {"target_member": [str(filled.member.pk)]} in member


def test_the_sub_ledger_of_a_party_committee_sums_its_units(filled, login):
    client = login(filled.world.users["office"])
    response = client.get(reverse("reports:unit_ledger", args=[filled.world.committee.pk]))
    # The county-level leader filed under the committee, and the unit below it.
    assert response.context["figures"].total == 6
    assert response.context["figures"].get("solicitation", "forms_issued") == 40
    names = [row.subject.name for row in response.context["member_rows"]]
    assert set(names) >= {"县级领导乙", "张三INSIDE", "李四INSIDE"}


def test_a_members_list_page_shows_his_figures_and_list_state(filled, login):
    response = login(filled.world.users["secretary"]).get(reverse("reports:member_ledger", args=[filled.member.pk]))
    assert response.context["figures"].total == 2
    assert response.context["figures"].get("aspect", Aspect.WORK_STYLE) == 1
    assert response.context["list_label"] == FeedbackList.Status.SIGNED.label


# --- Exports ---------------------------------------------------------------------------------


@pytest.mark.zh_default  # the office's paper layout, in the default language
def test_summary_export_is_in_the_offices_layout(filled, login):
    book = workbook(login(filled.world.users["office"]).get(reverse("reports:summary_export")))
    sheet = book.worksheets[0]
    rows = rows_of(sheet)
    assert rows[0][0] == "示范县第一批征求意见建议汇总表"
    assert [str(merged) for merged in sheet.merged_cells.ranges] == ["A1:K1"]
    assert rows[1] == (
        "序号",
        "单位",
        "县委常委会班子",
        "县四套领导班子",
        "部门领导班子",
        "县委常委个人",
        "其他县级领导干部",
        "其他党员",
        "合计",
        "已反馈清单",
        "已签收清单",
    )
    body = {row[1]: row for row in rows[2:-1]}
    assert body["城关镇政府INSIDE"][2:] == (0, 0, 2, 0, 0, 3, 5, 1, 1)
    assert rows[-1][0] == "合计"
    assert rows[-1][8] == 13
    assert sheet["A1"].font.bold and sheet["A2"].font.bold and sheet[f"A{len(rows)}"].font.bold
    assert sheet["B3"].border.left.style == "thin", "the table is boxed for printing"
    assert sheet.page_setup.orientation == "landscape"
    assert str(sheet.page_setup.paperSize) == sheet.PAPERSIZE_A4
    assert sheet.print_title_rows == "$2:$2"


def test_exports_speak_english_under_english(filled, login):
    client = login(filled.world.users["office"])
    book = workbook(client.get(reverse("reports:summary_export"), HTTP_ACCEPT_LANGUAGE="en"))
    rows = rows_of(book.worksheets[0])
    assert rows[1][:3] == ("No.", "Unit", "Standing Committee as a team")
    assert rows[-1][0] == "Total"
    book = workbook(exported(client, HTTP_ACCEPT_LANGUAGE="en"))
    header = rows_of(book.worksheets[0])[1]
    assert header[:4] == ("No.", "Content", "Kind", "Target")


@pytest.mark.zh_default  # the office's paper layout, in the default language
def test_the_general_ledger_of_opinions_has_the_fourteen_columns(filled, login):
    campaign = filled.campaign
    keep = add_opinion(campaign, Target(member=filled.colleague), text='=HYPERLINK("http://x","点我")')
    duplicate = add_opinion(campaign, Target(member=filled.colleague), text="重复的意见")
    opinion_merge(actor=None, keep=keep, duplicates=[duplicate])
    book = workbook(exported(login(filled.world.users["office"])))
    sheet = book.worksheets[0]
    rows = rows_of(sheet)
    assert rows[0][0] == "示范县第一批征求意见建议总台账"
    assert rows[1] == (
        "序号",
        "意见建议内容",
        "类型",
        "反映对象",
        "对象类别",
        "所属单位",
        "征求渠道",
        "征求时间",
        "所属方面",
        "反馈情况",
        "签收人",
        "签收时间",
        "整改情况",
        "备注",
    )
    body = rows[2:-1]
    assert len(body) == 14, "13 rolled-up opinions and the kept one; the merged duplicate is not a row"
    texts = [row[1] for row in body]
    assert '=HYPERLINK("http://x","点我")' in texts, "a would-be formula is a text"
    assert "重复的意见" not in texts
    kept = body[texts.index('=HYPERLINK("http://x","点我")')]
    assert kept[3] == "李四INSIDE" and kept[13] == "合并重复意见1条"
    signed = [row for row in body if row[3] == "张三INSIDE"]
    assert {row[9] for row in signed} == {zh_label(FeedbackList.Status, "signed")}
    assert rows[-1][0] == "合计" and rows[-1][1] == "共14条：意见1条，建议13条"
    assert sheet["H3"].number_format == "yyyy-mm-dd", "the date column shows dates"
    assert sheet.page_setup.orientation == "landscape"


def test_every_text_cell_is_neutralised(filled, login):
    unit = filled.world.unit
    unit.name = "+SUM(1,2)单位"
    unit.save()
    member = filled.member
    member.name = "@张三"
    member.save()
    client = login(filled.world.users["office"])
    sub_ledger = reverse("reports:unit_ledger_export", args=[unit.pk])
    for url, response in (
        (reverse("reports:summary_export"), client.get(reverse("reports:summary_export"))),
        (reverse("reports:opinion_ledger_export"), exported(client)),
        (sub_ledger, client.get(sub_ledger)),
    ):
        for sheet in workbook(response).worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", f"{url}: a formula in {cell.coordinate}"
                    if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@", "\t", "\r")):
                        # A text as typed, with the quote prefix: shown and printed, never run.
                        assert (cell.data_type, cell.quotePrefix) == ("s", True), (url, cell.value)


@pytest.mark.zh_default  # the office's paper layout, in the default language
def test_the_sub_ledger_export_lists_each_team_and_member_with_totals(filled, login):
    book = workbook(
        login(filled.world.users["secretary"]).get(reverse("reports:unit_ledger_export", args=[filled.world.unit.pk]))
    )
    sheet, figures = book.worksheets
    rows = rows_of(sheet)
    assert rows[0][0] == "城关镇政府INSIDE征求意见建议分账"
    targets = {row[1]: row for row in rows[2:-1]}
    assert targets["张三INSIDE"][4:] == (1, 1, 2, zh_label(FeedbackList.Status, "signed"))
    assert targets["城关镇领导班子INSIDE"][6] == 1
    assert targets["单位整体（含未定对象）"][4:7] == (0, 1, 1), "the suggestion about the unit as a whole"
    assert rows[-1][6] == 5 == rows_of(figures)[-1][2], "the foot is the ledger's total"


def test_a_secretarys_export_of_opinions_holds_only_his_subtree(filled, login):
    text = "\n".join(
        str(value)
        for sheet in workbook(exported(login(filled.world.users["secretary"]))).worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )
    assert "张三INSIDE" in text and "OUTSIDE" not in text


@pytest.mark.zh_default  # the office's paper layout, in the default language
def test_export_of_a_units_opinions_narrows_to_its_subtree(filled, login):
    client = login(filled.world.users["office"])
    rows = rows_of(workbook(exported(client, {"unit": filled.world.unit.pk})).active)
    assert rows[0][0] == "城关镇政府INSIDE征求意见建议总台账"
    assert len(rows) - 3 == 5
    assert client.post(reverse("reports:opinion_ledger_export"), {"unit": "x"}).status_code == 404
    secretary = login(filled.world.users["secretary"])
    outside = secretary.post(reverse("reports:opinion_ledger_export"), {"unit": filled.world.other_unit.pk})
    assert outside.status_code == 404


# --- Bounded queries -------------------------------------------------------------------------


def _queries(client, url: str, **params: object) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
        assert response.status_code == 200
        if response.streaming:
            b"".join(response.streaming_content)
    return len(captured.captured_queries)


def _grow(ledgers, n: int) -> None:
    """``n`` more units under the inside committee, each with a member, a team and an
    opinion about each; ``n`` more members in the inside unit with an opinion each; and
    ``n`` more opinions about the inside member. Written in bulk, as the opinions
    services would have written them (``add_opinion``'s fields), then rolled up once."""
    campaign, world = ledgers.campaign, ledgers.world
    units = f.bulk_units(campaign, [world.committee] * n)
    members = f.bulk_members(campaign, [{"unit": unit} for unit in units])
    teams = f.bulk_teams(campaign, [{"unit": world.unit} for _ in range(n)])
    colleagues = f.bulk_members(campaign, [{"unit": world.unit} for _ in range(n)])
    received_on = campaign.starts_on + datetime.timedelta(days=3)
    suggestion = {"kind": OpinionKind.SUGGESTION, "received_on": received_on}
    bulk_opinions(
        campaign,
        [
            row
            for member, team, colleague in zip(members, teams, colleagues, strict=True)
            for row in (
                (Target(member=member), {**suggestion, "channel": Channel.FORUM}),
                (Target(team=team), {**suggestion, "channel": Channel.FORUM}),
                (Target(member=colleague), {**suggestion, "channel": Channel.FORUM}),
                (Target(member=ledgers.member), {**suggestion, "channel": Channel.VISIT}),
            )
        ],
    )
    rollup.ledger_rollup_full(campaign_id=campaign.pk)


PAGES = [
    ("reports:general_ledger", lambda ledgers: []),
    ("reports:unit_ledger", lambda ledgers: [ledgers.world.unit.pk]),
    ("reports:unit_ledger", lambda ledgers: [ledgers.world.committee.pk]),
    ("reports:member_ledger", lambda ledgers: [ledgers.member.pk]),
    ("reports:summary_export", lambda ledgers: []),
    ("reports:unit_ledger_export", lambda ledgers: [ledgers.world.unit.pk]),
]


@pytest.mark.parametrize("role", ["office", "secretary"])
def test_every_ledger_page_runs_the_same_queries_with_10_or_300_rows(ledgers, login, role):
    client = login(ledgers.world.users[role])
    # The secretary's scope is his unit: the committee above it is not his to open.
    urls = [reverse(name, args=args(ledgers)) for name, args in PAGES]
    if role == "secretary":
        urls.remove(reverse("reports:unit_ledger", args=[ledgers.world.committee.pk]))
    _grow(ledgers, 10)
    few = {url: _queries(client, url) for url in urls}
    _grow(ledgers, 290)
    many = {url: _queries(client, url) for url in urls}
    assert many == few


# --- The general ledger kept in the cache --------------------------------------------


def test_the_general_ledger_from_the_cache_follows_every_change_and_roll_up(filled, login):
    client = login(filled.world.users["office"])
    url = reverse("reports:general_ledger")

    def page() -> str:
        return client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    with CaptureQueriesContext(connection) as first:
        assert '<span class="ledger-total">13</span>' in page()
    with CaptureQueriesContext(connection) as again:
        assert '<span class="ledger-total">13</span>' in page()
    # From the cache: the user, the scope, the ledger's state and what waits; no figure.
    assert len(again) < len(first) - 5
    assert not any("reports_ledgerrow" in query["sql"] for query in again)
    add_opinion(filled.campaign, Target(member=filled.member))
    waiting = page()
    assert "1 change is waiting to be taken in." in waiting
    assert '<span class="ledger-total">13</span>' in waiting
    rollup.ledger_drain_outbox()
    rolled_up = page()
    assert "waiting to be taken in" not in rolled_up
    assert '<span class="ledger-total">14</span>' in rolled_up


def test_a_general_ledger_cached_for_the_office_is_never_shown_to_anyone_else(filled, login):
    url = reverse("reports:general_ledger")
    for _twice in range(2):
        assert '<span class="ledger-total">13</span>' in login(filled.world.users["office"]).get(url).content.decode()
        for role in ("secretary", "supervisor"):
            page = login(filled.world.users[role]).get(url).content.decode()
            assert "OUTSIDE" not in page, role
            assert '<span class="ledger-total">5</span>' in page, role


def test_the_cached_general_ledger_keeps_each_filter_page_and_language_apart(filled, login):
    client = login(filled.world.users["office"])
    url = reverse("reports:general_ledger")
    whole = client.get(url).content.decode()
    assert "第一中学OUTSIDE" in whole
    filtered = client.get(url, {"committee": filled.world.committee.pk}).content.decode()
    assert "第一中学OUTSIDE" not in filtered and "城关镇政府INSIDE" in filtered
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "Summary by unit" in english and "Summary by unit" not in chinese
