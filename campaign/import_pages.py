"""The upload → dry run → confirm flow of an import page, shared by the apps.

An uploaded file waits in storage under a random token that only the session knows
(the client never names a path). The page shows the dry run's report — every bad row,
or what would be written — and, when every row is good, a confirmation form carrying
the token. The confirmation imports the waiting file for real (the data may have
changed since: a bad report is shown again) and redirects to the page with a message.
A new upload replaces the file waiting for confirmation.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from campaign.models import Campaign
from campaign.services import upload_discard, upload_extension, upload_open, upload_stash
from core.importing import ImportReport
from core.once import AlreadySubmitted, FormOnce
from core.uploads import upload_refusal


def _nothing(*args: Any) -> dict[str, Any]:
    return {}


class _Refused(Exception):
    """The confirmed import found bad rows: it wrote nothing, and its token stays unused."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__()
        self.report = report


@dataclass(frozen=True)
class ImportFlow:
    """One import page. ``run(campaign=, user=, source=, filename=, dry_run=, **options)``
    imports a file; ``options(form)``: what the upload form adds to it (kept with the
    waiting file, so JSON); ``context(request, campaign)``: what else the page shows;
    ``large(request, campaign, form)``: a response that takes over a file too large to
    check in the request (a job with a progress bar), or None to go on here."""

    session_key: str
    url_name: str  # the page itself, where a confirmation returns
    template: str
    form_class: type[forms.Form]
    run: Callable[..., ImportReport]
    options: Callable[[forms.Form], dict[str, Any]] = field(default=_nothing)
    context: Callable[[HttpRequest, Campaign], dict[str, Any]] = field(default=_nothing)
    large: Callable[[HttpRequest, Campaign, forms.Form], HttpResponse | None] | None = None

    def page(self, request: HttpRequest, campaign: Campaign) -> HttpResponse:
        # A body larger than the cap by its Content-Length never gets here (the view is
        # decorated with core.uploads.upload_limit); one cut off while it streamed does.
        refusal = upload_refusal(request) if request.method == "POST" else None
        if refusal:
            messages.error(request, refusal)
            return self.render(request, campaign, self.form_class(), None)
        if request.method == "POST" and "confirm" in request.POST:
            return self.confirm(request, campaign)
        form = self.form_class(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            self.forget(request)
            taken = self.large(request, campaign, form) if self.large is not None else None
            if taken is not None:
                return taken
            upload = form.cleaned_data["file"]
            extension = upload_extension(upload.name)
            token = upload_stash(upload=upload, extension=extension)
            options = self.options(form)
            with upload_open(token, extension) as source:
                report = self.run(
                    campaign=campaign, user=request.user, source=source, filename=upload.name, dry_run=True, **options
                )
            if report.ok:
                request.session[self.session_key] = {
                    "token": token,
                    "extension": extension,
                    "filename": upload.name,
                    "options": options,
                    "campaign": campaign.pk,
                }
            else:
                upload_discard(token, extension)
        return self.render(request, campaign, form, report)

    def confirm(self, request: HttpRequest, campaign: Campaign) -> HttpResponse:
        pending = request.session.get(self.session_key)
        if pending and pending["campaign"] != campaign.pk:
            self.forget(request)
            pending = None
        # A stale page (another tab uploaded since) leaves the waiting file for its own page.
        if not pending or not secrets.compare_digest(pending["token"], request.POST.get("token", "")):
            messages.error(request, _("That upload is no longer waiting; upload the file again."))
            return redirect(self.url_name)
        # The confirmation is a create form (core.once): two sendings of it, however
        # close, import the file once.
        once = FormOnce(request)
        if not once.valid_for():
            messages.error(request, once.message())
            return redirect(self.url_name)
        del request.session[self.session_key]
        try:
            with once.consume() as use:
                with upload_open(pending["token"], pending["extension"]) as source:
                    report = self.run(
                        campaign=campaign,
                        user=request.user,
                        source=source,
                        filename=pending["filename"],
                        dry_run=False,
                        # The dry run said the file (or its rows) came before: the box ticked.
                        again=request.POST.get("again") == "1",
                        **pending.get("options", {}),
                    )
                if not report.ok:
                    raise _Refused(report)
                use.leads_to(reverse(self.url_name))
        except AlreadySubmitted as done:
            return done.response(request, self.url_name)
        except _Refused as refused:
            # The data changed between the dry run and the confirmation.
            return self.render(request, campaign, self.form_class(), refused.report)
        except FileNotFoundError:
            messages.error(request, _("That upload is no longer waiting; upload the file again."))
            return redirect(self.url_name)
        finally:
            upload_discard(pending["token"], pending["extension"])
        messages.success(
            request,
            _("Imported %(file)s: %(counts)s.")
            % {"file": report.filename, "counts": "; ".join(map(str, report.counts))},
        )
        return redirect(self.url_name)

    def forget(self, request: HttpRequest) -> None:
        """A new upload replaces the one waiting for confirmation."""
        pending = request.session.pop(self.session_key, None)
        if pending:
            upload_discard(pending["token"], pending["extension"])

    def render(
        self, request: HttpRequest, campaign: Campaign, form: forms.Form, report: ImportReport | None
    ) -> HttpResponse:
        pending = request.session.get(self.session_key)
        context = {
            "campaign": campaign,
            "form": form,
            "report": report,
            "token": pending["token"] if pending and report is not None and report.ok else "",
            "limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
            **self.context(request, campaign),
        }
        return render(request, self.template, context)
