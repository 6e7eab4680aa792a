"""Shared fixtures: a small county with a user for every role, inside and outside scope."""

from __future__ import annotations

import copy
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django.utils import translation

from campaign.models import Campaign, Member, OrgUnit, OrgUnitKind, Rank, RoleKind, SupervisoryLevel, TeamKind
from reports.ledger.rollup import ledger_rollup_full
from tests import factories as f

# live_server runs Django's sync ORM from Playwright's event loop thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@receiver(connection_created)
def _commits_without_waiting_for_the_disk(sender, connection, **kwargs) -> None:
    """A test database need not survive a crash of the server: on PostgreSQL a commit does
    not wait for its WAL to reach the disk (the transactional tests, the live server's and
    the worker tests' commits). Set per connection, for the tests only; what a commit
    guarantees to other connections (visibility, locks, ordering) is unchanged."""
    if connection.vendor == "postgresql" and not os.environ.get("CANVASS_TEST_SYNC_COMMITS"):
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")


def _flush_by_delete() -> None:
    """A transactional test (and a live server's) ends with Django's flush. On PostgreSQL
    that is one TRUNCATE of all ~130 tables, which makes new files for every table and
    index: ~1-3 s a test, 8 s on a busy machine, for tables holding a few rows. Under the
    tests it deletes the rows instead, in one transaction (Django's foreign keys are
    checked at its commit), which leaves the same empty tables. A flush that resets the
    sequences (django_db_reset_sequences) still truncates. Not for production: only this
    test process's class is changed."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or not tables:
            return truncate(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        return [f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))};" for table in tables]

    DatabaseOperations.sql_flush = sql_flush


if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
    _flush_by_delete()


# In CI (.ci/run sets CANVASS_REQUIRE_SERVICES=1) nothing may skip for want of a service.
REQUIRE_SERVICES = os.environ.get("CANVASS_REQUIRE_SERVICES") == "1"
CHROMIUM = "/usr/bin/chromium"


# Property tests: a quick run by default (a developer's loop), the thorough one in CI
# (.ci/run sets CANVASS_PROPERTY_PROFILE=thorough).
THOROUGH = os.environ.get("CANVASS_PROPERTY_PROFILE", "quick") == "thorough"


def property_examples(thorough: int) -> int:
    """How many examples a property test tries: all of them in CI, a quarter otherwise."""
    return thorough if THOROUGH else max(10, thorough // 4)


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


@pytest.fixture(autouse=True, scope="session")
def _media_of_this_worker(tmp_path_factory) -> None:
    """Uploads and export files of tests that do not choose a folder go to one of this
    test process's own, never into the project or another xdist worker's files."""
    from django.conf import settings as django_settings

    django_settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing_for_shared_fixtures() -> None:
    """The fast hasher below, for the worlds built once per module too (a module-scoped
    fixture runs before the function-scoped one: 5 users a module at ~0.4 s each)."""
    from django.conf import settings as django_settings

    django_settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


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
    # Tests pick a page's language with Accept-Language (campaign/language.py: the
    # browser's is followed only where this allows it; tests/campaign/test_language.py
    # turns it off to test what users get).
    settings.LANGUAGE_FOLLOWS_BROWSER = True
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


def build_world() -> World:
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


# Fixtures that make a test commit for real: a module holding such a test builds its
# `world` per test, since an outer transaction held open for the module would hide the
# world from a live server's thread and be flushed by the test's teardown.
TRANSACTIONAL_FIXTURES = {
    "transactional_db",
    "live_server",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
}
_PER_TEST_WORLD: set[str] = set()


def is_transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or marker.kwargs.get("serialized_rollback")):
        return True
    return bool(TRANSACTIONAL_FIXTURES & set(getattr(item, "fixturenames", ())))


# The suite runs on both cores with pytest-xdist (`make test`), a file at a time to each
# worker so that a module's `world` is built once; tests/demo/ is one unit, since its
# package shares one seeded county. The slowest units go first so none is left alone at
# the end.
SHARED_SCOPES = {
    "tests/demo/": "demo",
    # Both start a Celery worker inside the test process on the same Redis database
    # (CI's CELERY_BROKER_URL): side by side, each would take the other's tasks.
    "tests/test_celery_worker.py": "redis-worker",
    "tests/reports/test_worker.py": "redis-worker",
}
# A file long enough to hold up the end of the run alone is shared out test by test.
# The journeys too: twelve tests of a live server each, independent of one another.
SPLIT_FILES = ("tests/test_permission_matrix.py", "tests/proof/test_journeys.py")
# The slowest units first, longest first (a few tests each, but tens of seconds): a
# worker that starts one near the end of the run leaves the other idle. The rest follow
# in collection order; the permission matrix's single tests fill the end.
FIRST = (
    "tests/demo/",
    "tests/browser/test_demo_journeys.py",
    "tests/meetings/test_scale.py",
    "tests/reports/test_property.py",
    "tests/campaign/test_seed_demo.py",
    "tests/test_migrations.py",
    "tests/test_settings.py",
    "tests/rectification/test_ledger.py",
    "tests/meetings/test_appraisal_ledger.py",
    "tests/lookback/test_ledger.py",
    "tests/meetings/test_ledger.py",
    "tests/talks/test_ledger.py",
    "tests/talks/test_progress_pages.py",
    "tests/test_sqlite_concurrency.py",
    "tests/meetings/test_appraisal_property.py",
    "tests/browser/",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _PER_TEST_WORLD.update(str(item.path) for item in items if is_transactional(item))
    rank = {prefix: i for i, prefix in enumerate(FIRST)}
    items.sort(key=lambda item: next((rank[p] for p in FIRST if item.nodeid.startswith(p)), len(FIRST)))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):  # pragma: no cover (xdist's controller)
    from xdist.scheduler import LoadFileScheduling

    # pytest-xdist (3.6+) would sort the units by their number of tests, most first: the
    # few long tests of FIRST would then start last and leave one worker alone at the end.
    config.option.loadscopereorder = False

    class FileScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            shared = next((name for prefix, name in SHARED_SCOPES.items() if nodeid.startswith(prefix)), None)
            if shared:
                return shared
            if nodeid.startswith(SPLIT_FILES):
                return nodeid  # a test at a time; each worker keeps the module's world while it can
            return super()._split_scope(nodeid)

    return FileScheduling(config, log)


@pytest.fixture(scope="module")
def _module_world(request, django_db_setup, django_db_blocker) -> Iterator[World | None]:
    """The world, built once for a module inside a transaction rolled back at its end;
    each test runs in a savepoint inside it (pytest-django's `db`), as Django's
    ``TestCase.setUpTestData`` does for a class."""
    if str(request.path) in _PER_TEST_WORLD:
        yield None
        return
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture
def world(db, _module_world: World | None) -> World:
    """A fresh copy of the module's world for each test (its rows are rolled back after
    every test; the copy keeps one test's changes to the Python objects from the next)."""
    if _module_world is None:
        return build_world()
    return copy.deepcopy(_module_world)


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


@pytest.fixture(autouse=True)
def _no_cached_pages() -> Iterator[None]:
    """Pages keep parts in the cache under keys made of the ledger's state (the general
    ledger: reports/opinions/views.py); a test that writes ledger rows directly, or
    whose rolled-back database gives the next test the same ids, must not be shown a
    page cached by another."""
    from django.core.cache import cache

    from opinions.public import recent

    cache.clear()
    recent.clear()  # the box's copy of campaigns and targets (opinions/public.py)
    yield
    cache.clear()
    recent.clear()
