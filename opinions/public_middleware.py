"""Keep the public box's requests out of the session store and the request log.

Both would date a submission: with ``SESSION_SAVE_EVERY_REQUEST`` a logged-in citizen's
session row gets a new expiry (and so the time of the request) from every page he
opens, the box's included, and that row joins his account and login address; and
``django.request`` writes a timestamped line for every answer of 400 and above (the
refusal of a flood, say, which dates the submissions before it).

No model is imported here: the logging configuration loads this module before the apps.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def _box_prefix() -> str:
    from django.urls import reverse

    return reverse("public:index")


def is_public_box(request: HttpRequest) -> bool:
    return request.path.startswith(_box_prefix())


def _switches_language_on_the_box(request: HttpRequest) -> bool:
    # The language switch on a box page posts to Django's set_language, back to the box.
    from django.urls import reverse

    if request.method != "POST" or request.path != reverse("set_language"):
        return False
    return str(request.POST.get("next", "")).startswith(_box_prefix())


class PublicBoxWithoutSession:
    """Before ``SessionMiddleware``: a box request (and the language switch on a box
    page) does not bring its session cookie along, so the session is neither read nor
    saved, and the user is anonymous on every box page. The browser keeps its cookie
    (nothing is deleted: the session middleware only clears a cookie it was sent)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_public_box(request) or _switches_language_on_the_box(request):
            request.COOKIES.pop(settings.SESSION_COOKIE_NAME, None)
        return self.get_response(request)


class PublicBoxRequestsNotLogged(logging.Filter):
    """Drops ``django.request`` and ``django.security`` lines about a box page."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if request is None or not hasattr(request, "path"):
            return True
        try:
            return not is_public_box(request)
        except Exception:  # noqa: BLE001 - a log filter must never raise; keep the line
            return True
