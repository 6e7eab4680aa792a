"""A user's language is a setting of the account (campaign/language.py), default the
site's (zh-hans), never the browser's; what a member prints and signs is in the
campaign's language."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from campaign.models import AccountSettings
from opinions.models import FeedbackList

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _as_shipped(settings):
    """What users get: the site's language zh-hans, the browser not followed."""
    settings.LANGUAGE_FOLLOWS_BROWSER = False
    settings.LANGUAGE_CODE = "zh-hans"


def _lang(response) -> str:
    text = response.content.decode()
    start = text.index('<html lang="') + len('<html lang="')
    return text[start : text.index('"', start)]


def test_a_new_account_reads_the_sites_language_whatever_the_browser_asks(world, login):
    client = login(world.users["office"])
    response = client.get(reverse("campaign:home"), headers={"accept-language": "en-US,en;q=0.9"})
    assert _lang(response) == "zh-hans"
    assert response["Content-Language"] == "zh-hans"


def test_the_switch_saves_the_accounts_language_which_follows_it_to_another_browser(world, login):
    user = world.users["secretary"]
    client = login(user)
    response = client.post(reverse("account_language"), {"language": "en", "next": reverse("campaign:member_list")})
    assert response.status_code == 302 and response["Location"] == reverse("campaign:member_list")
    assert AccountSettings.objects.get(user=user).language == "en"
    assert _lang(client.get(reverse("campaign:home"), headers={"accept-language": "zh-CN"})) == "en"
    # Another browser, no cookie: the account's language.
    other = Client()
    other.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assert _lang(other.get(reverse("campaign:home"), headers={"accept-language": "zh-CN"})) == "en"
    # Someone else in the first browser after a log-out: his own (the site's).
    client.logout()
    client.force_login(world.users["office"], backend="django.contrib.auth.backends.ModelBackend")
    assert _lang(client.get(reverse("campaign:home"))) == "zh-hans"


def test_the_switch_offers_the_account_setting_when_signed_in(world, login):
    text = login(world.users["member"]).get(reverse("campaign:home")).content.decode()
    assert f'action="{reverse("account_language")}"' in text


def test_an_unknown_language_is_refused_and_nothing_is_saved(world, login):
    client = login(world.users["member"])
    response = client.post(reverse("account_language"), {"language": "fr", "next": "/"}, follow=True)
    assert response.status_code == 200
    assert not AccountSettings.objects.filter(user=world.users["member"]).exists()
    assert "选择" in response.content.decode() or "Choose a language" in response.content.decode()


def test_an_offsite_next_goes_home(world, login):
    response = login(world.users["member"]).post(
        reverse("account_language"), {"language": "en", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_a_visitor_reads_the_sites_language_unless_he_switched(client):
    response = client.get(reverse("login"), headers={"accept-language": "en"})
    assert _lang(response) == "zh-hans"
    client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert _lang(client.get(reverse("login"), headers={"accept-language": "zh-CN"})) == "en"


def test_the_printed_list_is_in_the_campaigns_language_not_the_accounts(world, login):
    office = world.users["office"]
    AccountSettings.objects.create(user=office, language="en")
    world.campaign.language = "zh-hans"
    world.campaign.save()
    the_list = FeedbackList.objects.create(
        campaign=world.campaign,
        target_member=world.member,
        ledger_unit=world.unit,
        status=FeedbackList.Status.DRAFT,
    )
    client = login(office)
    assert _lang(client.get(reverse("campaign:home"))) == "en"  # his pages: English
    printed = client.get(reverse("opinions:feedback_print", args=[the_list.pk])).content.decode()
    assert "返回清单" in printed and "Back to the list" not in printed
    world.campaign.language = "en"
    world.campaign.save()
    AccountSettings.objects.filter(user=office).update(language="zh-hans")
    client = login(office)
    printed = client.get(reverse("opinions:feedback_print", args=[the_list.pk])).content.decode()
    assert "Back to the list" in printed
