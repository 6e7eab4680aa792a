"""Forms of the opinion pages. Choice lists come from the user's scope; the rules live
in the services, whose errors ``apply_errors`` puts next to the fields they name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms import BaseFormSet, formset_factory
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from campaign.models import Campaign, LeadershipTeam, Member, OrgUnit, OrgUnitKind, TargetCategory
from campaign.scoping import scope_for
from core.forms import Form
from opinions import selectors
from opinions.models import (
    Aspect,
    Channel,
    EventLevel,
    Opinion,
    OpinionKind,
    OpinionStatus,
    SolicitationEvent,
    SourceGroup,
)
from opinions.services import MAX_TEXT, Target


def _blank(choices: list[tuple[str, str]], label: Any = None) -> list[tuple[str, Any]]:
    return [("", label or _("All"))] + list(choices)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def apply_errors(form: forms.BaseForm, error: ValidationError, *, aliases: dict[str, str] | None = None) -> None:
    """Put a service's ValidationError next to the fields it names; errors about a
    field the form does not show go at the top of the form."""
    aliases = aliases or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        name = aliases.get(name, name)
        form.add_error(name if name in form.fields else None, errors)


def _units_for_filter(user: Any, campaign: Campaign | None) -> Any:
    units = scope_for(user).filter(OrgUnit.objects.exclude(kind=OrgUnitKind.BRANCH))
    if campaign is not None:
        units = units.filter(campaign=campaign)
    return units.order_by("path")


# --- Lists ----------------------------------------------------------------------


class OpinionFilterForm(Form):
    """The filters of the opinion list and the sorting page. The names are the GET
    parameters other pages link with (ledger pages drill down through them)."""

    q = forms.CharField(label=_("Search in the text"), required=False, max_length=100)
    ledger_unit = forms.ModelChoiceField(label=_("Ledger unit"), required=False, queryset=OrgUnit.objects.none())
    category = forms.ChoiceField(label=_("Category"), required=False, choices=_blank(TargetCategory.choices))
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=_blank(OpinionKind.choices))
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=_blank(Channel.choices))
    aspect = forms.ChoiceField(label=_("Aspect"), required=False, choices=_blank(Aspect.choices))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=_blank(OpinionStatus.choices))
    merged = forms.ChoiceField(
        label=_("Merged"),
        required=False,
        choices=[
            (selectors.COUNTED, _("Counted (not merged)")),
            (selectors.MERGED, _("Merged into another")),
            (selectors.ALL, _("All")),
        ],
    )
    received_from = forms.DateField(label=_("Received from"), required=False, widget=DateInput())
    received_to = forms.DateField(label=_("Received until"), required=False, widget=DateInput())
    # Set by links from a target's page or a ledger figure; shown as a removable chip.
    target_member = forms.ModelChoiceField(required=False, queryset=Member.objects.none(), widget=forms.HiddenInput)
    target_team = forms.ModelChoiceField(
        required=False, queryset=LeadershipTeam.objects.none(), widget=forms.HiddenInput
    )
    target_unit = forms.ModelChoiceField(required=False, queryset=OrgUnit.objects.none(), widget=forms.HiddenInput)
    event = forms.ModelChoiceField(required=False, queryset=SolicitationEvent.objects.none(), widget=forms.HiddenInput)
    # The numbers of the opinions a batch entry just saved (its success message links here).
    numbers = forms.CharField(required=False, max_length=3000, widget=forms.HiddenInput)

    def clean_numbers(self) -> tuple[int, ...]:
        value = self.cleaned_data["numbers"]
        parts = [part for part in value.split(",") if part.strip()]
        if len(parts) > MAX_BATCH_ROWS or not all(part.strip().isdigit() and len(part.strip()) <= 18 for part in parts):
            raise ValidationError(_("These are not the numbers of opinions saved together."))
        return tuple(int(part) for part in parts)

    def __init__(self, *args: Any, user: Any, campaign: Campaign | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scope = scope_for(user)
        in_campaign = {"campaign": campaign} if campaign is not None else {}
        self.fields["ledger_unit"].queryset = _units_for_filter(user, campaign)
        self.fields["ledger_unit"].empty_label = _("All")
        self.fields["target_member"].queryset = scope.filter(Member.objects.filter(**in_campaign))
        self.fields["target_team"].queryset = scope.filter(LeadershipTeam.objects.filter(**in_campaign))
        self.fields["target_unit"].queryset = scope.filter(OrgUnit.objects.filter(**in_campaign))
        self.fields["event"].queryset = scope.filter(SolicitationEvent.objects.filter(**in_campaign))

    def filters(self) -> selectors.OpinionFilters:
        """The valid filters; an invalid one (an id out of scope, a bad date) is
        dropped and its error shown, the others still apply."""
        if not self.is_bound:
            return selectors.OpinionFilters()
        self.is_valid()
        return selectors.OpinionFilters.from_data(self.cleaned_data)

    HIDDEN_LABELS = {
        "target_member": _("Target"),
        "target_team": _("Target"),
        "target_unit": _("Target"),
        "event": _("Event"),
        "numbers": _("Saved together"),
    }

    def chips(self) -> list[dict[str, str]]:
        """The hidden filters in force: a label, a value and the query string without it."""
        if not self.is_bound or not hasattr(self, "cleaned_data"):
            return []
        chips = []
        for name, label in self.HIDDEN_LABELS.items():
            value = self.cleaned_data.get(name)
            if name == "numbers" and value:
                value = ngettext("%(count)d opinion", "%(count)d opinions", len(value)) % {"count": len(value)}
            if value not in (None, "", ()):
                rest = self.data.copy()
                for dropped in (name, "page"):
                    rest.pop(dropped, None)
                chips.append({"label": str(label), "value": str(value), "remove": "?" + rest.urlencode()})
        return chips

    def hidden_errors(self) -> list[str]:
        """A hidden filter that did not apply (an id out of scope): say so rather than
        silently show everything."""
        if not self.is_bound:
            return []
        return [
            _("%(filter)s: %(message)s") % {"filter": self.HIDDEN_LABELS[name], "message": message}
            for name in self.HIDDEN_LABELS
            for message in self.errors.get(name, [])
        ]


class EventFilterForm(Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    unit = forms.ModelChoiceField(label=_("Organisation"), required=False, queryset=OrgUnit.objects.none())
    channel = forms.ChoiceField(label=_("Kind"), required=False, choices=_blank(Channel.choices))
    held_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    held_to = forms.DateField(label=_("Until"), required=False, widget=DateInput())

    def __init__(self, *args: Any, user: Any, campaign: Campaign | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = _units_for_filter(user, campaign)
        self.fields["unit"].empty_label = _("All")

    def filters(self) -> selectors.EventFilters:
        if not self.is_bound:
            return selectors.EventFilters()
        self.is_valid()
        return selectors.EventFilters.from_data(self.cleaned_data)


# --- Events ---------------------------------------------------------------------


class EventForm(Form):
    """A solicitation event. Which figures apply depends on its kind: a forum counts
    attendance and attendee groups, a questionnaire round its forms, a box the boxes
    set; the page groups them so."""

    channel = forms.ChoiceField(label=_("Kind"), choices=_blank(Channel.choices, "—"))
    title = forms.CharField(label=_("Title"), max_length=200)
    unit = forms.ModelChoiceField(label=_("Host unit"), queryset=OrgUnit.objects.none())
    level = forms.ChoiceField(label=_("Level"), choices=EventLevel.choices, initial=EventLevel.UNIT)
    held_on = forms.DateField(label=_("Date (or start of the period)"), widget=DateInput())
    ends_on = forms.DateField(label=_("Until"), required=False, widget=DateInput())
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    attendee_groups = forms.MultipleChoiceField(
        label=_("Attendee groups"), required=False, choices=SourceGroup.choices, widget=forms.CheckboxSelectMultiple
    )
    attendance = forms.IntegerField(label=_("Attendance"), min_value=0, initial=0)
    forms_issued = forms.IntegerField(label=_("Forms issued"), min_value=0, initial=0)
    forms_returned = forms.IntegerField(label=_("Forms returned"), min_value=0, initial=0)
    boxes_set = forms.IntegerField(label=_("Suggestion boxes set"), min_value=0, initial=0)

    GROUPS = {
        "forum": ("level", "attendee_groups", "attendance"),
        "questionnaire": ("forms_issued", "forms_returned"),
        "box": ("place", "boxes_set"),
    }

    def __init__(self, *args: Any, user: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = selectors.recording_units_for(user, campaign)

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["ends_on"] = data.get("ends_on") or None
        return data

    @classmethod
    def initial_for(cls, event: SolicitationEvent) -> dict[str, Any]:
        return {
            name: getattr(event, name)
            for name in (
                "channel",
                "title",
                "unit",
                "level",
                "held_on",
                "ends_on",
                "place",
                "attendee_groups",
                "attendance",
                "forms_issued",
                "forms_returned",
                "boxes_set",
            )
        }


# --- One opinion ----------------------------------------------------------------


def _autocomplete(form: forms.BaseForm) -> None:
    """Mark the target fields for static/js/batch_entry.js (it does nothing without JS)."""
    form.fields["target"].widget.attrs.update({"autocomplete": "off", "data-target-search": "", "class": "target-name"})
    form.fields["target_token"].widget.attrs.update({"class": "target-token"})


CHOOSE_TARGET = _("Choose the target: a leadership team, a member or an organisation.")
TARGET_HELP = _("Type part of a name and choose from the list; without the list, type the full name.")


class TargetFieldsMixin:
    """A target chosen through the autocomplete (a hidden token) or typed by name.

    ``target`` is what the person sees and types; ``target_token`` holds the token the
    autocomplete sets ("member:34"). The server resolves either within the user's scope."""

    user: Any
    campaign: Campaign
    cleaned_data: dict[str, Any]

    def clean_target_fields(self, *, required: bool = True) -> Target | None:
        token = (self.cleaned_data.get("target_token") or "").strip()
        name = (self.cleaned_data.get("target") or "").strip()
        if not token and not name:
            if required:
                raise ValidationError(
                    {"target": _("Choose the target: a leadership team, a member or an organisation.")}
                )
            return None
        return selectors.resolve_target(self.user, self.campaign, token or name)


