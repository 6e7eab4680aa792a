"""Admin of the ledger: for looking, not editing. Ledger rows are written only by the
roll-ups; a figure that looks wrong is repaired by ``manage.py reconcile_ledgers --fix``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from reports.models import LedgerDrift, LedgerRow


@admin.display(description=_("dimension"), ordering="dimension")
def dimension(obj: LedgerRow | LedgerDrift) -> str:
    """The dimension's label, declared by its source (the field itself has no choices)."""
    return obj.get_dimension_display()


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LedgerRow)
class LedgerRowAdmin(ReadOnlyAdmin):
    list_display = ("campaign", "level", "scope", dimension, "key", "value")
    list_filter = ("campaign", "level", "dimension")
    search_fields = ("scope", "key")
    list_select_related = ("campaign",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LedgerDrift)
class LedgerDriftAdmin(ReadOnlyAdmin):
    list_display = ("found_at", "campaign", "scope", dimension, "key", "stored", "recounted", "repaired")
    list_filter = ("campaign", "repaired", "dimension")
    search_fields = ("scope", "key")
    list_select_related = ("campaign",)
    date_hierarchy = "found_at"
