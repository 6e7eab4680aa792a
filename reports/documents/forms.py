"""Filter forms of the documents' progress pages; choice lists come from the user's scope."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import Form as CleanForm
from reports.documents.selectors import NOT_STARTED
from reports.ledger.forms import SummaryFilterForm
from reviews.models import DocumentState


class ProgressFilterForm(SummaryFilterForm):
    behind = forms.BooleanField(label=_("Only units with documents not yet approved"), required=False)


class MemberFilterForm(CleanForm):
    q = forms.CharField(label=_("Search members"), required=False, max_length=100)
    state = forms.ChoiceField(
        label=_("Document"),
        required=False,
        choices=[("", _("All")), (NOT_STARTED, _("Not started")), *DocumentState.choices],
    )
