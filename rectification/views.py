"""Pages of the rectification stage: the problem list (整改台账) and its export, a
problem with its chain and its moves, the making of problems (by hand, of opinions, of a
self-analysis document), and the practical results with their import.
Thin: parse, ask the scope, call one service or selector, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from campaign.forms import OrgImportForm
from campaign.import_pages import ImportFlow
from campaign.scoping import scope_for
from campaign.selectors import campaigns_for, current_campaign_for
from campaign.views import require
from core import excel
from core.importing import ImportReport, describe_columns
from core.once import AlreadySubmitted, FormOnce, creates
from core.pages import paginate
from core.uploads import upload_limit, upload_refusal
from rectification import exports, imports, selectors, services
from rectification.forms import (
    HandOverForm,
    ProblemFilterForm,
    ProblemForm,
    ResultFilterForm,
    ResultForm,
    ReturnForm,
    SolveForm,
    apply_errors,
)
from rectification.models import Problem
from reviews import selectors as review_selectors

EXPORT_MAX_ROWS = 50_000


def _detail(problem: Problem) -> str:
    return reverse("rectification:problem_detail", args=[problem.pk])


def _store_once(
    request: HttpRequest, form: Any, save: Callable[[], str], *, done: str, fallback: str
) -> HttpResponse | None:
    once = FormOnce(request)
    if not once.valid_for(form):
        return None
    try:
        with once.consume() as use:
            use.leads_to(save())
    except AlreadySubmitted as already:
        return already.response(request, fallback)
    except ValidationError as error:
        apply_errors(form, error)
        return None
    messages.success(request, done)
    return redirect(use.url)


# --- The problem list ------------------------------------------------------------------


def _problems(request: HttpRequest) -> tuple[Any, ProblemFilterForm, Any]:
    require(request, "rectification.view")
    campaign = current_campaign_for(request.user)
    form = ProblemFilterForm(request.GET or None, user=request.user, campaign=campaign)
    return campaign, form, selectors.problems_for(request.user, campaign, form.filters())


@login_required
@require_GET
def problem_list(request: HttpRequest) -> HttpResponse:
    campaign, form, problems = _problems(request)
    scope = scope_for(request.user)
    context = {
        "campaign": campaign,
        "form": form,
        "page": paginate(request, problems),
        "export_url": reverse("rectification:problem_export"),
        "can_manage": campaign is not None and scope.can("rectification.manage"),
        "awaiting": selectors.awaiting_answer(request.user, campaign).count() if campaign else 0,
    }
    return render(request, "rectification/problem_list.html", context)


@login_required
@require_GET
def problem_export(request: HttpRequest) -> HttpResponse:
    campaign, _form, problems = _problems(request)
    if campaign is None:
        raise Http404
    book = exports.problems_workbook(campaign, problems[:EXPORT_MAX_ROWS].iterator(chunk_size=1000))
    return excel.response(book, exports.title(campaign))


# --- One problem -----------------------------------------------------------------------


def _problem(request: HttpRequest, pk: int) -> Problem:
    require(request, "rectification.view")
    return selectors.problem_for_user(request.user, pk)


def _managed(request: HttpRequest, pk: int) -> Problem:
    require(request, "rectification.manage")
    problem = _problem(request, pk)
    if not services.may_manage(request.user, problem):
        raise PermissionDenied
    return problem


@login_required
@require_GET
def problem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _problem(request, pk)
    page = selectors.problem_page(problem)
    context = {
        "problem": problem,
        "page": page,
        "may_manage": services.may_manage(request.user, problem),
        "may_answer": services.may_answer(request.user, problem),
        "moves": services.TRANSITIONS.successors(problem.state),
        "handover_form": HandOverForm(campaign=problem.campaign),
        "return_form": ReturnForm(),
        "solve_form": SolveForm(),
        "deletable": problem.source in ("opinions", "manual") and problem.state != "solved",
    }
    return render(request, "rectification/problem_detail.html", context)


@login_required
@creates
def problem_new(request: HttpRequest) -> HttpResponse:
    require(request, "rectification.manage")
    campaign = current_campaign_for(request.user)
    if campaign is None:
        raise Http404
    form = ProblemForm(request.POST or None, user=request.user, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        answer = _store_once(
            request,
            form,
            lambda: _detail(
                services.problem_create(
                    user=request.user, campaign=campaign, unit=form.cleaned_data["unit"], details=form.details()
                )
            ),
            done=_("The problem is on the list."),
            fallback="rectification:problem_list",
        )
        if answer is not None:
            return answer
    return render(
        request, "rectification/form.html", {"form": form, "title": _("A problem entered by hand"), "once": True}
    )


@login_required
@creates
def problem_from_opinions(request: HttpRequest) -> HttpResponse:
    require(request, "rectification.manage")
    campaign = current_campaign_for(request.user)
    if campaign is None:
        raise Http404
    form = ProblemForm(request.POST or None, user=request.user, campaign=campaign)
    search = (request.GET.get("q") or "")[: selectors.SEARCH_MAX_CHARS]
    chosen = request.POST.getlist("opinions") if request.method == "POST" else []
    if request.method == "POST" and form.is_valid():
        try:
            ids = [int(pk) for pk in chosen]
        except ValueError:
            ids = []
            form.add_error(None, _("Select at least one opinion."))
        if not form.errors:
            answer = _store_once(
                request,
                form,
                lambda: _detail(
                    services.problem_from_opinions(
                        user=request.user,
                        campaign=campaign,
                        unit=form.cleaned_data["unit"],
                        details=form.details(),
                        opinion_ids=ids,
                    )
                ),
                done=_("The problem is on the list; its opinions are in rectification."),
                fallback="rectification:problem_list",
            )
            if answer is not None:
                return answer
    opinions = paginate(request, selectors.opinions_to_choose(request.user, campaign, search=search))
    context = {"form": form, "opinions": opinions, "chosen": set(chosen), "search": search}
    return render(request, "rectification/from_opinions.html", context)


@login_required
@require_POST
def problems_from_document(request: HttpRequest, pk: int) -> HttpResponse:
    """The problems a self-analysis document names, one per section, for rectification."""
    require(request, "rectification.manage")
    document = next(
        (
            found
            for campaign in campaigns_for(request.user)
            for found in review_selectors.documents_in_reach(request.user, campaign).filter(pk=pk)
        ),
        None,
    )
    if document is None:
        raise Http404
    if not scope_for(request.user).can_edit_unit(document.member.unit):
        raise PermissionDenied
    try:
        problems = services.problems_from_document(user=request.user, document=document)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("rectification:problem_list")
    messages.success(request, _("%(count)d problem(s) of the document are on the list.") % {"count": len(problems)})
    return redirect(reverse("rectification:problem_list") + "?source=document")


@login_required
def problem_edit(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _managed(request, pk)
    initial = {
        "title": problem.title or problem.heading,
        "text": problem.text,
        "category": problem.category,
        "responsible": problem.responsible,
        "due_on": problem.due_on,
        "measures": problem.measures,
    }
    form = ProblemForm(
        request.POST or None, initial=initial, user=request.user, campaign=problem.campaign, with_unit=False
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.problem_update(user=request.user, problem=problem, details=form.details())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The problem is changed."))
            return redirect(_detail(problem))
    return render(
        request, "rectification/form.html", {"form": form, "title": _("Change the problem"), "problem": problem}
    )


def _move(request: HttpRequest, problem: Problem, move: Callable[[], Any], done: str) -> HttpResponse:
    try:
        move()
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, done)
    return redirect(_detail(problem))


@login_required
@require_POST
def problem_start(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _managed(request, pk)
    return _move(
        request,
        problem,
        lambda: services.problem_start(user=request.user, problem=problem),
        _("Work on it has started."),
    )


@login_required
def problem_hand_over(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _managed(request, pk)
    form = HandOverForm(request.POST or None, campaign=problem.campaign)
    if request.method == "POST" and form.is_valid():
        try:
            services.problem_hand_over(
                user=request.user,
                problem=problem,
                to_unit=form.cleaned_data["to_unit"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Handed over; the receiving department must accept it."))
            return redirect(_detail(problem))
    return render(
        request, "rectification/form.html", {"form": form, "title": _("Hand the problem over"), "problem": problem}
    )


def _answering(request: HttpRequest, pk: int) -> Problem:
    require(request, "rectification.manage")
    problem = _problem(request, pk)
    if not services.may_answer(request.user, problem):
        raise PermissionDenied
    return problem


@login_required
@require_POST
def problem_accept(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _answering(request, pk)
    return _move(
        request,
        problem,
        lambda: services.problem_accept(user=request.user, problem=problem),
        _("Accepted: it is now your department's problem."),
    )


@login_required
def problem_return(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _answering(request, pk)
    form = ReturnForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.problem_return(user=request.user, problem=problem, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Sent back to the unit that handed it over."))
            return redirect("rectification:problem_list")
    return render(
        request, "rectification/form.html", {"form": form, "title": _("Send the problem back"), "problem": problem}
    )


@upload_limit("UPLOAD_MAX_BYTES")
@login_required
def problem_solve(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _managed(request, pk)
    refusal = upload_refusal(request) if request.method == "POST" else None
    form = SolveForm(request.POST or None, request.FILES or None)
    if refusal:
        form.add_error("evidence", refusal)
    elif request.method == "POST" and form.is_valid():
        try:
            services.problem_solve(
                user=request.user,
                problem=problem,
                public_measure=form.cleaned_data["public_measure"],
                uploads=form.uploads(),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Solved; the opinions behind it are closed."))
            return redirect(_detail(problem))
    return render(
        request,
        "rectification/form.html",
        {"form": form, "title": _("Mark the problem solved"), "problem": problem, "multipart": True},
    )


@login_required
@require_POST
def problem_delete(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _managed(request, pk)
    try:
        services.problem_delete(user=request.user, problem=problem)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(_detail(problem))
    messages.success(request, _("The problem is deleted."))
    return redirect("rectification:problem_list")


@login_required
@require_GET
def evidence_file(request: HttpRequest, pk: int, file_pk: int) -> HttpResponse:
    require(request, "rectification.view")
    try:
        evidence = selectors.evidence_for_user(request.user, pk, file_pk)
    except selectors.Evidence.DoesNotExist:
        raise Http404 from None
    reply = HttpResponse(bytes(evidence.content), content_type=evidence.content_type)
    reply["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(excel.printable(evidence.name), safe='')}"
    reply["X-Content-Type-Options"] = "nosniff"
    return reply


# --- Practical results -----------------------------------------------------------------


def _results(request: HttpRequest) -> tuple[Any, ResultFilterForm, Any]:
    require(request, "rectification.results_view")
    campaign = current_campaign_for(request.user)
    form = ResultFilterForm(request.GET or None, user=request.user, campaign=campaign)
    return campaign, form, selectors.results_for(request.user, campaign, form.filters())


@login_required
@require_GET
def result_list(request: HttpRequest) -> HttpResponse:
    campaign, form, results = _results(request)
    context = {
        "campaign": campaign,
        "form": form,
        "page": paginate(request, results),
        "export_url": reverse("rectification:result_export"),
        "can_enter": scope_for(request.user).can("rectification.results") and campaign is not None,
    }
    return render(request, "rectification/result_list.html", context)


@login_required
@require_GET
def result_export(request: HttpRequest) -> HttpResponse:
    campaign, _form, results = _results(request)
    if campaign is None:
        raise Http404
    book = exports.results_workbook(campaign, results[:EXPORT_MAX_ROWS])
    return excel.response(book, exports.results_title(campaign))


@login_required
@creates
def result_new(request: HttpRequest) -> HttpResponse:
    require(request, "rectification.results")
    campaign = current_campaign_for(request.user)
    if campaign is None:
        raise Http404
    form = ResultForm(request.POST or None, user=request.user, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        answer = _store_once(
            request,
            form,
            lambda: reverse(
                "rectification:result_detail",
                args=[
                    services.result_create(
                        user=request.user, campaign=campaign, unit=form.cleaned_data["unit"], data=form.result_input()
                    ).pk
                ],
            ),
            done=_("The practical result is recorded."),
            fallback="rectification:result_list",
        )
        if answer is not None:
            return answer
    return render(
        request, "rectification/form.html", {"form": form, "title": _("Record a practical result"), "once": True}
    )


@login_required
@require_GET
def result_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "rectification.results_view")
    result = selectors.result_for_user(request.user, pk)
    scope = scope_for(request.user)
    context = {
        "result": result,
        "disputes": list(result.disputes.order_by("pk")),
        "may_delete": scope.can("rectification.results") and scope.can_edit_unit(result.unit),
    }
    return render(request, "rectification/result_detail.html", context)


@login_required
@require_POST
def result_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "rectification.results")
    result = selectors.result_for_user(request.user, pk)
    try:
        services.result_delete(user=request.user, result=result)
    except ValidationError as error:
        raise PermissionDenied(" ".join(error.messages)) from None
    messages.success(request, _("The practical result is deleted."))
    return redirect("rectification:result_list")


class ResultImportForm(OrgImportForm):
    kind = None


def _import(**kwargs: Any) -> ImportReport:
    return imports.results_import(max_rows=settings.IMPORT_MAX_ROWS, **kwargs)


def _import_context(request: HttpRequest, campaign: Any) -> dict[str, Any]:
    return {"columns": describe_columns(imports.COLUMNS, {})}


IMPORT = ImportFlow(
    session_key="results_import",
    url_name="rectification:results_import",
    template="rectification/import_page.html",
    form_class=ResultImportForm,
    run=_import,
    context=_import_context,
)


@upload_limit("DATA_UPLOAD_MAX_MEMORY_SIZE")
@login_required
@creates
def results_import(request: HttpRequest) -> HttpResponse:
    require(request, "rectification.results")
    campaign = current_campaign_for(request.user)
    if campaign is None:
        messages.error(request, _("There is no campaign to import into."))
        return redirect("campaign:home")
    return IMPORT.page(request, campaign)
