"""The password change, which also ends a change forced by the office's reset; the
account's language, chosen with the switch of the top bar."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from campaign import accounts, language


class PasswordChange(auth_views.PasswordChangeView):
    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["forced"] = bool(self.request.session.get(accounts.MUST_CHANGE))
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        accounts.password_changed(user=form.user)
        self.request.session.pop(accounts.MUST_CHANGE, None)
        return response


@require_POST
@login_required
def account_language(request: HttpRequest) -> HttpResponse:
    """Save the language of the account (the switch of the top bar) and go back."""
    chosen = request.POST.get("language", "")
    try:
        language.account_language_set(user=request.user, language=chosen)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("campaign:home")
    request.session[language.LANGUAGE_KEY] = chosen
    translation.activate(chosen)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = redirect(target)
    # The cookie too: the login page after a log-out keeps the language last chosen here.
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, chosen, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
    return response
