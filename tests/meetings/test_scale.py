"""Issue 12: the meeting page, the readiness page, the meetings' figures and the
appraisal's tallies run as many queries at ten times the demo county's size as in a
county of a handful of branches.

Two counties are built once for the module, by the same builder, in campaigns of their
own (each with its own office user): a small one, and one at ten times what
``seed_demo`` makes (91 units, 287 branches, ~2,600 members, 96 teams, 344 meetings,
253 appraisal windows). The rows are written with bulk_create (no history: no page
measured here reads it; nothing announced: the ledger is rolled up once at the end).
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaign.models import Campaign, Member, OrgUnit, OrgUnitKind, RoleKind
from meetings.appraisal.models import (
    AppraisalWindow,
    Ballot,
    MemberMark,
    MemberRating,
    TeamMark,
    TeamRating,
    VoterRecord,
    WindowState,
)
from meetings.models import Attendance, Meeting, MeetingKind, MeetingState
from reports.ledger.rollup import ledger_rollup_full
from tests import factories as f
from tests.meetings.factories import bulk_ready, low_quotas

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Size:
    committees: int
    units: int
    branches: int
    members_per_branch: int
    teams: int
    team_meetings: int
    windows: int
    voters_per_window: int
    big_branch: int  # members of the branch whose meeting page is measured


SMALL = Size(
    committees=2,
    units=3,
    branches=5,
    members_per_branch=3,
    teams=2,
    team_meetings=1,
    windows=3,
    voters_per_window=3,
    big_branch=3,
)
# Ten times the demo county: 910 units, 2,870 branches (+ the big one) of 9 members
# (25,830 + 300 members), 960 teams; 2,870 branch meetings + 570 team meetings = 3,440;
# 2,530 closed windows.
LARGE = Size(
    committees=20,
    units=910,
    branches=2870,
    members_per_branch=9,
    teams=960,
    team_meetings=570,
    windows=2530,
    voters_per_window=3,
    big_branch=300,
)


@dataclass
class County:
    campaign: Campaign
    office: object
    committee: OrgUnit
    meeting: Meeting  # the big branch's meeting
    window: AppraisalWindow
    counts: dict


def build_county(slug: str, size: Size) -> County:
    campaign = f.CampaignFactory(slug=slug)
    f.add_stages(campaign)
    low_quotas(campaign)
    office = f.UserFactory(username=f"office-{slug}")
    f.RoleAssignmentFactory(user=office, campaign=campaign, kind=RoleKind.OFFICE)
    county = f.OrgUnitFactory(campaign=campaign, kind=OrgUnitKind.COUNTY_COMMITTEE, code=f"C-{slug}")
    committees = f.bulk_units(campaign, [county] * size.committees, kind=OrgUnitKind.PARTY_COMMITTEE)
    units = f.bulk_units(campaign, [committees[i % size.committees] for i in range(size.units)])
    branches = f.bulk_units(campaign, [units[i % size.units] for i in range(size.branches)], kind=OrgUnitKind.BRANCH)
    big = f.bulk_units(campaign, [units[0]], kind=OrgUnitKind.BRANCH)[0]
    members = f.bulk_members(
        campaign,
        [{"unit": b.parent, "branch": b} for b in branches for _ in range(size.members_per_branch)]
        + [{"unit": big.parent, "branch": big} for _ in range(size.big_branch)],
    )
    by_branch: dict[int, list[Member]] = {}
    for member in members:
        by_branch.setdefault(member.branch_id, []).append(member)
    by_unit: dict[int, list[Member]] = {}
    for member in members:
        by_unit.setdefault(member.unit_id, []).append(member)
    team_units = [units[i % size.units] for i in range(size.teams)]
    teams = f.bulk_teams(
        campaign,
        [{"unit": u, "head": by_unit[u.pk][0], "members": by_unit[u.pk][:5]} for u in team_units if by_unit.get(u.pk)],
    )
    # What the gate reads, for every tenth branch's members (the others' conditions open).
    bulk_ready(campaign, [m for b in branches[::10] for m in by_branch[b.pk]] + by_branch[big.pk][::2], teams[::10])

    day = campaign.starts_on + datetime.timedelta(days=70)
    meetings = Meeting.objects.bulk_create(
        [
            Meeting(
                campaign=campaign,
                kind=MeetingKind.ORGANISATIONAL_LIFE,
                branch=b,
                unit=b,
                planned_on=day,
                place="党员活动室",
            )
            for b in [big, *branches]
        ]
        + [
            Meeting(
                campaign=campaign, kind=MeetingKind.DEMOCRATIC_LIFE, team=t, unit=t.unit, planned_on=day, place="会议室"
            )
            for t in teams[: size.team_meetings]
        ],
        batch_size=500,
    )
    # A third of the branch meetings held, with their attendance; a few on the override.
    held = [m for n, m in enumerate(meetings[1 : size.branches + 1]) if n % 3 == 0]
    for n, meeting in enumerate(held):
        meeting.state, meeting.held_on = MeetingState.HELD, meeting.planned_on
        meeting.override_reason = "经县委批准" if n % 4 == 0 else ""
    Meeting.objects.bulk_update(held, ["state", "held_on", "override_reason"], batch_size=500)
    Attendance.objects.bulk_create(
        [
            Attendance(meeting=m, member=p, present=i > 0, absence_reason="" if i > 0 else "出差")
            for m in held
            for i, p in enumerate(by_branch[m.branch_id])
        ],
        batch_size=1000,
    )

    # Closed windows with their tallies: each voter rates his branch's members and his
    # unit's team.
    today = timezone.localdate()
    windows = AppraisalWindow.objects.bulk_create(
        [
            AppraisalWindow(campaign=campaign, branch=b, state=WindowState.CLOSED, opened_on=today, closed_on=today)
            for b in [big, *branches[: size.windows - 1]]
        ],
        batch_size=500,
    )
    team_of_unit = {t.unit_id: t for t in teams}
    ratings, team_ratings = MemberRating.values, TeamRating.values
    records, ballots, marks, team_marks = [], [], [], []
    for w_n, window in enumerate(windows):
        branch_members = by_branch[window.branch_id]
        team = team_of_unit.get(branch_members[0].unit_id)
        for v_n, voter in enumerate(branch_members[: size.voters_per_window]):
            records.append(VoterRecord(window=window, member=voter))
            ballots.append(Ballot(window=window, cast_on=today))
            marks += [
                MemberMark(window=window, member=m, rating=ratings[(w_n + v_n + i) % len(ratings)])
                for i, m in enumerate(branch_members[: size.members_per_branch])
            ]
            if team is not None:
                team_marks.append(
                    TeamMark(campaign=campaign, window=window, team=team, rating=team_ratings[v_n % len(team_ratings)])
                )
    VoterRecord.objects.bulk_create(records, batch_size=1000)
    Ballot.objects.bulk_create(ballots, batch_size=1000)
    MemberMark.objects.bulk_create(marks, batch_size=1000)
    TeamMark.objects.bulk_create(team_marks, batch_size=1000)
    ledger_rollup_full(campaign_id=campaign.pk)
    counts = {
        "units": len(units),
        "branches": len(branches) + 1,
        "members": len(members),
        "teams": len(teams),
        "meetings": len(meetings),
        "held": len(held),
        "attendance": Attendance.objects.filter(meeting__campaign=campaign).count(),
        "windows": len(windows),
        "ballots": len(ballots),
        "member marks": len(marks),
        "team marks": len(team_marks),
    }
    return County(campaign, office, committees[0], meetings[0], windows[0], counts)


@pytest.fixture(scope="module")
def counties(_module_world, django_db_blocker) -> Iterator[dict[str, County]]:
    """Both counties, inside the module's transaction (rolled back at its end)."""
    with django_db_blocker.unblock():
        started = time.perf_counter()
        small = build_county("scale-small", SMALL)
        middle = time.perf_counter()
        large = build_county("scale-large", LARGE)
        done = time.perf_counter()
    print(f"\n[{connection.vendor}] small county {small.counts} built in {middle - started:.1f} s")
    print(f"[{connection.vendor}] large county {large.counts} built in {done - middle:.1f} s")
    yield {"small": small, "large": large}


