"""Filter forms of the opinions' ledger pages (the summary's filter is the ledger's:
``reports.ledger.forms``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import Form as CleanForm


class MemberSearchForm(CleanForm):
    q = forms.CharField(label=_("Search members"), required=False, max_length=100)
