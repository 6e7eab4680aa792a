"""Pages of self-analysis documents: the author's editor (with autosave and .docx
upload), a document with its versions and reviews, the diff between versions, the
reviewer's queue and decision, the office's reopening. (The progress by unit is a
ledger page now: ``reports.documents.views``.)
Thin: parse, ask the scope, call one service or selector, render."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from campaign.language import in_campaign_language
from campaign.models import Member
from campaign.navigation import has_document_queue
from campaign.scoping import get_object_for_user, scope_for
from campaign.selectors import current_campaign_for
from campaign.views import require
from core.once import AlreadySubmitted, FormOnce, creates
from core.uploads import upload_limit, upload_refusal
from reviews import selectors, services
from reviews.diff import diff_versions
from reviews.docx import heading_names, read_docx, too_large, write_docx
from reviews.forms import DecisionForm, DocumentForm, ReopenForm, UploadForm, apply_errors, error_text
from reviews.models import SECTION_FIELDS, AnalysisDocument, Decision, DocumentVersion, Review, Section


def _own_member(request: HttpRequest) -> Member:
    require(request, "documents.write")
    member = scope_for(request.user).member
    if member is None:  # pragma: no cover (documents.write is granted to members only)
        raise PermissionDenied
    return member


def _detail_url(document: AnalysisDocument) -> str:
    return reverse("reviews:document_detail", kwargs={"pk": document.pk})


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


@login_required
@creates
def my_document(request: HttpRequest) -> HttpResponse:
    """The author's editor: save the draft, or save and submit it. Submitting creates a
    version, once per sending of the form (``core.once``); saving the draft only saves."""
    member = _own_member(request)
    document = services.document_get_or_create(member=member)
    once = FormOnce(request)
    submit = request.method == "POST" and request.POST.get("action") == "submit"
    if not document.is_editable:
        return redirect(_detail_url(document))
    form = DocumentForm(request.POST or None, instance=document)
    if request.method == "POST" and form.is_valid() and (not submit or once.valid_for(form)):
        try:
            document = services.document_save(
                document=document, user=request.user, sections=form.sections(), comparisons=form.comparisons()
            )
            if submit:
                # The draft stays saved if the submission is refused, as it always has.
                with once.consume() as use:
                    version = services.document_submit(document=document, user=request.user)
                    use.leads_to(_detail_url(document))
                messages.success(
                    request, _("Version %(number)d was submitted for review.") % {"number": version.number}
                )
                return redirect(_detail_url(document))
            messages.success(request, _("The draft was saved."))
            return redirect("reviews:my_document")
        except AlreadySubmitted as done:
            return done.response(request, _detail_url(document))
        except ValidationError as error:
            # A second sending that arrived while the first was being stored finds the
            # document no longer editable: it was submitted once, by the first.
            if submit and (done := once.used_before()):
                return done.response(request, _detail_url(document))
            apply_errors(form, error)
    return render(
        request,
        "reviews/editor.html",
        {
            "document": document,
            "form": form,
            "upload_form": UploadForm(),
            "minimum": services.minimum_words(member, member.campaign),
            "last_review": document.reviews.order_by("-decided_at").first(),
            # The link to the queue only for whom documents are routed to, as in the menu.
            "has_queue": has_document_queue(scope_for(request.user)),
            "section_headings": heading_names(),
        },
    )


@require_POST
def autosave(request: HttpRequest) -> JsonResponse:
    """Save the draft from the editor's script. Never redirects: a session that expired
    answers 403 with JSON, and the page keeps the text in the browser."""
    if not request.user.is_authenticated:
        return JsonResponse(
            {"error": "session_expired", "message": _("Your session has ended. Log in again in another tab.")},
            status=403,
        )
    scope = scope_for(request.user)
    if not scope.can("documents.write") or scope.member is None:
        return JsonResponse({"error": "forbidden", "message": _("Only members write documents.")}, status=403)
    document = services.document_get_or_create(member=scope.member)
    form = DocumentForm(request.POST, instance=document)
    if not form.is_valid():
        # A section over its length, say: the page shows why the draft was not saved.
        return JsonResponse(
            {"error": "invalid", "message": error_text(form) or _("The text could not be read.")}, status=400
        )
    try:
        document = services.document_save(
            document=document, user=request.user, sections=form.sections(), comparisons=form.comparisons()
        )
    except ValidationError as error:
        return JsonResponse({"error": "refused", "message": _error_text(error)}, status=409)
    return JsonResponse(
        {"saved_at": timezone.localtime(document.updated_at).strftime("%H:%M:%S"), "word_count": document.word_count}
    )


@upload_limit("DOCX_UPLOAD_MAX_BYTES")
@login_required
@require_POST
def upload(request: HttpRequest) -> HttpResponse:
    """Fill the draft's sections from a .docx, by its headings."""
    member = _own_member(request)
    document = services.document_get_or_create(member=member)
    form = UploadForm(request.POST, request.FILES)
    try:
        if upload_refusal(request):
            # Cut off while it streamed in: never read past the cap.
            raise too_large()
        if not form.is_valid():
            raise ValidationError(" ".join(str(e) for errors in form.errors.values() for e in errors))
        sections = read_docx(form.cleaned_data["file"].read())
        services.document_save(document=document, user=request.user, sections=sections)
    except ValidationError as error:
        messages.error(request, _("The upload was refused: %(reason)s") % {"reason": _error_text(error)})
    else:
        messages.success(request, _("The sections were filled from the Word document. Check them, then save."))
    return redirect("reviews:my_document")


