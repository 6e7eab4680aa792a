"""One-time form tokens: a form that creates something is stored once, however often it
is sent (a double click, a reload of the answer, the back button and a second send).

- The page renders ``{% form_once %}`` (``core/templatetags/form_once.py``) inside its
  form: a hidden input carrying a new random token, signed with the time it was issued.
- The view reads it with ``FormOnce(request)`` and stores its rows inside
  ``with once.consume() as use:``. The token is written to ``UsedFormToken`` (unique) in
  the same transaction as the rows: of two sends of one form, however close, exactly one
  commits; the other finds the token taken and raises ``AlreadySubmitted``, whose
  ``response()`` tells the user nothing was saved twice and goes where the first send led.
- A missing, damaged or expired token is an error on the form (``FormOnce.valid_for``),
  and the page is shown again with a new one: nothing is stored.
- Views that create are marked ``@creates``; tests/core/test_once_guard.py sends every
  marked view's form twice and fails on a POST view that is neither marked nor listed as
  creating nothing.

The stored token carries no user and only the day it was used: it says nothing about who
sent what, or when within the day. Tokens are refused after ``FORM_TOKEN_DAYS`` days, and
``once_purge`` (a daily beat task) deletes used ones older than that, which can no
longer be sent.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import secrets
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from core.models import UsedFormToken

FIELD = "form_once"
_SALT = "core.once"

ALREADY_SUBMITTED = _("This form was already submitted; nothing was saved twice.")
MISSING = _("This form could not be checked for a second sending. Send it again.")
EXPIRED = _("This form was open too long to be sent. Check it and send it again.")


def max_days() -> int:
    return settings.FORM_TOKEN_DAYS


def issue() -> str:
    """A new token as the page carries it: random, signed with the time it was issued
    (which never reaches the database)."""
    return signing.TimestampSigner(salt=_SALT).sign(secrets.token_urlsafe(16))


def hidden_input() -> str:
    return forms.HiddenInput().render(FIELD, issue())


class AlreadySubmitted(Exception):
    """The form's token was used by an earlier send, which stored what it had to store."""

    def __init__(self, led_to: str = "") -> None:
        super().__init__(led_to)
        self.led_to = led_to

    def response(self, request: HttpRequest, fallback: str, *args: Any, **kwargs: Any) -> HttpResponseRedirect:
        """Say so, and go where the first send led (or to ``fallback``, a URL name or URL)."""
        messages.info(request, str(ALREADY_SUBMITTED))
        led_to = self.led_to
        if not led_to or not url_has_allowed_host_and_scheme(led_to, allowed_hosts=None):
            led_to = resolve_url(fallback, *args, **kwargs)
        return HttpResponseRedirect(led_to)


class Use:
    """A token being used: where the send leads is kept with it for a second send."""

    def __init__(self) -> None:
        self.url = ""

    def leads_to(self, url: str) -> str:
        self.url = url
        return url


class FormOnce:
    """The token a request carries (on a POST)."""

    def __init__(self, request: HttpRequest) -> None:
        self.token: str | None = None
        self.error: Any = None
        if request.method != "POST":
            return
        raw = request.POST.get(FIELD, "")
        try:
            self.token = signing.TimestampSigner(salt=_SALT).unsign(raw, max_age=datetime.timedelta(days=max_days()))
        except signing.SignatureExpired:
            self.error = EXPIRED
        except signing.BadSignature:
            self.error = MISSING
        if self.token is not None and not 16 <= len(self.token) <= 64:
            self.token, self.error = None, MISSING

    def valid_for(self, form: forms.BaseForm | None = None) -> bool:
        """True if the token may be used; otherwise its error goes to ``form`` (as an
        error of the whole form; with no form, the view shows ``message()``)."""
        if self.token is not None:
            return True
        if form is not None:
            form.add_error(None, str(self.error or MISSING))
        return False

    def message(self) -> str:
        return str(self.error or MISSING)

    def used_before(self) -> AlreadySubmitted | None:
        """The earlier send of this token, if one was stored (for a view that finds its
        work already done before it could try to store)."""
        if self.token is None:
            return None
        found = UsedFormToken.objects.filter(token=self.token).values_list("led_to", flat=True).first()
        return None if found is None else AlreadySubmitted(found)

    @contextlib.contextmanager
    def consume(self, *, using: str = DEFAULT_DB_ALIAS) -> Iterator[Use]:
        """Mark the token used and run the block, in one transaction: an exception in the
        block leaves the token unused. Raises ``AlreadySubmitted`` if it was used."""
        if self.token is None:
            raise ValueError("FormOnce.consume() needs a valid token: ask valid_for() first.")
        with transaction.atomic(using=using):
            try:
                # A savepoint: on PostgreSQL the failed insert must not spoil the transaction.
                with transaction.atomic(using=using):
                    # Waits for a concurrent send of the same token to commit or roll back.
                    UsedFormToken.objects.using(using).create(token=self.token, used_on=timezone.localdate())
            except IntegrityError:
                led_to = (
                    UsedFormToken.objects.using(using).filter(token=self.token).values_list("led_to", flat=True).first()
                )
                raise AlreadySubmitted(led_to or "") from None
            use = Use()
            yield use
            if use.url:
                UsedFormToken.objects.using(using).filter(token=self.token).update(led_to=use.url[:500])


