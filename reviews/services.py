"""Every write on self-analysis documents: saving drafts, submitting, routing, deciding,
reopening, re-routing. The state machine is ``transition()``; nothing else changes
``AnalysisDocument.state``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from campaign.events import announce_change
from campaign.models import (
    LEADING_RANKS,
    Campaign,
    Member,
    OrgUnit,
    Rank,
    Supervisor,
    SupervisoryLevel,
    SupervisoryTeam,
)
from core.workflow import Workflow
from notifications import kinds as notices
from notifications.services import notify
from reviews.models import (
    AWAITING_STATES,
    COMMENT_MAX_CHARS,
    DEFAULT_ROUTES,
    REASON_MAX_CHARS,
    SECTION_COMMENT_MAX_CHARS,
    SECTION_FIELDS,
    SECTION_MAX_CHARS,
    AnalysisDocument,
    Decision,
    DocumentState,
    DocumentVersion,
    Review,
    Route,
    RoutingRule,
    Section,
)
from reviews.wordcount import count_words

SOURCE = "documents"
# The change reason of a draft's history record: the saves of one draft (the editor
# autosaves every few seconds) share one record, overwritten, rather than each adding a
# copy of the whole text; the versions are kept on submission.
DRAFT_SAVE = "draft"

# The one table of allowed moves: (state, action) → next state.
# Lazy: the refusal below is made in the language of the request, not of the import.
ACTION_LABELS: dict[str, Promise] = {
    "submit": gettext_lazy("submitted"),
    "return": gettext_lazy("returned"),
    "approve": gettext_lazy("approved"),
    "reopen": gettext_lazy("reopened"),
}


TRANSITIONS = Workflow(
    {
        (DocumentState.DRAFT, "submit"): DocumentState.SUBMITTED,
        (DocumentState.RETURNED, "submit"): DocumentState.RESUBMITTED,
        (DocumentState.SUBMITTED, "return"): DocumentState.RETURNED,
        (DocumentState.RESUBMITTED, "return"): DocumentState.RETURNED,
        (DocumentState.SUBMITTED, "approve"): DocumentState.APPROVED,
        (DocumentState.RESUBMITTED, "approve"): DocumentState.APPROVED,
        # Reopened by the office: back to the author, who revises and resubmits.
        (DocumentState.APPROVED, "reopen"): DocumentState.RETURNED,
    },
    refusal=lambda document, action: (
        _("A document that is “%(state)s” cannot be %(action)s.")
        % {"state": document.get_state_display(), "action": ACTION_LABELS.get(action, action)}
    ),
)

COMPARISONS: tuple[str, ...] = ("compared_theory", "compared_constitution", "compared_standards", "compared_opinions")


def transition(document: AnalysisDocument, action: str) -> str:
    """Move ``document`` to the state ``action`` leads to, or refuse."""
    return TRANSITIONS.move(document, action)


def minimum_words(member: Member, campaign: Campaign) -> int:
    return campaign.doc_min_words_leader if member.rank in LEADING_RANKS else campaign.doc_min_words_member


# --- Routing ---------------------------------------------------------------------


def routing_rules_ensure(*, campaign: Campaign) -> list[RoutingRule]:
    """Give ``campaign`` the seed's rule for every rank it has no rule for yet (a new
    campaign: all four); the rules already there stay as the office set them."""
    present = set(RoutingRule.objects.filter(campaign=campaign).values_list("rank", flat=True))
    missing = [
        RoutingRule(campaign=campaign, rank=rank, route=DEFAULT_ROUTES[rank])
        for rank in Rank.values
        if rank not in present
    ]
    if not missing:
        return []
    return bulk_create_with_history(missing, RoutingRule, default_change_reason="default routing rules")


def routing_table(campaign: Campaign) -> dict[str, str]:
    """Rank → route, as the campaign's rules say (the seed's route for a rank that has
    no rule, which ``routing_rules_ensure`` gives every campaign)."""
    rules = dict(RoutingRule.objects.filter(campaign=campaign).values_list("rank", "route"))
    return {rank: rules.get(rank, DEFAULT_ROUTES[rank]) for rank in Rank.values}


@transaction.atomic
def routing_rule_save(*, rule: RoutingRule) -> int:
    """Save a routing rule (the office, in the admin) and route again every document of
    its campaign awaiting a decision; returns how many changed hands."""
    rule.full_clean()
    rule.save()
    return documents_reroute(campaign=rule.campaign)


@dataclass(frozen=True)
class RouteChoice:
    route: str
    team: SupervisoryTeam | None = None
    supervisor: Supervisor | None = None
    member: Member | None = None

    @property
    def key(self) -> tuple[str, int | None, int | None, int | None]:
        return (
            self.route,
            self.team.pk if self.team else None,
            self.supervisor.pk if self.supervisor else None,
            self.member.pk if self.member else None,
        )


def routes_for(members: Iterable[Member], campaign: Campaign) -> dict[int, RouteChoice]:
    """The route of each member's document, by the campaign's routing rule for his or
    her rank, in a fixed number of queries whatever the number of members: the demo and
    ``reroute_documents`` route thousands at once, the submit page one.

    The routes (the seed's rules by default, DESIGN §3): the municipal supervisory team
    (any of its members with a login may decide; the seed's route for Standing Committee
    members); the leader of the county supervisory team that supervises the author's
    unit or one of its ancestors, the nearest one (county-level and section-level
    leaders); the unit's responsible leader (other members)."""
    members = list(members)
    table = routing_table(campaign)
    municipal = (
        SupervisoryTeam.objects.filter(campaign=campaign, level=SupervisoryLevel.MUNICIPAL).order_by("pk").first()
    )
    # Each county team's leader, and the paths of the units it supervises.
    leaders = {
        s.team_id: s
        for s in Supervisor.objects.filter(
            team__campaign=campaign, team__level=SupervisoryLevel.COUNTY, is_leader=True
        ).select_related("user")
    }
    team_paths: list[tuple[str, int]] = sorted(
        SupervisoryTeam.units.through.objects.filter(
            supervisoryteam__campaign=campaign, supervisoryteam__level=SupervisoryLevel.COUNTY
        ).values_list("orgunit__path", "supervisoryteam_id"),
        key=lambda row: -len(row[0]),  # deepest first: the nearest supervising team wins
    )
    unit_ids = {m.unit_id for m in members}
    units = list(OrgUnit.objects.filter(pk__in=unit_ids).values_list("pk", "path", "responsible_leader_id"))
    unit_paths = {pk: path for pk, path, _leader in units}
    responsible = {pk: leader for pk, _path, leader in units}
    leader_members = Member.objects.in_bulk({pk for pk in responsible.values() if pk})

    result: dict[int, RouteChoice] = {}
    for member in members:
        route = table[member.rank]
        if route == Route.MUNICIPAL_TEAM:
            result[member.pk] = RouteChoice(route, team=municipal)
        elif route == Route.COUNTY_TEAM_LEADER:
            path = unit_paths.get(member.unit_id, "")
            team_id = next((team for team_path, team in team_paths if path.startswith(team_path)), None)
            supervisor = leaders.get(team_id) if team_id else None
            result[member.pk] = RouteChoice(route, supervisor=supervisor)
        else:
            leader_id = responsible.get(member.unit_id)
            # Nobody reviews his own document.
            reviewer = leader_members.get(leader_id) if leader_id and leader_id != member.pk else None
            result[member.pk] = RouteChoice(route, member=reviewer)
    return result


def route_for(member: Member) -> RouteChoice:
    return routes_for([member], member.campaign)[member.pk]


def _apply_route(document: AnalysisDocument, choice: RouteChoice) -> None:
    document.route = choice.route
    document.reviewer_team = choice.team
    document.reviewer_supervisor = choice.supervisor
    document.reviewer_member = choice.member


def _current_key(document: AnalysisDocument) -> tuple[str, int | None, int | None, int | None]:
    return (document.route, document.reviewer_team_id, document.reviewer_supervisor_id, document.reviewer_member_id)


def may_decide(user: Any, document: AnalysisDocument) -> bool:
    """Only the routed reviewer decides."""
    if not getattr(user, "is_authenticated", False) or document.member.user_id == user.pk:
        return False
    if document.route == Route.MUNICIPAL_TEAM:
        return (
            document.reviewer_team_id is not None
            and Supervisor.objects.filter(user=user, team_id=document.reviewer_team_id).exists()
        )
    if document.route == Route.COUNTY_TEAM_LEADER:
        return document.reviewer_supervisor is not None and document.reviewer_supervisor.user_id == user.pk
    if document.route == Route.RESPONSIBLE_LEADER:
        return document.reviewer_member is not None and document.reviewer_member.user_id == user.pk
    return False


def decider_name(user: Any, document: AnalysisDocument) -> str:
    """The name a decision is signed with: the reviewer's own record (the member or the
    supervisor the document is routed to), as the document's page names the reviewer —
    not the login, which means nothing to the author or in an export."""
    if document.route == Route.MUNICIPAL_TEAM and document.reviewer_team_id is not None:
        supervisor = Supervisor.objects.filter(user=user, team_id=document.reviewer_team_id).first()
        if supervisor is not None:
            return supervisor.name
    if document.route == Route.COUNTY_TEAM_LEADER and document.reviewer_supervisor is not None:
        return document.reviewer_supervisor.name
    if document.route == Route.RESPONSIBLE_LEADER and document.reviewer_member is not None:
        return document.reviewer_member.name
    return user.get_full_name() or user.get_username()


# --- Writing --------------------------------------------------------------------


def document_get_or_create(*, member: Member) -> AnalysisDocument:
    document, _created = AnalysisDocument.objects.get_or_create(campaign=member.campaign, member=member)
    return document


def _check_author(document: AnalysisDocument, user: Any) -> None:
    if document.member.user_id is None or document.member.user_id != user.pk:
        raise ValidationError(_("Only the author may change this document."))


@transaction.atomic
def document_save(
    *,
    document: AnalysisDocument,
    user: Any,
    sections: Mapping[str, str],
    comparisons: Mapping[str, bool] | None = None,
) -> AnalysisDocument:
    """Save the author's text (a draft, or a returned document being revised)."""
    document = AnalysisDocument.objects.select_for_update(of=("self",)).select_related("member").get(pk=document.pk)
    _check_author(document, user)
    if not document.is_editable:
        raise ValidationError(
            _("This document is “%(state)s” and cannot be changed now.") % {"state": document.get_state_display()}
        )
    unknown = set(sections) - set(SECTION_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown section: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    too_long: dict[str, str] = {}
    for name, text in sections.items():
        text = (text or "").replace("\r\n", "\n")
        if len(text) > SECTION_MAX_CHARS:
            too_long[name] = _("“%(section)s” has %(length)s characters; at most %(max)s are allowed.") % {
                "section": Section(name).label,
                "length": intcomma(len(text)),
                "max": intcomma(SECTION_MAX_CHARS),
            }
        setattr(document, name, text)
    if too_long:
        raise ValidationError(too_long)
    for name, value in (comparisons or {}).items():
        if name in COMPARISONS:
            setattr(document, name, bool(value))
    was_written = document.word_count > 0
    document.word_count = sum(count_words(text) for text in document.sections().values())
    _save_draft(document, user)
    if was_written != (document.word_count > 0):
        # The one figure a draft moves ("written"); the autosave's other saves move none.
        announce_change(campaign_id=document.campaign_id, unit_ids=[document.member.unit_id], source=SOURCE)
    return document


def _save_draft(document: AnalysisDocument, user: Any) -> None:
    """Save the draft, keeping ONE history record for it: the author's previous save of
    the same draft, if that is the latest record, is overwritten; otherwise (the first
    save, or the first after a submission or a return) a record is added."""
    # django-simple-history reads these attributes and adds save_without_historical_record
    # to the model at class creation, where the stubs cannot see them.
    history_user = user if getattr(user, "is_authenticated", False) else None
    document._history_user = history_user  # type: ignore[attr-defined]
    last = document.history.first()
    if (
        last is not None
        and last.history_change_reason == DRAFT_SAVE
        and last.history_user_id == getattr(history_user, "pk", None)
        and last.state == document.state
    ):
        document.save_without_historical_record()  # type: ignore[attr-defined]
        for field in AnalysisDocument._meta.concrete_fields:
            setattr(last, field.attname, getattr(document, field.attname))
        last.history_date = timezone.now()
        last.save()
    else:
        document._change_reason = DRAFT_SAVE  # type: ignore[attr-defined]
        document.save()


def _check_length(errors: dict[str, Any], field: str, text: str, limit: int) -> None:
    if len(text) > limit:
        errors[field] = _("The content is %(length)s characters long; at most %(max)s are allowed.") % {
            "length": intcomma(len(text)),
            "max": intcomma(limit),
        }


@transaction.atomic
def document_submit(*, document: AnalysisDocument, user: Any) -> DocumentVersion:
    """Keep the text as a new version, route it to its reviewer, and wait for a decision."""
    document = (
        AnalysisDocument.objects.select_for_update(of=("self",))
        .select_related("member", "campaign")
        .get(pk=document.pk)
    )
    _check_author(document, user)
    minimum = minimum_words(document.member, document.campaign)
    errors: dict[str, list[str]] = {}
    if document.word_count < minimum:
        errors["__all__"] = [
            _("The document has %(count)s words; at least %(minimum)s are required. %(missing)s words are missing.")
            % {
                "count": intcomma(document.word_count),
                "minimum": intcomma(minimum),
                "missing": intcomma(minimum - document.word_count),
            }
        ]
    empty = [Section(name).label for name in SECTION_FIELDS if not getattr(document, name).strip()]
    if empty:
        errors.setdefault("__all__", []).append(
            _("Every section needs text; empty: %(sections)s.") % {"sections": "、".join(str(s) for s in empty)}
        )
    unconfirmed = [name for name in COMPARISONS if not getattr(document, name)]
    for name in unconfirmed:
        errors[name] = [_("Confirm this comparison before submitting.")]
    if errors:
        raise ValidationError(errors)
    transition(document, "submit")
    now = timezone.now()
    number = (document.versions.aggregate(last=Max("number"))["last"] or 0) + 1
    version = DocumentVersion.objects.create(
        document=document,
        number=number,
        sections=document.sections(),
        word_count=document.word_count,
        submitted_at=now,
        submitted_by=user,
    )
    _apply_route(document, route_for(document.member))
    document.submitted_at = now
    document.save()
    announce_change(campaign_id=document.campaign_id, unit_ids=[document.member.unit_id], source=SOURCE)
    return version


@transaction.atomic
def document_decide(
    *,
    document: AnalysisDocument,
    user: Any,
    version_number: int,
    decision: str,
    overall_comment: str = "",
    section_comments: Mapping[str, str] | None = None,
    problems_accurate: bool = False,
    causes_accurate: bool = False,
    direction_accurate: bool = False,
) -> Review:
    """The routed reviewer approves the latest version or returns it with comments."""
    document = (
        AnalysisDocument.objects.select_for_update(of=("self",))
        .select_related("member", "reviewer_supervisor", "reviewer_member")
        .get(pk=document.pk)
    )
    if not may_decide(user, document):
        raise ValidationError(_("Only the reviewer this document is routed to may decide on it."))
    latest = document.versions.order_by("-number").first()
    if document.state not in AWAITING_STATES or latest is None:
        raise ValidationError(
            _("This document is “%(state)s”; there is nothing to decide.") % {"state": document.get_state_display()}
        )
    if latest.number != version_number:
        raise ValidationError(
            {
                "version": _(
                    "You reviewed version %(reviewed)d, but the author has since submitted version %(latest)d. "
                    "Read the latest version before deciding."
                )
                % {"reviewed": version_number, "latest": latest.number}
            }
        )
    comments = {name: text.strip() for name, text in (section_comments or {}).items() if name in SECTION_FIELDS}
    comments = {name: text for name, text in comments.items() if text}
    overall_comment = overall_comment.strip()
    too_long: dict[str, Any] = {}
    _check_length(too_long, "overall_comment", overall_comment, COMMENT_MAX_CHARS)
    for name, text in comments.items():
        _check_length(too_long, f"comment_{name}", text, SECTION_COMMENT_MAX_CHARS)
    if too_long:
        raise ValidationError(too_long)
    if decision == Decision.APPROVE:
        missing = [
            field
            for field, value in (
                ("problems_accurate", problems_accurate),
                ("causes_accurate", causes_accurate),
                ("direction_accurate", direction_accurate),
            )
            if not value
        ]
        if missing:
            raise ValidationError(
                {field: _("A document is approved only when this is confirmed.") for field in missing}
            )
        transition(document, "approve")
    elif decision == Decision.RETURN:
        if not overall_comment and not comments:
            raise ValidationError({"overall_comment": _("Say what the author should revise.")})
        transition(document, "return")
    else:
        raise ValidationError({"decision": _("Choose approve or return.")})
    now = timezone.now()
    review = Review.objects.create(
        document=document,
        version=latest,
        decision=decision,
        overall_comment=overall_comment,
        section_comments=comments,
        problems_accurate=problems_accurate,
        causes_accurate=causes_accurate,
        direction_accurate=direction_accurate,
        reviewer=user,
        reviewer_name=decider_name(user, document),
        decided_at=now,
        waited_seconds=max(0, int((now - latest.submitted_at).total_seconds())),
    )
    document.approved_at = now if decision == Decision.APPROVE else None
    document.save()
    if decision == Decision.RETURN:
        # The author learns it is back with him or her; not who returned it.
        notify(users=[document.member.user_id], kind=notices.DOCUMENT_RETURNED.key, url=reverse("reviews:my_document"))
    announce_change(campaign_id=document.campaign_id, unit_ids=[document.member.unit_id], source=SOURCE)
    return review


@transaction.atomic
def document_reopen(*, document: AnalysisDocument, reason: str) -> AnalysisDocument:
    """The office reopens an approved document, with a reason the author reads."""
    document = AnalysisDocument.objects.select_for_update(of=("self",)).select_related("member").get(pk=document.pk)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for reopening the document.")})
    too_long: dict[str, Any] = {}
    _check_length(too_long, "reason", reason, REASON_MAX_CHARS)
    if too_long:
        raise ValidationError(too_long)
    transition(document, "reopen")
    document.reopened_reason = reason
    document.approved_at = None
    document.save()
    announce_change(campaign_id=document.campaign_id, unit_ids=[document.member.unit_id], source=SOURCE)
    return document


@transaction.atomic
def documents_reroute(*, campaign: Campaign) -> int:
    """Route every document awaiting a decision again, after a reviewer changed (a new
    responsible leader, a new team leader, a unit moved to another team, an author's
    new rank or unit) or a routing rule did. Returns how many changed hands; running it
    twice changes nothing the second time."""
    documents = list(
        AnalysisDocument.objects.select_for_update(of=("self",))
        .filter(campaign=campaign, state__in=AWAITING_STATES)
        .select_related("member")
    )
    routes = routes_for([d.member for d in documents], campaign)
    now = timezone.now()
    changed = []
    for document in documents:
        choice = routes[document.member_id]
        if choice.key != _current_key(document):
            _apply_route(document, choice)
            document.updated_at = now
            changed.append(document)
    if changed:
        # Thousands change hands when a rule changes: one UPDATE per batch, with history.
        bulk_update_with_history(
            changed,
            AnalysisDocument,
            ["route", "reviewer_team", "reviewer_supervisor", "reviewer_member", "updated_at"],
            batch_size=500,
            default_change_reason="re-routed",
        )
    return len(changed)
