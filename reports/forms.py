"""Filter forms of the ledger pages; choice lists come from the user's scope."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign, OrgUnit, OrgUnitKind
from campaign.scoping import scope_for


class SummaryFilterForm(forms.Form):
    committee = forms.ModelChoiceField(label=_("Party committee"), required=False, queryset=OrgUnit.objects.none())
    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def __init__(self, *args: Any, user: Any, campaign: Campaign | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        committees = OrgUnit.objects.none()
        if campaign is not None:
            committees = scope_for(user).filter(
                OrgUnit.objects.filter(campaign=campaign, kind=OrgUnitKind.PARTY_COMMITTEE)
            )
        self.fields["committee"].queryset = committees.order_by("path")
        self.fields["committee"].empty_label = _("All")


class MemberSearchForm(forms.Form):
    q = forms.CharField(label=_("Search members"), required=False, max_length=100)
