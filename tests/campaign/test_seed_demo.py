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
