"""The appraisal's services: opening and closing windows, casting ballots, the tellers'
paper sheets, the thresholds and k — and every bad input refused with a message and
nothing written."""

from __future__ import annotations

import datetime
import re
import uuid
from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from campaign.models import LeadershipTeam, OrgUnitKind
from meetings.appraisal import selectors, services
from meetings.appraisal.models import (
    AppraisalSettings,
    AppraisalWindow,
    Ballot,
    MemberMark,
    PaperMemberCount,
    PaperSheet,
    PaperTeamCount,
    TeamMark,
    VoterRecord,
)
from tests import factories as f
from tests.conftest import World
from tests.meetings.appraisal_factories import Branch, branch_with_voters, secretary_of

E, Q, B, U = "excellent", "qualified", "basic", "unqualified"


@dataclass
class Setup:
    world: World
    voters: Branch
    team: LeadershipTeam
    window: AppraisalWindow

    @property
    def secretary(self):
        return self.world.users["secretary"]

    @property
    def office(self):
        return self.world.users["office"]


@pytest.fixture
def s(world: World) -> Setup:
    team = LeadershipTeam.objects.get(campaign=world.campaign, unit=world.unit)
    voters = branch_with_voters(world.campaign, world.unit, 6, team=team)
    window = services.window_open(user=world.users["secretary"], campaign=world.campaign, branch=voters.branch)
    return Setup(world, voters, team, window)


def written() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (VoterRecord, Ballot, MemberMark, TeamMark, PaperSheet, PaperMemberCount, PaperTeamCount)
    )


def refused(call, **kwargs) -> str:
    """Call a service that must refuse; return its message, having checked that nothing was written."""
    before = written()
    with pytest.raises(ValidationError) as error:
        call(**kwargs)
    assert written() == before
    return " ".join(error.value.messages)


def cast(s: Setup, i: int, members: dict[int, str] | None = None, teams: dict[int, str] | None = None) -> None:
    voter = s.voters.members[i]
    if members is None:
        members = {m.pk: Q for m in s.voters.members if m.pk != voter.pk}
    services.ballot_cast(user=s.voters.users[i], window=s.window, member_ratings=members, team_ratings=teams or {})


def close(s: Setup) -> None:
    s.window = services.window_close(user=s.secretary, window=s.window)


# --- Windows ---------------------------------------------------------------------------


def test_a_secretary_opens_a_window_for_a_branch_of_his_unit(s: Setup) -> None:
    assert s.window.is_open and s.window.opened_by == s.secretary
    assert s.window.opened_on == timezone.localdate()


def test_a_window_opens_once_per_branch(s: Setup) -> None:
    message = refused(services.window_open, user=s.office, campaign=s.world.campaign, branch=s.voters.branch)
    assert "already opened" in message


def test_a_secretary_of_another_unit_may_not_open_a_window(s: Setup) -> None:
    outsider = secretary_of(s.world.campaign, s.world.other_unit, "secretary-other")
    branch = f.OrgUnitFactory(campaign=s.world.campaign, parent=s.world.unit, kind=OrgUnitKind.BRANCH)
    message = refused(services.window_open, user=outsider, campaign=s.world.campaign, branch=branch)
    assert "Only a secretary over" in message


def test_only_a_branch_has_a_window(s: Setup) -> None:
    message = refused(services.window_open, user=s.office, campaign=s.world.campaign, branch=s.world.unit)
    assert "is not a branch" in message


def test_a_closed_window_stays_closed(s: Setup) -> None:
    close(s)
    assert refused(services.window_close, user=s.office, window=s.window).startswith("The voting window")


# --- Ballots ------------------------------------------------------------------------------


def test_a_member_casts_one_ballot_that_names_no_voter(s: Setup) -> None:
    cast(s, 0, teams={s.team.pk: "satisfied"})
    ballot = Ballot.objects.get()
    assert isinstance(ballot.pk, uuid.UUID) and ballot.pk.version == 4
    assert ballot.cast_on == timezone.localdate()
    assert MemberMark.objects.count() == 5 and TeamMark.objects.get().team == s.team
    assert VoterRecord.objects.get().member == s.voters.members[0]
    assert selectors.has_voted(s.window, s.voters.members[0])


def test_a_ballot_cast_twice_is_refused(s: Setup) -> None:
    cast(s, 0)
    message = refused(cast, s=s, i=0)
    assert message == "You have already voted in this window; each member votes once."


