"""Helpers for the rectification tests: a secretary of the outside unit, opinions about
members of a unit, a problem made by hand, a valid evidence file."""

from __future__ import annotations

from typing import Any

from campaign.models import OrgUnit, RoleKind
from opinions.models import Opinion
from rectification import services
from rectification.models import Problem
from tests import factories as f
from tests.conftest import World
from tests.opinions.factories import OpinionFactory

PDF = b"%PDF-1.4\n%test evidence\n%%EOF\n"


def pdf(name: str = "整改报告.pdf") -> services.Upload:
    return services.Upload(name=name, content=PDF)


def secretary_of(world: World, unit: OrgUnit, username: str = "other_secretary") -> Any:
    user = f.UserFactory(username=username)
    f.RoleAssignmentFactory(user=user, campaign=world.campaign, kind=RoleKind.SECRETARY, unit=unit)
    return user


def opinions_about(world: World, n: int, *, inside: bool = True, **fields: Any) -> list[Opinion]:
    member = world.member if inside else world.other_member
    return [OpinionFactory(target_member=member, **fields) for _ in range(n)]


def details(title: str = "深入基层不够", **fields: Any) -> services.Details:
    return services.Details(title=title, text=fields.pop("text", "班子成员下基层调研次数偏少。"), **fields)


def problem_by_hand(world: World, *, user: Any = None, unit: OrgUnit | None = None, **fields: Any) -> Problem:
    return services.problem_create(
        user=user or world.users["office"],
        campaign=world.campaign,
        unit=unit or world.unit,
        details=details(**fields),
    )
