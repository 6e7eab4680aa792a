"""The password change, which also ends a change forced by the office's reset."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.http import HttpResponse

from campaign import accounts


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
