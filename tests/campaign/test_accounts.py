"""Accounts: log in, log out, change password, lock-out after failures, idle sessions.

Everything goes through Django's real LoginView and the test client, so django-axes sees
the request exactly as it would in production.
"""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.contrib.staticfiles import finders
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from campaign import accounts
from core.sessions import renew_seconds
from tests import factories as f

LOGIN = reverse("login")
HOME = reverse("campaign:home")
WRONG = "not-the-password"
ATTACKER = "198.51.100.66"
VICTIM = "192.0.2.10"


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    # These tests log in dozens of times; the production hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def user(db, fast_hasher):
    return f.UserFactory(username="secretary")


def english() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def chinese() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="zh-hans")


def attempt(client: Client, password: str, *, remote: str = ATTACKER, xff: str | None = None, username="secretary"):
    extra = {"REMOTE_ADDR": remote}
    if xff is not None:
        extra["HTTP_X_FORWARDED_FOR"] = xff
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def fail_until_limit(client: Client, **kwargs) -> None:
    """AXES_FAILURE_LIMIT failures: the form comes back until the last one locks."""
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = attempt(client, WRONG, **kwargs)
        assert response.status_code == 200, "a failure before the limit shows the form again"
    assert is_locked_out(attempt(client, WRONG, **kwargs))


def is_locked_out(response) -> bool:
    return response.status_code == 429 and "Too many failed log-ins" in response.content.decode()


# --- Pages ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_login_page_is_styled_and_has_the_form():
    response = english().get(LOGIN)
    html = response.content.decode()
    assert response.status_code == 200
    assert "css/canvass.css" in html
    assert finders.find("css/canvass.css"), "the stylesheet the page links to exists"
    assert 'class="login"' in html and 'class="card"' in html
    # The system's name over the form, and the way to the public box (issue 16, 14).
    assert 'class="system-name">Canvass<' in html and 'href="/box/"' in html
    assert 'name="username"' in html and 'name="password"' in html
    assert "Log in" in html


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_login_with_next():
    response = english().get(HOME)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={HOME}"


