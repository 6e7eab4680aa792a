from django.contrib import admin

from campaign.admin import ScopedAdmin
from reviews.models import AnalysisDocument, DocumentVersion, Review


class VersionInline(admin.TabularInline):
    """Versions are written once by the workflow; the admin shows them, never edits them."""

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
