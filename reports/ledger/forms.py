"""The summary pages' shared filter (party committee, name); its choices come from the
user's scope. The opinions' and the talks' summaries by unit use it, the documents'
progress extends it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from campaign.models import Campaign, OrgUnit, OrgUnitKind
from campaign.scoping import AnyUser, scope_for
from core.forms import Form as CleanForm
from reports.ledger.figures import summary_units


class SummaryFilterForm(CleanForm):
    committee = forms.ModelChoiceField(label=_("Party committee"), required=False, queryset=OrgUnit.objects.none())
    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def __init__(self, *args: Any, user: AnyUser, campaign: Campaign | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        committees: QuerySet[OrgUnit] = OrgUnit.objects.none()
        if campaign is not None:
            committees = scope_for(user).filter(
                OrgUnit.objects.filter(campaign=campaign, kind=OrgUnitKind.PARTY_COMMITTEE)
            )
        # self.fields holds copies of the declared fields, typed as any Field.
        committee = self.fields["committee"]
        assert isinstance(committee, forms.ModelChoiceField)
        committee.queryset = committees.order_by("path")
        committee.empty_label = _("All")


def summary_filter(
    request: HttpRequest, campaign: Campaign | None
) -> tuple[SummaryFilterForm, QuerySet[OrgUnit], bool]:
    """The summary pages' filter as asked, and the units it lets through with whether
    branches fold into their unit."""
    form = SummaryFilterForm(request.GET or None, user=request.user, campaign=campaign)
    params = form.cleaned_data if form.is_valid() else {}
    if campaign is None:
        return form, OrgUnit.objects.none(), True
    units, fold = summary_units(request.user, campaign, committee=params.get("committee"), search=params.get("q", ""))
    return form, units, fold
