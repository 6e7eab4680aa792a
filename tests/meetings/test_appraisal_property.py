"""Property: whatever ballots are cast (blanks included), whatever paper tallies are
entered, confirmed or not, and whether the window is closed or not, every tally the
pages show equals a recount of what was cast, and a member is flagged exactly when the
shares say so."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign.models import LeadershipTeam
from meetings.appraisal import selectors, services
from meetings.appraisal.models import MemberRating, TeamRating
from tests.conftest import World, property_examples
from tests.meetings.appraisal_factories import branch_with_voters

SIZE = 6
member_rating = st.sampled_from(["", *MemberRating.values])
team_rating = st.sampled_from(["", *TeamRating.values])
# One ballot per voter index (repeats are refused and must change nothing).
ballot = st.tuples(st.integers(0, SIZE - 1), st.lists(member_rating, min_size=SIZE, max_size=SIZE), team_rating)
paper_counts = st.lists(st.tuples(*(st.integers(0, 3) for _ in MemberRating.values)), min_size=SIZE, max_size=SIZE)


@settings(
    max_examples=property_examples(60),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    ballots=st.lists(ballot, max_size=10),
    present=st.integers(0, SIZE),
    paper=st.one_of(st.none(), paper_counts),
    team_paper=st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3)),
    confirm=st.booleans(),
    closed=st.booleans(),
    k=st.integers(3, 5),
    shares=st.tuples(st.integers(0, 4), st.integers(1, 4), st.integers(0, 4), st.integers(1, 4)),
)
def test_tallies_equal_a_recount(world: World, ballots, present, paper, team_paper, confirm, closed, k, shares) -> None:
    campaign = world.campaign
    office, secretary = world.users["office"], world.users["secretary"]
    with transaction.atomic():
        team = LeadershipTeam.objects.get(campaign=campaign, unit=world.unit)
        voters = branch_with_voters(campaign, world.unit, SIZE, team=team)
        members = voters.members
        window = services.window_open(user=secretary, campaign=campaign, branch=voters.branch)
        un, ud, an, ad = shares
        un, an = min(un, ud), min(an, ad)
        services.settings_update(
            user=office,
            campaign=campaign,
            data={
                "unqualified_numerator": un,
                "unqualified_denominator": ud,
                "approval_numerator": an,
                "approval_denominator": ad,
                "min_ballots": k,
                "public_opens_on": None,
                "public_closes_on": None,
            },
        )
        expected_members: dict[int, Counter] = {m.pk: Counter() for m in members}
        expected_team: Counter = Counter()
        voted: set[int] = set()
        paper_ballots = 0
        for voter, ratings, team_choice in ballots:
            marks = {m.pk: r for m, r in zip(members, ratings, strict=True) if m.pk != members[voter].pk and r}
            teams = {team.pk: team_choice} if team_choice else {}
            try:
                services.ballot_cast(user=voters.users[voter], window=window, member_ratings=marks, team_ratings=teams)
            except ValidationError:
                assert voter in voted or not (marks or teams)
                continue
            voted.add(voter)
            for pk, r in marks.items():
                expected_members[pk][r] += 1
            expected_team.update(teams.values())
        if paper is not None:
            counts = {
                m.pk: dict(zip(MemberRating.values, row, strict=True)) for m, row in zip(members, paper, strict=True)
            }
            team_counts = {team.pk: dict(zip(TeamRating.values, team_paper, strict=True))}
            try:
                sheet = services.sheet_save(
                    user=secretary, window=window, present=present, member_counts=counts, team_counts=team_counts
                )
            except ValidationError as error:
                # Refused exactly when some row counts more ballots than members present.
                too_many = [pk for pk, c in counts.items() if sum(c.values()) > present]
                assert set(error.message_dict) == {f"member-{pk}" for pk in too_many} | (
                    {f"team-{team.pk}"} if sum(team_paper) > present else set()
                )
            else:
                if confirm:
                    services.sheet_confirm(user=office, sheet=sheet)
                    paper_ballots = present
                    for pk, c in counts.items():
                        expected_members[pk].update(c)
                    expected_team.update(dict(zip(TeamRating.values, team_paper, strict=True)))
        if closed:
            services.window_close(user=secretary, window=window)

        tallies = selectors.member_tallies(campaign=campaign)
        rules = selectors.Rules.of(selectors.settings_for(campaign))
        flagged = 0
        for member in members:
            got = tallies.get(member.pk, selectors.MemberTally())
            want = expected_members[member.pk] if closed else Counter()
            assert {r: got.count(r) for r in MemberRating.values} == {r: want[r] for r in MemberRating.values}
            valid = sum(want.values())
            flags = set(rules.flags(got))
            if valid >= k:
                assert ("unqualified" in flags) == (want["unqualified"] >= Fraction(un, ud) * valid)
                assert ("low_approval" in flags) == (want["excellent"] + want["qualified"] < Fraction(an, ad) * valid)
            else:
                assert not flags
            flagged += bool(flags)
        team_got = selectors.team_tallies(campaign=campaign).get(team.pk, selectors.TeamResult()).members
        want_team = expected_team if closed else Counter()
        assert (team_got.satisfied, team_got.basic, team_got.dissatisfied) == tuple(
            want_team[r] for r in TeamRating.values
        )
        counts = selectors.appraisal_counts(campaign)
        assert counts.members_flagged == flagged
        assert counts.ballots == ((len(voted) + paper_ballots) if closed else 0)
        assert counts.members_rated == sum(1 for m in members if closed and sum(expected_members[m.pk].values()) >= k)
        transaction.set_rollback(True)
