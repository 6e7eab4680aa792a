"""Pages of talk cards: the register (a member's own cards against quota), logging,
a card with its reviews and history, correcting and deleting it, the supervisory
team's queue and decision, and the cards flagged to the office.
Thin: parse, ask the scope, call one service or selector, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from campaign.models import Campaign
from campaign.scoping import ADMIN, OFFICE, SECRETARY, SUPERVISOR, get_object_for_user, scope_for
from campaign.selectors import current_campaign_for
from campaign.views import require
from core.once import AlreadySubmitted, FormOnce, creates
from core.pages import paginate
from talks import card_selectors as selectors
from talks import services
from talks.forms import CardFilterForm, CardForm, ReviewForm, apply_errors
from talks.models import FLAG_AFTER_RETURNS, Talk

# Roles that keep a register of other people's cards (a member sees his or her own).
REGISTER_ROLES = frozenset({ADMIN, OFFICE, SUPERVISOR, SECRETARY})


def _campaign(request: HttpRequest) -> Campaign | None:
    return current_campaign_for(request.user)


def _card(request: HttpRequest, pk: int) -> Talk:
    return get_object_for_user(
        request.user,
        Talk.objects.select_related("campaign", "member__unit", "other_member__unit", "recorded_by"),
        pk=pk,
    )


def _changeable(request: HttpRequest, pk: int) -> Talk:
    require(request, "talks.log")
    talk = _card(request, pk)
    if not services.may_change(request.user, talk):
        raise PermissionDenied
    return talk


def _duplicate_context(request: HttpRequest, error: services.DuplicateTalk) -> dict[str, Any]:
    existing = error.existing
    return {"duplicate": existing, "duplicate_editable": services.may_change(request.user, existing)}


@login_required
@require_GET
def card_list(request: HttpRequest) -> HttpResponse:
    require(request, "talks.view")
    campaign = _campaign(request)
    scope = scope_for(request.user)
    register = bool(scope.roles & REGISTER_ROLES)
    form = CardFilterForm(request.GET or None, user=request.user, campaign=campaign) if register else None
    cards = selectors.cards_in_reach(request.user, campaign)
    if form is not None:
        cards = form.filters().apply(cards)
    own = selectors.own_talks(scope.member, campaign) if scope.member is not None and campaign is not None else None
    context = {
        "campaign": campaign,
        "form": form,
        "page": paginate(request, cards.order_by("-talked_on", "pk")),
        "own": own,
        "register": register,
        "can_log": scope.can("talks.log") and campaign is not None,
        "can_review": scope.can("talks.review"),
        "sees_flagged": selectors.sees_flagged(request.user, campaign),
    }
    return render(request, "talks/card_list.html", context)


@login_required
@creates
def card_new(request: HttpRequest) -> HttpResponse:
    require(request, "talks.log")
    campaign = _campaign(request)
    if campaign is None:
        raise Http404
    form = CardForm(request.POST or None, user=request.user, campaign=campaign)
    context: dict[str, Any] = {"campaign": campaign, "form": form}
    once = FormOnce(request)
    if request.method == "POST" and form.is_valid() and once.valid_for(form):
        try:
            with once.consume() as use:
                talk = services.talk_create(user=request.user, campaign=campaign, data=form.data_for_service())
                another = request.POST.get("action") == "another"
                use.leads_to(reverse("talks:card_new") if another else reverse("talks:card_detail", args=[talk.pk]))
        except AlreadySubmitted as done:
            return done.response(request, "talks:card_list")
        except services.DuplicateTalk as error:
            apply_errors(form, error)
            context.update(_duplicate_context(request, error))
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The talk was recorded: %(card)s.") % {"card": talk})
            return redirect(use.url)
    return render(request, "talks/card_form.html", context)


@login_required
@require_GET
def card_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "talks.view")
    talk = _card(request, pk)
    scope = scope_for(request.user)
    may_review = talk.is_awaiting_review and services.may_review(request.user, talk)
    context = {
        "talk": talk,
        "reviews": talk.reviews.order_by("-decided_at", "-pk"),
        "history": selectors.card_history(talk),
        "can_change": scope.can("talks.log") and services.may_change(request.user, talk),
        "review_form": ReviewForm() if may_review else None,
    }
    return render(request, "talks/card_detail.html", context)


@login_required
def card_edit(request: HttpRequest, pk: int) -> HttpResponse:
    talk = _changeable(request, pk)
    form = CardForm(request.POST or None, user=request.user, campaign=talk.campaign, talk=talk)
    context: dict[str, Any] = {"campaign": talk.campaign, "form": form, "talk": talk}
    if request.method == "POST" and form.is_valid():
        before = talk.state
        try:
            talk = services.talk_update(user=request.user, talk=talk, data=form.data_for_service())
        except services.DuplicateTalk as error:
            apply_errors(form, error)
            context.update(_duplicate_context(request, error))
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if talk.state != before:
                messages.success(
                    request,
                    _("The card was saved; it is now “%(state)s”.") % {"state": talk.get_state_display()},
                )
            else:
                messages.success(request, _("The card was saved."))
            return redirect("talks:card_detail", pk=talk.pk)
    return render(request, "talks/card_form.html", context)


@login_required
def card_delete(request: HttpRequest, pk: int) -> HttpResponse:
    talk = _changeable(request, pk)
    if request.method == "POST":
        try:
            services.talk_delete(user=request.user, talk=talk)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("talks:card_detail", pk=talk.pk)
        messages.success(request, _("The card was deleted. Its history is kept."))
        return redirect("talks:card_list")
    return render(request, "talks/card_confirm_delete.html", {"talk": talk})


@login_required
@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    """Cards waiting for the supervisory team's decision, oldest first, with how long each waited."""
    require(request, "talks.review")
    campaign = _campaign(request)
    page = paginate(request, selectors.review_queue(request.user, campaign))
    now = timezone.now()
    for talk in page:
        talk.waited_days = (now - talk.updated_at).days
    return render(request, "talks/review_queue.html", {"campaign": campaign, "page": page})