def _pages(county: County) -> dict[str, tuple[str, dict]]:
    return {
        "readiness": (reverse("meetings:readiness"), {}),
        "readiness, a committee's open documents, page 2": (
            reverse("meetings:readiness"),
            {"committee": county.committee.pk, "condition": "document", "page": 2},
        ),
        "meeting page": (reverse("meetings:meeting_detail", args=[county.meeting.pk]), {}),
        "meetings' figures": (reverse("reports:meetings_progress"), {}),
        "appraisal results": (reverse("appraisal:results"), {}),
        "appraisal results, page 2": (reverse("appraisal:results"), {"page": 2}),
        "appraisal windows": (reverse("appraisal:window_list"), {}),
        "appraisal windows, page 2": (reverse("appraisal:window_list"), {"page": 2}),
        "a window's tally": (reverse("appraisal:window_detail", args=[county.window.pk]), {}),
        "flagged members": (reverse("appraisal:flagged"), {}),
    }


def _measure(client, url: str, params: dict) -> tuple[int, float, object]:
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, url
    return len(captured.captured_queries), time.perf_counter() - started, response


def test_the_large_county_is_ten_times_the_demo(counties) -> None:
    counts = counties["large"].counts
    assert counts["units"] == 910 and counts["branches"] == 2871 and counts["teams"] == 960
    assert counts["members"] > 26_000
    assert counts["meetings"] == 3441
    assert counts["windows"] == 2530


def test_every_page_runs_the_same_queries_at_ten_times_the_demo(counties, login) -> None:
    queries: dict[str, dict[str, int]] = {}
    pages: dict[str, object] = {}
    for size in ("small", "large"):
        county = counties[size]
        client = login(county.office)
        client.get(reverse("appraisal:window_list"))  # warm the session
        queries[size] = {}
        for name, (url, params) in _pages(county).items():
            queries[size][name], seconds, pages[name] = _measure(client, url, params)
            print(f"[{connection.vendor}] {size} {name}: {queries[size][name]} queries, {seconds:.2f} s")
    assert queries["large"] == queries["small"]
    assert max(queries["large"].values()) <= 40

    # And the large pages show the large county.
    large = counties["large"]
    # The held meetings are past the gate: the open ones are listed.
    assert pages["readiness"].context["total"] == large.counts["meetings"] - large.counts["held"]
    assert pages["meeting page"].content.decode().count("<tr") > 300
    assert pages["meetings' figures"].context["county"].held == large.counts["held"]
    assert pages["appraisal windows"].context["page"].paginator.count >= large.counts["windows"]
