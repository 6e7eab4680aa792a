"""Helpers of the ledger tests: a county: teams and members of every ledger category, a helper
that records opinions through the opinions services, and a naive recount — Python
loops over the source rows, sharing no code with the roll-up or the reconciliation —
that every ledger figure must equal."""

from __future__ import annotations

import datetime
import itertools
from collections import Counter
from dataclasses import dataclass
from typing import Any

from campaign.events import announce_change
from campaign.models import LeadershipTeam, Member, OrgUnit, Rank, TeamKind
from opinions.models import Channel, FeedbackList, Opinion, OpinionKind, SolicitationEvent
from opinions.services import Target, event_create, opinion_create
from reports.ledger.rollup import ledger_rollup_full
from reports.models import LedgerRow
from tests import factories as f

_texts = itertools.count(1)


@dataclass
class Ledgers:
    """The ``world`` plus targets of all six categories."""

    world: Any
    standing: LeadershipTeam
    government: LeadershipTeam
    team_in: LeadershipTeam
    team_out: LeadershipTeam
    standing_member: Member
    county_leader: Member
    member: Member
    colleague: Member
    other_member: Member

    @property
    def campaign(self):
        return self.world.campaign

    def targets(self) -> list[Target]:
        return [
            Target(team=self.standing),
            Target(team=self.government),
            Target(team=self.team_in),
            Target(team=self.team_out),
            Target(member=self.standing_member),
            Target(member=self.county_leader),
            Target(member=self.member),
            Target(member=self.colleague),
            Target(member=self.other_member),
            Target(unit=self.world.unit),
            Target(),
        ]


def build_ledgers(world) -> Ledgers:
    campaign = world.campaign
    standing_member = f.MemberFactory(campaign=campaign, unit=world.county, name="常委甲", rank=Rank.STANDING_COMMITTEE)
    county_leader = f.MemberFactory(campaign=campaign, unit=world.committee, name="县级领导乙", rank=Rank.COUNTY_LEADER)
    standing = f.LeadershipTeamFactory(
        campaign=campaign, unit=world.county, name="县委常委会", kind=TeamKind.STANDING_COMMITTEE
    )
    standing.members.add(standing_member)
    government = f.LeadershipTeamFactory(
        campaign=campaign, unit=world.county, name="县政府领导班子", kind=TeamKind.GOVERNMENT
    )
    # Settled, like the world: the new members and seats are in the ledgers.
    ledger_rollup_full(campaign_id=campaign.pk)
    return Ledgers(
        world=world,
        standing=standing,
        government=government,
        team_in=LeadershipTeam.objects.get(campaign=campaign, unit=world.unit),
        team_out=LeadershipTeam.objects.get(campaign=campaign, unit=world.other_unit),
        standing_member=standing_member,
        county_leader=county_leader,
        member=world.member,
        colleague=Member.objects.get(campaign=campaign, name="李四INSIDE"),
        other_member=world.other_member,
    )


def add_opinion(
    campaign,
    target: Target,
    *,
    kind: str = OpinionKind.SUGGESTION,
    channel: str = Channel.FORUM,
    aspect: str = "",
    received_on: datetime.date | None = None,
    text: str = "",
) -> Opinion:
    return opinion_create(
        actor=None,
        campaign=campaign,
        kind=kind,
        text=text or f"意见建议第{next(_texts)}条",
        channel=channel,
        received_on=received_on or campaign.starts_on + datetime.timedelta(days=3),
        target=target,
        target_text="" if target.obj is not None else "县里某位领导",
        aspect=aspect,
    )


def add_event(campaign, unit: OrgUnit, *, channel: str = Channel.FORUM, **fields: Any) -> SolicitationEvent:
    return event_create(
        actor=None,
        campaign=campaign,
        unit=unit,
        channel=channel,
        title=fields.pop("title", f"座谈会{next(_texts)}"),
        held_on=fields.pop("held_on", campaign.starts_on + datetime.timedelta(days=2)),
        **fields,
    )


def set_list(
    campaign, *, member: Member | None = None, team: LeadershipTeam | None = None, status: str
) -> FeedbackList:
    """A feedback list in a given state, announced as the feedback services would: filed
    under the target's unit when written, announced for that unit and today's."""
    target = member or team
    today = type(target).objects.values_list("unit_id", flat=True).get(pk=target.pk)  # the object may be stale
    feedback_list, _created = FeedbackList.objects.update_or_create(
        target_member=member,
        target_team=team,
        defaults={"campaign": campaign, "status": status},
        create_defaults={"campaign": campaign, "status": status, "ledger_unit_id": today},
    )
    announce_change(campaign_id=campaign.pk, unit_ids={feedback_list.ledger_unit_id, today}, source="feedback")
    return feedback_list


