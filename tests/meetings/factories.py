"""Factories for meetings, and builders of what the gate reads from the other stages.

The gate's inputs are built directly (a signed feedback list, an approved document, a
talk card) where a test does not care how they came about; the tests that a condition
turns to met go through the other stages' services instead. The bulk builders write
hundreds of rows in a few statements for the bounded-query tests (no history, nothing
announced).
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterable, Sequence

import factory
from django.utils import timezone

from campaign.models import Campaign, LeadershipTeam, Member, OrgUnit
from meetings.models import Meeting, MeetingKind
from opinions.models import FeedbackList
from opinions.services import Target
from reviews.models import AnalysisDocument, DocumentState
from talks.models import Talk
from tests import factories as f
from tests.opinions.factories import OpinionFactory, bulk_opinions
from tests.talks.factories import TalkFactory, bulk_talks


class MeetingFactory(factory.django.DjangoModelFactory):
    """A branch's special organisational life meeting."""

    class Meta:
        model = Meeting

    branch = factory.SubFactory(f.OrgUnitFactory, kind="branch")
    campaign = factory.SelfAttribute("branch.campaign")
    kind = MeetingKind.ORGANISATIONAL_LIFE
    team = None
    unit = factory.SelfAttribute("branch")
    planned_on = factory.LazyAttribute(lambda o: o.campaign.starts_on + datetime.timedelta(days=70))
    place = "党员活动室"


class TeamMeetingFactory(MeetingFactory):
    """A leadership team's democratic life meeting."""

    branch = None
    team = factory.SubFactory(f.LeadershipTeamFactory)
    campaign = factory.SelfAttribute("team.campaign")
    kind = MeetingKind.DEMOCRATIC_LIFE
    unit = factory.SelfAttribute("team.unit")


def signed_list(
    *, member: Member | None = None, team: LeadershipTeam | None = None, status: str = "signed"
) -> FeedbackList:
    """An opinion about the target and its feedback list in ``status`` (built directly)."""
    target = member or team
    assert target is not None
    OpinionFactory(target_member=member, target_team=team)
    unit = member.unit if member is not None else team.unit
    return FeedbackList.objects.create(
        campaign=target.campaign,
        target_member=member,
        target_team=team,
        ledger_unit=unit,
        status=status,
        released_on=target.campaign.starts_on if status != "draft" else None,
        signed_at=timezone.now() if status == "signed" else None,
    )


def document(member: Member, state: str = DocumentState.APPROVED) -> AnalysisDocument:
    return AnalysisDocument.objects.create(campaign=member.campaign, member=member, state=state, word_count=3000)


_serial = itertools.count(1)


def talk(first: Member, second: Member | None = None) -> Talk:
    if second is None:
        return TalkFactory(
            member=first, other_member=None, outsider_name=f"群众{next(_serial)}", outsider_relation="resident"
        )
    return TalkFactory(member=first, other_member=second)


def low_quotas(campaign: Campaign, quota: int = 1) -> None:
    """Quotas a test can meet with a card or two (the seed's 5 and 10 need many)."""
    Campaign.objects.filter(pk=campaign.pk).update(talk_quota_member=quota, talk_quota_leader=quota)
    campaign.refresh_from_db()


def settle(members: Iterable[Member]) -> None:
    """Each member: a signed list and an approved document (talks are the test's)."""
    for member in members:
        signed_list(member=member)
        document(member)


# --- Bulk builders ---------------------------------------------------------------------


def bulk_ready(campaign: Campaign, members: Sequence[Member], teams: Sequence[LeadershipTeam] = ()) -> None:
    """For each member and team: an opinion, a signed list; for each member an approved
    document and one talk with the public per quota; in a few statements."""
    targets = [Target(member=m) for m in members] + [Target(team=t) for t in teams]
    bulk_opinions(campaign, [(target, {}) for target in targets])
    FeedbackList.objects.bulk_create(
        [
            FeedbackList(
                campaign=campaign,
                target_member=target.member,
                target_team=target.team,
                ledger_unit=(target.member or target.team).unit,
                status="signed",
                released_on=campaign.starts_on,
            )
            for target in targets
        ],
        batch_size=500,
    )
    AnalysisDocument.objects.bulk_create(
        [AnalysisDocument(campaign=campaign, member=m, state=DocumentState.APPROVED, word_count=3000) for m in members],
        batch_size=500,
    )
    bulk_talks(
        campaign,
        [
            {
                "member": m,
                "other_member": None,
                "outsider_name": f"群众{next(_serial)}",
                "outsider_relation": "resident",
            }
            for m in members
        ],
    )


def bulk_branch_meetings(campaign: Campaign, branches: Sequence[OrgUnit]) -> list[Meeting]:
    day = campaign.starts_on + datetime.timedelta(days=70)
    return Meeting.objects.bulk_create(
        [
            Meeting(
                campaign=campaign,
                kind=MeetingKind.ORGANISATIONAL_LIFE,
                branch=branch,
                unit=branch,
                planned_on=day,
                place="党员活动室",
            )
            for branch in branches
        ]
    )
