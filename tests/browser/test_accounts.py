"""Logging in and out through the real forms, in Chromium, in both languages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import log_in, log_out, shoot, submit_login, tr
from tests.conftest import World

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_login_page_is_in_the_browser_language(live_world: World, open_page, language):
    page = open_page(language=language)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("main h1")).to_have_text(tr(language, "Log in"))
    expect(page.locator(".mainnav")).to_have_count(0)
    shoot(page, f"login-{language}")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_wrong_password_is_refused_with_a_message_and_no_session(live_world: World, open_page, language):
    page = open_page(language=language)
    log_in(page, "secretary", language=language, password="not-the-password")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    message = tr(
        language,
        "Please enter a correct %(username)s and password. Note that both fields may be case-sensitive.",
        username=tr(language, "username"),
    )
    expect(page.locator("main .errors")).to_have_text(message)
    shoot(page, f"login-refused-{language}")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))


def test_login_returns_to_the_page_first_asked_for(live_world: World, open_page):
    page = open_page(language="zh-hans")
    page.goto("/org/members/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/org/members/$"))
    submit_login(page, "office", language="zh-hans")
    expect(page).to_have_url(re.compile(r"/org/members/$"))
    expect(page.locator("main h1")).to_have_text(tr("zh-hans", "Members"))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_log_out_ends_the_session(live_world: World, open_page, language):
    page = open_page(language=language)
    log_in(page, "office", language=language)
    page.goto("/org/teams/")
    log_out(page, language=language)
    expect(page.locator("main h1")).to_have_text(tr(language, "Log in"))
    page.go_back()
    page.reload()
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/org/teams/$"))


def test_password_change_page_is_reached_from_the_top_bar(live_world: World, open_page):
    page = open_page(language="en")
    log_in(page, "member", language="en")
    page.locator(".topbar").get_by_role("link", name="Password").click()
    expect(page.locator("main h1")).to_have_text("Change password")
    expect(page.get_by_label("Old password")).to_be_visible()
    shoot(page, "password-change-en")


def test_office_resets_a_password_and_the_member_must_change_it_first(live_world: World, open_page):
    office = open_page(language="en")
    log_in(office, "office", language="en")
    office.goto(f"/org/members/{live_world.member.pk}/")
    office.get_by_role("link", name="Reset the password").click()
    office.locator("main").get_by_role("button", name="Reset the password").click()
    expect(office.locator("main h1")).to_have_text("Password reset")
    temporary = office.locator("main .receipt-code code").inner_text().strip()
    shoot(office, "password-reset-done-en")

    member = open_page(language="en")
    log_in(member, "member", language="en", password=temporary)
    expect(member).to_have_url(re.compile(r"/accounts/password/$"))
    expect(member.locator("main .notice")).to_contain_text("The office has reset your password.")
    shoot(member, "password-forced-change-en")
    member.goto("/org/members/")
    expect(member).to_have_url(re.compile(r"/accounts/password/$"))  # no other page before the change
    new = "Vermilion-lantern-2026"
    member.get_by_label("Old password").fill(temporary)
    member.get_by_label("New password", exact=True).fill(new)
    member.get_by_label("New password confirmation").fill(new)
    member.locator("main").get_by_role("button", name="Change password").click()
    expect(member.locator("main h1")).to_have_text("Your password has been changed.")
    member.goto("/")
    expect(member).to_have_url(re.compile(r"/$"))
    expect(member.locator(".mainnav")).to_have_count(1)
