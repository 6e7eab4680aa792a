"""Factories of the democratic appraisal: branches with voters, windows, ballots and
paper sheets.

``AppraisalWindowFactory`` writes a window as ``services.window_open`` leaves it. The
bulk builders write what ``services.ballot_cast`` and ``services.sheet_save`` write, in
a few statements, for the bounded-query tests; the rules of the services have their own
tests, which call the services."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from campaign.models import Campaign, LeadershipTeam, Member, OrgUnit, OrgUnitKind, RoleAssignment, RoleKind
from meetings.appraisal.models import (
    AppraisalWindow,
    Ballot,
    MemberMark,
    PaperMemberCount,
    PaperSheet,
    SheetState,
    TeamMark,
    VoterRecord,
    WindowState,
)
from tests import factories as f

_serial = itertools.count(1)


class AppraisalWindowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AppraisalWindow

    branch = factory.SubFactory(f.OrgUnitFactory, kind=OrgUnitKind.BRANCH)
    campaign = factory.SelfAttribute("branch.campaign")
    state = WindowState.OPEN
    opened_on = factory.LazyFunction(timezone.localdate)
    closed_on = factory.LazyAttribute(lambda o: timezone.localdate() if o.state == WindowState.CLOSED else None)


@dataclass
class Branch:
    branch: OrgUnit
    members: list[Member]
    users: list  # the members' user accounts, in the same order
    team: LeadershipTeam | None


def branch_with_voters(
    campaign: Campaign, unit: OrgUnit, size: int, *, name: str = "", team: LeadershipTeam | None = None
) -> Branch:
    """A new branch under ``unit`` with ``size`` members, each with a user account (made
    in bulk, with no usable password: tests log them in with force_login)."""
    n = next(_serial)
    branch = f.OrgUnitFactory(campaign=campaign, parent=unit, kind=OrgUnitKind.BRANCH, name=name or f"评议支部{n}")
    User = get_user_model()
    users = User.objects.bulk_create([User(username=f"voter-{n}-{i}", password="!") for i in range(size)])
    members = f.bulk_members(
        campaign, [{"unit": unit, "branch": branch, "name": f"评议党员{n}-{i}", "user": u} for i, u in enumerate(users)]
    )
    return Branch(branch=branch, members=members, users=users, team=team)


def secretary_of(campaign: Campaign, unit: OrgUnit, username: str) -> object:
    user = f.UserFactory(username=username)
    RoleAssignment.objects.create(user=user, campaign=campaign, kind=RoleKind.SECRETARY, unit=unit)
    return user


# --- Bulk builders -------------------------------------------------------------------------


def bulk_ballots(
    window: AppraisalWindow,
    ballots: Iterable[tuple[Member, dict[int, str], dict[int, str]]],
) -> None:
    """For each (voter, member ratings, team ratings): the voting record, the ballot and
    its marks, as ``ballot_cast`` writes them, in five statements for all."""
    day = timezone.localdate()
    records, rows, member_marks, team_marks = [], [], [], []
    for voter, members, teams in ballots:
        records.append(VoterRecord(window=window, member=voter))
        rows.append(Ballot(window=window, cast_on=day))
        member_marks += [MemberMark(window=window, member_id=pk, rating=r) for pk, r in members.items()]
        team_marks += [
            TeamMark(campaign_id=window.campaign_id, window=window, team_id=pk, rating=r) for pk, r in teams.items()
        ]
    VoterRecord.objects.bulk_create(records, batch_size=500)
    Ballot.objects.bulk_create(rows, batch_size=500)
    MemberMark.objects.bulk_create(member_marks, batch_size=1000)
    TeamMark.objects.bulk_create(team_marks, batch_size=1000)


def random_ratings(members: Sequence[Member], choices: Sequence[str], *, seed: int = 7) -> dict[int, str]:
    rng = random.Random(seed)
    return {m.pk: rng.choice(choices) for m in members}


def bulk_paper(
    window: AppraisalWindow, *, present: int, counts: dict[int, dict[str, int]], entered_by, confirmed_by=None
) -> PaperSheet:
    sheet = PaperSheet.objects.create(
        window=window,
        present=present,
        entered_by=entered_by,
        confirmed_by=confirmed_by,
        state=SheetState.CONFIRMED if confirmed_by is not None else SheetState.ENTERED,
    )
    PaperMemberCount.objects.bulk_create(
        [PaperMemberCount(sheet=sheet, member_id=pk, **c) for pk, c in counts.items()], batch_size=1000
    )
    return sheet
