"""The public's rating of the leadership teams: no login, no session, no trace.

As the suggestion box's pages: no session and no messages, no id in a URL, a POST
answered with the page itself, every answer ``no-store``."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from campaign.models import Campaign, LeadershipTeam
from campaign.net import client_ip
from meetings.appraisal import public, selectors, services
from meetings.appraisal.forms import PublicRatingForm, apply_errors


@never_cache
@require_http_methods(["GET"])
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "meetings/appraisal/public_index.html", {"open": selectors.public_campaigns()})


@never_cache
@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign, slug=slug, is_active=True)
    settings = selectors.settings_for(campaign)
    context: dict = {"campaign": campaign, "settings": settings, "form": None}
    if not selectors.public_rating_is_open(settings):
        return render(request, "meetings/appraisal/public_rate.html", context)
    teams = LeadershipTeam.objects.filter(campaign=campaign).order_by("unit__path", "code")
    if request.method == "GET":
        context["form"] = PublicRatingForm(teams=teams, initial={"once": public.form_once_new()})
        return render(request, "meetings/appraisal/public_rate.html", context)
    data = request.POST.copy()
    if not public.form_once_valid(data.get("once", "")):
        data["once"] = public.form_once_new()
    form = PublicRatingForm(data, teams=teams)
    context["form"] = form
    if not form.is_bot and not form.is_valid():
        return render(request, "meetings/appraisal/public_rate.html", context)
    if not public.rate_limit_allow(address=client_ip(request)):
        context["refused"] = True
        return render(request, "meetings/appraisal/public_rate.html", context, status=429)
    if form.is_bot:
        # A bot is thanked, and nothing is stored.
        return render(request, "meetings/appraisal/public_thanks.html", {"campaign": campaign})
    once = form.cleaned_data["once"]
    if not public.form_once_claim(once):
        return render(request, "meetings/appraisal/public_thanks.html", {"campaign": campaign, "again": True})
    try:
        services.public_rating_submit(campaign=campaign, team=form.chosen_team(), rating=form.cleaned_data["rating"])
    except ValidationError as error:
        public.form_once_release(once)
        apply_errors(form, error)
        return render(request, "meetings/appraisal/public_rate.html", context)
    return render(request, "meetings/appraisal/public_thanks.html", {"campaign": campaign})
