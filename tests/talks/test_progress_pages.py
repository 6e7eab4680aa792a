"""The talk progress pages (reports/talks/views.py): every figure equals a recount from
the cards, teams and charges; the pages read the ledger, never the cards; each role
sees its reach; the workbooks are in the office's layout; and a county with thousands
of members renders every page in the same bounded number of queries as a small one."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaign.models import Member, OrgUnit, OrgUnitKind, SupervisoryTeam
from reports.ledger.rollup import ledger_rollup_full
from talks.models import Talk
from tests.talks.factories import PublicTalkFactory
from tests.talks.progress_helpers import (
    TalkWorld,
    build_talk_world,
    by_branch,
    direct_cards,
    direct_missing,
    direct_standing,
    direct_unit_figures,
    figures_dict,
    grow_county,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def tw(world) -> TalkWorld:
    talk_world = build_talk_world(world)
    ledger_rollup_full(campaign_id=world.campaign.pk)
    return talk_world


def _get(client, name: str, *args, **params):
    response = client.get(reverse(name, args=args), params)
    assert response.status_code == 200, (name, response.status_code)
    return response


# --- Figures equal a recount ----------------------------------------------------------------


def test_the_county_page_equals_a_recount(tw, login):
    response = _get(login(tw.world.users["office"]), "reports:talks_county")
    assert response.context["whole"]
    assert figures_dict(response.context["figures"]) == direct_unit_figures(tw.campaign, tw.world.county)
    standing = direct_standing(tw.campaign)
    figures = response.context["figures"]
    assert figures.members_meeting_quota == sum(s.meets for s in standing.values()) == 1
    assert figures.members_total == Member.objects.filter(campaign=tw.campaign).count() == 6
    assert figures.required_pairs_missing == len(direct_missing(tw.campaign)) == 3
    assert figures.cards == Talk.objects.filter(campaign=tw.campaign).count() == 8
    for row in response.context["rows"]:
        assert figures_dict(row.figures) == direct_unit_figures(tw.campaign, row.unit, own=True), row.unit.name
    assert figures_dict(response.context["totals"]) == figures_dict(figures)
    page = response.content.decode()
    assert "城关镇政府INSIDE" in page and "第一中学OUTSIDE" in page


def test_a_unit_page_equals_a_recount_per_unit_branch_and_member(tw, login):
    response = _get(login(tw.world.users["secretary"]), "reports:talks_unit", tw.world.unit.pk)
    assert figures_dict(response.context["figures"]) == direct_unit_figures(tw.campaign, tw.world.unit)
    standing = direct_standing(tw.campaign)
    rows = response.context["member_rows"]
    assert {m.name for m, _f in rows} == {"张三INSIDE", "李四INSIDE", "王二INSIDE"}
    for member, figures in rows:
        mine = standing[member.pk]
        got = (figures.talks_members, figures.talks_public, figures.talks_required, figures.meets_quota)
        assert got == (mine.with_members, mine.with_public, mine.quota, mine.meets), member.name
        assert (figures.required_pairs, figures.required_pairs_done) == (mine.pairs, mine.pairs_done)
    members_of = by_branch(tw.campaign)
    (branch_row,) = response.context["branch_rows"]
    branch, figures = branch_row
    assert branch == tw.world.branch
    ids = members_of[branch.pk]
    assert figures.members_total == len(ids) == 2
    assert figures.members_meeting_quota == sum(standing[pk].meets for pk in ids) == 1
    assert figures.talks == sum(standing[pk].held for pk in ids)
    assert figures.talks_required == sum(standing[pk].quota for pk in ids) == 15
    page = response.content.decode()
    assert page.count('class="below-quota"') == 2, "李四 and 王二 are below quota and marked"
    assert "Below quota: 8 talks short" in page


def test_the_below_quota_filter_and_the_branch_page(tw, login):
    client = login(tw.world.users["office"])
    below = _get(client, "reports:talks_unit", tw.world.unit.pk, below="on")
    assert [m.name for m, _f in below.context["member_rows"]] == ["李四INSIDE", "王二INSIDE"]
    branch = _get(client, "reports:talks_unit", tw.world.branch.pk)
    assert [m.name for m, _f in branch.context["member_rows"]] == ["张三INSIDE", "李四INSIDE"]
    assert branch.context["figures"].members_total == 2
    committee = _get(client, "reports:talks_unit", tw.world.committee.pk)
    assert figures_dict(committee.context["figures"]) == direct_unit_figures(tw.campaign, tw.world.committee)


def test_a_member_page_shows_his_figures_and_missing_pairs(tw, login):
    client = login(tw.world.users["secretary"])
    response = _get(client, "reports:talks_member", tw.li.pk)
    mine = direct_standing(tw.campaign)[tw.li.pk]
    figures = response.context["figures"]
    assert (figures.talks, figures.talks_required, figures.talks_lacking) == (mine.held, mine.quota, 8)
    assert (figures.required_pairs, figures.required_pairs_done) == (mine.pairs, mine.pairs_done) == (3, 2)
    assert [other for _pair, other in response.context["pairs"]] == [tw.leader]
    page = response.content.decode()
    assert "赵县长" in page and "城关镇政府INSIDE" in page
    # 赵县长 lies outside the secretary's reach: named, not linked.
    assert reverse("reports:talks_member", args=[tw.leader.pk]) not in page


def test_review_progress_per_supervisory_team_equals_a_recount(tw, login):
    response = _get(login(tw.world.users["office"]), "reports:talks_review")
    progress = response.context["progress"]
    cards = Talk.objects.filter(campaign=tw.campaign).select_related("member__unit")
    teams = {row.team.name: row for row in progress.rows}
    for team in SupervisoryTeam.objects.filter(campaign=tw.campaign).prefetch_related("units"):
        units = list(team.units.all())
        expected = direct_cards(t for t in cards if any(t.member.unit.is_within(u) for u in units))
        got = teams[team.name].figures
        assert (got.cards, got.cards_reviewed, got.cards_awaiting, got.cards_returned, got.cards_flagged) == (
            expected["cards"],
            expected["reviewed"],
            expected["awaiting"],
            expected["returned"],
            expected["flagged"],
        ), team.name
    inside = teams["县第一督导组"].figures
    assert (inside.cards, inside.cards_reviewed, inside.cards_awaiting, inside.cards_returned) == (6, 2, 2, 2)
    # 赵县长's card is filed under the county committee, which no team supervises.
    assert progress.unsupervised.cards == 1 and progress.unsupervised.cards_flagged == 1
    assert progress.total.cards == len(cards)


def test_a_supervisor_sees_his_own_team_only(tw, login):
    response = _get(login(tw.world.users["supervisor"]), "reports:talks_review")
    assert [row.team.name for row in response.context["progress"].rows] == ["县第一督导组"]
    assert "OUTSIDE" not in response.content.decode()
    assert response.context["progress"].total.cards == 6


def test_the_pages_read_the_ledger_not_the_cards(tw, login):
    client = login(tw.world.users["office"])
    before = _get(client, "reports:talks_county").context["figures"].cards
    PublicTalkFactory(member=tw.wang)  # written behind the services' back: no roll-up yet
    assert _get(client, "reports:talks_county").context["figures"].cards == before
    ledger_rollup_full(campaign_id=tw.campaign.pk)
    assert _get(client, "reports:talks_county").context["figures"].cards == before + 1


# --- Scoping -------------------------------------------------------------------------------


def test_a_unit_or_member_outside_scope_is_not_found(tw, login):
    client = login(tw.world.users["secretary"])
    for name, pk in (
        ("reports:talks_unit", tw.world.other_unit.pk),
        ("reports:talks_unit_export", tw.world.other_unit.pk),
        ("reports:talks_unit", tw.world.committee.pk),
        ("reports:talks_member", tw.outside.pk),
        ("reports:talks_member_export", tw.outside.pk),
        ("reports:talks_member", tw.leader.pk),
    ):
        assert client.get(reverse(name, args=[pk])).status_code == 404, name


def test_members_see_no_progress_page(tw, login):
    client = login(tw.world.users["member"])
    assert client.get(reverse("reports:talks_county")).status_code == 403
    assert client.get(reverse("reports:talks_member", args=[tw.zhang.pk])).status_code == 403


def test_a_secretary_sees_the_sum_of_his_units(tw, login):
    response = _get(login(tw.world.users["secretary"]), "reports:talks_county")
    assert not response.context["whole"]
    assert figures_dict(response.context["figures"]) == direct_unit_figures(tw.campaign, tw.world.unit)
    assert [row.unit for row in response.context["rows"]] == [tw.world.unit]
    assert "OUTSIDE" not in response.content.decode()


# --- Workbooks ----------------------------------------------------------------------------


def _workbook(response) -> openpyxl.Workbook:
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def _rows(sheet) -> list[tuple]:
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


@pytest.mark.zh_default
def test_the_county_export_is_in_the_offices_layout(tw, login):
    book = _workbook(login(tw.world.users["office"]).get(reverse("reports:talks_county_export")))
    (sheet,) = book.worksheets
    rows = _rows(sheet)
    assert rows[0][0] == "示范县第一批谈心谈话进度汇总表"
    assert rows[1] == (
        "序号",
        "单位",
        "党员数",
        "达标人数",
        "谈话次数",
        "应谈次数",
        "必谈对数",
        "已谈对数",
        "谈心卡",
        "审核合格",
        "待审核",
        "退回修改",
        "两次退回",
    )
    county = direct_unit_figures(tw.campaign, tw.world.county)
    assert rows[-1][0] == "合计"
    assert rows[-1][2:] == (
        county["members_total"],
        county["members_meeting_quota"],
        county["talks"],
        county["talks_required"],
        county["required_pairs"],
        county["required_pairs_done"],
        county["cards"],
        county["cards_reviewed"],
        county["cards_awaiting"],
        county["cards_returned"],
        county["cards_flagged"],
    )
    units = {row[1]: row for row in rows[2:-1]}
    inside = direct_unit_figures(tw.campaign, tw.world.unit, own=True)
    assert units["城关镇政府INSIDE"][2:4] == (inside["members_total"], inside["members_meeting_quota"])
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$2:$2"


@pytest.mark.zh_default
def test_the_unit_export_lists_members_branches_and_figures(tw, login):
    tw.wang.name = "-王二"
    tw.wang.save()
    book = _workbook(
        login(tw.world.users["secretary"]).get(reverse("reports:talks_unit_export", args=[tw.world.unit.pk]))
    )
    members, branches, figures = book.worksheets
    rows = _rows(members)
    assert rows[0][0] == "城关镇政府INSIDE党员谈心谈话情况统计表"
    by_name = {row[1]: row for row in rows[2:-1]}
    assert set(by_name) == {"张三INSIDE", "李四INSIDE", "-王二"}, "a would-be formula is a text"
    assert by_name["李四INSIDE"][7:11] == (2, 10, 8, "否")
    assert by_name["张三INSIDE"][10] == "是"
    assert rows[-1][1] == "共3人，未达标2人"
    branch_rows = _rows(branches)
    assert branch_rows[2][1] == "机关支部INSIDE" and branch_rows[2][2:4] == (2, 1)
    figure_rows = dict(row for row in _rows(figures)[2:])
    assert (
        figure_rows["未谈对数"]
        == direct_unit_figures(tw.campaign, tw.world.unit)["required_pairs"]
        - (direct_unit_figures(tw.campaign, tw.world.unit)["required_pairs_done"])
    )


def test_the_member_and_review_exports(tw, login):
    client = login(tw.world.users["office"])
    member_book = _workbook(
        client.get(reverse("reports:talks_member_export", args=[tw.li.pk]), HTTP_ACCEPT_LANGUAGE="en")
    )
    pairs, figures = member_book.worksheets
    rows = _rows(pairs)
    assert rows[0][0] == "李四INSIDE: required talks still to hold"
    assert [row[2] for row in rows[2:-1]] == ["赵县长"]
    assert rows[-1][1] == "3 required, 2 done, 1 missing"
    assert dict(row for row in _rows(figures)[2:-1])["Still lacking"] == 8
    review = _rows(_workbook(client.get(reverse("reports:talks_review_export"), HTTP_ACCEPT_LANGUAGE="en")).active)
    teams = {row[1]: row for row in review[2:-1]}
    assert teams["县第一督导组"][2:] == ("城关镇政府INSIDE", 6, 2, 2, 2, 0)
    assert teams["Units no team supervises"][3:] == (1, 0, 1, 0, 1)
    assert review[-1][3] == Talk.objects.filter(campaign=tw.campaign).count()


# --- Bounded queries ------------------------------------------------------------------------


# The most queries each page may run, whatever the size of the county.
BOUNDS = {
    "reports:talks_county": 18,
    "reports:talks_county_export": 14,
    "reports:talks_unit": 20,
    "reports:talks_unit_export": 15,
    "reports:talks_member": 20,
    "reports:talks_member_export": 19,
    "reports:talks_review": 16,
    "reports:talks_review_export": 13,
}


def _targets(tw: TalkWorld) -> dict[str, list]:
    return {
        "reports:talks_county": [],
        "reports:talks_county_export": [],
        "reports:talks_unit": [tw.world.unit.pk],
        "reports:talks_unit_export": [tw.world.unit.pk],
        "reports:talks_member": [tw.li.pk],
        "reports:talks_member_export": [tw.li.pk],
        "reports:talks_review": [],
        "reports:talks_review_export": [],
    }


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, {"page": 2})
        assert response.status_code == 200, url
        if response.streaming:
            b"".join(response.streaming_content)
    return len(captured.captured_queries)


@pytest.mark.parametrize("size", ["small", "large"])
@pytest.mark.parametrize("role", ["office", "secretary"])
def test_every_progress_page_stays_within_its_bound(tw, login, django_assert_max_num_queries, size, role):
    if size == "large":
        grow_county(tw, units=30, members_per_unit=80, inside_members=600)
        assert Member.objects.filter(campaign=tw.campaign).count() > 3000
    client = login(tw.world.users[role])
    for name, args in _targets(tw).items():
        with django_assert_max_num_queries(BOUNDS[name]):
            response = client.get(reverse(name, args=args), {"page": 2})
            assert response.status_code == 200, name
            if response.streaming:
                b"".join(response.streaming_content)


def test_a_large_county_runs_the_same_queries_as_a_small_one(tw, login):
    clients = {role: login(tw.world.users[role]) for role in ("office", "secretary")}
    urls = [reverse(name, args=args) for name, args in _targets(tw).items()]
    few = {(role, url): _count(login(tw.world.users[role]), url) for role in clients for url in urls}
    grow_county(tw, units=30, members_per_unit=80, inside_members=600)
    many = {(role, url): _count(login(tw.world.users[role]), url) for role in clients for url in urls}
    assert many == few
    # And the large county's figures still equal a recount.
    response = _get(login(tw.world.users["office"]), "reports:talks_county")
    assert figures_dict(response.context["figures"]) == direct_unit_figures(tw.campaign, tw.world.county)
    assert OrgUnit.objects.filter(campaign=tw.campaign, kind=OrgUnitKind.BRANCH).count() > 60
