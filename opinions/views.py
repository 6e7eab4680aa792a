"""Pages for recording and sorting opinions (unit secretaries and the county office)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from campaign.models import Campaign
from campaign.scoping import get_object_for_user, scope_for
from campaign.selectors import current_campaign_for
from campaign.views import require
from core.once import AlreadySubmitted, FormOnce, creates
from core.pages import paginate
from opinions import exports, public, selectors, services
from opinions.forms import (
    MERGE,
    MOVE_STATUS,
    REASSIGN,
    SET_ASPECT,
    BatchHeadingForm,
    BatchRowFormSet,
    EventFilterForm,
    EventForm,
    OpinionFilterForm,
    OpinionForm,
    SortForm,
    apply_errors,
    row_errors,
)
from opinions.models import Aspect, Opinion, OpinionStatus, SolicitationEvent
from opinions.services import TRANSITIONS, BatchError, OpinionRow

# --- Opinions -------------------------------------------------------------------


def _campaign(request: HttpRequest) -> Campaign | None:
    return current_campaign_for(request.user)


def _opinion_rows(request: HttpRequest) -> tuple[OpinionFilterForm, Any, Campaign | None]:
    campaign = _campaign(request)
    form = OpinionFilterForm(request.GET or None, user=request.user, campaign=campaign)
    opinions = selectors.opinions_for(request.user, campaign=campaign, filters=form.filters())
    return form, opinions, campaign


@login_required
def opinion_list(request: HttpRequest) -> HttpResponse:
    require(request, "opinions.view")
    # Where no Celery beat runs the public box's batch (the embedded default).
    public.box_flush_if_due()
    form, opinions, campaign = _opinion_rows(request)
    scope = scope_for(request.user)
    context = {
        "form": form,
        "page": paginate(request, opinions),
        "campaign": campaign,
        "can_enter": scope.can("opinions.enter"),
        "can_sort": scope.can("opinions.sort"),
    }
    return render(request, "opinions/opinion_list.html", context)


@login_required
def opinion_export(request: HttpRequest) -> HttpResponse:
    require(request, "opinions.view")
    _form, opinions, campaign = _opinion_rows(request)
    title = _("Opinions and suggestions") + (f" · {campaign.name}" if campaign else "")
    return exports.opinions_response(
        opinions, with_submitter=selectors.sees_submitter(request.user, campaign), title=title
    )


@login_required
def opinion_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "opinions.view")
    opinion = selectors.opinion_for_user(request.user, pk)
    scope = scope_for(request.user)
    merged = selectors.opinions_for(
        request.user, campaign=opinion.campaign, filters=selectors.OpinionFilters(merged=selectors.ALL)
    ).filter(merged_into=opinion)
    context = {
        "opinion": opinion,
        # The office's fields, each "hidden" on an opinion about the user himself.
        "show_submitter": selectors.sees_submitter(request.user, opinion.campaign),
        "history": selectors.opinion_history(request.user, opinion),
        "merged": merged,
        "can_change": scope.can("opinions.enter") and services.may_change(request.user, opinion),
        "can_sort": scope.can("opinions.sort"),
        "next_statuses": [
            OpinionStatus(status) for status in OpinionStatus.values if status in TRANSITIONS.successors(opinion.status)
        ],
    }
    return render(request, "opinions/opinion_detail.html", context)


def _changeable(request: HttpRequest, pk: int) -> Opinion:
    opinion = selectors.opinion_for_user(request.user, pk)
    if not services.may_change(request.user, opinion):
        raise PermissionDenied
    return opinion


@login_required
def opinion_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "opinions.enter")
    opinion = _changeable(request, pk)
    campaign = opinion.campaign
    form = OpinionForm(
        request.POST or None, user=request.user, campaign=campaign, initial=OpinionForm.initial_for(opinion)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.opinion_update(
                actor=request.user,
                opinion=opinion,
                target=data["target_obj"],
                kind=data["kind"],
                text=data["text"],
                channel=data["channel"],
                aspect=data["aspect"],
                source_group=data["source_group"],
                received_on=data["received_on"],
                event=data["event"],
                target_text=data["target_text"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The opinion was saved."))
            return redirect("opinions:opinion_detail", pk=opinion.pk)
    return render(request, "opinions/opinion_form.html", {"opinion": opinion, "form": form})


@login_required
def opinion_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "opinions.enter")
    opinion = _changeable(request, pk)
    if request.method == "POST":
        services.opinion_delete(actor=request.user, opinion=opinion)
        messages.success(request, _("The opinion was deleted."))
        return redirect("opinions:opinion_list")
    merged_count = Opinion.objects.filter(merged_into=opinion).count()
    return render(request, "opinions/opinion_confirm_delete.html", {"opinion": opinion, "merged_count": merged_count})


@login_required
@require_POST
def opinion_transition(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "opinions.sort")
    opinion = selectors.opinion_for_user(request.user, pk)
    try:
        services.opinion_transition(actor=request.user, opinion=opinion, to=request.POST.get("to", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        opinion.refresh_from_db(fields=["status"])
        messages.success(request, _("The opinion is now %(status)s.") % {"status": opinion.get_status_display()})
    return redirect("opinions:opinion_detail", pk=opinion.pk)


def _back(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    """Back to the page the form came from (the sorting page with its filters)."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(fallback)


