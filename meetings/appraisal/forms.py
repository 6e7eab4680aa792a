"""Forms of the appraisal pages: the ballot, the tellers' paper sheet, the settings, the
public rating and the lists' search. Every form derives from ``core.forms``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from campaign.models import LeadershipTeam, Member
from core.forms import Form
from meetings.appraisal.models import AppraisalSettings, MemberRating, TeamRating
from meetings.appraisal.services import MEMBER_COUNT_FIELDS, SETTINGS_FIELDS, TEAM_COUNT_FIELDS

BLANK = ("", _("Leave blank"))


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class SearchForm(Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)


def apply_errors(form: forms.Form, error: ValidationError, rows: dict[str, Any] | None = None) -> None:
    """A service's errors next to the field or row they name, the rest above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        if rows is not None and name in rows:
            rows[name] = [str(message) for e in errors for message in e.messages]
        else:
            form.add_error(name if name in form.fields else None, errors)


class BallotForm(Form):
    """One ballot: a rating (or blank) for each other member of the branch and for each
    team the branch rates."""

    def __init__(self, *args: Any, members: Iterable[Member], teams: Iterable[LeadershipTeam], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.members = list(members)
        self.teams = list(teams)
        for member in self.members:
            self.fields[f"member_{member.pk}"] = forms.ChoiceField(
                label=member.name,
                choices=[*MemberRating.choices, BLANK],
                required=False,
                widget=forms.RadioSelect,
                error_messages={"invalid_choice": _("Choose a rating from the ballot's choices.")},
            )
        for team in self.teams:
            self.fields[f"team_{team.pk}"] = forms.ChoiceField(
                label=team.name,
                choices=[*TeamRating.choices, BLANK],
                required=False,
                widget=forms.RadioSelect,
                error_messages={"invalid_choice": _("Choose a rating from the ballot's choices.")},
            )

    def member_fields(self) -> list[forms.BoundField]:
        return [self[f"member_{m.pk}"] for m in self.members]

    def team_fields(self) -> list[forms.BoundField]:
        return [self[f"team_{t.pk}"] for t in self.teams]

    def member_ratings(self) -> dict[int, str]:
        return {m.pk: self.cleaned_data.get(f"member_{m.pk}", "") for m in self.members}

    def team_ratings(self) -> dict[int, str]:
        return {t.pk: self.cleaned_data.get(f"team_{t.pk}", "") for t in self.teams}


def _count_field(label: Any) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=100_000,
        required=False,
        widget=forms.NumberInput(attrs={"min": 0, "class": "count"}),
        error_messages={
            "min_value": _("A count cannot be negative."),
            "max_value": _("This count is too large."),
            "invalid": _("Type a whole number."),
        },
    )


class PaperSheetForm(Form):
    """The tellers' count: members present, then per member and per team the marks."""

    present = forms.IntegerField(
        label=_("Members present"),
        min_value=0,
        max_value=100_000,
        error_messages={
            "required": _("Type how many members were present and voted on paper."),
            "min_value": _("The number of members present cannot be negative."),
            "invalid": _("Type a whole number."),
        },
    )

    def __init__(self, *args: Any, members: Iterable[Member], teams: Iterable[LeadershipTeam], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.members = list(members)
        self.teams = list(teams)
        # Errors of a whole row (a member's or a team's counts), from the service.
        self.row_errors: dict[str, list[str] | None] = {}
        for member in self.members:
            self.row_errors[f"member-{member.pk}"] = None
            for name, label in MemberRating.choices:
                self.fields[f"member_{member.pk}_{name}"] = _count_field(label)
        for team in self.teams:
            self.row_errors[f"team-{team.pk}"] = None
            for name, label in TeamRating.choices:
                self.fields[f"team_{team.pk}_{name}"] = _count_field(label)

    def member_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "member": m,
                "fields": [self[f"member_{m.pk}_{n}"] for n in MEMBER_COUNT_FIELDS],
                "errors": self.row_errors.get(f"member-{m.pk}"),
            }
            for m in self.members
        ]

    def team_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "team": t,
                "fields": [self[f"team_{t.pk}_{n}"] for n in TEAM_COUNT_FIELDS],
                "errors": self.row_errors.get(f"team-{t.pk}"),
            }
            for t in self.teams
        ]

    def member_counts(self) -> dict[int, dict[str, int]]:
        data = self.cleaned_data
        return {m.pk: {n: data.get(f"member_{m.pk}_{n}") or 0 for n in MEMBER_COUNT_FIELDS} for m in self.members}

    def team_counts(self) -> dict[int, dict[str, int]]:
        data = self.cleaned_data
        return {t.pk: {n: data.get(f"team_{t.pk}_{n}") or 0 for n in TEAM_COUNT_FIELDS} for t in self.teams}


SETTINGS_HELP = {
    "unqualified_denominator": _(
        "A member is flagged when unqualified marks reach this share of his or her valid ballots (1/3 by default)."
    ),
    "approval_denominator": _(
        "A member is flagged when excellent and qualified marks together fall below this share (1/2 by default)."
    ),
    "min_ballots": _("No result is shown, and no one flagged, on fewer valid ballots; never fewer than 3."),
    "public_closes_on": _(
        "The public rates the teams online between these dates; leave both empty for no public rating."
    ),
}


class SettingsForm(Form):
    """The campaign's appraisal settings; the service checks them and saves."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(
            forms.fields_for_model(
                AppraisalSettings,
                fields=SETTINGS_FIELDS,
                widgets={"public_opens_on": DateInput(), "public_closes_on": DateInput()},
                help_texts=SETTINGS_HELP,
            )
        )


def forms_initial(settings: AppraisalSettings) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in SETTINGS_FIELDS}


class PublicRatingForm(Form):
    team = forms.ChoiceField(
        label=_("Which leadership team do you rate?"),
        error_messages={
            "required": _("Choose a leadership team from the list."),
            "invalid_choice": _("Choose a leadership team from the list."),
        },
    )
    rating = forms.ChoiceField(
        label=_("How satisfied are you with its work?"),
        choices=TeamRating.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose how satisfied you are."),
            "invalid_choice": _("Choose how satisfied you are."),
        },
    )
    # The honeypot: hidden from people by the stylesheet (.hp), filled in by bots.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    once = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, teams: Iterable[LeadershipTeam], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.teams = {str(t.pk): t for t in teams}
        self.fields["team"].choices = [("", _("Choose…")), *((pk, t.name) for pk, t in self.teams.items())]

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website", "").strip())

    def chosen_team(self) -> LeadershipTeam | None:
        return self.teams.get(self.cleaned_data.get("team", ""))
