"""The talk plan: exactly the missing required pairs and the members below quota, as a
direct computation from the teams, the charges and the cards gives them; scoped so that
a pair is in reach when either member is; filtered; on a page and in a workbook in the
office's layout; in a fixed number of queries."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaign.models import LeadershipTeam, Member, OrgUnitKind, Rank
from talks.models import TalkKind
from talks.plan import PlanFilters, missing_pairs_of, talk_plan
from tests import factories as f
from tests.talks.factories import TalkFactory, bulk_talks
from tests.talks.progress_helpers import (
    TalkWorld,
    build_talk_world,
    direct_missing,
    direct_standing,
    plan_pairs,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def tw(world) -> TalkWorld:
    return build_talk_world(world)


def pair(a: Member, b: Member) -> frozenset[int]:
    return frozenset((a.pk, b.pk))


# --- The plan equals a direct computation ---------------------------------------------


def test_the_plan_lists_exactly_the_missing_pairs_a_direct_computation_gives(tw):
    plan = talk_plan(tw.campaign)
    expected = direct_missing(tw.campaign)
    assert plan_pairs(plan) == expected
    assert expected == {
        pair(tw.zhang, tw.wang): "team",
        pair(tw.leader, tw.li): "charge",
        pair(tw.outside, tw.sun): "team",
    }
    assert plan.required == 6 and plan.done == 3 and plan.missing == 3


def test_members_below_quota_and_what_they_lack_equal_a_recount(tw):
    plan = talk_plan(tw.campaign)
    standing = direct_standing(tw.campaign)
    expected = {pk: s.quota - s.held for pk, s in standing.items() if not s.meets}
    assert {item.member.pk: item.lacking for item in plan.shortfalls} == expected
    assert tw.zhang.pk not in expected, "one talk with a member and four with the public meet a quota of five"
    lacking = {item.member.name: item for item in plan.shortfalls}
    assert (lacking["李四INSIDE"].quota, lacking["李四INSIDE"].held, lacking["李四INSIDE"].lacking) == (10, 2, 8)
    assert lacking["赵县长"].quota == 10 and lacking["赵县长"].with_members == 1
    assert plan.talks_lacking == sum(expected.values())


def test_a_talk_on_either_side_completes_a_pair_and_the_plan_follows(tw):
    TalkFactory(member=tw.li, other_member=tw.leader, kind=TalkKind.CHARGE)
    plan = talk_plan(tw.campaign)
    assert pair(tw.leader, tw.li) not in plan_pairs(plan)
    assert plan_pairs(plan) == direct_missing(tw.campaign)
    # A team pair that is also a charge pair is listed once, as a team pair.
    tw.team.members.add(tw.leader)
    plan = talk_plan(tw.campaign)
    assert plan_pairs(plan) == direct_missing(tw.campaign)
    assert plan_pairs(plan)[pair(tw.leader, tw.zhang)] == "team"


def test_a_charge_pair_names_the_cadre_first_and_the_unit_in_charge(tw):
    (charge,) = [p for p in talk_plan(tw.campaign).pairs if p.kind == "charge"]
    assert (charge.first, charge.second) == (tw.leader, tw.li)
    assert charge.reasons == ("城关镇政府INSIDE",)
    (team_pair,) = [p for p in talk_plan(tw.campaign).pairs if p.involves(tw.wang)]
    assert team_pair.reasons == ("城关镇领导班子INSIDE",)
    assert team_pair.partner_of(tw.wang) == tw.zhang


def test_the_missing_pairs_of_one_member(tw):
    assert {p.partner_of(tw.li) for p in missing_pairs_of(tw.li)} == {tw.leader}
    assert {p.partner_of(tw.zhang) for p in missing_pairs_of(tw.zhang)} == {tw.wang}
    assert missing_pairs_of(tw.world.member) == missing_pairs_of(tw.zhang)


# --- Scoping and filters ------------------------------------------------------------------


def test_a_pair_is_in_reach_when_either_member_is(tw):
    users = tw.world.users
    office = talk_plan(tw.campaign, user=users["office"])
    assert plan_pairs(office) == direct_missing(tw.campaign)
    for role in ("secretary", "supervisor"):
        plan = talk_plan(tw.campaign, user=users[role])
        # 赵县长 sits in the county committee, outside their reach; 李四 is theirs.
        assert set(plan_pairs(plan)) == {pair(tw.zhang, tw.wang), pair(tw.leader, tw.li)}, role
        assert {item.member.name for item in plan.shortfalls} == {"李四INSIDE", "王二INSIDE"}, role
        assert not plan.can_open(tw.leader) and plan.can_open(tw.li)
        assert plan.required == 4 and plan.done == 2


def test_filters_by_party_committee_unit_branch_kind_and_name(tw):
    world = tw.world

    def pairs(**filters):
        return set(plan_pairs(talk_plan(tw.campaign, filters=PlanFilters(**filters))))

    inside = {pair(tw.zhang, tw.wang), pair(tw.leader, tw.li)}
    assert pairs(committee=world.committee) == inside
    assert pairs(unit=world.unit) == inside
    assert pairs(unit=world.other_unit) == {pair(tw.outside, tw.sun)}
    assert pairs(branch=world.branch) == inside, "张三 and 李四 are in the branch; 王二 is in none"
    assert pairs(branch=world.other_branch) == {pair(tw.outside, tw.sun)}
    assert pairs(kind="charge") == {pair(tw.leader, tw.li)}
    assert pairs(kind="team") == {pair(tw.zhang, tw.wang), pair(tw.outside, tw.sun)}
    assert pairs(search="王二") == {pair(tw.zhang, tw.wang)}
    assert pairs(committee=world.committee, kind="team") == {pair(tw.zhang, tw.wang)}
    shortfalls = talk_plan(tw.campaign, filters=PlanFilters(branch=world.branch)).shortfalls
    assert [item.member for item in shortfalls] == [tw.li]


# --- The page and the workbook ---------------------------------------------------------------


def test_the_plan_page_lists_who_still_has_to_talk_with_whom(tw, login):
    client = login(tw.world.users["secretary"])
    response = client.get(reverse("talks:plan"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "王二INSIDE" in page and "赵县长" in page and "孙七OUTSIDE" not in page
    assert list(response.context["page"].object_list) == response.context["plan"].pairs
    # The other member of a pair outside the secretary's reach is named, not linked.
    assert reverse("reports:talks_member", args=[tw.leader.pk]) not in page
    assert reverse("reports:talks_member", args=[tw.li.pk]) in page
    narrowed = client.get(reverse("talks:plan"), {"kind": "charge"})
    assert [p.second for p in narrowed.context["page"].object_list] == [tw.li]


def test_a_filter_outside_scope_is_refused_at_the_field(tw, login):
    client = login(tw.world.users["secretary"])
    response = client.get(reverse("talks:plan"), {"unit": tw.world.other_unit.pk})
    assert response.status_code == 200
    assert "unit" in response.context["form"].errors
    assert "孙七OUTSIDE" not in response.content.decode()


def test_the_plan_pages_through_many_pairs(tw, login):
    extra = [f.MemberFactory(campaign=tw.campaign, unit=tw.world.unit) for _ in range(11)]
    tw.team.members.add(*extra)  # 14 seats: 91 pairs, 2 done; and the two other missing pairs
    client = login(tw.world.users["office"])
    first = client.get(reverse("talks:plan"))
    assert first.context["page"].paginator.count == len(direct_missing(tw.campaign)) == 91
    second = client.get(reverse("talks:plan"), {"page": 2})
    seen = list(first.context["page"].object_list) + list(second.context["page"].object_list)
    assert len(seen) == 91 and len({(p.first.pk, p.second.pk) for p in seen}) == 91


def _workbook(response) -> openpyxl.Workbook:
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


@pytest.mark.zh_default
def test_the_plan_export_is_in_the_offices_layout(tw, login):
    tw.wang.name = '=HYPERLINK("http://x","王二")'
    tw.wang.save()
    book = _workbook(login(tw.world.users["office"]).get(reverse("talks:plan_export")))
    pairs_sheet, members_sheet = book.worksheets
    rows = [tuple(row) for row in pairs_sheet.iter_rows(values_only=True)]
    assert rows[0][0].startswith("示范县第一批谈心谈话未谈必谈对象清单")
    assert [str(merged) for merged in pairs_sheet.merged_cells.ranges] == ["A1:H1"]
    assert rows[1][:7] == ("序号", "必谈类型", "谈话人", "所在单位（支部）", "谈话对象", "所在单位（支部）", "必谈依据")
    body = rows[2:-1]
    assert len(body) == 3 and [row[0] for row in body] == [1, 2, 3]
    assert rows[-1][:2] == ("合计", "应谈6对，已谈3对，未谈3对")
    names = {row[2] for row in body} | {row[4] for row in body}
    assert '=HYPERLINK("http://x","王二")' in names, "a would-be formula is a text"
    assert pairs_sheet.page_setup.orientation == "landscape"
    assert pairs_sheet.print_title_rows == "$2:$2"
    members = [tuple(row) for row in members_sheet.iter_rows(values_only=True)]
    assert members[1][-3:] == ("已谈次数", "应谈次数", "尚差次数")
    lacking = {row[1]: row[-1] for row in members[2:-1]}
    assert lacking["李四INSIDE"] == 8
    assert members[-1][-1] == sum(s.quota - s.held for s in direct_standing(tw.campaign).values() if not s.meets)


def test_a_secretarys_plan_export_holds_only_what_he_may_see(tw, login):
    response = login(tw.world.users["secretary"]).get(
        reverse("talks:plan_export"), {"branch": tw.world.branch.pk}, HTTP_ACCEPT_LANGUAGE="en"
    )
    book = _workbook(response)
    text = " ".join(str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row if v)
    assert "李四INSIDE" in text and "OUTSIDE" not in text
    assert book.worksheets[0]["A1"].value.startswith("机关支部INSIDE: required talks still to hold")


def test_members_may_not_open_the_plan(tw, login):
    client = login(tw.world.users["member"])
    assert client.get(reverse("talks:plan")).status_code == 403
    assert client.get(reverse("talks:plan_export")).status_code == 403


# --- Bounded queries ------------------------------------------------------------------------


def _grow(tw: TalkWorld, n: int) -> None:
    """``n`` more units under the inside committee, each with a team of three, a leader
    in charge of it and some talks; ``n`` more members of the inside team. Written in
    bulk, as the factories would write them one by one."""
    campaign = tw.campaign
    units = f.bulk_units(campaign, [tw.world.committee] * n)
    branches = f.bulk_units(campaign, units, kind=OrgUnitKind.BRANCH)
    staff = f.bulk_members(
        campaign,
        [
            {"unit": unit, "branch": branch, "rank": Rank.SECTION_CADRE if seat == 0 else Rank.ORDINARY}
            for unit, branch in zip(units, branches, strict=True)
            for seat in range(3)
        ],
    )
    heads, others = staff[0::3], list(zip(staff[1::3], staff[2::3], strict=True))
    f.bulk_teams(
        campaign,
        [{"unit": unit, "head": head, "members": pair} for unit, head, pair in zip(units, heads, others, strict=True)],
    )
    f.bulk_responsible_leaders(zip(units, heads, strict=True))
    f.bulk_in_charge(tw.leader, units)
    bulk_talks(
        campaign,
        [
            card
            for head, (first, second) in zip(heads, others, strict=True)
            for card in (
                {"member": head, "other_member": first, "kind": TalkKind.TEAM},
                {"member": second, "outsider_name": f"群众{second.pk}"},
            )
        ],
    )
    f.bulk_seat(tw.team, f.bulk_members(campaign, [{"unit": tw.world.unit, "name": f"班子成员{i}"} for i in range(n)]))


@pytest.mark.parametrize("role", ["office", "secretary"])
def test_the_plan_runs_the_same_queries_with_few_or_many_pairs(tw, login, role):
    client = login(tw.world.users[role])

    def queries() -> dict[str, int]:
        counts = {}
        for name in ("talks:plan", "talks:plan_export"):
            with CaptureQueriesContext(connection) as captured:
                response = client.get(reverse(name), {"page": 2})
                assert response.status_code == 200
                if response.streaming:
                    b"".join(response.streaming_content)
            counts[name] = len(captured.captured_queries)
        return counts

    _grow(tw, 3)
    few = queries()
    _grow(tw, 40)
    assert len(talk_plan(tw.campaign).pairs) > 100
    assert queries() == few
    assert LeadershipTeam.objects.filter(campaign=tw.campaign).count() > 40
