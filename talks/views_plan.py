"""The talk plan page and its Excel export: who still has to talk with whom, and who
is short of quota, for what the user may see. Thin: parse the filters, ask the scope,
call ``talks.plan``, render."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from campaign.models import Campaign, OrgUnit, OrgUnitKind
from campaign.selectors import current_campaign_for
from campaign.views import require
from core import excel as exports
from core.forms import Form
from core.pages import PAGE_SIZE
from talks import plan_exports
from talks.models import TalkKind
from talks.plan import PAIR_KINDS, PlanFilters, TalkPlan, plan_units, talk_plan

MEMBERS_PAGE = "members_page"


class PlanFilterForm(Form):
    committee = forms.ModelChoiceField(
        label=gettext_lazy("Party committee"), required=False, queryset=OrgUnit.objects.none()
    )
    unit = forms.ModelChoiceField(label=gettext_lazy("Unit"), required=False, queryset=OrgUnit.objects.none())
    branch = forms.ModelChoiceField(label=gettext_lazy("Branch"), required=False, queryset=OrgUnit.objects.none())
    kind = forms.ChoiceField(label=gettext_lazy("Must-talk kind"), required=False)
    q = forms.CharField(label=gettext_lazy("Search members"), required=False, max_length=100)

    def __init__(self, *args: Any, user: Any, campaign: Campaign | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, kind in (
            ("committee", OrgUnitKind.PARTY_COMMITTEE),
            ("unit", OrgUnitKind.UNIT),
            ("branch", OrgUnitKind.BRANCH),
        ):
            field = self.fields[name]
            field.queryset = plan_units(user, campaign, kind) if campaign else OrgUnit.objects.none()
            field.empty_label = _("All")
        self.fields["kind"].choices = [("", _("All")), *((kind, TalkKind(kind).label) for kind in PAIR_KINDS)]

    def filters(self) -> PlanFilters:
        if not self.is_valid():
            return PlanFilters()
        data = self.cleaned_data
        return PlanFilters(
            committee=data.get("committee"),
            unit=data.get("unit"),
            branch=data.get("branch"),
            kind=data.get("kind") or "",
            search=(data.get("q") or "").strip(),
        )


def _plan(request: HttpRequest) -> tuple[PlanFilterForm, Campaign | None, TalkPlan | None]:
    campaign = current_campaign_for(request.user)
    form = PlanFilterForm(request.GET or None, user=request.user, campaign=campaign)
    if campaign is None:
        return form, None, None
    return form, campaign, talk_plan(campaign, user=request.user, filters=form.filters())


@login_required
@require_GET
def plan(request: HttpRequest) -> HttpResponse:
    require(request, "talks.progress")
    form, campaign, the_plan = _plan(request)
    context: dict[str, Any] = {"form": form, "campaign": campaign, "plan": the_plan}
    if the_plan is not None:
        context["page"] = Paginator(the_plan.pairs, PAGE_SIZE).get_page(request.GET.get("page"))
        context["members_page"] = Paginator(the_plan.shortfalls, PAGE_SIZE).get_page(request.GET.get(MEMBERS_PAGE))
    return render(request, "talks/plan.html", context)


@login_required
@require_GET
def plan_export(request: HttpRequest) -> HttpResponse:
    require(request, "talks.export")
    form, campaign, the_plan = _plan(request)
    if campaign is None or the_plan is None:
        raise Http404
    filters = form.filters()
    within = filters.branch or filters.unit or filters.committee
    book = plan_exports.plan_workbook(campaign, the_plan, heading=within.name if within else "")
    return exports.response(book, _("Talk plan"))
