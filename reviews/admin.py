from typing import Any

from django.contrib import admin, messages
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaign.admin import ScopedAdmin
from core.forms import ModelForm
from reviews.models import AnalysisDocument, DocumentVersion, Review, RoutingRule
from reviews.services import routing_rule_save


class VersionInline(admin.TabularInline):
    """Versions are written once by the workflow; the admin shows them, never edits them."""

    form = ModelForm  # the input of every text field cleaned (core.forms)
    model = DocumentVersion
    fields = ["number", "word_count", "submitted_at", "submitted_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:  # noqa: ANN001 (Django's signature)
        return False


@admin.register(AnalysisDocument)
class AnalysisDocumentAdmin(ScopedAdmin):
    list_display = ["member", "campaign", "state", "word_count", "route", "submitted_at", "approved_at"]
    list_filter = ["state", "route", "campaign"]
    search_fields = ["member__name", "member__number"]
    list_select_related = ["member", "campaign"]
    raw_id_fields = ["member", "reviewer_member", "reviewer_supervisor", "reviewer_team"]
    # State, versions and routes change only through the services (the workflow).
    readonly_fields = ["state", "word_count", "route", "submitted_at", "approved_at", "campaign", "member"]
    inlines = [VersionInline]


@admin.register(Review)
class ReviewAdmin(ScopedAdmin):
    list_display = ["document", "version", "decision", "reviewer_name", "decided_at"]
    list_filter = ["decision"]
    list_select_related = ["document__member", "version", "reviewer"]
    readonly_fields = ["document", "version", "decision", "reviewer", "reviewer_name", "decided_at", "waited_seconds"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(ScopedAdmin):
    """The campaign's rules of who reviews whose document. Every campaign has a rule for
    every rank (made with it), so they are changed, never deleted; a change routes the
    documents awaiting a decision again at once."""

    list_display = ["campaign", "rank", "route"]
    list_filter = ["campaign", "rank", "route"]
    list_select_related = ["campaign"]
    list_editable = ["route"]

    def get_readonly_fields(self, request: HttpRequest, obj: models.Model | None = None) -> list[str]:
        return ["campaign", "rank"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj._history_user = request.user
        moved = routing_rule_save(rule=obj)
        if moved:
            self.message_user(
                request,
                ngettext(
                    "%(count)d document awaiting a decision was routed to its new reviewer.",
                    "%(count)d documents awaiting a decision were routed to their new reviewers.",
                    moved,
                )
                % {"count": moved},
                messages.INFO,
            )
        else:
            self.message_user(request, _("No document awaiting a decision changed hands."), messages.INFO)
