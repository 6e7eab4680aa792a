"""Forms of the feedback pages. Choice lists come from the user's scope; the rules
(the k rule, drafts only, who signs) live in ``opinions.feedback``, whose errors
``apply_errors`` puts next to the fields they name."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign, OrgUnit, OrgUnitKind, TargetCategory
from campaign.scoping import scope_for
from core.forms import Form
from opinions import feedback_selectors as fs
from opinions.feedback import DOWN, UP
from opinions.models import Aspect, FeedbackList, Opinion, ReleaseBatch
from opinions.services import MAX_TEXT


def _blank(choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", _("All")), *choices]


def _units(user: Any, campaign: Campaign | None) -> QuerySet[OrgUnit]:
    units = scope_for(user).filter(OrgUnit.objects.exclude(kind=OrgUnitKind.BRANCH))
    if campaign is not None:
        units = units.filter(campaign=campaign)
    return units.order_by("path")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class FeedbackFilterForm(Form):
    q = forms.CharField(label=_("Search by name"), required=False, max_length=100)
    unit = forms.ModelChoiceField(label=_("Unit"), required=False, queryset=OrgUnit.objects.none())
    category = forms.ChoiceField(label=_("Category"), required=False, choices=_blank(TargetCategory.choices))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=_blank(FeedbackList.Status.choices))
    ready = forms.ChoiceField(
        label=_("Ready to release"),
        required=False,
        choices=_blank([(fs.READY, _("Ready")), (fs.NOT_READY, _("Not ready"))]),
    )

    def __init__(self, *args: Any, user: Any, campaign: Campaign | None, with_status: bool = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = _units(user, campaign)
        self.fields["unit"].empty_label = _("All")
        if not with_status:
            del self.fields["status"]

    def filters(self) -> fs.FeedbackFilters:
        """The valid filters; an invalid one is dropped (and its error shown)."""
        if not self.is_bound:
            return fs.FeedbackFilters()
        self.is_valid()
        return fs.FeedbackFilters.from_data(self.cleaned_data)


class TargetFilterForm(Form):
    q = forms.CharField(label=_("Search by name"), required=False, max_length=100)
    unit = forms.ModelChoiceField(label=_("Unit"), required=False, queryset=OrgUnit.objects.none())
    category = forms.ChoiceField(label=_("Category"), required=False, choices=_blank(TargetCategory.choices))

    def __init__(self, *args: Any, user: Any, campaign: Campaign | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = _units(user, campaign)
        self.fields["unit"].empty_label = _("All")

    def filters(self) -> fs.TargetFilters:
        if not self.is_bound:
            return fs.TargetFilters()
        self.is_valid()
        return fs.TargetFilters.from_data(self.cleaned_data)


class StartForm(Form):
    """Open (or create) the list of one target, named by its token ("member:12")."""

    target = forms.CharField(max_length=40)


class OpinionChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Opinion) -> str:
        return obj.text


class FeedbackItemForm(Form):
    text = forms.CharField(
        label=_("Feedback in the office's own words"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Consolidate the opinions chosen below: keep their substance, leave out anything that could tell "
            "who gave them (names, places, dates, turns of phrase)."
        ),
    )
    aspect = forms.ChoiceField(label=_("Aspect"), choices=[("", "—"), *Aspect.choices])
    opinions = OpinionChoiceField(
        label=_("Opinions consolidated"),
        queryset=Opinion.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one opinion that this item consolidates.")},
    )

    def __init__(self, *args: Any, choices: QuerySet[Opinion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["opinions"].queryset = choices


class WordingForm(Form):
    confirmed = forms.BooleanField(label=_("I have consolidated the wording of this list"), required=False)


class MoveForm(Form):
    direction = forms.ChoiceField(choices=[(UP, _("Up")), (DOWN, _("Down"))])


class ReleaseForm(Form):
    lists = forms.ModelMultipleChoiceField(
        label=_("Lists"),
        queryset=FeedbackList.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Select at least one list to release.")},
    )
    released_on = forms.DateField(label=_("Released on"), widget=DateInput())
    note = forms.CharField(label=_("Note"), required=False, max_length=ReleaseBatch._meta.get_field("note").max_length)

    def __init__(self, *args: Any, choices: QuerySet[FeedbackList], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"released_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["lists"].queryset = choices


class SignForm(Form):
    confirmed = forms.BooleanField(
        label=_("I have read the list above and sign for it."),
        required=False,
    )
