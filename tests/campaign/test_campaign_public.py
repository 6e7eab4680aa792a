"""A campaign reaches the public box only when its office opens it on purpose, and the
office staff who create a campaign can manage it."""

from __future__ import annotations

import datetime
import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from campaign.models import Campaign, RoleAssignment, RoleKind
from campaign.scoping import scope_for
from tests import factories as f
from tests.conftest import World
from tests.form_once import fresh


def today() -> datetime.date:
    return timezone.localdate()


def box_index(client) -> str:
    client.logout()
    return client.get(reverse("public:index")).content.decode()


def staff_office(world: World):
    office = world.users["office"]
    office.is_staff = True
    office.save(update_fields=["is_staff"])
    office.user_permissions.add(*Permission.objects.filter(content_type__app_label="campaign"))
    return office


def admin_add_campaign(client, **changes: str):
    data = {
        "slug": "spring",
        "name": "春季新活动",
        "county": "示范县",
        "batch": "1",
        "starts_on": str(today() - datetime.timedelta(days=1)),
        "ends_on": str(today() + datetime.timedelta(days=30)),
        "is_active": "on",
        "talk_quota_member": "5",
        "talk_quota_leader": "10",
        "doc_min_words_leader": "5000",
        "doc_min_words_member": "3000",
        "feedback_threshold": "3",
        "login_record_days": "90",
        "stages-TOTAL_FORMS": "0",
        "stages-INITIAL_FORMS": "0",
        "stages-MIN_NUM_FORMS": "0",
        "stages-MAX_NUM_FORMS": "1000",
        **fresh(),  # the admin's add form carries a one-time token (core.once)
        **changes,
    }
    return client.post(reverse("admin:campaign_campaign_add"), data)


@pytest.mark.django_db
def test_a_new_campaign_starts_closed_to_the_public():
    campaign = Campaign.objects.create(slug="fresh", name="新活动", county="示范县", starts_on=today(), ends_on=today())
    assert campaign.is_public is False


def test_office_that_creates_a_campaign_in_the_admin_manages_it_and_it_is_not_on_the_box(
    client, login, world: World
) -> None:
    office = staff_office(world)
    login(office)
    response = admin_add_campaign(client)
    assert response.status_code == 302, response.content.decode()[:2000]
    campaign = Campaign.objects.get(slug="spring")
    assert not campaign.is_public
    assert RoleAssignment.objects.filter(user=office, campaign=campaign, kind=RoleKind.OFFICE).exists()
    assert scope_for(type(office).objects.get(pk=office.pk)).manages(campaign.pk)
    # The creator finds it in the admin and on its page, with the button to open it.
    assert client.get(reverse("admin:campaign_campaign_change", args=[campaign.pk])).status_code == 200
    page = client.get(reverse("campaign:campaign_detail", args=[campaign.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "Closed to the public" in page.content.decode()
    assert "春季新活动" not in box_index(client), "created is not published"


def test_an_administrator_who_creates_a_campaign_gets_no_role(client, login, world: World) -> None:
    admin = world.users["admin"]
    login(admin)
    assert admin_add_campaign(client).status_code == 302
    assert not RoleAssignment.objects.filter(campaign__slug="spring").exists()


def test_office_opens_and_closes_its_campaign_to_the_public_on_purpose(client, login, world: World) -> None:
    campaign = world.campaign
    campaign.starts_on, campaign.ends_on, campaign.is_public = today(), today(), False
    campaign.save()
    url = reverse("campaign:campaign_public", args=[campaign.pk])
    login(world.users["office"])
    response = client.post(url, {"is_public": "1"}, HTTP_ACCEPT_LANGUAGE="zh-hans", follow=True)
    campaign.refresh_from_db()
    assert campaign.is_public
    assert "活动已向公众开放" in response.content.decode()
    assert campaign.name in box_index(client)
    login(world.users["office"])
    client.post(url, {"is_public": "0"})
    campaign.refresh_from_db()
    assert not campaign.is_public
    assert campaign.name not in box_index(client)


def test_opening_to_the_public_is_a_post(client, login, world: World) -> None:
    login(world.users["office"])
    assert client.get(reverse("campaign:campaign_public", args=[world.campaign.pk])).status_code == 405


def test_only_the_campaigns_own_office_opens_it(client, login, world: World) -> None:
    """Office staff of another campaign who see this one through another role (here a
    secretary's seat) cannot open it; nor can anyone below the office."""
    campaign = world.campaign
    campaign.is_public = False
    campaign.save()
    url = reverse("campaign:campaign_public", args=[campaign.pk])
    elsewhere = f.CampaignFactory(slug="neighbour-office")
    other_office = f.UserFactory(username="neighbour-office")
    f.RoleAssignmentFactory(user=other_office, campaign=elsewhere, kind=RoleKind.OFFICE)
    f.RoleAssignmentFactory(user=other_office, campaign=campaign, kind=RoleKind.SECRETARY, unit=world.unit)
    for user in (other_office, world.users["secretary"], world.users["member"], world.users["supervisor"]):
        login(user)
        assert client.post(url, {"is_public": "1"}).status_code == 403, user.username
        page = client.get(reverse("campaign:campaign_detail", args=[campaign.pk])).content.decode()
        assert url not in page, "no button for who cannot use it"
    campaign.refresh_from_db()
    assert not campaign.is_public


def test_the_migration_keeps_existing_campaigns_on_the_box(world: World) -> None:
    Campaign.objects.update(is_public=False)
    migration = importlib.import_module("campaign.migrations.0005_public_box_and_accounts")
    migration.keep_existing_campaigns_open(apps, None)
    assert set(Campaign.objects.values_list("is_public", flat=True)) == {True}
