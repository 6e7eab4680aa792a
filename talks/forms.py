"""Forms of the card pages: a talk card, the register's filters, the review decision.

People are named the way the opinion forms name targets: a text box with the scoped
autocomplete of static/js/batch_entry.js, which puts "member:<id>" into a hidden
"<name>_token" input; without JavaScript the full name typed is looked up instead.
The server resolves either among the members the user may name there."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign, Member, OrgUnit
from campaign.scoping import scope_for
from core.forms import Form
from talks import card_selectors as selectors
from talks.models import (
    CARD_COMMENT_MAX_CHARS,
    CARD_TEXT_MAX_CHARS,
    CardDecision,
    CardState,
    Relation,
    Talk,
    TalkKind,
)
from talks.services import FIELDS, analysis_stage

TOKEN = re.compile(r"^member:(\d{1,18})$")
NUMBER_TOKEN = re.compile(r"^number:(.{1,40})$")
PERSON_HELP = _("Type part of a name and choose from the list; without the list, type the full name.")
OTHER_HELP_FOR_MEMBER = _(
    "The list holds the people of your unit, your teams and the units in your charge; "
    "for anyone else, type his or her number exactly."
)


def _blank(choices: list[tuple[str, Any]], label: Any = None) -> list[tuple[str, Any]]:
    return [("", label or _("All")), *choices]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def resolve_member(
    members: QuerySet[Member],
    value: str,
    *,
    field: str,
    by_number: Callable[[str], Member | None] | None = None,
) -> Member:
    """The member a form names, by token or by exact name, among ``members``; or, where
    ``by_number`` is given, anyone it finds by his or her exact number (a "number:"
    token of the autocomplete, or the number typed). A token for someone the user may
    not name gets the same answer as one for nobody at all."""
    value = (value or "").strip()
    match = TOKEN.match(value)
    if match:
        member = members.filter(pk=int(match.group(1))).first()
        if member is None:
            raise ValidationError(
                {field: gettext("The chosen member is not one you may name here. Choose again from the list.")}
            )
        return member
    match = NUMBER_TOKEN.match(value)
    if match:
        member = by_number(match.group(1)) if by_number is not None else None
        if member is None:
            raise ValidationError(
                {field: gettext("The chosen member is not one you may name here. Choose again from the list.")}
            )
        return member
    found = list(members.filter(name__iexact=value).select_related("unit")[:6])
    if len(found) == 1:
        return found[0]
    if not found and by_number is not None:
        member = by_number(value)
        if member is not None:
            return member
    if found:
        names = "; ".join(f"{m.name} ({selectors.member_option(m).detail})" for m in found[:5])
        raise ValidationError(
            {
                field: gettext("Several members are called “%(name)s”: %(names)s. Choose one from the list.")
                % {"name": value, "names": names}
            }
        )
    similar = members.filter(name__icontains=value).order_by("name")[:5]
    if similar:
        raise ValidationError(
            {
                field: gettext("No member you may name is called exactly “%(name)s”. Did you mean: %(names)s?")
                % {"name": value, "names": "; ".join(m.name for m in similar)}
            }
        )
    if by_number is not None:
        raise ValidationError(
            {
                field: gettext(
                    "No member you may name is called “%(name)s”. To name someone outside your unit, "
                    "your teams and the units in your charge, type his or her number exactly."
                )
                % {"name": value}
            }
        )
    raise ValidationError({field: gettext("No member you may name is called “%(name)s”.") % {"name": value}})


class CardForm(Form):
    """One talk card. A member logs his or her own talks: the first person is fixed
    (``first_fixed``); a secretary or the office chooses the first person among the
    members in reach. The other person is a member the user may name
    (``card_selectors.members_for_other``: for a member, the people he or she can be
    required or expected to talk with, anyone else by the exact number), or someone
    outside the membership (the public kind)."""

    kind = forms.ChoiceField(label=_("Must-talk kind"), choices=TalkKind.choices)
    member = forms.CharField(label=_("Member"), required=False, max_length=100, help_text=PERSON_HELP)
    member_token = forms.CharField(required=False, widget=forms.HiddenInput)
    other_member = forms.CharField(
        label=_("Talked with (member)"), required=False, max_length=100, help_text=PERSON_HELP
    )
    other_member_token = forms.CharField(required=False, widget=forms.HiddenInput)
    outsider_name = forms.CharField(label=_("Talked with (name)"), required=False, max_length=100)
    outsider_role = forms.CharField(
        label=_("His or her role"),
        required=False,
        max_length=100,
        help_text=_("For example: village head, shop owner, teacher at the primary school."),
    )
    outsider_relation = forms.ChoiceField(label=_("Relation"), required=False, choices=_blank(Relation.choices, "—"))
    talked_on = forms.DateField(label=_("Date"), widget=DateInput())
    place = forms.CharField(label=_("Place"), required=False, max_length=200)
    topics = forms.CharField(
        label=_("Topics"), max_length=CARD_TEXT_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 3})
    )
    member_problems = forms.CharField(
        label=_("Problems the member raised"),
        required=False,
        max_length=CARD_TEXT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    other_problems = forms.CharField(
        label=_("Problems the other raised"),
        required=False,
        max_length=CARD_TEXT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    agreed = forms.CharField(
        label=_("What was agreed"),
        required=False,
        max_length=CARD_TEXT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    OUTSIDER_FIELDS = ("outsider_name", "outsider_role", "outsider_relation")

    def __init__(self, *args: Any, user: Any, campaign: Campaign, talk: Talk | None = None, **kwargs: Any) -> None:
        if talk is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_for(talk)
        super().__init__(*args, **kwargs)
        self.user, self.campaign, self.talk = user, campaign, talk
        self.first_fixed = self._fixed_first(user, campaign, talk)
        if self.first_fixed is not None:
            del self.fields["member"], self.fields["member_token"]
        else:
            self._autocomplete("member", selectors.FIRST)
            # The box sits in its own search form (its own autocomplete URL) and is sent
            # with the card's form (the HTML form attribute).
            self.fields["member"].widget.attrs.update({"form": "card-form", "autofocus": True})
        self._autocomplete("other_member", selectors.OTHER)
        if not selectors.logs_for_others(user, campaign):
            self.fields["other_member"].help_text = OTHER_HELP_FOR_MEMBER
        stage = analysis_stage(campaign)
        if stage is not None:
            self.fields["talked_on"].widget.attrs.update(
                {"min": stage.starts_on.isoformat(), "max": stage.ends_on.isoformat()}
            )
            self.fields["talked_on"].help_text = _("Within the analysis-and-evaluation stage: %(start)s – %(end)s.") % {
                "start": stage.starts_on.isoformat(),
                "end": stage.ends_on.isoformat(),
            }
            today = timezone.localdate()
            if talk is None and stage.starts_on <= today <= stage.ends_on:
                self.initial.setdefault("talked_on", today)
        if self.first_fixed is not None:
            self.fields["kind"].widget.attrs["autofocus"] = True
        if talk is None:
            self.initial.setdefault("kind", self.default_kind(self.first_fixed))
        for name in self.OUTSIDER_FIELDS:
            self.fields[name].widget.attrs["data-outsider"] = ""
        self.fields["other_member"].widget.attrs["data-member-only"] = ""

    def _autocomplete(self, name: str, who: str) -> None:
        self.fields[name].widget.attrs.update(
            {"autocomplete": "off", "data-target-search": "", "data-who": who, "class": "target-name"}
        )
        self.fields[f"{name}_token"].widget.attrs.update({"class": "target-token"})

    @staticmethod
    def default_kind(first: Member | None) -> str:
        """The kind a new card starts with: between team members for a member who sits
        on a leadership team (his or her required pairs), member with member for
        everyone else and for whoever logs others' cards; never the first of the list
        for all, which made most cards "team" talks by mistake."""
        if first is not None and first.teams.exists():
            return TalkKind.TEAM
        return TalkKind.MEMBER

    @staticmethod
    def _fixed_first(user: Any, campaign: Campaign, talk: Talk | None) -> Member | None:
        """The first person, when the user logs only his or her own talks."""
        scope = scope_for(user)
        if scope.is_admin or campaign.pk in scope.office_campaign_ids or scope.secretary_paths:
            return None
        if talk is not None:
            return talk.member
        return scope.member

    @staticmethod
    def initial_for(talk: Talk) -> dict[str, Any]:
        initial: dict[str, Any] = {
            name: getattr(talk, name) for name in FIELDS if name not in ("member", "other_member")
        }
        initial["member"] = talk.member.name
        initial["member_token"] = selectors.member_token(talk.member)
        if talk.other_member_id:
            initial["other_member"] = talk.other_member.name
            initial["other_member_token"] = selectors.member_token(talk.other_member)
        return initial

    def _person(self, name: str, who: str) -> Member | None:
        token = (self.cleaned_data.get(f"{name}_token") or "").strip()
        typed = (self.cleaned_data.get(name) or "").strip()
        if not token and not typed:
            return None
        members = selectors.members_for(self.user, self.campaign, who)
        if self.talk is not None:
            # The people already on the card stay nameable by whoever may correct it.
            members = members | Member.objects.filter(pk__in=[self.talk.member_id, self.talk.other_member_id])

        def by_number(number: str) -> Member | None:
            return selectors.member_by_number(self.user, self.campaign, number)

        # The other person may be anyone outside the list by the exact number (the same
        # rule as the autocomplete's); the first, never.
        return resolve_member(
            members.distinct(),
            token or typed,
            field=name,
            by_number=by_number if who == selectors.OTHER else None,
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        kind = cleaned.get("kind", "")
        try:
            cleaned["member_obj"] = self.first_fixed or self._person("member", selectors.FIRST)
            if cleaned["member_obj"] is None:
                raise ValidationError({"member": gettext("Choose the member who talked.")})
        except ValidationError as error:
            apply_errors(self, error)
        cleaned["other_obj"] = None
        if kind == TalkKind.PUBLIC:
            # The member box may still hold a name from before the kind was changed.
            cleaned["other_member"] = ""
        else:
            for name in self.OUTSIDER_FIELDS:
                cleaned[name] = ""
            try:
                cleaned["other_obj"] = self._person("other_member", selectors.OTHER)
            except ValidationError as error:
                apply_errors(self, error)
        return cleaned

    def data_for_service(self) -> dict[str, Any]:
        data = {name: self.cleaned_data.get(name) for name in FIELDS}
        data["member"] = self.cleaned_data.get("member_obj")
        data["other_member"] = self.cleaned_data.get("other_obj")
        return data

    def person_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("member", "other_member") if name in self.fields]

    def outsider_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.OUTSIDER_FIELDS]

    def detail_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("talked_on", "place", "topics", "member_problems", "other_problems", "agreed")]


class CardFilterForm(Form):
    """The register's filters; the names are the GET parameters."""

    q = forms.CharField(label=pgettext_lazy("a person's name", "Name"), required=False, max_length=100)
    unit = forms.ModelChoiceField(label=_("Organisation"), required=False, queryset=OrgUnit.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=_blank(TalkKind.choices))
    state = forms.ChoiceField(label=_("Review"), required=False, choices=_blank(CardState.choices))
    talked_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    talked_to = forms.DateField(label=_("Until"), required=False, widget=DateInput())
    flagged = forms.BooleanField(label=_("Returned twice or more"), required=False)

    def __init__(self, *args: Any, user: Any, campaign: Campaign | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = selectors.units_for_filter(user, campaign)
        self.fields["unit"].empty_label = _("All")

    def filters(self) -> selectors.CardFilters:
        """The valid filters; an invalid one is dropped (its error shown), the others apply."""
        if not self.is_bound:
            return selectors.CardFilters()
        self.is_valid()
        return selectors.CardFilters.from_data(self.cleaned_data)


class ReviewForm(Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=CardDecision.choices, widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=CARD_COMMENT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when you return the card: say what the recorder should revise."),
    )


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's errors next to the fields they name, the rest above the form."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)
