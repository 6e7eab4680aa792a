"""Admin for the organisation. Every list, form choice and object goes through scoping."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import NotRelationField, get_fields_from_path, unquote
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from simple_history.admin import SimpleHistoryAdmin

from campaign import resources, selectors, services
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
from core.forms import ModelForm
from core.once import OnceAdminMixin


class ScopedAdmin(OnceAdminMixin, SimpleHistoryAdmin):
    """Admin whose rows and choice lists are those the user's scope allows, with
    history (who, when, what changed) on every object. Its form (and a ``form`` set on
    a subclass must derive from it) cleans the input of every text field; its add form
    is stored once however often it is sent (``core.once``)."""

    form = ModelForm

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        scope = scope_for(request.user)
        queryset = scope.filter(super().get_queryset(request))
        # Records about the user himself (opinions about him or his team) are not in his
        # admin at all, whatever his roles: the admin would name who gave them.
        about = scope.about_self(self.model)
        return queryset.exclude(about) if about is not None else queryset

    def _scoped_choices(self, request: HttpRequest, db_field: models.Field, kwargs: dict[str, Any]) -> None:
        related = db_field.related_model
        # A relation's model, resolved once the models are loaded ("self" included).
        assert isinstance(related, type), f"{db_field} is not a relation"
        try:
            rule_for(related)
        except LookupError:
            return
        queryset = kwargs.get("queryset")
        if queryset is None:  # not ``or``: that would run the query to test its truth
            queryset = related._default_manager.all()
        kwargs["queryset"] = scope_for(request.user).filter(queryset)

    def formfield_for_foreignkey(self, db_field: models.Field, request: HttpRequest, **kwargs: Any):
        self._scoped_choices(request, db_field, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: models.Field, request: HttpRequest, **kwargs: Any):
        self._scoped_choices(request, db_field, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        # A plain related-field filter lists every row of the related model (every
        # campaign, say); offer only the values found among the rows this user may see.
        return [self._scoped_list_filter(entry) for entry in super().get_list_filter(request)]

    def _scoped_list_filter(self, entry: Any) -> Any:
        if not isinstance(entry, str):
            return entry
        try:
            field = get_fields_from_path(self.model, entry)[-1]
        except (FieldDoesNotExist, NotRelationField):
            return entry
        return (entry, admin.RelatedOnlyFieldListFilter) if field.is_relation else entry

    def _in_reach(self, request: HttpRequest, object_id: str) -> bool:
        return self.get_object(request, unquote(object_id)) is not None

    def _ever_about_user(self, request: HttpRequest, object_id: str) -> bool:
        """Whether any version of the record was about the user (it may since have been
        moved to another target, or deleted): its history is not for him."""
        about = scope_for(request.user).about_self(self.model)
        if about is None:
            return False
        history = getattr(self.model, self.model._meta.simple_history_manager_attribute)
        try:
            return history.filter(about, **{self.opts.pk.attname: unquote(object_id)}).exists()
        except (ValueError, ValidationError):
            return False

    def _history_refused(self, request: HttpRequest, object_id: str) -> bool:
        outside = not scope_for(request.user).is_admin and not self._in_reach(request, object_id)
        return outside or self._ever_about_user(request, object_id)

    def history_view(self, request: HttpRequest, object_id: str, extra_context: dict | None = None) -> HttpResponse:
        # simple_history falls back to the history of any object at all (to show a
        # deleted object's): outside the user's scope that is "not found", as in
        # change_view; deleted objects' history stays with the administrator.
        if self._history_refused(request, object_id):
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        # simple_history looks the version up unscoped, and a POST reverts the object
        # with no check beyond the view permission.
        if self._history_refused(request, object_id):
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if request.method == "POST" and not self.has_change_permission(request):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class OrgImportExportMixin(ImportExportMixin):
    """Import and export in the format of the import page (either language's headers,
    the campaign from the user's scope, the user in every history record); exports
    are the same workbook as the list pages' and cover the rows the admin lists."""

    import_formats = [XLSX, CSV]
    export_formats = [XLSX]

    def has_import_permission(self, request: HttpRequest) -> bool:
        return scope_for(request.user).can("org.import") and selectors.current_campaign_for(request.user) is not None

    def has_export_permission(self, request: HttpRequest) -> bool:
        return scope_for(request.user).can("org.export")

    def get_import_resource_kwargs(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        return {
            "campaign": selectors.current_campaign_for(request.user),
            "user": request.user,
            "reason": "import (admin)",
        }

    def get_export_data(
        self, file_format: Any, request: HttpRequest, queryset: models.QuerySet, **kwargs: Any
    ) -> bytes:
        if not self.has_export_permission(request):
            raise PermissionDenied
        kind = self.get_export_resource_classes(request)[0].format_kind
        return resources.export_xlsx(kind, queryset)


class StageInline(admin.TabularInline):
    form = ModelForm  # the input of every text field cleaned (core.forms)
    model = Stage
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(ScopedAdmin):
    list_display = ["name", "county", "batch", "starts_on", "ends_on", "is_active"]
    list_filter = ["is_active", "county"]
    search_fields = ["name", "county", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [StageInline]

    def save_model(self, request: HttpRequest, obj: Campaign, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            services.campaign_created(campaign=obj, creator=request.user)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        _warn_dates(request, form.instance)


class StepInline(admin.TabularInline):
    form = ModelForm  # the input of every text field cleaned (core.forms)
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

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        _warn_dates(request, form.instance.campaign)


def _warn_dates(request: HttpRequest, campaign: Campaign) -> None:
    """Saved as asked, but told when the dates of the campaign, its stages and steps no
    longer agree (campaign.selectors.campaign_date_warnings)."""
    for warning in selectors.campaign_date_warnings(campaign):
        messages.warning(request, warning)


@admin.register(OrgUnit)
class OrgUnitAdmin(OrgImportExportMixin, ScopedAdmin):
    resource_classes = [resources.UnitResource]
    list_display = ["code", "name", "kind", "parent", "depth"]
    list_filter = ["kind", "campaign"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent", "responsible_leader"]
    ordering = ["path"]


@admin.register(Member)
class MemberAdmin(OrgImportExportMixin, ScopedAdmin):
    resource_classes = [resources.MemberResource]
    list_display = ["number", "name", "rank", "position", "unit", "branch", "user"]
    list_filter = ["rank", "campaign"]
    search_fields = ["number", "name", "position"]
    list_select_related = ["unit", "branch", "user"]
    autocomplete_fields = ["unit", "branch", "user", "in_charge_of"]


@admin.register(LeadershipTeam)
class LeadershipTeamAdmin(OrgImportExportMixin, ScopedAdmin):
    resource_classes = [resources.LeadershipTeamResource]
    list_display = ["code", "name", "kind", "unit", "head"]
    list_filter = ["kind", "campaign"]
    search_fields = ["code", "name"]
    list_select_related = ["unit", "head"]
    autocomplete_fields = ["unit", "head", "members"]


class SupervisorInline(admin.TabularInline):
    form = ModelForm  # the input of every text field cleaned (core.forms)
    model = Supervisor
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(SupervisoryTeam)
class SupervisoryTeamAdmin(OrgImportExportMixin, ScopedAdmin):
    resource_classes = [resources.SupervisoryTeamResource]
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
