"""Admin for solicitation events and opinions: scoped like every page, and every save
goes through the services (so the category and ledger unit are derived, the rules are
checked and the ledgers are told). Who submitted an opinion is shown to the county
office and the administrator only; the opinions about the user himself (or a team he
sits on or heads) are not in his admin at all — not listed, searched, opened or their
history read — whatever his roles (``campaign.admin.ScopedAdmin``, by the opinions'
scoping rule ``about``)."""

from __future__ import annotations

import copy
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from campaign.admin import ScopedAdmin
from campaign.scoping import scope_for
from core.forms import ModelForm
from opinions import services
from opinions.models import Opinion, SolicitationEvent, SourceGroup
from opinions.services import Target

SUBMITTER_FIELDS = ("submitter_name", "submitter_contact")


def sees_submitter(request: HttpRequest, obj: Opinion | None = None) -> bool:
    scope = scope_for(request.user)
    if scope.is_admin:
        return True
    if obj is not None:
        return obj.campaign_id in scope.office_campaign_ids
    return bool(scope.office_campaign_ids)


# --- Events ---------------------------------------------------------------------


class ServiceCheckedForm(ModelForm):
    """A model form that runs the service's checks in ``clean()``, each message at its
    field, so that a wrong record shows the form again instead of failing on save."""

    request_user: Any = None

    def service_checks(self, cleaned: dict[str, Any]) -> None:
        raise NotImplementedError

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not self._errors:
            try:
                self.service_checks(cleaned)
            except ValidationError as error:
                if not hasattr(error, "error_dict"):
                    self.add_error(None, error)
                    return cleaned
                for field, messages in error.message_dict.items():
                    self.add_error(field if field in self.fields else None, messages)
        return cleaned

    def _post_clean(self) -> None:
        # The model's own constraint messages would repeat, less clearly, what the
        # service's checks already said at the field.
        if self._errors:
            return
        super()._post_clean()


EVENT_FORM_FIELDS = ["campaign", *services.EVENT_FIELDS]