@login_required
@require_POST
def opinion_unmerge(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "opinions.sort")
    opinion = selectors.opinion_for_user(request.user, pk)
    kept = opinion.merged_into_id
    try:
        services.opinion_unmerge(actor=request.user, opinion=opinion)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Opinion #%(number)s counts on its own again; it was merged into #%(kept)s.")
            % {
                "number": opinion.pk,
                "kept": kept,
            },
        )
    return _back(request, reverse("opinions:opinion_detail", kwargs={"pk": opinion.pk}))


# --- Batch entry ----------------------------------------------------------------


@login_required
@creates
def batch_entry(request: HttpRequest) -> HttpResponse:
    require(request, "opinions.enter")
    campaign = _campaign(request)
    if campaign is None:
        raise Http404
    user = request.user
    if request.method == "POST":
        heading = BatchHeadingForm(request.POST, user=user, campaign=campaign)
        rows = BatchRowFormSet(request.POST, form_kwargs={"user": user, "campaign": campaign})
        heading_ok, rows_ok = heading.is_valid(), rows.is_valid()
        once = FormOnce(request)
        if heading_ok and rows_ok and once.valid_for(heading):
            filled = rows.filled_forms()
            keep = {
                name: heading.data.get(name, "")
                for name in ("event", "channel", "received_on", "recording_unit")
                if heading.data.get(name)
            }
            next_url = reverse("opinions:batch_entry") + ("?" + urlencode(keep) if keep else "")
            try:
                with once.consume() as use:
                    created = services.opinions_create_batch(
                        actor=user,
                        campaign=campaign,
                        rows=[
                            OpinionRow(
                                kind=form.cleaned_data["kind"],
                                text=form.cleaned_data["text"],
                                target=form.cleaned_data["target_obj"],
                                aspect=form.cleaned_data["aspect"],
                                source_group=form.cleaned_data["source_group"],
                            )
                            for form in filled
                        ],
                        channel=heading.cleaned_data["channel"],
                        received_on=heading.cleaned_data["received_on"],
                        event=heading.cleaned_data["event"],
                        recording_unit=heading.cleaned_data["recording_unit"],
                    )
                    use.leads_to(next_url)
            except AlreadySubmitted as done:
                return done.response(request, next_url)
            except BatchError as error:
                if error.heading is not None:
                    apply_errors(heading, error.heading)
                for index, row_error in error.rows.items():
                    apply_errors(filled[index], row_error)
            else:
                saved = (
                    reverse("opinions:opinion_list")
                    + "?"
                    + urlencode({"numbers": ",".join(str(opinion.pk) for opinion in created), "merged": selectors.ALL})
                )
                messages.success(
                    request,
                    format_html(
                        '{} <a href="{}">{}</a>',
                        ngettext("%(count)s opinion was recorded.", "%(count)s opinions were recorded.", len(created))
                        % {"count": intcomma(len(created))},
                        saved,
                        _("See the rows saved"),
                    ),
                )
                return redirect(next_url)
    else:
        initial = {
            name: request.GET[name]
            for name in ("event", "channel", "received_on", "recording_unit")
            if request.GET.get(name)
        }
        heading = BatchHeadingForm(initial=initial, user=user, campaign=campaign)
        rows = BatchRowFormSet(form_kwargs={"user": user, "campaign": campaign})
    chosen = selectors.target_options(user, campaign, [form["target_token"].value() or "" for form in rows.forms])
    for form in rows.forms:
        form.target_option = chosen.get(form["target_token"].value() or "")
    context = {
        "campaign": campaign,
        "heading": heading,
        "rows": rows,
        "errors": row_errors(rows) if rows.is_bound else [],
    }
    return render(request, "opinions/batch_entry.html", context)


