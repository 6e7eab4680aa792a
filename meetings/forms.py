"""Forms of the meetings' pages. They parse; the rules are the services'."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from campaign.models import Campaign, LeadershipTeam, Member, OrgUnit, OrgUnitKind, Supervisor
from campaign.scoping import scope_for
from core.forms import Form
from meetings.gate import Condition
from meetings.models import (
    OPEN_STATES,
    REASON_MAX_CHARS,
    TEXT_MAX_CHARS,
    AttendeeChange,
    MeetingKind,
    MeetingState,
)
from meetings.selectors import ReadinessFilters
from meetings.services import Plan, Presence
from opinions.feedback_selectors import ASPECTS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's errors next to the fields they name, the rest above the form."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _member_label(member: Member) -> str:
    return f"{member.name} · {member.unit.name}"


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return _member_label(obj)


class MemberMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return _member_label(obj)


class MeetingForm(Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=MeetingKind.choices)
    team = forms.ModelChoiceField(
        label=gettext_lazy("Leadership team"), required=False, queryset=LeadershipTeam.objects.none()
    )
    branch = forms.ModelChoiceField(label=gettext_lazy("Branch"), required=False, queryset=OrgUnit.objects.none())
    planned_on = forms.DateField(label=gettext_lazy("Planned date"), widget=DATE)
    place = forms.CharField(label=gettext_lazy("Place"), max_length=200)

    def __init__(self, *args: Any, user: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scope = scope_for(user)
        office = scope.is_admin or campaign.pk in scope.office_campaign_ids
        self.fields["team"].queryset = (
            LeadershipTeam.objects.filter(campaign=campaign).order_by("unit__path", "code")
            if office
            else LeadershipTeam.objects.none()
        )
        branches = OrgUnit.objects.filter(campaign=campaign, kind=OrgUnitKind.BRANCH)
        if not office:
            reach = Q(pk__in=[])
            for path in scope.secretary_paths:
                reach |= Q(path__startswith=path)
            branches = branches.filter(reach)
            self.fields["kind"].choices = [(MeetingKind.ORGANISATIONAL_LIFE, MeetingKind.ORGANISATIONAL_LIFE.label)]
        self.fields["branch"].queryset = branches.order_by("path")

    def plan(self) -> Plan:
        data = self.cleaned_data
        team = data.get("team")
        return Plan(
            kind=data["kind"],
            planned_on=data["planned_on"],
            place=data["place"],
            team=team,
            branch=data.get("branch"),
            chair=team.head if team is not None else None,
        )


class RescheduleForm(Form):
    planned_on = forms.DateField(label=gettext_lazy("New date"), widget=DATE)
    place = forms.CharField(label=gettext_lazy("Place"), max_length=200)
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=REASON_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 3})
    )


class CancelForm(Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=REASON_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 3})
    )


class AttendeeChangeForm(Form):
    kind = forms.ChoiceField(label=gettext_lazy("Change"), choices=AttendeeChange.Kind.choices)
    number = forms.CharField(label=gettext_lazy("Staff or ID number"), max_length=40)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)

    def __init__(self, *args: Any, user: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user, self.campaign = user, campaign

    def clean_number(self) -> Member:
        number = self.cleaned_data["number"].strip()
        members = scope_for(self.user).filter(Member.objects.filter(campaign=self.campaign, number=number))
        member = members.select_related("unit").first()
        if member is None:
            raise ValidationError(_("No member with the number %(number)s in your reach.") % {"number": number})
        return member


class HoldForm(Form):
    """Record the meeting as held: the date, chair, minutes, supervisors present, and
    for each attendee present or absent with a reason; the office's override."""

    held_on = forms.DateField(label=gettext_lazy("Held on"), widget=DATE, required=False)
    chair = MemberChoiceField(label=gettext_lazy("Chair"), required=False, queryset=Member.objects.none())
    minutes = forms.CharField(label=gettext_lazy("Minutes"), required=False, widget=forms.Textarea(attrs={"rows": 8}))
    supervisors_present = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Supervisors present"),
        required=False,
        queryset=Supervisor.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    override_reason = forms.CharField(
        label=gettext_lazy("Override: why the meeting is convened despite the open conditions"),
        required=False,
        max_length=REASON_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self,
        *args: Any,
        attendees: Sequence[Member],
        supervisors: Sequence[Supervisor],
        override: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.attendees = list(attendees)
        self.fields["chair"].queryset = Member.objects.filter(pk__in=[m.pk for m in attendees]).select_related("unit")
        self.fields["supervisors_present"].queryset = Supervisor.objects.filter(pk__in=[s.pk for s in supervisors])
        if not override:
            del self.fields["override_reason"]
        for member in self.attendees:
            self.fields[f"attendance_{member.pk}"] = forms.ChoiceField(
                label=member.name,
                choices=[("present", _("Present")), ("absent", _("Absent"))],
                widget=forms.RadioSelect,
                required=False,
            )
            self.fields[f"reason_{member.pk}"] = forms.CharField(
                label=_("Reason for absence"), required=False, max_length=500
            )

    def attendance_rows(self) -> list[tuple[Member, Any, Any]]:
        return [(m, self[f"attendance_{m.pk}"], self[f"reason_{m.pk}"]) for m in self.attendees]

    def attendance(self) -> dict[int, Presence]:
        result = {}
        for member in self.attendees:
            value = self.cleaned_data.get(f"attendance_{member.pk}")
            if value:
                result[member.pk] = Presence(
                    present=value == "present", absence_reason=self.cleaned_data.get(f"reason_{member.pk}", "")
                )
        return result


class SelfCriticismForm(Form):
    member = MemberChoiceField(label=gettext_lazy("Attendee"), queryset=Member.objects.none())
    summary = forms.CharField(
        label=gettext_lazy("Summary"), max_length=TEXT_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 5})
    )
    aspects = forms.MultipleChoiceField(
        label=gettext_lazy("Aspects touched"),
        choices=ASPECTS.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, present: Sequence[Member], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = Member.objects.filter(pk__in=[m.pk for m in present]).select_related("unit")


class CriticismForm(Form):
    from_member = MemberChoiceField(label=pgettext_lazy("criticism", "From"), queryset=Member.objects.none())
    to_member = MemberChoiceField(
        label=pgettext_lazy("criticism", "To"),
        queryset=Member.objects.none(),
        help_text=gettext_lazy(
            "Choose the same person for a problem he or she named in his or her own self-criticism."
        ),
    )
    aspect = forms.ChoiceField(label=gettext_lazy("Aspect"), choices=ASPECTS.choices)
    content = forms.CharField(
        label=pgettext_lazy("criticism", "Content"), max_length=TEXT_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, attendees: Sequence[Member], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Every attendee is offered, so that one absent is refused with the reason.
        queryset = Member.objects.filter(pk__in=[m.pk for m in attendees]).select_related("unit").order_by("name")
        self.fields["from_member"].queryset = queryset
        self.fields["to_member"].queryset = queryset


class FollowUpNoteForm(Form):
    member = MemberChoiceField(label=gettext_lazy("Attendee"), queryset=Member.objects.none())
    observation = forms.CharField(
        label=gettext_lazy("Observation"), max_length=TEXT_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 4})
    )
    help_given = forms.CharField(
        label=gettext_lazy("Help given"),
        required=False,
        max_length=TEXT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, attendees: Sequence[Member], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = Member.objects.filter(pk__in=[m.pk for m in attendees]).select_related("unit")


def _units(user: Any, campaign: Campaign | None, kind: str) -> Any:
    if campaign is None:
        return OrgUnit.objects.none()
    return scope_for(user).filter(OrgUnit.objects.filter(campaign=campaign, kind=kind)).order_by("path")


class MeetingFilterForm(Form):
    state = forms.ChoiceField(label=gettext_lazy("State"), required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", _("All")), *MeetingState.choices]
        self.fields["kind"].choices = [("", _("All")), *MeetingKind.choices]

    def values(self) -> dict[str, str]:
        if not self.is_valid():
            return {"state": "", "kind": ""}
        return {"state": self.cleaned_data.get("state") or "", "kind": self.cleaned_data.get("kind") or ""}


class ReadinessFilterForm(Form):
    committee = forms.ModelChoiceField(
        label=gettext_lazy("Party committee"), required=False, queryset=OrgUnit.objects.none()
    )
    unit = forms.ModelChoiceField(label=gettext_lazy("Unit"), required=False, queryset=OrgUnit.objects.none())
    condition = forms.ChoiceField(label=gettext_lazy("Open condition"), required=False)
    state = forms.ChoiceField(label=gettext_lazy("State"), required=False)

    def __init__(self, *args: Any, user: Any, campaign: Campaign | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, kind in (("committee", OrgUnitKind.PARTY_COMMITTEE), ("unit", OrgUnitKind.UNIT)):
            field = self.fields[name]
            field.queryset = _units(user, campaign, kind)
            field.empty_label = _("All")
        self.fields["condition"].choices = [("", _("All")), *Condition.choices]
        self.fields["state"].choices = [
            ("", _("All")),
            *((value, label) for value, label in MeetingState.choices if value in OPEN_STATES),
        ]

    def filters(self) -> ReadinessFilters:
        if not self.is_valid():
            return ReadinessFilters()
        data = self.cleaned_data
        return ReadinessFilters(
            committee=data.get("committee"),
            unit=data.get("unit"),
            condition=data.get("condition") or "",
            state=data.get("state") or "",
        )
