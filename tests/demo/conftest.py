"""The demo county, seeded once for the whole package and rolled back at its end.

Seeding the county takes tens of seconds, so every test that reads the demo as shipped
lives in this package and shares one seed (with the demo logins); each test runs in a
savepoint of its own inside it. Under pytest-xdist the package is one unit of work
(tests/conftest.py), so it is seeded once per run, not once per module.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import translation

from campaign import demo as county_demo
from campaign.models import Campaign


@dataclass
class Seeded:
    campaign: Campaign
    output: str


@pytest.fixture(scope="package")
def seeded(django_db_setup, django_db_blocker) -> Iterator[Seeded]:
    with django_db_blocker.unblock(), transaction.atomic():
        out = StringIO()
        # English output whatever the fixture scope (the package-scoped seed runs before
        # the function-scoped English default of tests/conftest.py).
        with override_settings(CANVASS_DEMO_USERS=False), translation.override("en"):
            call_command("seed_demo", "--with-demo-users", stdout=out)
        yield Seeded(campaign=Campaign.objects.get(slug=county_demo.SLUG), output=out.getvalue())
        transaction.set_rollback(True)