class OpinionForm(TargetFieldsMixin, Form):
    """Edit one opinion (its target included)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=OpinionKind.choices)
    target = forms.CharField(label=_("Target"), required=False, max_length=200, help_text=TARGET_HELP)
    target_token = forms.CharField(required=False, widget=forms.HiddenInput)
    aspect = forms.ChoiceField(label=_("Aspect"), required=False, choices=_blank(Aspect.choices, "—"))
    text = forms.CharField(
        label=_("Content"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Write the content of the opinion.")},
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    event = forms.ModelChoiceField(label=_("Event"), required=False, queryset=SolicitationEvent.objects.none())
    source_group = forms.ChoiceField(label=_("Source group"), required=False, choices=_blank(SourceGroup.choices, "—"))
    received_on = forms.DateField(label=_("Received on"), widget=DateInput())
    target_text = forms.CharField(
        label=_("Target as described"),
        required=False,
        max_length=200,
        help_text=_("What the submitter wrote, when he or she named no one from the list."),
    )

    def __init__(self, *args: Any, user: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user, self.campaign = user, campaign
        self.fields["event"].queryset = scope_for(user).filter(
            SolicitationEvent.objects.filter(campaign=campaign).select_related("unit")
        )
        _autocomplete(self)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        try:
            # A public submission may have no target yet: the office assigns one here.
            cleaned["target_obj"] = self.clean_target_fields(required=False)
        except ValidationError as error:
            apply_errors(self, error)
        return cleaned

    @classmethod
    def initial_for(cls, opinion: Opinion) -> dict[str, Any]:
        target = opinion.target
        return {
            "kind": opinion.kind,
            "target": target.name if target is not None else "",
            "target_token": selectors.target_token(target),
            "aspect": opinion.aspect,
            "text": opinion.text,
            "channel": opinion.channel,
            "event": opinion.event_id,
            "source_group": opinion.source_group,
            "received_on": opinion.received_on,
            "target_text": opinion.target_text,
        }


# --- Batch entry ----------------------------------------------------------------


class BatchHeadingForm(Form):
    """What the rows of one batch share: the event, or the channel and the date."""

    event = forms.ModelChoiceField(
        label=_("Event"),
        required=False,
        queryset=SolicitationEvent.objects.none(),
        help_text=_("The forum, box or round the opinions came from. Its channel and date apply to every row."),
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        required=False,
        choices=_blank(Channel.choices, "—"),
        help_text=_("Without an event: the channel of every row."),
    )
    received_on = forms.DateField(
        label=_("Received on"),
        required=False,
        widget=DateInput(),
        help_text=_("Without an event: the date of every row. With one, its date unless given here."),
    )
    recording_unit = forms.ModelChoiceField(label=_("Recorded by"), queryset=OrgUnit.objects.none())

    def __init__(self, *args: Any, user: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["event"].queryset = selectors.event_choices_for(user, campaign)
        self.fields["event"].label_from_instance = lambda event: (
            f"{event.held_on.isoformat()} · {event.get_channel_display()} · {event.title} ({event.unit.name})"
        )
        units = selectors.recording_units_for(user, campaign)
        self.fields["recording_unit"].queryset = units
        if not self.is_bound and "recording_unit" not in self.initial:
            self.initial["recording_unit"] = units.values_list("pk", flat=True).first()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        event = cleaned.get("event")
        if event is None:
            if not cleaned.get("channel") and "channel" not in self.errors:
                self.add_error("channel", _("Choose the event, or the channel the opinions came through."))
            if not cleaned.get("received_on") and "received_on" not in self.errors:
                self.add_error("received_on", _("Give the date the opinions were received."))
        return cleaned


class BatchRowForm(TargetFieldsMixin, Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=OpinionKind.choices, initial=OpinionKind.OPINION)
    target = forms.CharField(label=_("Target"), required=False, max_length=200)
    target_token = forms.CharField(required=False, widget=forms.HiddenInput)
    aspect = forms.ChoiceField(label=_("Aspect"), required=False, choices=_blank(Aspect.choices, "—"))
    source_group = forms.ChoiceField(label=_("Source group"), required=False, choices=_blank(SourceGroup.choices, "—"))
    text = forms.CharField(
        label=_("Content"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Write the content of the opinion.")},
    )

    def __init__(self, *args: Any, user: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user, self.campaign = user, campaign
        _autocomplete(self)
        self.fields["text"].widget.attrs.update({"class": "row-text", "maxlength": MAX_TEXT})
        # The table's column headers name the fields for the eye; these for a screen reader.
        for field in self.fields.values():
            if field.label:
                field.widget.attrs.setdefault("aria-label", str(field.label))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        try:
            cleaned["target_obj"] = self.clean_target_fields(required=True)
        except ValidationError as error:
            apply_errors(self, error)
        return cleaned


class BaseBatchRowFormSet(BaseFormSet):
    default_error_messages = {
        "too_many_forms": _("A batch holds at most %(num)d rows: save these, then go on in a new batch."),
    }

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        if not self.filled_forms():
            raise ValidationError(_("Enter at least one opinion."))

    def filled_forms(self) -> list[BatchRowForm]:
        """The rows that hold something; untouched blank rows are left out."""
        return [form for form in self.forms if form.has_changed() and not self._should_delete_form(form)]


BATCH_ROWS = 10
# Six fields a row: 150 rows stay under Django's limit of 1,000 fields in one POST.
MAX_BATCH_ROWS = 150
BatchRowFormSet = formset_factory(
    BatchRowForm,
    formset=BaseBatchRowFormSet,
    extra=BATCH_ROWS,
    max_num=MAX_BATCH_ROWS,
    absolute_max=MAX_BATCH_ROWS,
    validate_max=True,
)


# --- Sorting --------------------------------------------------------------------

SET_ASPECT, REASSIGN, MOVE_STATUS, MERGE = "aspect", "reassign", "status", "merge"


class SortForm(TargetFieldsMixin, Form):
    """One bulk action over the opinions ticked on the sorting page."""

    action = forms.ChoiceField(
        label=_("Action"),
        choices=[
            ("", "—"),
            (SET_ASPECT, _("Set the aspect")),
            (REASSIGN, _("Give them one target")),
            (MOVE_STATUS, _("Move the status")),
            (MERGE, _("Merge into the one kept")),
        ],
        error_messages={"required": _("Choose what to do with the selected opinions.")},
    )
    ids = forms.ModelMultipleChoiceField(
        queryset=Opinion.objects.none(),
        required=True,
        error_messages={"required": _("Select at least one opinion.")},
    )
    aspect = forms.ChoiceField(label=_("Aspect"), required=False, choices=_blank(Aspect.choices, "—"))
    target = forms.CharField(label=_("Target"), required=False, max_length=200)
    target_token = forms.CharField(required=False, widget=forms.HiddenInput)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=_blank(OpinionStatus.choices, "—"))
    keep = forms.ModelChoiceField(label=_("Keep"), required=False, queryset=Opinion.objects.none())

    def __init__(self, *args: Any, user: Any, campaign: Campaign, opinions: Any, **kwargs: Any) -> None:
        # The filter form above shares field names ("aspect", "status"): ids of their own.
        kwargs.setdefault("auto_id", "action_%s")
        super().__init__(*args, **kwargs)
        self.user, self.campaign = user, campaign
        self.fields["ids"].queryset = opinions
        self.fields["keep"].queryset = opinions.filter(merged_into__isnull=True)
        _autocomplete(self)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        action = cleaned.get("action")
        if action == SET_ASPECT and not cleaned.get("aspect"):
            self.add_error("aspect", _("Choose the aspect to set."))
        elif action == MOVE_STATUS and not cleaned.get("status"):
            self.add_error("status", _("Choose the status to move them to."))
        elif action == REASSIGN:
            try:
                cleaned["target_obj"] = self.clean_target_fields(required=True)
            except ValidationError as error:
                apply_errors(self, error)
        elif action == MERGE:
            keep = cleaned.get("keep")
            chosen = cleaned.get("ids")
            if keep is None and "keep" not in self.errors:
                self.add_error("keep", _("Choose the opinion to keep (the “keep” button of its row)."))
            elif chosen is not None and keep is not None and not any(o.pk != keep.pk for o in chosen):
                self.add_error("ids", _("Select the duplicates to merge into the one kept."))
        return cleaned


@dataclass(frozen=True)
class RowError:
    """One message of a wrong row, for the summary above the table (the same message
    also stands next to its field, which ``anchor`` links to)."""

    row: int
    label: str
    message: str
    anchor: str


def row_errors(formset: BaseFormSet) -> list[RowError]:
    found = []
    for number, form in enumerate(formset.forms, start=1):
        for name, errors in form.errors.items():
            field = form[name] if name in form.fields else form["target"]
            label = str(form.fields[name].label or "") if name in form.fields and name != NON_FIELD_ERRORS else ""
            found.extend(RowError(number, label, str(message), field.auto_id) for message in errors)
    return found