@login_required
@require_GET
def target_search(request: HttpRequest) -> JsonResponse:
    """The autocomplete of targets: only those the user may record for."""
    require(request, "opinions.enter")
    campaign = _campaign(request)
    query = request.GET.get("q", "")[:100]
    results = selectors.target_search(request.user, campaign, query) if campaign is not None else []
    return JsonResponse({"results": [option.as_json() for option in results]})


# --- Sorting --------------------------------------------------------------------


@login_required
def sort(request: HttpRequest) -> HttpResponse:
    require(request, "opinions.sort")
    campaign = _campaign(request)
    form = OpinionFilterForm(request.GET or None, user=request.user, campaign=campaign)
    opinions = selectors.opinions_for(request.user, campaign=campaign, filters=form.filters())
    selectable = selectors.opinions_for(
        request.user, campaign=campaign, filters=selectors.OpinionFilters(merged=selectors.ALL)
    )
    action_form = SortForm(request.POST or None, user=request.user, campaign=campaign, opinions=selectable)
    if request.method == "POST":
        if action_form.is_valid():
            done = _apply(request, action_form)
            if done is not None:
                messages.success(request, done)
                return redirect(request.get_full_path())
        else:
            messages.error(request, _("Nothing was changed: see the messages by the action."))
    page = paginate(request, selectors.with_merged(opinions))
    checked = {str(pk) for pk in request.POST.getlist("ids")} if request.method == "POST" else set()
    context = {
        "form": form,
        "action_form": action_form,
        "page": page,
        "checked": checked,
        "kept": request.POST.get("keep", ""),
        "transitions": [
            (
                OpinionStatus(current).label,
                [OpinionStatus(new).label for new in OpinionStatus.values if new in TRANSITIONS.successors(current)],
            )
            for current in TRANSITIONS.states()
        ],
    }
    return render(request, "opinions/sort.html", context)


