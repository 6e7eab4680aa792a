"""Admin for the organisation. Every list, form choice and object goes through scoping."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from campaign.models import (
    Campaign,
    LeadershipTeam,
    Member,
    OrgUnit,
    RoleAssignment,
    Stage,
    Step,
    Supervisor,
    SupervisoryTeam,
)
from campaign.scoping import rule_for, scope_for


class ScopedAdmin(SimpleHistoryAdmin):
    """Admin whose rows and choice lists are those the user's scope allows, with
    history (who, when, what changed) on every object."""

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return scope_for(request.user).filter(super().get_queryset(request))

    def _scoped_choices(self, request: HttpRequest, db_field: models.Field, kwargs: dict[str, Any]) -> None:
        related = db_field.related_model
        try:
            rule_for(related)
        except LookupError:
            return
        queryset = kwargs.get("queryset") or related._default_manager.all()
        kwargs["queryset"] = scope_for(request.user).filter(queryset)

    def formfield_for_foreignkey(self, db_field: models.Field, request: HttpRequest, **kwargs: Any):
        self._scoped_choices(request, db_field, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: models.Field, request: HttpRequest, **kwargs: Any):
        self._scoped_choices(request, db_field, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class StageInline(admin.TabularInline):
    model = Stage
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(ScopedAdmin):
    list_display = ["name", "county", "batch", "starts_on", "ends_on", "is_active"]
    list_filter = ["is_active", "county"]
    search_fields = ["name", "county", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [StageInline]


class StepInline(admin.TabularInline):
    model = Step
    extra = 0


@admin.register(Stage)
class StageAdmin(ScopedAdmin):
    list_display = ["campaign", "kind", "order", "starts_on", "ends_on", "is_current"]
    list_filter = ["kind", "is_current"]
    inlines = [StepInline]

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        campaigns = scope_for(request.user).filter(Campaign.objects.all())
        return admin.ModelAdmin.get_queryset(self, request).filter(campaign__in=campaigns)


@admin.register(OrgUnit)
class OrgUnitAdmin(ScopedAdmin):
    list_display = ["code", "name", "kind", "parent", "depth"]
    list_filter = ["kind", "campaign"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent", "responsible_leader"]
    ordering = ["path"]


@admin.register(Member)
class MemberAdmin(ScopedAdmin):
    list_display = ["number", "name", "rank", "position", "unit", "branch", "user"]
    list_filter = ["rank", "campaign"]
    search_fields = ["number", "name", "position"]
    list_select_related = ["unit", "branch", "user"]
    autocomplete_fields = ["unit", "branch", "user", "in_charge_of"]


@admin.register(LeadershipTeam)
class LeadershipTeamAdmin(ScopedAdmin):
    list_display = ["code", "name", "kind", "unit", "head"]
    list_filter = ["kind", "campaign"]
    search_fields = ["code", "name"]
    list_select_related = ["unit", "head"]
    autocomplete_fields = ["unit", "head", "members"]


class SupervisorInline(admin.TabularInline):
    model = Supervisor
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(SupervisoryTeam)
class SupervisoryTeamAdmin(ScopedAdmin):
    list_display = ["name", "level", "campaign"]
    list_filter = ["level", "campaign"]
    search_fields = ["name", "supervisors__name"]
    autocomplete_fields = ["units"]
    inlines = [SupervisorInline]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ScopedAdmin):
    list_display = ["user", "kind", "unit", "campaign"]
    list_filter = ["kind", "campaign"]
    search_fields = ["user__username", "unit__name"]
    autocomplete_fields = ["user", "unit"]
    list_select_related = ["user", "unit", "campaign"]
