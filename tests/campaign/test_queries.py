"""A page runs the same number of queries with 5 rows as with 200 (DESIGN §5)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaign.models import LeadershipTeam, Member, OrgUnit, OrgUnitKind, Rank, Supervisor, SupervisoryTeam, TeamKind

SMALL, LARGE = 5, 200


@pytest.fixture(autouse=True)
def fast_passwords(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _units(parent: OrgUnit, kind: str, count: int, start: int, label: str) -> list[OrgUnit]:
    """Units in bulk: the path is what ``save()`` would give them."""
    units = OrgUnit.objects.bulk_create(
        OrgUnit(
            campaign_id=parent.campaign_id,
            parent=parent,
            kind=kind,
            code=f"{label}{i:04d}",
            name=f"{label}{i}",
            depth=parent.depth + 1,
        )
        for i in range(start, start + count)
    )
    for unit in units:
        unit.path = f"{parent.path}{unit.pk:08d}/"
    OrgUnit.objects.bulk_update(units, ["path"])
    return units


def grow(world, count: int, start: int) -> None:
    """``count`` more of everything the pages list, inside the secretary's unit (and,
    for the office's tree, units beside it)."""
    campaign, unit = world.campaign, world.unit
    _units(world.committee, OrgUnitKind.UNIT, count, start, "QU")
    branches = _units(unit, OrgUnitKind.BRANCH, count, start, "QB")
    members = Member.objects.bulk_create(
        Member(
            campaign=campaign,
            unit=unit,
            branch=branch,
            number=f"QN{i:05d}",
            name=f"批量党员{i}",
            rank=Rank.SECTION_CADRE if i % 3 else Rank.ORDINARY,
            position="干部",
        )
        for i, branch in zip(range(start, start + count), branches, strict=True)
    )
    teams = LeadershipTeam.objects.bulk_create(
        LeadershipTeam(
            campaign=campaign, unit=unit, code=f"QT{i:04d}", name=f"批量班子{i}", kind=TeamKind.DEPARTMENT, head=member
        )
        for i, member in zip(range(start, start + count), members, strict=True)
    )
    through = LeadershipTeam.members.through
    team_in = LeadershipTeam.objects.get(campaign=campaign, unit=unit, name__endswith="INSIDE")
    through.objects.bulk_create(
        [through(leadershipteam=team, member=member) for team, member in zip(teams, members, strict=True)]
        + [through(leadershipteam=team_in, member=member) for member in members]
    )
    supervisory = SupervisoryTeam.objects.bulk_create(
        SupervisoryTeam(campaign=campaign, name=f"批量督导组{i}") for i in range(start, start + count)
    )
    SupervisoryTeam.units.through.objects.bulk_create(
        SupervisoryTeam.units.through(supervisoryteam=team, orgunit=unit) for team in supervisory
    )
    Supervisor.objects.bulk_create(
        Supervisor(team=team, name=f"督导员{n}", is_leader=n == 0) for team in supervisory for n in range(2)
    )


def _team_in(world) -> LeadershipTeam:
    return LeadershipTeam.objects.get(campaign=world.campaign, unit=world.unit, name__endswith="INSIDE")


PAGES: dict[str, Callable] = {
    "home": lambda world: reverse("campaign:home"),
    "unit_list": lambda world: reverse("campaign:unit_list"),
    "member_list": lambda world: reverse("campaign:member_list"),
    "team_list": lambda world: reverse("campaign:team_list"),
    "supervisory_team_list": lambda world: reverse("campaign:supervisory_team_list"),
    "unit_detail": lambda world: reverse("campaign:unit_detail", args=[world.unit.pk]),
    "team_detail": lambda world: reverse("campaign:team_detail", args=[_team_in(world).pk]),
}


def _queries(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in context.captured_queries]


@pytest.mark.parametrize("role", ["office", "secretary"])
@pytest.mark.parametrize("page", sorted(PAGES))
def test_page_runs_as_many_queries_with_200_rows_as_with_5(world, login, page, role) -> None:
    client = login(world.users[role])
    url = PAGES[page](world)
    client.get(url)  # the session and other once-per-visit reads out of the way

    grow(world, SMALL, 0)
    small = _queries(client, url)
    grow(world, LARGE - SMALL, SMALL)
    large = _queries(client, url)

    assert len(large) == len(small), f"{len(small)} queries with {SMALL} rows, {len(large)} with {LARGE}:\n" + (
        "\n".join(large)
    )


def test_grown_rows_are_on_the_pages(world, login) -> None:
    # The counts above mean something only if the pages show the rows they count.
    grow(world, SMALL, 0)
    client = login(world.users["secretary"])
    assert "批量党员3" in client.get(reverse("campaign:member_list")).content.decode()
    assert "批量班子3" in client.get(reverse("campaign:team_list")).content.decode()
    assert "批量督导组3" in client.get(reverse("campaign:supervisory_team_list")).content.decode()
    assert "QB3" in client.get(reverse("campaign:unit_list")).content.decode()
    assert "批量党员3" in client.get(reverse("campaign:team_detail", args=[_team_in(world).pk])).content.decode()
    assert "QB3" in client.get(reverse("campaign:unit_detail", args=[world.unit.pk])).content.decode()
    office = login(world.users["office"])
    # The home page shows the office its work (tests/campaign/test_home.py), not the tree.
    assert "QU3" in office.get(reverse("campaign:unit_list")).content.decode()