@login_required
@require_GET
def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "documents.view")
    document = get_object_for_user(
        request.user,
        AnalysisDocument.objects.select_related(
            "member", "member__unit", "campaign", "reviewer_team", "reviewer_supervisor", "reviewer_member"
        ),
        pk=pk,
    )
    versions = list(document.versions.order_by("number"))
    latest = versions[-1] if versions else None
    scope = scope_for(request.user)
    decision_form = None
    if document.is_awaiting and latest is not None and services.may_decide(request.user, document):
        decision_form = DecisionForm(initial={"version": latest.number})
    reviews = list(document.reviews.select_related("version").order_by("-decided_at"))
    shown = latest.sections if latest and not document.is_editable else document.sections()
    return render(
        request,
        "reviews/document_detail.html",
        {
            "document": document,
            "versions": versions,
            "latest": latest,
            "reviews": reviews,
            "section_rows": _section_rows(shown, decision_form, reviews),
            "is_author": document.member.user_id == request.user.pk,
            "decision_form": decision_form,
            "reopen_form": ReopenForm() if scope.can("documents.reopen") and document.state == "approved" else None,
            "reviewer_name": selectors.reviewer_name(document),
            "minimum": services.minimum_words(document.member, document.campaign),
            "latest_sections": _labelled(latest.sections) if latest else [],
            "current_sections": _labelled(document.sections()),
            # The problems it names go to the rectification stage's list (one per section).
            "to_rectify": document.state == "approved"
            and scope.can("rectification.manage")
            and scope.can_edit_unit(document.member.unit),
        },
    )


@dataclass
class SectionRow:
    """One section of the text as the detail page lays it out: the text, and beside it
    the reviewer's comment box (to the reviewer deciding) and the comments each decision
    made on it, newest first (to the author and everyone who may read the document)."""

    name: str
    label: str
    text: str
    box: Any = None  # the reviewer's comment field (a BoundField)
    comments: list[tuple[Review, str]] = field(default_factory=list)

    @property
    def side(self) -> bool:
        return self.box is not None or bool(self.comments)


def _section_rows(sections: dict[str, str], form: DecisionForm | None, reviews: list[Review]) -> list[SectionRow]:
    rows = []
    for name, label, text in _labelled(sections):
        row = SectionRow(name, label, text, box=form[f"comment_{name}"] if form is not None else None)
        row.comments = [
            (review, review.section_comments[name]) for review in reviews if review.section_comments.get(name)
        ]
        rows.append(row)
    return rows


