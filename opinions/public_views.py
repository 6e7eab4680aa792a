"""Pages of the public online suggestion box: no login, no session, no trace.

These views write no session and use no messages (a stored message would create a
session and its cookie); they put no code or id in a URL, answering a POST with the
page itself rather than a redirect; and every answer is marked ``no-store`` so that
a shared computer's cache does not keep a receipt code.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from campaign.models import Campaign
from campaign.net import client_ip
from core.forms import Form
from opinions import public
from opinions.models import Aspect, OpinionKind
from opinions.services import MAX_TEXT, Target

# --- Forms ---------------------------------------------------------------------------------


class TargetField(forms.ChoiceField):
    """The choice of target. Its list is read only when the form is shown; a posted
    value is checked by resolving it alone (``PublicTargets.resolve``): the same
    answer, without reading some three hundred rows to check one."""

    targets: public.PublicTargets | None = None

    def valid_value(self, value: Any) -> bool:
        if value == public.OTHER_TARGET:
            return True
        return self.targets is not None and self.targets.resolve(str(value)) is not None


class PublicOpinionForm(Form):
    target = TargetField(
        label=_("Whom is your opinion about?"),
        error_messages={
            "required": _("Choose whom your opinion is about, or choose “Not in the list” and describe it."),
            "invalid_choice": _("Choose whom your opinion is about from the list, or choose “Not in the list”."),
        },
    )
    target_text = forms.CharField(
        label=_("Not in the list? Describe whom or what it is about"),
        help_text=_("For example a person's post and unit, or a department. The county office will assign it."),
        max_length=200,
        required=False,
        error_messages={"max_length": _("Keep the description to %(limit_value)d characters (it has %(show_value)d).")},
    )
    kind = forms.ChoiceField(
        label=_("Is it an opinion or a suggestion?"),
        choices=OpinionKind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose whether it is an opinion or a suggestion."),
            "invalid_choice": _("Choose whether it is an opinion or a suggestion."),
        },
    )
    aspect = forms.ChoiceField(
        label=_("Which aspect does it concern?"),
        choices=[("", _("Not sure: the office will decide")), *Aspect.choices],
        required=False,
        error_messages={"invalid_choice": _("Choose an aspect from the list.")},
    )
    text = forms.CharField(
        label=_("Your opinion or suggestion"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=MAX_TEXT,
        error_messages={
            "required": _("Write your opinion or suggestion."),
            "max_length": _("Your text has %(show_value)d characters; at most %(limit_value)d are allowed."),
        },
    )
    name = forms.CharField(
        label=_("Your name (optional)"),
        max_length=100,
        required=False,
        error_messages={"max_length": _("Keep your name to %(limit_value)d characters (it has %(show_value)d).")},
    )
    contact = forms.CharField(
        label=_("Telephone or address (optional)"),
        max_length=100,
        required=False,
        error_messages={"max_length": _("Keep this to %(limit_value)d characters (it has %(show_value)d).")},
    )
    # The honeypot: hidden from people by the stylesheet (.hp), filled in by bots.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    once = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, targets: public.PublicTargets, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.targets = targets
        field = self.fields["target"]
        field.targets = targets
        # A callable: the list is read when the select box is drawn, not to check a POST.
        field.choices = lambda: [
            ("", _("Choose…")),
            *targets.choices(),
            (public.OTHER_TARGET, _("Not in the list: I describe it below")),
        ]
        self.fields["text"].widget.attrs["maxlength"] = MAX_TEXT

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website", "").strip())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        token = cleaned.get("target")
        description = cleaned.get("target_text", "")
        if token == public.OTHER_TARGET:
            if not description:
                self.add_error("target_text", _("Describe whom or what your opinion is about."))
            cleaned["resolved_target"] = Target()
        elif token:
            target = self.targets.resolve(token)
            if target is None:
                self.add_error("target", self.fields["target"].error_messages["invalid_choice"])
            elif description:
                self.add_error(
                    "target_text",
                    _("You chose %(target)s from the list: leave this empty, or choose “Not in the list”.")
                    % {"target": target.obj},
                )
            cleaned["resolved_target"] = target
        return cleaned

    def submission(self) -> public.Submission:
        data = self.cleaned_data
        return public.Submission(
            kind=data["kind"],
            text=data["text"],
            target=data["resolved_target"],
            target_text=data["target_text"],
            aspect=data["aspect"],
            name=data["name"],
            contact=data["contact"],
        )


class ReceiptForm(Form):
    code = forms.CharField(
        label=_("Receipt code"),
        max_length=64,
        error_messages={
            "required": _("Type the receipt code you were given."),
            "max_length": _("No receipt with this code was found. Check the digits and try again."),
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}),
    )


# --- Views ---------------------------------------------------------------------------------

NOT_FOUND = _("No receipt with this code was found. Check the digits and try again.")


@never_cache
@require_http_methods(["GET"])
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "opinions/public_index.html", {"campaigns": list(public.open_campaigns())})


def _write_page(request: HttpRequest, campaign: Campaign, form: PublicOpinionForm | None, **extra: Any) -> HttpResponse:
    status = extra.pop("status", 200)
    context = {
        "campaign": campaign,
        "form": form,
        "is_open": form is not None,
        "wait_minutes": public.SUBMIT_LIMIT.seconds // 60,
        **extra,
    }
    return render(request, "opinions/public_write.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def write(request: HttpRequest, slug: str) -> HttpResponse:
    # A campaign not open to the public is not found, as one that does not exist.
    campaign = public.box_campaign(slug)
    if campaign is None:
        raise Http404
    if not public.campaign_is_open(campaign):
        return _write_page(request, campaign, None)
    targets = public.public_targets(campaign=campaign)
    if request.method == "GET":
        return _write_page(
            request, campaign, PublicOpinionForm(targets=targets, initial={"once": public.form_once_new()})
        )

    data = request.POST.copy()
    if not public.form_once_valid(data.get("once", "")):
        # A missing or damaged token only costs the protection against a resent form.
        data["once"] = public.form_once_new()
    form = PublicOpinionForm(data, targets=targets)
    if not form.is_bot and not form.is_valid():
        # A mistake is not counted against the limit: only what would be stored is.
        return _write_page(request, campaign, form)
    if not public.rate_limit_allow(address=client_ip(request), limit=public.SUBMIT_LIMIT):
        # What was typed stays on the page, to be sent again in a few minutes.
        return _write_page(request, campaign, form, refused=True, status=429)
    if form.is_bot:
        # A bot gets what looks like success, and nothing is stored.
        return _receipt_issued(request, campaign, public.receipt_code_new())
    try:
        code = public.public_opinion_submit(
            campaign=campaign, submission=form.submission(), once=form.cleaned_data["once"]
        )
    except public.AlreadySent:
        return render(request, "opinions/public_already_sent.html", {"campaign": campaign})
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            for message in messages:
                form.add_error(field if field in form.fields else None, message)
        return _write_page(request, campaign, form)
    return _receipt_issued(request, campaign, code)


def _receipt_issued(request: HttpRequest, campaign: Campaign, code: str) -> HttpResponse:
    context = {"campaign": campaign, "code": public.receipt_code_display(code)}
    return render(request, "opinions/public_receipt_issued.html", context)


def _receipt_page(request: HttpRequest, form: ReceiptForm, *, status: int = 200, **extra: Any) -> HttpResponse:
    context = {
        "form": form,
        "statuses": list(public.PublicStatus),
        "wait_minutes": public.RECEIPT_LIMIT.seconds // 60,
        **extra,
    }
    return render(request, "opinions/public_receipt.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def receipt(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _receipt_page(request, ReceiptForm())
    form = ReceiptForm(request.POST)
    if not public.rate_limit_allow(address=client_ip(request), limit=public.RECEIPT_LIMIT):
        return _receipt_page(request, form, refused=True, status=429)
    if not form.is_valid():
        return _receipt_page(request, form)
    status = public.receipt_status(code=form.cleaned_data["code"])
    if status is None:
        form.add_error("code", NOT_FOUND)
        return _receipt_page(request, form)
    # The answer is the status word alone (with the published measure once the problem
    # it raised was solved); the code is not even shown back.
    solution = public.receipt_solution(code=form.cleaned_data["code"]) if status == public.PublicStatus.CLOSED else None
    return _receipt_page(request, ReceiptForm(), status=200, result=status, solution=solution)
