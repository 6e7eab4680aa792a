"""The language of the pages: a setting of the account, not of the browser.

A signed-in user reads the pages in his or her account's language (``AccountSettings``;
blank: the site's, LANGUAGE_CODE — zh-hans); the language switch of the top bar changes
that setting (``account_language_set``). The language is kept in the session at log-in,
so that a page costs no query for it. A visitor without an account (the public box)
reads the site's language unless he or she chose another with the switch (Django's
language cookie); the browser's Accept-Language is never followed.

What a member prints and signs is in the campaign's language (``Campaign.language``),
whatever the account's: ``in_campaign_language``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _

from campaign.models import AccountSettings, Campaign
from campaign.scoping import AnyUser

# Where a session keeps its user's language ("" for the site's).
LANGUAGE_KEY = "_canvass_language"


def languages() -> set[str]:
    return {code for code, _name in settings.LANGUAGES}


def account_language(user: AnyUser) -> str:
    """The account's chosen language, "" for the site's (one query)."""
    if not getattr(user, "is_authenticated", False) or user.pk is None:
        return ""
    return AccountSettings.objects.filter(user_id=user.pk).values_list("language", flat=True).first() or ""


def remember(session: SessionBase, *, user: AnyUser) -> None:
    """At log-in: the session notes the account's language."""
    session[LANGUAGE_KEY] = account_language(user)


def account_language_set(*, user: AnyUser, language: str) -> AccountSettings:
    if language not in languages():
        raise ValidationError({"language": _("Choose a language from the list.")})
    chosen, _created = AccountSettings.objects.update_or_create(user_id=user.pk, defaults={"language": language})
    return chosen


def request_language(request: HttpRequest) -> str | None:
    """The language a request is answered in; None: leave LocaleMiddleware's choice
    (only with LANGUAGE_FOLLOWS_BROWSER, where no account or switch chose one)."""
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    if user is not None and user.is_authenticated and session is not None:
        if LANGUAGE_KEY not in session:  # a session from before the setting existed
            remember(session, user=user)
        if session[LANGUAGE_KEY]:
            return str(session[LANGUAGE_KEY])
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen in languages():
        return chosen
    return None if settings.LANGUAGE_FOLLOWS_BROWSER else settings.LANGUAGE_CODE


def activate_for(request: HttpRequest) -> None:
    language = request_language(request)
    if language is None:
        return
    translation.activate(language)
    request.LANGUAGE_CODE = language


def campaign_language(campaign: Campaign) -> str:
    return campaign.language or settings.LANGUAGE_CODE


@contextmanager
def in_campaign_language(campaign: Campaign) -> Iterator[str]:
    """Render what a member prints and signs in the campaign's language."""
    language = campaign_language(campaign)
    with translation.override(language):
        yield language