def test_correct_password_logs_in_and_lands_on_home(user):
    client = english()
    response = attempt(client, f.PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == HOME
    page = client.get(HOME)
    assert page.status_code == 200
    assert "secretary" in page.content.decode(), "the top bar names the logged-in user"


def test_login_redirects_to_next_on_this_site_only(user):
    client = english()
    units = reverse("campaign:unit_list")
    response = client.post(LOGIN, {"username": "secretary", "password": f.PASSWORD, "next": units})
    assert response["Location"] == units
    client.logout()
    response = client.post(LOGIN, {"username": "secretary", "password": f.PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == HOME


def test_wrong_password_shows_a_translated_error(user):
    client = chinese()
    response = attempt(client, WRONG)
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()
    assert SESSION_KEY not in client.session
    response = attempt(english(), WRONG)
    assert "Please enter a correct" in response.content.decode()


def test_logout_is_a_post_and_ends_the_session(user):
    client = english()
    attempt(client, f.PASSWORD)
    assert client.get(reverse("logout")).status_code == 405, "a link or an image cannot log anyone out"
    assert client.get(HOME).status_code == 200
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert client.get(HOME).status_code == 302


def test_password_change_page_changes_the_password(user):
    client = english()
    attempt(client, f.PASSWORD)
    page = client.get(reverse("password_change"))
    assert page.status_code == 200
    assert 'class="card narrow"' in page.content.decode()
    new = "Vermilion-lantern-2026"
    response = client.post(
        reverse("password_change"),
        {"old_password": f.PASSWORD, "new_password1": new, "new_password2": new},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("password_change_done")
    assert "Your password has been changed." in response.content.decode()
    assert client.get(HOME).status_code == 200, "changing the password keeps this session"
    client.post(reverse("logout"))
    assert attempt(english(), f.PASSWORD).status_code == 200, "the old password no longer works"
    assert attempt(english(), new).status_code == 302


def test_password_change_needs_the_old_password(user):
    client = chinese()
    attempt(client, f.PASSWORD)
    new = "Vermilion-lantern-2026"
    response = client.post(
        reverse("password_change"), {"old_password": WRONG, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 200
    assert "你的旧密码不正确" in response.content.decode()


@pytest.mark.parametrize(
    ("weak", "reasons"),
    [
        ("12345678", ["too short", "too common", "entirely numeric"]),
        ("password", ["too short", "too common"]),
        ("secretary2026", ["too similar to the username"]),
    ],
)
def test_weak_new_password_is_refused_with_the_reasons(user, weak, reasons):
    client = english()
    attempt(client, f.PASSWORD)
    response = client.post(
        reverse("password_change"), {"old_password": f.PASSWORD, "new_password1": weak, "new_password2": weak}
    )
    html = response.content.decode()
    assert response.status_code == 200
    for reason in reasons:
        assert reason in html
    user.refresh_from_db()
    assert user.check_password(f.PASSWORD), "nothing was changed"


def test_weak_password_reasons_are_translated(user):
    client = chinese()
    attempt(client, f.PASSWORD)
    response = client.post(
        reverse("password_change"),
        {"old_password": f.PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    html = response.content.decode()
    assert "这个密码太常见了" in html
    assert "密码只包含数字" in html


# --- Lock-out ------------------------------------------------------------------------


def test_failures_up_to_the_limit_lock_the_username_from_that_address(user):
    client = english()
    fail_until_limit(client)
    response = attempt(client, f.PASSWORD)
    assert is_locked_out(response), "even the right password is refused once locked"
    assert client.get(HOME).status_code == 302


def test_success_before_the_limit_resets_the_count(user):
    client = english()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, WRONG)
    assert attempt(client, f.PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, WRONG)
    assert attempt(client, f.PASSWORD).status_code == 302


def test_changing_x_forwarded_for_does_not_reset_the_count(user):
    """No proxy trusted: the header is the client's own writing and is ignored."""
    client = english()
    for i in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, WRONG, xff=f"203.0.113.{i + 1}")
    assert is_locked_out(attempt(client, f.PASSWORD, xff="203.0.113.200"))


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_one_proxy_forged_left_hand_entries_do_not_reset_the_count(user):
    """The proxy appends the address it saw; whatever the client wrote before it is ignored."""
    client = english()
    proxy = "10.0.0.2"
    for i in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, WRONG, remote=proxy, xff=f"203.0.113.{i + 1}, {ATTACKER}")
    assert is_locked_out(attempt(client, f.PASSWORD, remote=proxy, xff=f"203.0.113.99, {ATTACKER}"))
    # The victim's requests come through the same proxy with her own address appended.
    assert attempt(english(), f.PASSWORD, remote=proxy, xff=VICTIM).status_code == 302


@override_settings(TRUSTED_PROXY_COUNT=1, TRUSTED_PROXY_ADDRESSES=["10.0.0.0/24"])
def test_reaching_the_app_around_the_proxy_a_forged_header_does_not_reset_the_count(user):
    """The app is reachable directly too: only the proxy's own requests have their
    X-Forwarded-For read, so an attacker who writes a new address each time is still
    counted at his own."""
    client = english()
    for i in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, WRONG, remote=ATTACKER, xff=f"203.0.113.{i + 1}")
    assert is_locked_out(attempt(client, f.PASSWORD, remote=ATTACKER, xff="203.0.113.200"))
    # Through the proxy, the address it appended is the one counted.
    assert attempt(english(), f.PASSWORD, remote="10.0.0.2", xff=ATTACKER).status_code == 429
    assert attempt(english(), f.PASSWORD, remote="10.0.0.2", xff=VICTIM).status_code == 302


def test_lock_out_does_not_reach_the_same_username_from_another_address(user):
    fail_until_limit(english(), remote=ATTACKER)
    response = attempt(english(), f.PASSWORD, remote=VICTIM)
    assert response.status_code == 302
    assert response["Location"] == HOME


def test_forged_header_naming_the_victims_address_does_not_lock_her_out(user):
    fail_until_limit(english(), remote=ATTACKER, xff=VICTIM)
    assert attempt(english(), f.PASSWORD, remote=VICTIM).status_code == 302


def test_lock_out_of_one_username_leaves_other_usernames_alone(user):
    f.UserFactory(username="office")
    fail_until_limit(english())
    assert attempt(english(), f.PASSWORD, username="office").status_code == 302


# --- Sessions ------------------------------------------------------------------------


def test_session_lasts_session_idle_seconds_and_each_request_extends_it(user):
    client = english()
    attempt(client, f.PASSWORD)
    session = Session.objects.get(session_key=client.session.session_key)
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
    # Pretend the user has been idle for most of the allowance; one request renews it.
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() + datetime.timedelta(seconds=30))
    assert client.get(HOME).status_code == 200
    renewed = Session.objects.get(pk=session.pk).expire_date
    assert renewed > timezone.now() + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)


def test_pages_renew_the_idle_expiry_at_most_once_per_renew_seconds_and_idleness_still_ends_it(user):
    client = english()
    attempt(client, f.PASSWORD)
    key = client.session.session_key
    assert client.get(HOME).status_code == 200
    written = Session.objects.get(pk=key).expire_date
    # A page moments later: the expiry is less than renew_seconds() behind, not written.
    assert client.get(HOME).status_code == 200
    assert Session.objects.get(pk=key).expire_date == written
    # As if the last write were renew_seconds() and a little ago: the next page renews it.
    behind = written - datetime.timedelta(seconds=renew_seconds() + 5)
    Session.objects.filter(pk=key).update(expire_date=behind)
    assert client.get(HOME).status_code == 200
    renewed = Session.objects.get(pk=key).expire_date
    assert renewed > timezone.now() + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE - renew_seconds())
    # Never later than SESSION_COOKIE_AGE after the last page.
    assert renewed <= timezone.now() + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    # Idle past the stored expiry: the session has ended.
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={HOME}"


def test_expired_session_is_sent_to_login(user):
    client = english()
    attempt(client, f.PASSWORD)
    assert client.get(HOME).status_code == 200
    key = client.session.session_key
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={HOME}"


def test_an_active_session_still_ends_session_absolute_seconds_after_log_in(user):
    client = english()
    attempt(client, f.PASSWORD)
    assert client.get(HOME).status_code == 200
    session = client.session
    started = session[accounts.LOGIN_AT]
    # Active all along (each request renews the idle expiry), but logged in long ago.
    session[accounts.LOGIN_AT] = started - settings.SESSION_ABSOLUTE_SECONDS + 5
    session.save()
    assert client.get(HOME).status_code == 200, "not yet"
    session = client.session
    session[accounts.LOGIN_AT] = started - settings.SESSION_ABSOLUTE_SECONDS
    session.save()
    old_key = session.session_key
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={HOME}"
    assert not Session.objects.filter(session_key=old_key).exists(), "the session is gone, not only left"
    assert "Your session has ended" in client.get(response["Location"]).content.decode()
    assert attempt(client, f.PASSWORD).status_code == 302, "a new log-in starts a new clock"
    assert client.get(HOME).status_code == 200


def test_a_session_from_before_the_rule_starts_its_clock_at_its_next_request(user):
    client = english()
    attempt(client, f.PASSWORD)
    session = client.session
    del session[accounts.LOGIN_AT]
    session.save()
    assert client.get(HOME).status_code == 200
    assert isinstance(client.session[accounts.LOGIN_AT], int)
