"""Shared fixtures: a small county with a user for every role, inside and outside scope."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

from campaign.models import Campaign, Member, OrgUnit, OrgUnitKind, Rank, RoleKind, SupervisoryLevel, TeamKind
from reports.ledger.rollup import ledger_rollup_full
from tests import factories as f

# live_server runs Django's sync ORM from Playwright's event loop thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# In CI (.ci/run sets CANVASS_REQUIRE_SERVICES=1) nothing may skip for want of a service.
REQUIRE_SERVICES = os.environ.get("CANVASS_REQUIRE_SERVICES") == "1"
CHROMIUM = "/usr/bin/chromium"


def need(condition: bool, reason: str) -> None:
    """Skip on a developer's bare machine, fail in CI."""
    if condition:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"CI requires this: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    need(bool(shutil.which(CHROMIUM) or os.path.exists(CHROMIUM)), "Debian's chromium is not installed")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """A fast hasher for every test: the production one costs ~0.5 s a password.
    Tests of the password rules still go through the validators, not the hasher; the
    real hasher stays second so that passwords hashed outside a test still verify."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


@pytest.fixture(autouse=True)
def _english_unless_marked(request, settings) -> Iterator[None]:
    """Tests read the English msgids, whatever the catalogue says: pages fall back to
    English and messages are made in English. Tests of the real fallback (Chinese) are
    marked ``zh_default``; tests of Chinese text ask for it with Accept-Language."""
    if request.node.get_closest_marker("zh_default"):
        yield
        return
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@dataclass
class World:
    """Two party committees, each with a unit and a branch: "inside" is what the
    scoped roles may see, "outside" is what they must not."""

    campaign: Campaign
    county: OrgUnit
    committee: OrgUnit
    unit: OrgUnit
    branch: OrgUnit
    other_committee: OrgUnit
    other_unit: OrgUnit
    other_branch: OrgUnit
    member: Member
    other_member: Member
    users: dict


@pytest.fixture
def world(db) -> World:
    campaign = f.CampaignFactory(slug="demo", name="示范县第一批")
    f.add_stages(campaign)
    unit_f = f.OrgUnitFactory
    county = unit_f(campaign=campaign, kind=OrgUnitKind.COUNTY_COMMITTEE, code="C", name="中共示范县委")
    committee = unit_f(campaign=campaign, kind=OrgUnitKind.PARTY_COMMITTEE, parent=county, name="城关镇党委")
    unit = unit_f(campaign=campaign, parent=committee, name="城关镇政府INSIDE")
    branch = unit_f(campaign=campaign, kind=OrgUnitKind.BRANCH, parent=unit, name="机关支部INSIDE")
    other_committee = unit_f(campaign=campaign, kind=OrgUnitKind.PARTY_COMMITTEE, parent=county, name="教育系统党委")
    other_unit = unit_f(campaign=campaign, parent=other_committee, name="第一中学OUTSIDE")
    other_branch = unit_f(campaign=campaign, kind=OrgUnitKind.BRANCH, parent=other_unit, name="教师支部OUTSIDE")

    users = {
        "admin": f.UserFactory(username="admin", is_superuser=True, is_staff=True),
        "office": f.UserFactory(username="office"),
        "supervisor": f.UserFactory(username="supervisor"),
        "secretary": f.UserFactory(username="secretary"),
        "member": f.UserFactory(username="member"),
        "anonymous": None,
    }
    f.RoleAssignmentFactory(user=users["office"], campaign=campaign, kind=RoleKind.OFFICE)
    f.RoleAssignmentFactory(user=users["secretary"], campaign=campaign, kind=RoleKind.SECRETARY, unit=unit)
    team = f.SupervisoryTeamFactory(campaign=campaign, name="县第一督导组", level=SupervisoryLevel.COUNTY)
    team.units.add(unit)
    f.SupervisorFactory(team=team, name="督导组长", is_leader=True, user=users["supervisor"])
    other_team = f.SupervisoryTeamFactory(campaign=campaign, name="县第二督导组OUTSIDE")
    other_team.units.add(other_unit)

    member = f.MemberFactory(
        campaign=campaign, unit=unit, branch=branch, name="张三INSIDE", user=users["member"], rank=Rank.ORDINARY
    )
    colleague = f.MemberFactory(campaign=campaign, unit=unit, branch=branch, name="李四INSIDE", rank=Rank.SECTION_CADRE)
    other_member = f.MemberFactory(campaign=campaign, unit=other_unit, branch=other_branch, name="王五OUTSIDE")
    team_in = f.LeadershipTeamFactory(campaign=campaign, unit=unit, name="城关镇领导班子INSIDE", head=colleague)
    team_in.members.add(colleague, member)
    team_out = f.LeadershipTeamFactory(
        campaign=campaign, unit=other_unit, name="第一中学领导班子OUTSIDE", kind=TeamKind.DEPARTMENT, head=other_member
    )
    team_out.members.add(other_member)
    # The world starts settled: its ledgers take in what building it announced.
    ledger_rollup_full(campaign_id=campaign.pk)
    return World(
        campaign=campaign,
        county=county,
        committee=committee,
        unit=unit,
        branch=branch,
        other_committee=other_committee,
        other_unit=other_unit,
        other_branch=other_branch,
        member=member,
        other_member=other_member,
        users=users,
    )


@pytest.fixture
def login(client):
    """Log the client in as a user (or leave it anonymous for None)."""

    def _login(user):
        client.logout()
        if user is not None:
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return _login


User = get_user_model()
