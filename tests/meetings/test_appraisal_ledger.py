"""The appraisal's ledger figures: whatever ballots, paper tallies (confirmed or not),
closings, changes of the settings and members moving unit happen — with some roll-up
messages lost on the way — once the outbox is drained the ledger's appraisal figures
equal the appraisal's own counts (``appraisal_counts``) and the recount, and the
reconciliation finds no drift. A ballot itself never leaves an outbox row."""

from __future__ import annotations

import datetime
from contextlib import nullcontext
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign.models import ChangeOutbox, LeadershipTeam, Member
from meetings.appraisal import selectors, services
from meetings.appraisal.models import AppraisalWindow, MemberRating, PaperSheet, TeamRating
from reports.ledger import reconcile, rollup
from reports.ledger.summary import stage_summary
from reports.meetings import appraisal
from reports.models import LedgerRow
from tests.conftest import property_examples
from tests.meetings.appraisal_factories import branch_with_voters

pytestmark = pytest.mark.django_db

SIZE = 4


class Voting:
    """Two branches of voters, one under each party committee, each rating its unit's
    team; both windows open; the ledger settled."""

    def __init__(self, world: Any) -> None:
        self.world, self.campaign = world, world.campaign
        self.office, self.admin = world.users["office"], world.users["admin"]
        self.branches = []
        for unit in (world.unit, world.other_unit):
            team = LeadershipTeam.objects.get(campaign=self.campaign, unit=unit)
            voters = branch_with_voters(self.campaign, unit, SIZE, team=team)
            self.branches.append(voters)
        self.windows = [
            services.window_open(user=self.office, campaign=self.campaign, branch=b.branch) for b in self.branches
        ]
        rollup.ledger_rollup_full(campaign_id=self.campaign.pk)
        ChangeOutbox.objects.filter(campaign=self.campaign).delete()


@pytest.fixture
def voting(world) -> Voting:
    return Voting(world)


def stored_appraisal(campaign) -> dict[tuple, int]:
    rows = LedgerRow.objects.filter(campaign=campaign, dimension="appraisal")
    return {(r.scope, r.unit_id, r.dimension, r.key): r.value for r in rows}


member_ratings = st.lists(st.sampled_from(["", *MemberRating.values]), min_size=SIZE, max_size=SIZE)
delivered = st.booleans()
branch = st.integers(0, 1)
operations = st.one_of(
    st.tuples(st.just("ballot"), branch, st.integers(0, SIZE - 1), member_ratings, st.sampled_from(TeamRating.values)),
    st.tuples(
        st.just("sheet"), branch, st.integers(0, 6), st.lists(st.integers(0, 2), min_size=4, max_size=4), delivered
    ),
    st.tuples(st.just("confirm"), branch, delivered),
    st.tuples(st.just("close"), branch, delivered),
    st.tuples(st.just("settings"), st.integers(3, 4), st.integers(0, 2), st.integers(1, 2), delivered),
    st.tuples(st.just("move"), branch, st.integers(0, SIZE - 1), delivered),
    st.tuples(st.just("drain")),
)


def _apply(voting: Voting, operation: tuple) -> None:
    name = operation[0]
    if name == "drain":
        rollup.ledger_drain_outbox()
        return
    b = operation[1] % 2  # (the settings' k otherwise)
    voters, window = voting.branches[b], AppraisalWindow.objects.get(pk=voting.windows[b].pk)
    if name == "ballot":
        _, _b, voter, ratings, team_rating = operation
        marks = {m.pk: r for m, r in zip(voters.members, ratings, strict=True) if r and m != voters.members[voter]}
        before = ChangeOutbox.objects.count()
        services.ballot_cast(
            user=voters.users[voter], window=window, member_ratings=marks, team_ratings={voters.team.pk: team_rating}
        )
        assert ChangeOutbox.objects.count() == before  # no outbox row dates a ballot
    elif name == "sheet":
        _, _b, present, counts, _delivered = operation
        rating = dict(zip(MemberRating.values, counts, strict=True))
        services.sheet_save(
            user=voting.office,
            window=window,
            present=present,
            member_counts={m.pk: rating for m in voters.members},
            team_counts={voters.team.pk: {"satisfied": counts[0], "basic": counts[1], "dissatisfied": counts[2]}},
        )
    elif name == "confirm":
        sheet = PaperSheet.objects.filter(window=window).first()
        if sheet is not None:
            services.sheet_confirm(user=voting.admin, sheet=sheet)
    elif name == "close":
        services.window_close(user=voting.office, window=window)
    elif name == "settings":
        _, k, numerator, denominator, _delivered = operation
        services.settings_update(
            user=voting.office,
            campaign=voting.campaign,
            data={
                "unqualified_numerator": min(numerator, denominator),
                "unqualified_denominator": denominator,
                "approval_numerator": 1,
                "approval_denominator": 2,
                "min_ballots": k,
                "public_opens_on": None,
                "public_closes_on": None,
            },
        )
    elif name == "move":
        # A member rated in one unit moves to the other: his or her figures follow.
        member = Member.objects.get(pk=voters.members[operation[2]].pk)
        units = (voting.world.unit, voting.world.other_unit)
        member.unit = units[1] if member.unit_id == units[0].pk else units[0]
        member.save()