def test_a_member_of_another_branch_may_not_vote(s: Setup) -> None:
    # The world's member belongs to the world's branch, not to this one.
    message = refused(
        services.ballot_cast,
        user=s.world.users["member"],
        window=s.window,
        member_ratings={s.voters.members[0].pk: Q},
        team_ratings={},
    )
    assert "Only members of" in message


def test_someone_who_is_no_member_may_not_vote(s: Setup) -> None:
    message = refused(
        services.ballot_cast,
        user=s.secretary,
        window=s.window,
        member_ratings={s.voters.members[0].pk: Q},
        team_ratings={},
    )
    assert "Only members of" in message


def test_no_ballot_after_the_window_closes(s: Setup) -> None:
    close(s)
    message = refused(cast, s=s, i=0)
    assert "closed on" in message and "no more ballots" in message


def test_a_ballot_may_rate_only_the_other_members_of_the_branch(s: Setup) -> None:
    me = s.voters.members[0]
    assert "not another member" in refused(cast, s=s, i=0, members={me.pk: E})
    assert "not another member" in refused(cast, s=s, i=0, members={s.world.other_member.pk: E})
    assert "does not rate" in refused(cast, s=s, i=0, members={}, teams={s.world.other_member.pk: "satisfied"})


def test_a_ballot_with_an_unknown_rating_or_none_at_all_is_refused(s: Setup) -> None:
    assert "choices" in refused(cast, s=s, i=0, members={s.voters.members[1].pk: "superb"})
    assert "empty" in refused(cast, s=s, i=0, members={}, teams={})


# --- Results: after the close, on at least k ballots ---------------------------------------------


def test_results_wait_for_the_close(s: Setup) -> None:
    for i in range(1, 5):
        cast(s, i, members={s.voters.members[0].pk: U})
    assert selectors.member_tallies(campaign=s.world.campaign) == {}
    close(s)
    tally = selectors.member_tallies(campaign=s.world.campaign)[s.voters.members[0].pk]
    assert tally == selectors.MemberTally(unqualified=4)


def test_closing_rewrites_the_ballots_under_fresh_keys(s: Setup) -> None:
    for i in range(4):
        cast(s, i, teams={s.team.pk: "basic"})
    before = set(Ballot.objects.values_list("pk", flat=True))
    marks_before = sorted(MemberMark.objects.values_list("member_id", "rating"))
    close(s)
    after = set(Ballot.objects.values_list("pk", flat=True))
    assert len(after) == 4 and not before & after
    assert sorted(MemberMark.objects.values_list("member_id", "rating")) == marks_before
    assert TeamMark.objects.filter(window=s.window).count() == 4


def _rules(**kw) -> selectors.Rules:
    return selectors.Rules(**kw)


@pytest.mark.parametrize(
    ("tally", "flags"),
    [
        (selectors.MemberTally(qualified=4, unqualified=2), ("unqualified",)),  # 2 of 6: exactly one third
        (selectors.MemberTally(qualified=5, unqualified=2), ()),  # 2 of 7: below a third
        (selectors.MemberTally(excellent=1, basic=3), ("low_approval",)),  # 1 of 4 excellent or qualified
        (selectors.MemberTally(excellent=1, qualified=1, basic=2), ()),  # exactly a half
        (selectors.MemberTally(basic=1, unqualified=2), ("unqualified", "low_approval")),
        (selectors.MemberTally(unqualified=2), ()),  # fewer than k = 3 ballots: no result, no flag
    ],
)
def test_the_default_thresholds(tally: selectors.MemberTally, flags: tuple[str, ...]) -> None:
    assert _rules().flags(tally) == flags


