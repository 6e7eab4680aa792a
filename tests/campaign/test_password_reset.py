"""The office resets a member's password; the member must change it before anything else."""

from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from campaign import accounts
from campaign.models import ForcedPasswordChange, RoleKind
from tests import factories as f
from tests.conftest import World

LOGIN = reverse("login")
HOME = reverse("campaign:home")
CHANGE = reverse("password_change")
NEW = "Vermilion-lantern-2026"


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def reset_url(member) -> str:
    return reverse("campaign:member_password_reset", args=[member.pk])


def log_in(username: str, password: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(LOGIN, {"username": username, "password": password})
    assert response.status_code == 302, f"{username} could not log in"
    return client


def office_resets(client, login, world: World, **data: str) -> str:
    login(world.users["office"])
    response = client.post(reset_url(world.member), data)
    assert response.status_code == 200
    return response.content.decode()


def test_office_sees_the_reset_on_the_members_page(client, login, world: World) -> None:
    login(world.users["office"])
    page = client.get(reverse("campaign:member_detail", args=[world.member.pk])).content.decode()
    assert reset_url(world.member) in page
    login(world.users["secretary"])
    page = client.get(reverse("campaign:member_detail", args=[world.member.pk])).content.decode()
    assert reset_url(world.member) not in page


def test_reset_shows_a_temporary_password_once_and_it_logs_in(client, login, world: World) -> None:
    page = office_resets(client, login, world)
    member_user = world.users["member"]
    member_user.refresh_from_db()
    row = ForcedPasswordChange.objects.get(user=member_user)
    assert row.reset_by == world.users["office"]
    shown = re.findall(r"<code>([^<]+)</code>", page)
    assert len(shown) == 1 and member_user.check_password(shown[0]), "the new password is on the page"
    assert not member_user.check_password(f.PASSWORD), "the old password no longer works"
    assert log_in("member", shown[0]).get(HOME)["Location"] == CHANGE
    # Shown once: the member's page does not show it again.
    again = client.get(reverse("campaign:member_detail", args=[world.member.pk])).content.decode()
    assert "must change the password at the next log-in" in again


def test_temporary_passwords_pass_the_validators_and_differ() -> None:
    from django.contrib.auth.password_validation import validate_password

    made = {accounts.temporary_password() for _ in range(20)}
    assert len(made) == 20
    for password in made:
        validate_password(password)


def test_office_may_set_the_password_itself_but_not_a_weak_one(client, login, world: World) -> None:
    page = office_resets(client, login, world, password="12345678")
    assert "This password is too common." in page or "entirely numeric" in page
    assert not ForcedPasswordChange.objects.exists()
    office_resets(client, login, world, password=NEW)
    member_user = world.users["member"]
    member_user.refresh_from_db()
    assert member_user.check_password(NEW)


def test_forced_change_comes_before_every_page_until_done(client, login, world: World) -> None:
    office_resets(client, login, world, password=NEW)
    member = log_in("member", NEW)
    for url in (HOME, reverse("campaign:member_detail", args=[world.member.pk]), reverse("admin:index")):
        response = member.get(url)
        assert response.status_code == 302 and response["Location"] == CHANGE, url
    page = member.get(CHANGE)
    assert "The office has reset your password." in page.content.decode()
    response = member.post(CHANGE, {"old_password": NEW, "new_password1": NEW + "x", "new_password2": NEW + "x"})
    assert response.status_code == 302
    assert member.get(HOME).status_code == 200, "free once the password is the member's own"
    assert not ForcedPasswordChange.objects.exists()
    # And at the next log-in too.
    assert log_in("member", NEW + "x").get(HOME).status_code == 200


def test_the_forced_member_can_still_log_out(client, login, world: World) -> None:
    office_resets(client, login, world, password=NEW)
    member = log_in("member", NEW)
    assert member.post(reverse("logout")).status_code == 302
    assert SESSION_KEY not in member.session


def test_reset_ends_the_members_sessions_and_lifts_the_lock_out(client, login, world: World) -> None:
    member = log_in("member", f.PASSWORD)
    AccessAttempt.objects.create(
        username="member",
        ip_address="192.0.2.1",
        user_agent="x",
        http_accept="*/*",
        path_info="/",
        get_data="",
        post_data="",
        failures_since_start=9,
    )
    office_resets(client, login, world, password=NEW)
    assert member.get(HOME).status_code == 302, "the session opened with the old password is over"
    assert not AccessAttempt.objects.filter(username="member").exists()


def test_office_cannot_reset_a_staff_account_or_one_reaching_another_campaign(client, login, world: World) -> None:
    member_user = world.users["member"]
    member_user.is_staff = True
    member_user.save()
    login(world.users["office"])
    assert client.get(reset_url(world.member)).status_code == 403
    member_user.is_staff = False
    member_user.save()
    elsewhere = f.CampaignFactory(slug="neighbour")
    f.RoleAssignmentFactory(user=member_user, campaign=elsewhere, kind=RoleKind.OFFICE)
    login(world.users["office"])
    assert client.post(reset_url(world.member), {"password": NEW}).status_code == 403
    member_user.refresh_from_db()
    assert member_user.check_password(f.PASSWORD)
    # The administrator may.
    login(world.users["admin"])
    assert client.post(reset_url(world.member), {"password": NEW}).status_code == 200


def test_roles_below_the_office_and_other_campaigns_offices_cannot_reset(client, login, world: World) -> None:
    other_office = f.UserFactory(username="neighbour-office")
    f.RoleAssignmentFactory(user=other_office, campaign=f.CampaignFactory(slug="n2"), kind=RoleKind.OFFICE)
    f.RoleAssignmentFactory(user=other_office, campaign=world.campaign, kind=RoleKind.SECRETARY, unit=world.unit)
    for user in (world.users["secretary"], world.users["supervisor"], world.users["member"], other_office):
        login(user)
        assert client.post(reset_url(world.member), {"password": NEW}).status_code == 403, user.username
    assert not ForcedPasswordChange.objects.exists()


def test_a_member_without_an_account_has_nothing_to_reset(client, login, world: World) -> None:
    login(world.users["office"])
    response = client.post(reset_url(world.other_member), {"password": NEW}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "has no user account" in response.content.decode()
