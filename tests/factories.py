"""Factories for the organisation. Later apps add theirs in tests/<app>/factories.py."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterable, Sequence
from typing import Any

import factory
from django.contrib.auth import get_user_model

from campaign.models import (
    Campaign,
    LeadershipTeam,
    Member,
    OrgUnit,
    OrgUnitKind,
    Rank,
    RoleAssignment,
    RoleKind,
    Stage,
    StageKind,
    Step,
    StepKind,
    Supervisor,
    SupervisoryLevel,
    SupervisoryTeam,
    TeamKind,
)

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    slug = factory.Sequence(lambda n: f"campaign-{n}")
    name = factory.Sequence(lambda n: f"第{n}批先进性教育活动")
    county = "示范县"
    starts_on = datetime.date(2026, 1, 10)
    ends_on = datetime.date(2026, 6, 30)
    # As the campaigns that existed before the flag: on the public box. A campaign
    # created through the admin starts closed (tests/campaign/test_campaign_public.py).
    is_public = True


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit

    campaign = factory.SubFactory(CampaignFactory)
    kind = OrgUnitKind.UNIT
    code = factory.Sequence(lambda n: f"U{n:04d}")
    name = factory.Sequence(lambda n: f"单位{n}")


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    campaign = factory.SelfAttribute("unit.campaign")
    unit = factory.SubFactory(OrgUnitFactory)
    number = factory.Sequence(lambda n: f"M{n:06d}")
    name = factory.Sequence(lambda n: f"党员{n}")
    rank = Rank.ORDINARY


class LeadershipTeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LeadershipTeam

    campaign = factory.SelfAttribute("unit.campaign")
    unit = factory.SubFactory(OrgUnitFactory)
    code = factory.Sequence(lambda n: f"T{n:04d}")
    name = factory.Sequence(lambda n: f"领导班子{n}")
    kind = TeamKind.DEPARTMENT


class SupervisoryTeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupervisoryTeam

    campaign = factory.SubFactory(CampaignFactory)
    name = factory.Sequence(lambda n: f"第{n}督导组")
    level = SupervisoryLevel.COUNTY


class SupervisorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supervisor

    team = factory.SubFactory(SupervisoryTeamFactory)
    name = factory.Sequence(lambda n: f"督导员{n}")


class RoleAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleAssignment

    user = factory.SubFactory(UserFactory)
    campaign = factory.SubFactory(CampaignFactory)
    kind = RoleKind.OFFICE


def add_stages(campaign: Campaign) -> None:
    """The three stages, analysis and evaluation current with its seven steps."""
    start = campaign.starts_on
    spans = {StageKind.LEARNING: (0, 40), StageKind.ANALYSIS: (41, 80), StageKind.RECTIFICATION: (81, 150)}
    for order, (kind, (a, b)) in enumerate(spans.items(), start=1):
        stage = Stage.objects.create(
            campaign=campaign,
            kind=kind,
            order=order,
            starts_on=start + datetime.timedelta(days=a),
            ends_on=start + datetime.timedelta(days=b),
            is_current=kind == StageKind.ANALYSIS,
        )
        if kind == StageKind.ANALYSIS:
            for i, step in enumerate(StepKind.values, start=1):
                day = stage.starts_on + datetime.timedelta(days=(i - 1) * 5)
                Step.objects.create(
                    stage=stage, kind=step, order=i, starts_on=day, ends_on=day + datetime.timedelta(days=5)
                )


# --- Bulk builders ---------------------------------------------------------------------
# The "many rows" sides of the bounded-query tests: hundreds of rows written in a few
# statements instead of one save (with its history row and signals) each. The rows are
# those the services or the factories above would write; no history is kept, since no
# such test reads it; and nothing is announced to the ledger, so a test that reads the
# ledger rolls it up once afterwards (``reports.ledger.rollup.ledger_rollup_full``).

_bulk_serial = itertools.count(1)


def bulk_units(campaign: Campaign, parents: Sequence[OrgUnit], *, kind: str = OrgUnitKind.UNIT) -> list[OrgUnit]:
    """One new organisation of ``kind`` under each of ``parents``, with the path and
    depth ``OrgUnit.save()`` gives it (they need the new ids)."""
    units = []
    for parent in parents:
        n = next(_bulk_serial)
        units.append(OrgUnit(campaign=campaign, parent=parent, kind=kind, code=f"B{n:06d}", name=f"批量单位{n}"))
    created = OrgUnit.objects.bulk_create(units)
    for unit in created:
        unit.path = f"{unit.parent.path}{unit.pk:08d}/"
        unit.depth = unit.path.count("/") - 2
    OrgUnit.objects.bulk_update(created, ["path", "depth"])
    return created


def bulk_members(campaign: Campaign, rows: Iterable[dict[str, Any]]) -> list[Member]:
    """A member for each row of fields (``unit`` at least; ``branch``, ``rank``,
    ``name``...), with a number of its own, in the rows' order."""
    members = []
    for fields in rows:
        n = next(_bulk_serial)
        members.append(Member(campaign=campaign, **{"number": f"B{n:07d}", "name": f"党员B{n}", **fields}))
    return Member.objects.bulk_create(members, batch_size=500)


def bulk_teams(campaign: Campaign, rows: Iterable[dict[str, Any]]) -> list[LeadershipTeam]:
    """A leadership team for each row of fields (``unit``; ``head``, ``kind``, and
    ``members``: its seats, written to the through table)."""
    teams, seats = [], []
    for fields in rows:
        fields = dict(fields)
        seats.append(fields.pop("members", ()))
        n = next(_bulk_serial)
        fields.setdefault("kind", TeamKind.DEPARTMENT)
        teams.append(LeadershipTeam(campaign=campaign, **{"code": f"BT{n:06d}", "name": f"领导班子B{n}", **fields}))
    created = LeadershipTeam.objects.bulk_create(teams)
    through = LeadershipTeam.members.through
    through.objects.bulk_create(
        [
            through(leadershipteam_id=team.pk, member_id=member.pk)
            for team, members in zip(created, seats, strict=True)
            for member in members
        ]
    )
    return created


def bulk_seat(team: LeadershipTeam, members: Iterable[Member]) -> None:
    """Seat members on an existing team (``team.members.add`` without its signals)."""
    through = LeadershipTeam.members.through
    through.objects.bulk_create([through(leadershipteam_id=team.pk, member_id=m.pk) for m in members])


def bulk_in_charge(leader: Member, units: Iterable[OrgUnit]) -> None:
    """Put units in a leading cadre's charge (``leader.in_charge_of.add``, in bulk)."""
    through = Member.in_charge_of.through
    through.objects.bulk_create([through(member_id=leader.pk, orgunit_id=unit.pk) for unit in units])


def bulk_responsible_leaders(pairs: Iterable[tuple[OrgUnit, Member]]) -> None:
    """Make each member the responsible leader of his or her unit."""
    units = []
    for unit, leader in pairs:
        unit.responsible_leader = leader
        units.append(unit)
    OrgUnit.objects.bulk_update(units, ["responsible_leader"])