def test_the_campaign_sets_the_thresholds_and_k(s: Setup) -> None:
    services.settings_update(
        user=s.office,
        campaign=s.world.campaign,
        data={
            "unqualified_numerator": 1,
            "unqualified_denominator": 2,
            "approval_numerator": 2,
            "approval_denominator": 3,
            "min_ballots": 5,
            "public_opens_on": None,
            "public_closes_on": None,
        },
    )
    rules = selectors.Rules.of(selectors.settings_for(s.world.campaign))
    assert rules == selectors.Rules(unqualified=(1, 2), approval=(2, 3), k=5)
    assert rules.flags(selectors.MemberTally(qualified=3, unqualified=1)) == ()  # four ballots: below k
    assert rules.flags(selectors.MemberTally(qualified=3, basic=2)) == ("low_approval",)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"unqualified_numerator": 4}, "unqualified_numerator", "more than the whole"),
        ({"min_ballots": 2}, "min_ballots", "greater than or equal to 3"),
        ({"public_opens_on": datetime.date(2026, 5, 1)}, "public_closes_on", "both dates"),
        (
            {"public_opens_on": datetime.date(2026, 5, 2), "public_closes_on": datetime.date(2026, 5, 1)},
            "public_closes_on",
            "cannot close before",
        ),
    ],
)
def test_bad_settings_are_refused(s: Setup, changes: dict, field: str, message: str) -> None:
    data = {
        "unqualified_numerator": 1,
        "unqualified_denominator": 3,
        "approval_numerator": 1,
        "approval_denominator": 2,
        "min_ballots": 3,
        "public_opens_on": None,
        "public_closes_on": None,
        **changes,
    }
    with pytest.raises(ValidationError) as error:
        services.settings_update(user=s.office, campaign=s.world.campaign, data=data)
    assert message in " ".join(error.value.message_dict[field])
    assert not AppraisalSettings.objects.exists()


def test_only_the_office_changes_the_settings(s: Setup) -> None:
    with pytest.raises(ValidationError):
        services.settings_update(user=s.secretary, campaign=s.world.campaign, data={})


# --- Paper ballots -------------------------------------------------------------------------------


def _counts(s: Setup, **by_index: tuple[int, int, int, int]) -> dict[int, dict[str, int]]:
    counts = {}
    for key, (e, q, b, u) in by_index.items():
        member = s.voters.members[int(key.removeprefix("m"))]
        counts[member.pk] = {E: e, Q: q, B: b, U: u}
    return counts


def test_a_paper_tally_over_the_members_present_is_refused(s: Setup) -> None:
    counts = _counts(s, m0=(1, 2, 1, 1), m1=(1, 1, 0, 0))
    with pytest.raises(ValidationError) as error:
        services.sheet_save(user=s.secretary, window=s.window, present=4, member_counts=counts, team_counts={})
    errors = error.value.message_dict
    assert list(errors) == [f"member-{s.voters.members[0].pk}"]
    assert "(5) exceed the members present (4)" in errors[f"member-{s.voters.members[0].pk}"][0]
    assert written()[4:] == (0, 0, 0)


def test_a_team_count_over_the_members_present_is_refused(s: Setup) -> None:
    message = refused(
        services.sheet_save,
        user=s.secretary,
        window=s.window,
        present=2,
        member_counts={},
        team_counts={s.team.pk: {"satisfied": 2, "basic": 1, "dissatisfied": 0}},
    )
    assert "exceed the members present (2)" in message


def test_more_present_than_the_branch_has_is_refused(s: Setup) -> None:
    message = refused(
        services.sheet_save, user=s.secretary, window=s.window, present=7, member_counts={}, team_counts={}
    )
    assert "only 6 members" in message


def test_the_teller_who_entered_a_tally_cannot_confirm_it(s: Setup) -> None:
    sheet = services.sheet_save(
        user=s.secretary, window=s.window, present=4, member_counts=_counts(s, m0=(1, 1, 1, 1)), team_counts={}
    )
    message = refused(services.sheet_confirm, user=s.secretary, sheet=sheet)
    assert "second teller" in message
    sheet.refresh_from_db()
    assert not sheet.is_confirmed


def test_a_paper_tally_counts_once_a_second_teller_confirms_it(s: Setup) -> None:
    counts = _counts(s, m0=(1, 1, 1, 1))
    sheet = services.sheet_save(user=s.secretary, window=s.window, present=4, member_counts=counts, team_counts={})
    close(s)
    assert selectors.member_tallies(campaign=s.world.campaign) == {}
    sheet = services.sheet_confirm(user=s.office, sheet=sheet)
    assert sheet.is_confirmed and sheet.confirmed_by == s.office
    assert selectors.member_tallies(campaign=s.world.campaign)[s.voters.members[0].pk] == selectors.MemberTally(
        1, 1, 1, 1
    )
    # Confirmed, it is frozen.
    message = refused(
        services.sheet_save, user=s.secretary, window=s.window, present=4, member_counts={}, team_counts={}
    )
    assert "confirmed" in message
    assert "confirmed" in refused(services.sheet_confirm, user=s.world.users["admin"], sheet=sheet)