class SolicitationEventForm(ServiceCheckedForm):
    attendee_groups = forms.MultipleChoiceField(
        label=_("attendee groups"), required=False, choices=SourceGroup.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = SolicitationEvent
        fields = EVENT_FORM_FIELDS

    def service_checks(self, cleaned: dict[str, Any]) -> None:
        candidate = copy.copy(self.instance)
        for name in EVENT_FORM_FIELDS:
            if name in cleaned:
                setattr(candidate, name, cleaned[name])
        if candidate.campaign_id is None:
            return
        services._check_solicitation(actor=self.request_user, event=candidate)


@admin.register(SolicitationEvent)
class SolicitationEventAdmin(ScopedAdmin):
    form = SolicitationEventForm
    list_display = ["title", "channel", "unit", "held_on", "ends_on", "attendance", "forms_issued", "boxes_set"]
    list_filter = ["channel", "level", "campaign"]
    search_fields = ["title", "place", "unit__name"]
    list_select_related = ["unit"]
    autocomplete_fields = ["unit"]
    date_hierarchy = "held_on"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["campaign"] if obj is not None else []

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        form = super().get_form(request, obj, change=change, **kwargs)

        class WithUser(form):  # type: ignore[valid-type, misc]
            request_user = request.user

        return WithUser

    def save_model(self, request: HttpRequest, obj: SolicitationEvent, form: forms.ModelForm, change: bool) -> None:
        fields = {name: form.cleaned_data[name] for name in services.EVENT_FIELDS if name in form.cleaned_data}
        if change:
            saved = services.event_update(actor=request.user, event=obj, **fields)
        else:
            saved = services.event_create(actor=request.user, campaign=form.cleaned_data["campaign"], **fields)
        obj.pk = saved.pk


# --- Opinions -------------------------------------------------------------------


class OpinionAdminForm(ServiceCheckedForm):
    class Meta:
        model = Opinion
        fields = [
            "campaign",
            "kind",
            "text",
            "channel",
            "event",
            "source_group",
            "aspect",
            "target_team",
            "target_member",
            "target_unit",
            "target_text",
            "received_on",
            "recording_unit",
            *SUBMITTER_FIELDS,
        ]

    def service_checks(self, cleaned: dict[str, Any]) -> None:
        target = target_of(cleaned)
        if sum(obj is not None for obj in (target.team, target.member, target.unit)) > 1:
            raise ValidationError(_("Choose one target: a team, a member or an organisation."))
        campaign = cleaned.get("campaign") or getattr(self.instance, "campaign", None)
        if campaign is None:
            return
        errors: dict[str, list[str]] = {}
        for check in (
            lambda: services._check_fields(campaign=campaign, text=cleaned["text"], received_on=cleaned["received_on"]),
            lambda: services._check_target(actor=self.request_user, campaign=campaign, target=target),
            lambda: services._check_event(actor=self.request_user, campaign=campaign, event=cleaned.get("event")),
        ):
            try:
                check()
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    # The admin shows three target fields; the service speaks of one.
                    errors.setdefault("__all__" if field == "target" else field, []).extend(messages)
        if errors:
            raise ValidationError(errors)


def target_of(data: dict[str, Any]) -> Target:
    return Target(team=data.get("target_team"), member=data.get("target_member"), unit=data.get("target_unit"))


@admin.register(Opinion)
class OpinionAdmin(ScopedAdmin):
    form = OpinionAdminForm
    list_display = ["pk", "short_text", "kind", "category", "ledger_unit", "channel", "aspect", "status", "received_on"]
    list_display_links = ["pk", "short_text"]
    list_filter = ["kind", "category", "channel", "aspect", "status", "campaign"]
    search_fields = ["text", "target_text", "target_member__name", "target_team__name", "target_unit__name"]
    list_select_related = ["ledger_unit"]
    autocomplete_fields = ["target_team", "target_member", "target_unit", "recording_unit", "event", "merged_into"]
    date_hierarchy = "received_on"
    readonly_fields = ["category", "ledger_unit_name", "status", "merged_into"]

    @admin.display(description=_("content"))
    def short_text(self, obj: Opinion) -> str:
        return obj.text[:60]

    @admin.display(description=_("ledger unit"))
    def ledger_unit_name(self, obj: Opinion) -> str:
        return obj.ledger_unit.name if obj.ledger_unit_id else "—"

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = [
            "campaign",
            "kind",
            "text",
            "channel",
            "event",
            "source_group",
            "aspect",
            "target_team",
            "target_member",
            "target_unit",
            "target_text",
            "category",
            "ledger_unit_name",
            "received_on",
            "recording_unit",
            "status",
            "merged_into",
        ]
        if sees_submitter(request, obj):
            fields += list(SUBMITTER_FIELDS)
        return fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Status and merges change only through their own workflows; the campaign and the
        # recording unit are facts of the recording.
        readonly = list(self.readonly_fields)
        if obj is not None:
            readonly += ["campaign", "recording_unit"]
        if obj is not None and sees_submitter(request, obj):
            readonly += list(SUBMITTER_FIELDS)  # what the submitter typed is not rewritten
        return readonly

    def get_search_fields(self, request: HttpRequest) -> list[str]:
        fields = list(super().get_search_fields(request))
        if sees_submitter(request):
            fields += list(SUBMITTER_FIELDS)
        return fields

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        form = super().get_form(request, obj, change=change, **kwargs)

        class WithUser(form):  # type: ignore[valid-type, misc]
            request_user = request.user

        return WithUser

    def set_history_delta_changes(
        self, request: HttpRequest, historical_records: Any, foreign_keys_are_objs: bool = True
    ) -> None:
        # As simple-history does, but the submitter's fields are the office's only.
        excluded = () if sees_submitter(request) else SUBMITTER_FIELDS
        previous = None
        for current in historical_records:
            if previous is not None:
                delta = previous.diff_against(
                    current, excluded_fields=excluded, foreign_keys_are_objs=foreign_keys_are_objs
                )
                helper = self.get_historical_record_context_helper(request, previous)
                previous.history_delta_changes = helper.context_for_delta_changes(delta)
            previous = current

    def save_model(self, request: HttpRequest, obj: Opinion, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        editable = {name: data[name] for name in services.EDITABLE if name in data}
        if change:
            saved = services.opinion_update(actor=request.user, opinion=obj, target=target_of(data), **editable)
        else:
            saved = services.opinion_create(
                actor=request.user,
                campaign=data["campaign"],
                target=target_of(data),
                recording_unit=data.get("recording_unit"),
                submitter_name=data.get("submitter_name", ""),
                submitter_contact=data.get("submitter_contact", ""),
                **editable,
            )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: Opinion) -> None:
        services.opinion_delete(actor=request.user, opinion=obj)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        for opinion in queryset:
            services.opinion_delete(actor=request.user, opinion=opinion)
