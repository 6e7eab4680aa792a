"""Two rules every signed-in request obeys, after authentication; and the language of
every request, the account's (campaign.language).

The public box never reaches them with a session: its requests come without the session
cookie (opinions.public_middleware), so their user is anonymous and nothing here reads
or writes a session for them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from campaign import accounts, language

# The pages a user whose password was reset may still open.
_WHILE_FORCED = frozenset(
    {"password_change", "password_change_done", "logout", "set_language", "account_language", "admin:logout"}
)


class AccountRules:
    """A session older than SESSION_ABSOLUTE_SECONDS since its log-in ends, however
    active (the idle limit is SESSION_COOKIE_AGE, renewed by every request); a user
    whose password the office reset is sent to the password change until he or she
    has chosen one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The account's language, not the browser's (campaign.language); after the
        # authentication, before the view.
        language.activate_for(request)
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if not request.user.is_authenticated:
            return None
        if accounts.session_outlived(request.session):
            logout(request)
            messages.info(request, _("Your session has ended; please log in again."))
            return redirect_to_login(request.get_full_path())
        if request.session.get(accounts.MUST_CHANGE):
            match = request.resolver_match
            if match is None or match.view_name not in _WHILE_FORCED:
                return redirect("password_change")
        return None