def once_purge(*, today: datetime.date | None = None) -> int:
    """Delete the used tokens that can no longer be sent (issued more than
    ``FORM_TOKEN_DAYS`` days ago, so refused anyway); returns how many."""
    today = today or timezone.localdate()
    cutoff = today - datetime.timedelta(days=max_days() + 1)
    deleted, _rows = UsedFormToken.objects.filter(used_on__lt=cutoff).delete()
    return deleted


# --- The registry of views that create ------------------------------------------------

V = TypeVar("V", bound=Callable[..., HttpResponse])

CREATE_VIEWS: list[Callable[..., HttpResponse]] = []


def creates(view: V) -> V:
    """Mark a view whose POST creates rows: it renders ``{% form_once %}`` in its form and
    stores inside ``FormOnce(request).consume()``. A POST whose token was used already is
    answered here, before its form is read (the choices it was filled from may have gone
    with the first send). The guard test sends every marked view's form twice."""

    @functools.wraps(view)
    def once_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST":
            done = FormOnce(request).used_before()
            if done is not None:
                return done.response(request, request.get_full_path())
        return view(request, *args, **kwargs)

    once_view.form_once = True  # type: ignore[attr-defined]
    CREATE_VIEWS.append(once_view)
    return once_view  # type: ignore[return-value]


def is_create_view(view: Callable[..., Any]) -> bool:
    """Whether ``view`` (or a view it wraps) is marked ``@creates``."""
    while view is not None:
        if getattr(view, "form_once", False):
            return True
        view = getattr(view, "__wrapped__", None)  # type: ignore[assignment]
    return False


# --- The admin's add forms --------------------------------------------------------------


class _NotStored(Exception):
    """The admin answered without storing (a form with errors): the token stays unused."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__()
        self.response = response


class OnceAdminMixin:
    """A ModelAdmin whose add form is a create form: its token is used in the same
    transaction as the object (and its inlines) is saved. A change form is not."""

    add_form_template = "core/admin_add_form.html"

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)  # type: ignore[misc]
        if change or request.method != "POST":
            return form
        once = FormOnce(request)
        if once.token is not None:
            return form
        message = once.message()

        class Refused(form):  # type: ignore[misc, valid-type]
            def clean(self) -> Any:
                cleaned = super().clean()
                self.add_error(None, message)
                return cleaned

        Refused.__name__ = form.__name__
        return Refused

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        parent = super().changeform_view  # type: ignore[misc]
        once = FormOnce(request)
        if request.method != "POST" or object_id is not None or once.token is None:
            return parent(request, object_id, form_url, extra_context)
        opts = self.model._meta  # type: ignore[attr-defined]
        try:
            with once.consume() as use:
                response = parent(request, object_id, form_url, extra_context)
                stored = response.status_code in (301, 302) or "popup_response" in str(
                    getattr(response, "template_name", "")
                )
                if not stored:
                    raise _NotStored(response)
                use.leads_to(response.get("Location", ""))
        except _NotStored as refused:
            return refused.response
        except AlreadySubmitted as done:
            return done.response(request, f"admin:{opts.app_label}_{opts.model_name}_changelist")
        return response