@login_required
def card_review(request: HttpRequest, pk: int) -> HttpResponse:
    """The decision on one card: adequate, or returned with a comment."""
    require(request, "talks.review")
    talk = _card(request, pk)
    if not services.may_review(request.user, talk):
        raise PermissionDenied
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.card_review(
                user=request.user,
                talk=talk,
                decision=form.cleaned_data["decision"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            talk.refresh_from_db(fields=["state", "times_returned"])
            messages.success(
                request,
                _("%(card)s: %(state)s.") % {"card": talk, "state": talk.get_state_display()},
            )
            if talk.is_flagged:
                messages.warning(
                    request,
                    _("This card has been returned %(count)d times; it is flagged to the county office.")
                    % {"count": talk.times_returned},
                )
            return redirect("talks:review_queue")
    context = {"talk": talk, "form": form, "reviews": talk.reviews.order_by("-decided_at", "-pk")}
    return render(request, "talks/card_review.html", context)


@login_required
@require_GET
def flagged(request: HttpRequest) -> HttpResponse:
    """Cards returned twice or more: the county office follows them up."""
    campaign = _campaign(request)
    if not selectors.sees_flagged(request.user, campaign):
        raise PermissionDenied
    page = paginate(request, selectors.flagged_cards(request.user, campaign))
    for talk in page:
        talk.last_return = talk.returns[0] if talk.returns else None
    context = {"campaign": campaign, "page": page, "flag_after": FLAG_AFTER_RETURNS}
    return render(request, "talks/flagged.html", context)


@login_required
@require_GET
def member_search(request: HttpRequest, who: str) -> JsonResponse:
    """The autocomplete of the people on a card: for ``first`` the members the user may
    put first (in his or her reach), for ``other`` those he or she may name as the other
    person (``card_selectors.members_for_other``: for a member, his or her circle, and
    anyone else by the exact number)."""
    require(request, "talks.log")
    campaign = _campaign(request)
    query = request.GET.get("q", "")[:100]
    results = selectors.member_search(request.user, campaign, query, who=who) if campaign is not None else []
    return JsonResponse({"results": [option.as_json() for option in results]})
