"""What a browser test does as a person would: log in through the form, press the
language buttons, log out, and take a full-page screenshot to look at."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.text import capfirst
from playwright.sync_api import Locator, Page, expect

from tests.factories import PASSWORD

# Outside the repository: screenshots are for looking at, not for committing.
SHOTS = Path(os.environ.get("CANVASS_SHOTS_DIR", "/tmp/canvass-shots"))

# Accept-Language values a browser sends, by the language Canvass should answer in.
ACCEPT = {"zh-hans": "zh-CN", "en": "en-US"}
LANGUAGE_NAMES = {"zh-hans": "简体中文", "en": "English"}

expect.set_options(timeout=10_000)


def tr(language: str, message: str | Promise, **params: Any) -> str:
    """What Canvass shows for `message` (a msgid, or a lazy label such as a choice's)
    in `language`, through the same catalogue the server uses, so an assertion holds
    before and after the lead translates it."""
    with translation.override(language):
        text = str(message) if isinstance(message, Promise) else translation.gettext(message)
    return text % params if params else text


def log_in(page: Page, username: str, *, language: str = "zh-hans", password: str = PASSWORD) -> None:
    """Open the log-in page and log in as a person would."""
    page.goto("/accounts/login/")
    submit_login(page, username, language=language, password=password)


def submit_login(page: Page, username: str, *, language: str, password: str = PASSWORD) -> None:
    """Fill in and submit the log-in form on the page already open; wait for the answer."""
    # Django labels the field with the model's verbose name, "username", capitalised.
    page.get_by_label(capfirst(tr(language, "username"))).fill(username)
    page.get_by_label(tr(language, "Password")).fill(password)
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name=tr(language, "Log in")).click()


def switch_language(page: Page, language: str) -> None:
    """Press the language button in the top bar (a POST to set_language)."""
    page.locator(".topbar form.lang").get_by_role("button", name=LANGUAGE_NAMES[language]).click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def log_out(page: Page, *, language: str) -> None:
    page.locator(".topbar").get_by_role("button", name=tr(language, "Log out")).click()
    page.wait_for_url("**/accounts/login/")


def shoot(page: Page, name: str) -> Path:
    """A full-page screenshot, and a check that nothing makes the page scroll sideways."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at width {page.viewport_size['width']}"
    return path


def nav_link(page: Page, name: str) -> Locator:
    """The main menu's link named `name`, visible: its group opened first, as a person
    would (a member's few entries are not grouped, so there is nothing to open)."""
    nav = page.locator(".mainnav")
    group = nav.locator(".navgroup").filter(has=page.get_by_role("link", name=name, exact=True, include_hidden=True))
    if group.count():
        toggle = group.locator(".navtoggle")
        if toggle.get_attribute("aria-expanded") != "true":
            toggle.click()
    return nav.get_by_role("link", name=name, exact=True)
