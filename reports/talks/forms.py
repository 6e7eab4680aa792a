"""Filter forms of the talk progress pages (the summary's filter is the ledger's:
``reports.ledger.forms``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from core.forms import Form as CleanForm


class MemberFilterForm(CleanForm):
    q = forms.CharField(label=gettext_lazy("Search members"), required=False, max_length=100)
    below = forms.BooleanField(label=gettext_lazy("Below quota only"), required=False)