# --- The naive recount ---------------------------------------------------------------

DIMENSIONS = ("category", "kind", "channel", "aspect", "status")


def naive_ledger(campaign) -> dict[tuple[str, int | None, str, str], int]:
    """Every figure the ledger should hold, counted one source row at a time."""
    figures: Counter = Counter()

    def add(scope: str, unit_id: int | None, dimension: str, key: str, n: int = 1) -> None:
        figures[(scope, unit_id, dimension, key)] += n

    units = {unit.pk: unit for unit in OrgUnit.objects.filter(campaign=campaign)}
    members = {m.pk: m for m in Member.objects.filter(campaign=campaign)}
    teams = {t.pk: t for t in LeadershipTeam.objects.filter(campaign=campaign)}
    for opinion in Opinion.objects.filter(campaign=campaign):
        if opinion.merged_into_id is not None:
            continue
        places = [("county", None), (f"unit:{opinion.ledger_unit_id or 'none'}", opinion.ledger_unit_id)]
        if opinion.target_member_id:
            places.append((f"member:{opinion.target_member_id}", members[opinion.target_member_id].unit_id))
        if opinion.target_team_id:
            places.append((f"team:{opinion.target_team_id}", teams[opinion.target_team_id].unit_id))
        for scope, unit_id in places:
            add(scope, unit_id, "total", "all")
            for dimension in DIMENSIONS:
                add(scope, unit_id, dimension, getattr(opinion, dimension))
            # The "opinion_days" source (reports/opinions/days.py).
            add(scope, unit_id, "day", opinion.received_on.isoformat())
    for feedback_list in FeedbackList.objects.filter(campaign=campaign):
        places = [("county", None), (f"unit:{feedback_list.ledger_unit_id}", feedback_list.ledger_unit_id)]
        if feedback_list.target_member_id:
            places.append((f"member:{feedback_list.target_member_id}", members[feedback_list.target_member_id].unit_id))
        if feedback_list.target_team_id:
            places.append((f"team:{feedback_list.target_team_id}", teams[feedback_list.target_team_id].unit_id))
        for scope, unit_id in places:
            add(scope, unit_id, "feedback", "lists_total")
            if feedback_list.status in ("released", "signed"):
                add(scope, unit_id, "feedback", "lists_released")
            if feedback_list.status == "signed":
                add(scope, unit_id, "feedback", "lists_signed")
    for event in SolicitationEvent.objects.filter(campaign=campaign):
        for scope, unit_id in (("county", None), (f"unit:{event.unit_id}", event.unit_id)):
            add(scope, unit_id, "solicitation", "events")
            add(scope, unit_id, "solicitation", "forums", int(event.channel == Channel.FORUM))
            add(scope, unit_id, "solicitation", "forms_issued", event.forms_issued)
            add(scope, unit_id, "solicitation", "forms_returned", event.forms_returned)
            add(scope, unit_id, "solicitation", "suggestion_boxes", event.boxes_set)
    assert all(unit_id is None or unit_id in units for (_s, unit_id, _d, _k) in figures)
    return {key: value for key, value in figures.items() if value}


def stored_ledger(campaign) -> dict[tuple[str, int | None, str, str], int]:
    return {
        (scope, unit_id, dimension, key): value
        # The talk and document figures have their own naive recounts (tests/talks/test_ledger.py,
        # tests/reports/test_document_ledger.py).
        for scope, unit_id, dimension, key, value in LedgerRow.objects.filter(campaign=campaign)
        # The look-back's (training, lookback, orders) count every branch and unit: the
        # recount of its own source checks them (tests/lookback/test_ledger.py).
        .exclude(dimension__in=("talks", "documents", "training", "lookback", "orders"))
        .values_list("scope", "unit_id", "dimension", "key", "value")
    }


def assert_ledger_matches_source(campaign) -> None:
    expected, stored = naive_ledger(campaign), stored_ledger(campaign)
    wrong = {
        key: (stored.get(key, 0), expected.get(key, 0))
        for key in set(expected) | set(stored)
        if stored.get(key, 0) != expected.get(key, 0)
    }
    assert not wrong, f"(stored, recounted) differ: {sorted(wrong.items(), key=str)[:20]}"