def test_a_second_secretary_of_the_unit_is_a_teller_too(s: Setup) -> None:
    other = secretary_of(s.world.campaign, s.voters.branch, "branch-secretary")
    sheet = services.sheet_save(user=s.secretary, window=s.window, present=1, member_counts={}, team_counts={})
    assert services.sheet_confirm(user=other, sheet=sheet).is_confirmed


def test_a_supervisor_is_no_teller(s: Setup) -> None:
    message = refused(
        services.sheet_save,
        user=s.world.users["supervisor"],
        window=s.window,
        present=1,
        member_counts={},
        team_counts={},
    )
    assert "Only a secretary over" in message


# --- Teams, the public, the figures -------------------------------------------------------------


def test_public_ratings_need_the_public_rating_open_and_count_after_it_closes(s: Setup) -> None:
    today = timezone.localdate()
    assert "closed" in refused(
        services.public_rating_submit, campaign=s.world.campaign, team=s.team, rating="satisfied"
    )
    AppraisalSettings.objects.create(
        campaign=s.world.campaign, public_opens_on=today, public_closes_on=today + datetime.timedelta(days=3)
    )
    for rating in ("satisfied", "satisfied", "dissatisfied"):
        services.public_rating_submit(campaign=s.world.campaign, team=s.team, rating=rating)
    mark = TeamMark.objects.first()
    assert mark.window_id is None and mark.cast_on == today
    assert selectors.team_tallies(campaign=s.world.campaign) == {}  # not before the public rating closes
    AppraisalSettings.objects.update(
        public_opens_on=today - datetime.timedelta(days=5), public_closes_on=today - datetime.timedelta(days=1)
    )
    result = selectors.team_tallies(campaign=s.world.campaign)[s.team.pk]
    assert result.public == selectors.TeamTally(satisfied=2, dissatisfied=1)


def test_a_public_rating_of_another_campaigns_team_is_refused(s: Setup) -> None:
    today = timezone.localdate()
    AppraisalSettings.objects.create(campaign=s.world.campaign, public_opens_on=today, public_closes_on=today)
    campaign = f.CampaignFactory()
    team = f.LeadershipTeamFactory(campaign=campaign, unit=f.OrgUnitFactory(campaign=campaign))
    assert "Choose a leadership team" in refused(
        services.public_rating_submit, campaign=s.world.campaign, team=team, rating="satisfied"
    )


def test_the_counts_for_the_ledger(s: Setup) -> None:
    target = s.voters.members[0]
    for i in range(1, 5):
        cast(s, i, members={target.pk: U, s.voters.members[5].pk: E}, teams={s.team.pk: "satisfied"})
    sheet = services.sheet_save(
        user=s.secretary, window=s.window, present=2, member_counts=_counts(s, m0=(0, 2, 0, 0)), team_counts={}
    )
    services.sheet_confirm(user=s.office, sheet=sheet)
    assert selectors.appraisal_counts(s.world.campaign) == selectors.AppraisalCounts(0, 0, 0, 0)
    close(s)
    counts = selectors.appraisal_counts(s.world.campaign)
    assert counts == selectors.AppraisalCounts(ballots=6, members_rated=2, members_flagged=1, teams_rated=1)
    assert selectors.appraisal_counts(s.world.campaign, within=s.world.other_unit) == selectors.AppraisalCounts(
        0, 0, 0, 0
    )


def test_every_refusal_is_translated(s: Setup) -> None:
    """The bad inputs of the issue, in Chinese: each message is the catalogue's."""
    cast(s, 0)
    sheet = services.sheet_save(user=s.secretary, window=s.window, present=1, member_counts={}, team_counts={})
    refusals = [
        (cast, {"s": s, "i": 0}),  # twice
        (
            services.ballot_cast,  # from outside the branch
            {"user": s.world.users["member"], "window": s.window, "member_ratings": {}, "team_ratings": {}},
        ),
        (
            services.sheet_save,  # over the members present
            {
                "user": s.secretary,
                "window": s.window,
                "present": 1,
                "member_counts": _counts(s, m1=(1, 1, 0, 0)),
                "team_counts": {},
            },
        ),
        (services.sheet_confirm, {"user": s.secretary, "sheet": sheet}),  # the same teller
    ]
    with translation.override("zh-hans"):
        messages = [refused(call, **kwargs) for call, kwargs in refusals]
        close(s)
        messages.append(refused(cast, s=s, i=1))  # outside the window
    for message in messages:
        assert re.search(r"[\u4e00-\u9fff]", message), message
        assert not re.search(r"[A-Za-z]{4,}", message.replace("INSIDE", "")), message
