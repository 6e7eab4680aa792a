"""The demo county, seeded once for the whole package and rolled back at its end.

Seeding the county takes tens of seconds, so every test that reads the demo as shipped
lives in this package and shares one seed (with the demo logins); each test runs in a
savepoint of its own inside it. Under pytest-xdist the package is one unit of work
(tests/conftest.py), so it is seeded once per run, not once per module.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
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
    errors: str = ""
    # What was logged while the command ran (INFO and up): nothing but its own lines
    # may reach the terminal.
    logged: list[logging.LogRecord] = field(default_factory=list)


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="package")
def seeded(django_db_setup, django_db_blocker) -> Iterator[Seeded]:
    with django_db_blocker.unblock(), transaction.atomic():
        out, err, kept = StringIO(), StringIO(), _Kept()
        root = logging.getLogger()
        level = root.level
        root.addHandler(kept)
        root.setLevel(logging.INFO)
        # English output whatever the fixture scope (the package-scoped seed runs before
        # the function-scoped English default of tests/conftest.py).
        try:
            with override_settings(CANVASS_DEMO_USERS=False), translation.override("en"):
                call_command("seed_demo", "--with-demo-users", stdout=out, stderr=err)
        finally:
            root.removeHandler(kept)
            root.setLevel(level)
        campaign = Campaign.objects.get(slug=county_demo.SLUG)
        yield Seeded(campaign=campaign, output=out.getvalue(), errors=err.getvalue(), logged=kept.records)
        transaction.set_rollback(True)
