"""Admin for meetings, scoped like every other admin page, with history.

Read-only: a meeting is planned, held and recorded on its pages, whose services keep
the gate, the transition table and the announcements."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from campaign.admin import ScopedAdmin
from core.forms import ModelForm
from meetings.models import Criticism, Meeting


class CriticismInline(admin.TabularInline):
    form = ModelForm  # the input of every text field cleaned (core.forms)
    model = Criticism
    fk_name = "meeting"
    fields = ["from_member", "to_member", "aspect", "content", "problem"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Meeting)
class MeetingAdmin(ScopedAdmin):
    list_display = ["__str__", "unit", "planned_on", "state", "held_on"]
    list_filter = ["kind", "state", "campaign"]
    search_fields = ["team__name", "branch__name", "place"]
    list_select_related = ["team", "branch", "unit"]
    inlines = [CriticismInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in self.model._meta.fields] + ["supervisors_present"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
