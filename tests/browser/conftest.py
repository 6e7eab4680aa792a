"""Browser fixtures: the `world` served by a live server, and pages in Debian's Chromium
(tests/conftest.py points Playwright at /usr/bin/chromium)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.helpers import (  # noqa: F401 (re-exported: older tests import the helpers from here)
    ACCEPT,
    log_in,
    log_out,
    shoot,
    submit_login,
    switch_language,
    tr,
)
from tests.conftest import World


@pytest.fixture(autouse=True)
def fast_password_hasher(settings: Any) -> None:
    """The real log-in form, with a hasher that takes microseconds: PBKDF2 costs half a
    second a user on a small machine, and every test here creates five."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def live_world(live_server: Any, world: World) -> World:
    """`world`, committed for real (live_server makes the test transactional) so the
    server thread sees it."""
    return world


@pytest.fixture
def open_page(browser: Browser, live_server: Any) -> Iterator[Callable[..., Page]]:
    """A fresh browser context (no cookies) sending the given Accept-Language."""
    contexts = []

    def _open(*, language: str = "zh-hans", accept: str | None = None, width: int = 1280, height: int = 800) -> Page:
        header = accept or ACCEPT[language]
        context = browser.new_context(
            base_url=live_server.url,
            locale=header.split(",")[0].split(";")[0],
            # A full header ("zh-CN,zh;q=0.9,en;q=0.8") as a browser sends it, not only a locale.
            extra_http_headers={"Accept-Language": header},
            viewport={"width": width, "height": height},
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()