def _labelled(sections: dict[str, str]) -> list[tuple[str, str, str]]:
    return [(name, str(Section(name).label), sections.get(name, "")) for name in SECTION_FIELDS]


@login_required
@require_GET
def document_docx(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "documents.view")
    document = get_object_for_user(request.user, AnalysisDocument.objects.select_related("member", "campaign"), pk=pk)
    with in_campaign_language(document.campaign):  # what the member prints and signs
        title = _("Self-analysis of %(name)s") % {"name": document.member.name}
        body = write_docx(title=title, sections=document.sections())
    response = HttpResponse(
        body,
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    filename = f"{slugify(document.member.number) or document.pk}.docx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def document_diff(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "documents.view")
    document = get_object_for_user(request.user, AnalysisDocument.objects.select_related("member"), pk=pk)
    versions = {v.number: v for v in DocumentVersion.objects.filter(document=document).order_by("number")}
    numbers = sorted(versions)

    def _pick(name: str, default: int | None) -> int | None:
        try:
            value = int(request.GET.get(name, ""))
        except ValueError:
            return default
        return value if value in versions else default

    new = _pick("b", numbers[-1] if numbers else None)
    old = _pick("a", numbers[-2] if len(numbers) > 1 else None)
    sections = []
    if old is not None and new is not None:
        sections = diff_versions(versions[old].sections, versions[new].sections)
    return render(
        request,
        "reviews/document_diff.html",
        {"document": document, "numbers": numbers, "old": old, "new": new, "sections": sections},
    )


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "documents.review")
    document = get_object_for_user(request.user, AnalysisDocument.objects.select_related("member"), pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        if set(form.errors) <= {"decision", "version"}:
            messages.error(request, _("Choose approve or return, and say which version you read."))
        else:
            messages.error(request, error_text(form))
        return redirect(_detail_url(document))
    try:
        review = services.document_decide(
            document=document,
            user=request.user,
            version_number=form.cleaned_data["version"],
            decision=form.cleaned_data["decision"],
            overall_comment=form.cleaned_data["overall_comment"],
            section_comments=form.section_comments(),
            problems_accurate=form.cleaned_data["problems_accurate"],
            causes_accurate=form.cleaned_data["causes_accurate"],
            direction_accurate=form.cleaned_data["direction_accurate"],
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        params = {"number": review.version.number, "name": document.member.name}
        if review.decision == Decision.APPROVE:
            messages.success(request, _("Version %(number)d of %(name)s was approved.") % params)
        else:
            messages.success(request, _("Version %(number)d of %(name)s was returned for revision.") % params)
    return redirect(_detail_url(document))


@login_required
@require_POST
def reopen(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "documents.reopen")
    document = get_object_for_user(request.user, AnalysisDocument.objects.all(), pk=pk)
    form = ReopenForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(
                error_text(form)
                if form.data.get("reason", "").strip()
                else _("Give the reason for reopening the document.")
            )
        services.document_reopen(document=document, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("The document was reopened; its author can revise it."))
    return redirect(_detail_url(document))


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """The documents waiting for this reviewer, oldest first, with how long each waited."""
    require(request, "documents.review")
    campaign = current_campaign_for(request.user)
    documents = list(selectors.queue_for(request.user, campaign)[:500])
    now = timezone.now()
    for document in documents:
        # In whole days, as on the talk cards' queue: one way to say a wait everywhere.
        document.waited_days = (now - document.submitted_at).days
    return render(request, "reviews/queue.html", {"documents": documents, "campaign": campaign})


@require_GET
def progress(request: HttpRequest) -> HttpResponse:
    """The progress by unit moved to the ledger pages (reports:documents_progress)."""
    target = reverse("reports:documents_progress")
    query = request.GET.urlencode()
    return redirect(f"{target}?{query}" if query else target)