@settings(
    max_examples=property_examples(40),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(operations, min_size=3, max_size=25))
def test_every_appraisal_figure_equals_the_appraisals_own_count(voting, django_capture_on_commit_callbacks, steps):
    with transaction.atomic():
        for operation in steps:
            deliver = operation[-1] is True
            context = django_capture_on_commit_callbacks(execute=True) if deliver else nullcontext()
            with context:
                try:
                    with transaction.atomic():
                        _apply(voting, operation)
                except ValidationError:
                    pass  # refused: a second ballot, a closed window, the same teller confirming…
        rollup.ledger_drain_outbox()
        campaign = voting.campaign
        assert not ChangeOutbox.objects.exists()
        assert stored_appraisal(campaign) == appraisal.recount(campaign.pk)
        counts = selectors.appraisal_counts(campaign)
        assert stage_summary(campaign)["appraisal"] == {
            "ballots": counts.ballots,
            "members_rated": counts.members_rated,
            "members_flagged": counts.members_flagged,
            "teams_rated": counts.teams_rated,
        }
        assert reconcile.ledger_compare(campaign_id=campaign.pk) == []
        transaction.set_rollback(True)


def test_a_closed_window_is_counted_under_its_branch_and_its_members_units(voting) -> None:
    voters = voting.branches[0]
    window = voting.windows[0]
    for voter in range(SIZE):
        marks = {m.pk: MemberRating.UNQUALIFIED for m in voters.members if m != voters.members[voter]}
        services.ballot_cast(
            user=voters.users[voter], window=window, member_ratings=marks, team_ratings={voters.team.pk: "satisfied"}
        )
    services.window_close(user=voting.office, window=window)
    units = set(ChangeOutbox.objects.filter(source="appraisal").values_list("unit_id", flat=True))
    assert units == {voters.branch.pk, voting.world.unit.pk}
    rollup.ledger_drain_outbox()
    section = stage_summary(voting.campaign)["appraisal"]
    # Each member rated by the three others (k = 3), all unqualified: every one flagged.
    assert section == {"ballots": SIZE, "members_rated": SIZE, "members_flagged": SIZE, "teams_rated": 1}
    assert reconcile.ledger_compare(campaign_id=voting.campaign.pk) == []


def test_the_publics_ratings_enter_the_ledger_the_night_after_the_rating_closes(voting) -> None:
    from django.conf import settings as django_settings

    from meetings import tasks
    from meetings.appraisal.models import AppraisalSettings

    campaign, team = voting.campaign, voting.branches[1].team
    today = selectors.today()
    AppraisalSettings.objects.create(
        campaign=campaign,
        public_opens_on=today - datetime.timedelta(days=3),
        public_closes_on=today + datetime.timedelta(days=1),
    )
    for _ in range(3):
        services.public_rating_submit(campaign=campaign, team=team, rating="satisfied")
    assert not ChangeOutbox.objects.exists()  # nothing dates a citizen's rating
    assert services.announce_public_rating_closed(on=today) == 0  # still open
    AppraisalSettings.objects.filter(campaign=campaign).update(public_closes_on=today - datetime.timedelta(days=1))
    assert tasks.appraisal_public_closed() == 1
    assert set(ChangeOutbox.objects.values_list("unit_id", flat=True)) == {team.unit_id}
    rollup.ledger_drain_outbox()
    assert stage_summary(campaign)["appraisal"]["teams_rated"] == 1
    assert reconcile.ledger_compare(campaign_id=campaign.pk) == []
    assert "appraisal-public-closed" in django_settings.CELERY_BEAT_SCHEDULE
