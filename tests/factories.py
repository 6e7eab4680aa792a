"""Factories for the organisation. Later apps add theirs in tests/<app>/factories.py."""

from __future__ import annotations

import datetime

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
