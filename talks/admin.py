"""Admin for talk cards and their reviews, scoped like every other admin page, with
history (who changed what, when).

Read-only: a card is logged, corrected and deleted on the card pages, whose services
check who may record what, refuse duplicates, send a corrected card back for review
and announce both people's units to the ledger; a review is written once by the
supervisory team's decision."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from campaign.admin import ScopedAdmin
from core.forms import ModelForm
from talks.models import Talk, TalkReview


class ReadOnlyScopedAdmin(ScopedAdmin):
    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TalkReviewInline(admin.TabularInline):
    form = ModelForm  # the input of every text field cleaned (core.forms)
    model = TalkReview
    fields = ["decision", "comment", "reviewer_name", "decided_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Talk)
class TalkAdmin(ReadOnlyScopedAdmin):
    list_display = ["talked_on", "member", "other_name", "kind", "state", "times_returned", "recorder_name"]
    list_filter = ["kind", "state", "campaign"]
    search_fields = ["member__name", "member__number", "other_member__name", "outsider_name"]
    list_select_related = ["member", "other_member"]
    inlines = [TalkReviewInline]


@admin.register(TalkReview)
class TalkReviewAdmin(ReadOnlyScopedAdmin):
    """A decision is written once and never changes: it keeps no versions, so its
    history page is the admin's own log, and there is no version to open."""

    list_display = ["talk", "decision", "reviewer_name", "decided_at"]
    list_filter = ["decision"]
    list_select_related = ["talk__member", "talk__other_member"]
    object_history_template = None

    def get_urls(self) -> list[Any]:
        return admin.ModelAdmin.get_urls(self)

    def history_view(self, request: HttpRequest, object_id: str, extra_context: dict | None = None) -> HttpResponse:
        # Django's own history view looks the object up through the scoped queryset.
        return admin.ModelAdmin.history_view(self, request, object_id, extra_context)
