"""The meetings' ledger page (reports/meetings/views.py): the county, each party
committee's subtree, each unit with its branches folded in, the foot; within the user's
reach; a bounded number of queries however many units and meetings; the export in the
office's layout."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.urls import reverse

from meetings.models import Attendance, Meeting, MeetingState
from reports.ledger.rollup import ledger_rollup_full
from tests import factories as f
from tests.meetings.factories import MeetingFactory, bulk_branch_meetings

pytestmark = pytest.mark.django_db

URL = "reports:meetings_progress"


def _units_with_meetings(world, parent, n_units: int, held_per_unit: int = 2):
    """``n_units`` units under ``parent``, each with a branch of two members and
    ``held_per_unit`` held branch meetings (one on the office's override) plus one planned,
    in a few statements; then the ledger rolled up."""
    campaign = world.campaign
    units = f.bulk_units(campaign, [parent] * n_units)
    branches = f.bulk_units(campaign, [u for u in units for _ in range(held_per_unit + 1)], kind="branch")
    members = f.bulk_members(campaign, [{"unit": b.parent, "branch": b} for b in branches for _ in range(2)])
    meetings = bulk_branch_meetings(campaign, branches)
    held = [m for n, m in enumerate(meetings) if n % (held_per_unit + 1)]
    for n, meeting in enumerate(held):
        meeting.state, meeting.held_on = MeetingState.HELD, meeting.planned_on
        meeting.override_reason = "经县委批准" if n % 2 else ""
    Meeting.objects.bulk_update(held, ["state", "held_on", "override_reason"])
    by_branch = {}
    for member in members:
        by_branch.setdefault(member.branch_id, []).append(member)
    Attendance.objects.bulk_create(
        Attendance(meeting=m, member=p, present=i == 0, absence_reason="" if i == 0 else "出差")
        for m in held
        for i, p in enumerate(by_branch[m.branch_id])
    )
    ledger_rollup_full(campaign_id=campaign.pk)
    return units


def test_the_page_shows_the_county_the_committees_and_the_units_within_reach(world, login):
    _units_with_meetings(world, world.unit.parent, 2)  # under the inside committee
    _units_with_meetings(world, world.other_unit.parent, 1)  # outside
    MeetingFactory(branch=world.branch, state=MeetingState.READY)
    ledger_rollup_full(campaign_id=world.campaign.pk)

    office = login(world.users["office"]).get(reverse(URL))
    assert office.status_code == 200
    county, committees = office.context["county"], {line.unit.pk: line for line in office.context["committees"]}
    assert (county.planned, county.ready, county.held, county.held_with_override, county.attendees) == (3, 1, 6, 3, 6)
    inside, outside = committees[world.committee.pk].figures, committees[world.other_committee.pk].figures
    assert (inside.planned, inside.ready, inside.held, inside.attendees) == (2, 1, 4, 4)
    assert (outside.planned, outside.held, outside.held_with_override) == (1, 2, 1)
    # The world's branch is folded into its unit's line.
    lines = {line.unit.pk: line.figures for line in office.context["lines"]}
    assert lines[world.unit.pk].ready == 1
    assert office.context["totals"].held == 6

    secretary = login(world.users["secretary"]).get(reverse(URL))
    assert secretary.status_code == 200
    text = secretary.content.decode()
    assert "OUTSIDE" not in text and "教育系统党委" not in text
    # Not the county's rows: the sum of what is in his charge (his unit and its branch).
    assert (secretary.context["county"].ready, secretary.context["county"].held) == (1, 0)

    member = login(world.users["member"]).get(reverse(URL))
    assert member.status_code == 403


def test_the_page_runs_a_bounded_number_of_queries(world, login, django_assert_max_num_queries):
    client = login(world.users["office"])
    _units_with_meetings(world, world.unit.parent, 1)
    client.get(reverse(URL))  # warm the session
    with django_assert_max_num_queries(30) as few:
        client.get(reverse(URL))
    _units_with_meetings(world, world.unit.parent, 40, held_per_unit=3)
    _units_with_meetings(world, world.other_unit.parent, 20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse(URL))
    assert response.context["county"].held == 2 * 1 + 3 * 40 + 2 * 20


def test_the_export_is_the_table_as_shown_with_the_committees_subtotals(world, login):
    _units_with_meetings(world, world.unit.parent, 2)
    _units_with_meetings(world, world.other_unit.parent, 1)
    client = login(world.users["office"])
    response = client.get(reverse("reports:meetings_progress_export"), {"committee": world.committee.pk})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    by_unit, by_committee = book.worksheets
    rows = list(by_unit.iter_rows(values_only=True))
    assert "democratic life" in rows[0][0]
    assert rows[1][:6] == ("No.", "Unit", "Above", "Planned, conditions open", "Ready to convene", "Held")
    foot = rows[-1]
    assert foot[0] == "Total" and foot[5] == 4  # the inside committee's units only
    assert not any("OUTSIDE" in str(cell) for row in rows for cell in row)
    committees = list(by_committee.iter_rows(min_row=3, values_only=True))
    assert [row[1] for row in committees[:-1]] == ["城关镇党委", "教育系统党委"]
    assert [row[4] for row in committees] == [4, 2, 6]  # held: each committee, then the county


def test_the_appraisal_figures_are_on_the_same_lines(world, login):
    from meetings.appraisal.models import WindowState
    from tests.meetings.appraisal_factories import AppraisalWindowFactory, branch_with_voters, bulk_ballots

    voters = branch_with_voters(world.campaign, world.unit, 4)
    window = AppraisalWindowFactory(branch=voters.branch, state=WindowState.CLOSED)
    bulk_ballots(
        window,
        [(v, {m.pk: "qualified" for m in voters.members if m != v}, {}) for v in voters.members],
    )
    ledger_rollup_full(campaign_id=world.campaign.pk)
    response = login(world.users["secretary"]).get(reverse(URL))
    lines = {line.unit.pk: line.figures for line in response.context["lines"]}
    assert (lines[world.unit.pk].ballots, lines[world.unit.pk].members_rated) == (4, 4)
    assert lines[world.unit.pk].members_flagged == 0
    assert response.context["county"].ballots == 4
    assert "Members rated" in response.content.decode()
