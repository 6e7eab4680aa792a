"""Forms of the look-back: input only; the rules are the services'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campaign.models import Campaign, Member, OrgUnit, OrgUnitKind
from campaign.scoping import AnyUser, scope_for
from core.forms import Form, ModelForm
from lookback import services
from lookback.models import (
    EVIDENCE_MAX_BYTES,
    SHORT_MAX_CHARS,
    TEXT_MAX_CHARS,
    AttendanceStatus,
    BranchSecretary,
    CheckItem,
    CheckState,
    Item,
    LookbackSettings,
    OrderState,
)

MET_CHOICES = [("1", pgettext_lazy("lookback", "Met")), ("0", pgettext_lazy("lookback", "Not met"))]


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's errors next to the fields they name, the rest above the form."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _date(label: Any, **kwargs: Any) -> forms.DateField:
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}), **kwargs)


class SessionForm(Form):
    committee = forms.ModelChoiceField(label=_("Organising committee"), queryset=OrgUnit.objects.none())
    held_on = _date(_("Date"))
    place = forms.CharField(label=_("Place"), max_length=SHORT_MAX_CHARS)
    trainer = forms.CharField(label=_("Trainer"), max_length=100)
    covers_procedure = forms.BooleanField(label=_("Procedure"), required=False, initial=True)
    covers_policy = forms.BooleanField(label=_("Policy"), required=False, initial=True)
    covers_qa = forms.BooleanField(label=_("Questions and answers"), required=False, initial=True)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=TEXT_MAX_CHARS, widget=forms.Textarea)

    def __init__(self, *args: Any, user: AnyUser, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        committees = OrgUnit.objects.filter(
            campaign=campaign, kind__in=[OrgUnitKind.PARTY_COMMITTEE, OrgUnitKind.COUNTY_COMMITTEE]
        ).order_by("path")
        self.fields["committee"].queryset = scope_for(user).filter(committees)

    def data_for_service(self) -> services.SessionData:
        return services.SessionData(**self.cleaned_data)


class AttendanceForm(Form):
    """One row per secretary: present, absent, made up later (with the day)."""

    def __init__(self, *args: Any, secretaries: list[BranchSecretary], recorded: dict, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.secretaries = secretaries
        choices = [("", "—"), *AttendanceStatus.choices]
        for secretary in secretaries:
            found = recorded.get(secretary.pk)
            self.fields[f"status_{secretary.pk}"] = forms.ChoiceField(
                label=f"{secretary.branch.name} · {secretary.member.name}",
                choices=choices,
                required=False,
                initial=found.status if found else "",
            )
            self.fields[f"made_up_{secretary.pk}"] = _date(
                _("made up on"), required=False, initial=found.made_up_on if found else None
            )

    def rows(self) -> list[tuple[BranchSecretary, forms.BoundField, forms.BoundField]]:
        return [(s, self[f"status_{s.pk}"], self[f"made_up_{s.pk}"]) for s in self.secretaries]

    def entries(self) -> list[services.AttendanceEntry]:
        found = []
        for secretary in self.secretaries:
            status = self.cleaned_data.get(f"status_{secretary.pk}")
            if status:
                found.append(
                    services.AttendanceEntry(
                        secretary=secretary, status=status, made_up_on=self.cleaned_data.get(f"made_up_{secretary.pk}")
                    )
                )
        return found


class AppointForm(Form):
    member = forms.ModelChoiceField(label=_("Secretary"), queryset=Member.objects.none())
    since = _date(_("Secretary since"))

    def __init__(self, *args: Any, branch: OrgUnit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = Member.objects.filter(branch=branch).order_by("name")


class SelfCheckForm(Form):
    """The six items: met or not, with notes."""

    def __init__(self, *args: Any, items: dict[int, CheckItem] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        items = items or {}
        for number, label in Item.choices:
            found = items.get(number)
            self.fields[f"met_{number}"] = forms.ChoiceField(
                label=label,
                choices=MET_CHOICES,
                widget=forms.RadioSelect,
                initial=("1" if found.self_met else "0") if found else None,
            )
            self.fields[f"notes_{number}"] = forms.CharField(
                label=_("Notes"),
                required=False,
                max_length=TEXT_MAX_CHARS,
                widget=forms.Textarea(attrs={"rows": 2}),
                initial=found.self_notes if found else "",
            )

    def judgements(self) -> dict[int, services.ItemJudgement]:
        return {
            n: services.ItemJudgement(met=self.cleaned_data[f"met_{n}"] == "1", notes=self.cleaned_data[f"notes_{n}"])
            for n in Item.values
        }


class VerdictForm(Form):
    """The six items judged by the supervisory team; a reason where it overrules the
    figures' proposal of "not met"."""

    def __init__(self, *args: Any, proposed: dict[int, bool], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for number, label in Item.choices:
            self.fields[f"met_{number}"] = forms.ChoiceField(
                label=label,
                choices=MET_CHOICES,
                widget=forms.RadioSelect,
                initial="0" if proposed.get(number) else "1",
            )
            self.fields[f"notes_{number}"] = forms.CharField(
                label=_("Notes"), required=False, max_length=TEXT_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 2})
            )
            self.fields[f"reason_{number}"] = forms.CharField(
                label=_("Reason for overruling the figures"),
                required=False,
                max_length=TEXT_MAX_CHARS,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def judgements(self) -> dict[int, services.ItemJudgement]:
        return {
            n: services.ItemJudgement(
                met=self.cleaned_data[f"met_{n}"] == "1",
                notes=self.cleaned_data[f"notes_{n}"],
                reason=self.cleaned_data[f"reason_{n}"],
            )
            for n in Item.values
        }


class OrderForm(Form):
    items = forms.TypedMultipleChoiceField(
        label=_("Items to redo"), choices=Item.choices, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    work = forms.CharField(label=_("Remedial work"), max_length=TEXT_MAX_CHARS, widget=forms.Textarea)
    deadline = _date(_("Deadline"), required=False)

    def __init__(self, *args: Any, short: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["items"].initial = short


class RedoForm(Form):
    redo = forms.CharField(label=_("What the unit redid"), max_length=TEXT_MAX_CHARS, widget=forms.Textarea)


class CommentForm(Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=TEXT_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 3})
    )


class EvidenceForm(Form):
    item = forms.TypedChoiceField(label=_("Item"), choices=Item.choices, coerce=int)
    file = forms.FileField(label=_("File (PDF, image, Word or Excel)"))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > EVIDENCE_MAX_BYTES:
            from core.uploads import too_large_message

            raise ValidationError(too_large_message(EVIDENCE_MAX_BYTES))
        return upload


class CheckFilterForm(Form):
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("Any")), ("unchecked", _("Not self-checked yet")), *CheckState.choices],
    )

    def values(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        return {"state": self.cleaned_data.get("state") or ""}


class OrderFilterForm(Form):
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("Any")), *OrderState.choices])
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def values(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        return {"state": self.cleaned_data.get("state") or "", "overdue": bool(self.cleaned_data.get("overdue"))}


class TrainingFilterForm(Form):
    untrained = forms.BooleanField(label=_("Untrained only"), required=False)


class SettingsForm(ModelForm):
    class Meta:
        model = LookbackSettings
        fields = list(services.SETTINGS_FIELDS)
        widgets = {"training_deadline": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
