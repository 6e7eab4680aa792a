"""What the demo tests share: the seed's rank counts, a seed with English output, and
a user's view through the scoping module."""

from __future__ import annotations

from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

from campaign.models import Rank
from campaign.scoping import scope_for

User = get_user_model()

EXPECTED_RANKS = {
    Rank.STANDING_COMMITTEE: 11,
    Rank.COUNTY_LEADER: 40,
    Rank.SECTION_CADRE: 241,
    Rank.ORDINARY: 2308,
}


def seed(*args: str, logins_setting: bool = False) -> str:
    out = StringIO()
    # English output whatever the fixture scope (the package-scoped seed runs before the
    # function-scoped English default of tests/conftest.py).
    with override_settings(CANVASS_DEMO_USERS=logins_setting), translation.override("en"):
        call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def fresh_user(username: str):
    # A fresh instance: scope_for caches the scope on the user object.
    return User.objects.get(username=username)


def visible(username: str, queryset):
    return set(scope_for(fresh_user(username)).filter(queryset).values_list("pk", flat=True))
