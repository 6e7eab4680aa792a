"""The demo county: `manage.py seed_demo` builds the whole county, exactly, once.

Here: what seeding does on an empty database. The tests that read the seeded county
are in tests/demo/, which seeds it once for the whole run.
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError

from campaign import demo
from campaign.models import (
    Campaign,
    Member,
    OrgUnit,
    OrgUnitKind,
    RoleAssignment,
)
from tests.demo.helpers import EXPECTED_RANKS, seed

User = get_user_model()

# --- On an empty database -------------------------------------------------------


def test_seed_with_debug_off_builds_the_county_without_demo_logins(db):
    output = seed("--if-empty", logins_setting=False)

    campaign = Campaign.objects.get(slug="demo")
    assert campaign.is_public, "the demo shows the public box: its campaign is opened on purpose"
    assert Counter(Member.objects.filter(campaign=campaign).values_list("rank", flat=True)) == EXPECTED_RANKS
    assert OrgUnit.objects.filter(campaign=campaign, kind=OrgUnitKind.BRANCH).count() == 287
    assert not User.objects.exists()
    assert not RoleAssignment.objects.exists()
    assert "No demo logins were created" in output
    assert demo.DEMO_PASSWORD not in output.split("--with-demo-users")[0]


@pytest.mark.parametrize(
    ("args", "setting"),
    [(("--with-demo-users",), False), ((), True)],
    ids=["flag", "debug-setting"],
)
def test_taken_demo_login_name_stops_the_seed_before_anything_is_written(db, args, setting):
    User.objects.create_user(username="admin", password="someone-else's-2026")

    with pytest.raises(CommandError, match="admin"):
        seed(*args, logins_setting=setting)

    assert not Campaign.objects.exists()
    assert not OrgUnit.objects.exists()
    assert not Member.objects.exists()


# --- --reset (make demo) ----------------------------------------------------------------


def test_reset_refuses_a_database_with_a_campaign_of_its_own_and_deletes_nothing(db):
    Campaign.objects.create(
        slug="real", name="某县第二批", county="某县", batch=2, starts_on="2026-01-01", ends_on="2026-12-31"
    )
    User.objects.create_user(username="clerk", password="someone-else's-2026")

    with pytest.raises(CommandError, match="某县第二批"):
        seed("--reset", logins_setting=True)

    assert Campaign.objects.filter(slug="real").exists()
    assert User.objects.filter(username="clerk").exists()


def test_reset_empties_the_database_then_seeds_again(transactional_db, monkeypatch):
    # Committed for real, as `make demo` runs it: PostgreSQL truncates no table with
    # constraint checks pending in an open transaction.
    # A seed already there (its campaign) and a user made by hand: both go, then the seed runs.
    Campaign.objects.create(
        slug=demo.SLUG, name="old", county="某县", batch=1, starts_on="2026-01-01", ends_on="2026-12-31"
    )
    User.objects.create_user(username="clerk", password="someone-else's-2026")
    seeded = []

    def fake_seed(**kwargs):
        seeded.append((Campaign.objects.count(), User.objects.count()))
        return demo.DemoCounty(
            campaign=Campaign.objects.create(
                slug=demo.SLUG, name="new", county="某县", batch=1, starts_on="2026-01-01", ends_on="2026-12-31"
            )
        )

    monkeypatch.setattr(demo, "demo_county_create", fake_seed)
    output = seed("--reset", logins_setting=False)

    assert seeded == [(0, 0)]
    assert Campaign.objects.get().name == "new"
    assert "Emptied" in output
