"""Forms of the rectification pages. They parse; the rules are the services'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.models import Campaign, OrgUnit, OrgUnitKind
from campaign.scoping import scope_for
from core.forms import Form
from rectification import services
from rectification.models import (
    NAME_MAX_CHARS,
    PROBLEM_TEXT_MAX_CHARS,
    REASON_MAX_CHARS,
    TITLE_MAX_CHARS,
    YUAN_DIGITS,
    ProblemCategory,
    ProblemSource,
    ProblemState,
)
from rectification.selectors import SEARCH_MAX_CHARS, ProblemFilters, ResultFilters

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def apply_errors(form: forms.Form, error: Any) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def units_in_reach(user: Any, campaign: Campaign | None, *, editable: bool = False) -> Any:
    if campaign is None:
        return OrgUnit.objects.none()
    units = OrgUnit.objects.filter(campaign=campaign).exclude(kind=OrgUnitKind.BRANCH)
    scope = scope_for(user)
    if editable and not (scope.is_admin or campaign.pk in scope.office_campaign_ids):
        reach = Q(pk__in=[])
        for path in scope.secretary_paths:
            reach |= Q(path__startswith=path)
        units = units.filter(reach)
    elif not editable:
        units = scope.filter(units)
    return units.order_by("path")


class ProblemFilterForm(Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=SEARCH_MAX_CHARS)
    unit = forms.ModelChoiceField(label=gettext_lazy("Organisation"), required=False, queryset=OrgUnit.objects.none())
    state = forms.ChoiceField(label=gettext_lazy("State"), required=False)
    category = forms.ChoiceField(label=gettext_lazy("Problem category"), required=False)
    source = forms.ChoiceField(label=gettext_lazy("Found in"), required=False)
    overdue = forms.BooleanField(label=gettext_lazy("Overdue only"), required=False)
    opened = forms.DateField(label=gettext_lazy("Opened on"), required=False, widget=DATE)
    solved = forms.DateField(label=gettext_lazy("Solved on"), required=False, widget=DATE)

    def __init__(self, *args: Any, user: Any, campaign: Campaign | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units_in_reach(user, campaign)
        self.fields["unit"].empty_label = _("All")
        self.fields["state"].choices = [("", _("All")), *ProblemState.choices]
        self.fields["category"].choices = [("", _("All")), *ProblemCategory.choices]
        self.fields["source"].choices = [("", _("All")), *ProblemSource.choices]

    def filters(self) -> ProblemFilters:
        if not self.is_valid():
            return ProblemFilters()
        data = self.cleaned_data
        return ProblemFilters(
            within=data.get("unit"),
            state=data.get("state") or "",
            category=data.get("category") or "",
            source=data.get("source") or "",
            overdue=bool(data.get("overdue")),
            search=data.get("q") or "",
            opened_on=data.get("opened"),
            solved_on=data.get("solved"),
        )


class ProblemForm(Form):
    unit = forms.ModelChoiceField(label=gettext_lazy("Owning organisation"), queryset=OrgUnit.objects.none())
    title = forms.CharField(label=gettext_lazy("Problem title"), max_length=TITLE_MAX_CHARS)
    text = forms.CharField(label=gettext_lazy("Problem"), max_length=PROBLEM_TEXT_MAX_CHARS, widget=forms.Textarea)
    category = forms.ChoiceField(label=gettext_lazy("Problem category"), choices=ProblemCategory.choices)
    responsible = forms.CharField(label=gettext_lazy("Responsible person"), max_length=NAME_MAX_CHARS, required=False)
    due_on = forms.DateField(label=gettext_lazy("Due date"), required=False, widget=DATE)
    measures = forms.CharField(
        label=gettext_lazy("Measures"), max_length=PROBLEM_TEXT_MAX_CHARS, required=False, widget=forms.Textarea
    )

    def __init__(self, *args: Any, user: Any, campaign: Campaign | None, with_unit: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if with_unit:
            self.fields["unit"].queryset = units_in_reach(user, campaign, editable=True)
        else:
            del self.fields["unit"]

    def details(self) -> services.Details:
        data = self.cleaned_data
        return services.Details(
            title=data["title"],
            text=data["text"],
            category=data["category"],
            responsible=data.get("responsible") or "",
            due_on=data.get("due_on"),
            measures=data.get("measures") or "",
        )


class HandOverForm(Form):
    # Named by its code, not chosen from a list: the list would show every department of
    # the county to a secretary who sees only his or her own.
    to_unit = forms.ModelChoiceField(
        label=gettext_lazy("Receiving department's code"),
        queryset=OrgUnit.objects.none(),
        to_field_name="code",
        widget=forms.TextInput(attrs={"maxlength": 40}),
        error_messages={"invalid_choice": gettext_lazy("No department of this campaign has this code.")},
    )
    reason = forms.CharField(
        label=gettext_lazy("Why it is handed over"), max_length=REASON_MAX_CHARS, widget=forms.Textarea
    )

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_unit"].queryset = OrgUnit.objects.filter(campaign=campaign, kind=OrgUnitKind.UNIT).order_by(
            "path"
        )


class ReturnForm(Form):
    reason = forms.CharField(
        label=gettext_lazy("Why it is sent back"), max_length=REASON_MAX_CHARS, widget=forms.Textarea
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class SolveForm(Form):
    public_measure = forms.CharField(
        label=gettext_lazy("Measure published to the people"),
        max_length=PROBLEM_TEXT_MAX_CHARS,
        widget=forms.Textarea,
        help_text=gettext_lazy("Shown on the receipts of the public who raised it; name no one."),
    )
    evidence = MultipleFileField(
        label=gettext_lazy("Evidence"),
        required=False,
        help_text=gettext_lazy("PDF, JPEG or PNG pictures, Word or Excel files; up to 10 files of 5 MB each."),
    )

    def uploads(self) -> list[services.Upload]:
        return [services.Upload(name=f.name, content=f.read()) for f in self.cleaned_data.get("evidence") or []]


class ResultFilterForm(Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=SEARCH_MAX_CHARS)
    unit = forms.ModelChoiceField(label=gettext_lazy("Organisation"), required=False, queryset=OrgUnit.objects.none())
    start = forms.DateField(label=gettext_lazy("From"), required=False, widget=DATE)
    end = forms.DateField(label=gettext_lazy("Until"), required=False, widget=DATE)

    def __init__(self, *args: Any, user: Any, campaign: Campaign | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units_in_reach(user, campaign)
        self.fields["unit"].empty_label = _("All")

    def filters(self) -> ResultFilters:
        if not self.is_valid():
            return ResultFilters()
        data = self.cleaned_data
        return ResultFilters(
            within=data.get("unit"), search=data.get("q") or "", start=data.get("start"), end=data.get("end")
        )


def _count(label: Any) -> forms.IntegerField:
    return forms.IntegerField(label=label, required=False, min_value=0, max_value=services.MAX_COUNT)


def _yuan(label: Any) -> forms.DecimalField:
    return forms.DecimalField(label=label, required=False, min_value=0, max_digits=YUAN_DIGITS, decimal_places=2)


class ResultForm(Form):
    unit = forms.ModelChoiceField(label=gettext_lazy("Organisation"), queryset=OrgUnit.objects.none())
    working_team = forms.CharField(label=gettext_lazy("Working team"), max_length=NAME_MAX_CHARS, required=False)
    done_on = forms.DateField(label=gettext_lazy("Date"), widget=DATE)
    households_visited = _count(gettext_lazy("Households visited"))
    person_times = _count(gettext_lazy("Person-times"))
    practical_things = _count(gettext_lazy("Practical things done"))
    donations_yuan = _yuan(gettext_lazy("Donations (yuan)"))
    spring_farming_yuan = _yuan(gettext_lazy("Spring-farming funds (yuan)"))
    structure_adjustment_yuan = _yuan(gettext_lazy("Structure-adjustment funds (yuan)"))
    condolence_yuan = _yuan(gettext_lazy("Condolence funds (yuan)"))
    households_planting = _count(gettext_lazy("Poor households helped to plant"))
    planted_mu = _count(gettext_lazy("Planted area (mu)"))
    crop = forms.CharField(label=gettext_lazy("Crop"), max_length=50, required=False)
    households_livestock = _count(gettext_lazy("Poor households helped to breed"))
    livestock_head = _count(gettext_lazy("Head of livestock"))
    livestock_kind = forms.CharField(label=gettext_lazy("Kind of livestock"), max_length=50, required=False)
    disputes_investigated = _count(gettext_lazy("Disputes investigated"))
    disputes_solved = _count(gettext_lazy("Disputes solved"))
    disputes_handed_over = _count(gettext_lazy("Disputes handed over"))
    handed_to = forms.CharField(
        label=gettext_lazy("Disputes handed over to"), max_length=NAME_MAX_CHARS, required=False
    )
    dispute_subjects = forms.CharField(
        label=gettext_lazy("Disputes, one per line"),
        max_length=PROBLEM_TEXT_MAX_CHARS,
        required=False,
        widget=forms.Textarea,
    )
    note = forms.CharField(
        label=gettext_lazy("What was done"), max_length=PROBLEM_TEXT_MAX_CHARS, required=False, widget=forms.Textarea
    )

    def __init__(self, *args: Any, user: Any, campaign: Campaign | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units_in_reach(user, campaign, editable=True)

    def result_input(self) -> services.ResultInput:
        data = self.cleaned_data
        return services.ResultInput(
            done_on=data["done_on"],
            working_team=data.get("working_team") or "",
            counts={key: data.get(key) for key in services.COUNT_FIELDS},
            amounts={key: data.get(key) for key in services.AMOUNT_FIELDS},
            crop=data.get("crop") or "",
            livestock_kind=data.get("livestock_kind") or "",
            note=data.get("note") or "",
            disputes_investigated=data.get("disputes_investigated"),
            disputes_solved=data.get("disputes_solved"),
            disputes_handed_over=data.get("disputes_handed_over"),
            dispute_subjects=(data.get("dispute_subjects") or "").splitlines(),
            handed_to=data.get("handed_to") or "",
        )
