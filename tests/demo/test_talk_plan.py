"""The demo county's talk plan and quota progress: the plan lists exactly the missing
pairs that a direct computation from the demo data gives, and the county page's quota
progress equals a recount. Seeding takes a while: one seed per module, rolled back at
the end."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from campaign.models import Member
from talks.models import Talk
from talks.plan import talk_plan
from tests.talks.progress_helpers import (
    direct_cards,
    direct_missing,
    direct_required,
    direct_standing,
    plan_pairs,
)

User = get_user_model()


@pytest.fixture
def campaign(seeded):
    return seeded.campaign


pytestmark = pytest.mark.django_db


@pytest.fixture
def office(campaign) -> Client:
    client = Client()
    client.force_login(User.objects.get(username="office"), backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_the_plan_lists_exactly_the_missing_pairs_of_the_demo_county(campaign) -> None:
    expected = direct_missing(campaign)
    required = direct_required(campaign)
    plan = talk_plan(campaign)
    assert plan_pairs(plan) == expected
    assert 0 < len(expected) < len(required) / 4, "most but not all required pairs were talked"
    assert set(expected.values()) == {"team", "charge"}
    assert (plan.required, plan.done) == (len(required), len(required) - len(expected))


def test_the_members_below_quota_are_exactly_those_a_recount_finds(campaign) -> None:
    standing = direct_standing(campaign)
    expected = {pk: s.quota - s.held for pk, s in standing.items() if not s.meets}
    plan = talk_plan(campaign)
    assert {item.member.pk: item.lacking for item in plan.shortfalls} == expected
    assert 0 < len(expected) < len(standing) / 4, "most but not all members meet their quota"


def test_the_county_pages_quota_progress_equals_a_recount(campaign, office) -> None:
    response = office.get(reverse("reports:talks_county"))
    assert response.status_code == 200
    figures = response.context["figures"]
    standing = direct_standing(campaign)
    assert figures.members_total == Member.objects.filter(campaign=campaign).count() == len(standing)
    assert figures.members_meeting_quota == sum(s.meets for s in standing.values())
    assert figures.talks == sum(s.held for s in standing.values())
    assert figures.talks_members == sum(s.with_members for s in standing.values())
    assert figures.talks_public == sum(s.with_public for s in standing.values())
    assert figures.talks_required == sum(s.quota for s in standing.values())
    required = direct_required(campaign)
    assert figures.required_pairs == len(required)
    assert figures.required_pairs_missing == len(direct_missing(campaign))
    cards = direct_cards(Talk.objects.filter(campaign=campaign))
    assert (figures.cards, figures.cards_reviewed, figures.cards_awaiting, figures.cards_returned) == (
        cards["cards"],
        cards["reviewed"],
        cards["awaiting"],
        cards["returned"],
    )
    assert figures.cards_flagged == cards["flagged"] > 0
    totals = response.context["totals"]
    assert (totals.members_meeting_quota, totals.members_total) == (figures.members_meeting_quota, len(standing))


def test_the_plan_page_shows_the_demo_countys_missing_pairs(campaign, office) -> None:
    response = office.get(reverse("talks:plan"))
    assert response.status_code == 200
    plan = response.context["plan"]
    assert plan.missing == len(direct_missing(campaign))
    assert response.context["page"].paginator.count == plan.missing
    first = response.context["page"].object_list[0]
    assert first.first.name in response.content.decode()