def _apply(request: HttpRequest, form: SortForm) -> str | None:
    """Run the chosen bulk action through its service; None (and the errors on the
    form) when it was refused, in which case nothing was changed."""
    data = form.cleaned_data
    chosen = list(data["ids"].order_by("pk"))
    try:
        if data["action"] == SET_ASPECT:
            count = services.opinions_bulk_set_aspect(actor=request.user, opinions=chosen, aspect=data["aspect"])
            return ngettext(
                "%(count)s opinion now has the aspect %(aspect)s.",
                "%(count)s opinions now have the aspect %(aspect)s.",
                count,
            ) % {"count": intcomma(count), "aspect": Aspect(data["aspect"]).label}
        if data["action"] == REASSIGN:
            target = data["target_obj"]
            count = services.opinions_bulk_reassign(actor=request.user, opinions=chosen, target=target)
            return ngettext(
                "%(count)s opinion is now about %(target)s.", "%(count)s opinions are now about %(target)s.", count
            ) % {"count": intcomma(count), "target": target.obj}
        if data["action"] == MOVE_STATUS:
            count = services.opinions_bulk_transition(actor=request.user, opinions=chosen, to=data["status"])
            return ngettext("%(count)s opinion is now %(status)s.", "%(count)s opinions are now %(status)s.", count) % {
                "count": intcomma(count),
                "status": OpinionStatus(data["status"]).label,
            }
        if data["action"] == MERGE:
            keep = data["keep"]
            count = services.opinion_merge(actor=request.user, keep=keep, duplicates=chosen)
            return ngettext(
                "%(count)s opinion was merged into #%(keep)s; it counts once.",
                "%(count)s opinions were merged into #%(keep)s; they count once.",
                count,
            ) % {"count": intcomma(count), "keep": keep.pk}
    except ValidationError as error:
        apply_errors(form, error)
        messages.error(request, _("Nothing was changed: see the messages by the action."))
        return None
    raise ValueError(data["action"])  # the form's choices allow nothing else


# --- Solicitation events --------------------------------------------------------


def _event_rows(request: HttpRequest) -> tuple[EventFilterForm, Any, Campaign | None]:
    campaign = _campaign(request)
    form = EventFilterForm(request.GET or None, user=request.user, campaign=campaign)
    return form, selectors.events_for(request.user, campaign=campaign, filters=form.filters()), campaign


@login_required
def event_list(request: HttpRequest) -> HttpResponse:
    require(request, "opinions.view")
    form, events, campaign = _event_rows(request)
    editable = (
        set(selectors.recording_units_for(request.user, campaign).values_list("pk", flat=True))
        if campaign is not None and scope_for(request.user).can("opinions.enter")
        else set()
    )
    context = {"form": form, "page": paginate(request, events), "campaign": campaign, "editable": editable}
    return render(request, "opinions/event_list.html", context)


@login_required
def event_export(request: HttpRequest) -> HttpResponse:
    require(request, "opinions.view")
    _form, events, campaign = _event_rows(request)
    title = _("Solicitation events") + (f" · {campaign.name}" if campaign else "")
    return exports.events_response(events, title=title)


@login_required
@creates
def event_create(request: HttpRequest) -> HttpResponse:
    require(request, "opinions.enter")
    campaign = _campaign(request)
    if campaign is None:
        raise Http404
    form = EventForm(request.POST or None, user=request.user, campaign=campaign)
    once = FormOnce(request)
    if request.method == "POST" and form.is_valid() and once.valid_for(form):
        try:
            with once.consume() as use:
                event = services.event_create(actor=request.user, campaign=campaign, **form.values())
                use.leads_to(reverse("opinions:event_list"))
        except AlreadySubmitted as done:
            return done.response(request, "opinions:event_list")
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The event %(title)s was recorded.") % {"title": event.title})
            return redirect("opinions:event_list")
    return render(request, "opinions/event_form.html", {"form": form, "event": None})


@login_required
def event_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "opinions.enter")
    event = get_object_for_user(request.user, SolicitationEvent.objects.select_related("campaign", "unit"), pk=pk)
    if not scope_for(request.user).can_edit_unit(event.unit):
        raise PermissionDenied
    form = EventForm(
        request.POST or None, user=request.user, campaign=event.campaign, initial=EventForm.initial_for(event)
    )
    if request.method == "POST" and form.is_valid():
        try:
            event = services.event_update(actor=request.user, event=event, **form.values())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The event %(title)s was saved.") % {"title": event.title})
            return redirect("opinions:event_list")
    return render(request, "opinions/event_form.html", {"form": form, "event": event})
