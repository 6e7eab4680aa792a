"""Fixtures for the opinion pages: the `world`, plus a target of every ledger category
inside the secretary's unit, and opinions to list, sort and merge."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.utils import translation

from campaign.models import LeadershipTeam, Member, Rank, TeamKind
from opinions.models import Opinion, SolicitationEvent
from reports.ledger.rollup import ledger_rollup_full
from tests import factories as f
from tests.conftest import World
from tests.opinions.factories import OpinionFactory, SolicitationEventFactory


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    # The world's users are made with passwords; the real hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def whole_window() -> None:
    """The public box's rate limits count in windows fixed to the clock: a test that
    sends a flood starts well inside one, so that all its requests count together."""
    from opinions import public

    seconds = public.SUBMIT_LIMIT.seconds
    into = time.time() % seconds
    if into > seconds - 30:
        time.sleep(seconds - into + 0.05)


@pytest.fixture
def english(settings) -> Iterator[None]:
    """English pages and messages, whatever the catalogue's default: these tests read
    the English msgids (the Chinese is the translator's, checked by the catalogue tests)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@dataclass
class Targets:
    """One target for each of the six ledger categories, all inside the world's unit,
    and a member and a team outside the secretary's scope."""

    standing_team: LeadershipTeam
    county_team: LeadershipTeam
    department_team: LeadershipTeam
    standing_member: Member
    county_leader: Member
    ordinary_member: Member
    outside_member: Member
    outside_team: LeadershipTeam


@pytest.fixture
def targets(world: World) -> Targets:
    unit = world.unit
    targets = Targets(
        standing_team=f.LeadershipTeamFactory(
            campaign=world.campaign, unit=unit, name="县委常委会INSIDE", kind=TeamKind.STANDING_COMMITTEE
        ),
        county_team=f.LeadershipTeamFactory(
            campaign=world.campaign, unit=unit, name="县政府领导班子INSIDE", kind=TeamKind.GOVERNMENT
        ),
        department_team=LeadershipTeam.objects.get(unit=unit, name="城关镇领导班子INSIDE"),
        standing_member=f.MemberFactory(
            campaign=world.campaign, unit=unit, name="常委甲INSIDE", rank=Rank.STANDING_COMMITTEE
        ),
        county_leader=f.MemberFactory(campaign=world.campaign, unit=unit, name="县级乙INSIDE", rank=Rank.COUNTY_LEADER),
        ordinary_member=Member.objects.get(name="李四INSIDE"),
        outside_member=world.other_member,
        outside_team=LeadershipTeam.objects.get(unit=world.other_unit),
    )
    ledger_rollup_full(campaign_id=world.campaign.pk)  # settled: the new members are in the ledgers
    return targets


@pytest.fixture
def forum(world: World) -> SolicitationEvent:
    return SolicitationEventFactory(campaign=world.campaign, unit=world.unit, title="城关镇老干部座谈会INSIDE")


def opinions_about(member: Member, count: int, **kwargs) -> list[Opinion]:
    return [OpinionFactory(target_member=member, **kwargs) for _ in range(count)]
