"""The panels of the home page that show the stages' work and figures, by role.

Registered in ``campaign.home`` (``ReportsConfig.ready``); the home view draws them
without knowing them. Every count is read from the ledger rows (``reports.ledger``),
or — for a queue of one reviewer, which the ledger does not keep per person — counted
with one aggregate query; the names beside a count are a bounded list (``NAMES``), the
count saying how many there are in all. Each panel runs a fixed number of queries
whatever the campaign's size (tests/campaign/test_home.py).

- the office: completion per step for the county, the units behind, what is flagged or
  overdue;
- a supervisor: his or her units at a glance, cards and documents waiting with their
  counts and the oldest wait in days;
- a reviewer of documents who is a member (a unit's responsible leader): the same queue;
- a secretary: the gaps of the unit (members below the talk quota, documents not
  submitted or returned, lists not signed, with the names) and the cards returned to
  him or her;
- a member: the list to sign, the document's state, the talks against the quota; a
  leading cadre also the required pairs and the units in his or her charge.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Case, Count, Exists, F, Min, OuterRef, Q, QuerySet, Subquery, Sum, When
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from campaign.home import HomeRequest, Panel, register_panel
from campaign.models import Campaign, Member, OrgUnit, OrgUnitKind, StageKind, Step, StepKind
from campaign.scoping import Scope
from opinions.models import FeedbackList
from reports.documents import source as doc_keys
from reports.documents.selectors import DocumentFigures
from reports.ledger import figures as ledger
from reports.ledger.figures import Figures
from reports.meetings.selectors import MeetingFigures
from reports.models import LedgerLevel, LedgerRow
from reports.opinions import source as opinion_keys
from reports.opinions.selectors import OpinionFigures
from reports.talks import source as talk_keys
from reports.talks.selectors import TalkFigures
from reviews import selectors as review_selectors
from reviews.models import AnalysisDocument, DocumentState
from reviews.services import minimum_words
from talks import card_selectors
from talks import selectors as talk_selectors
from talks.models import CardState, Talk

NAMES = 10  # names shown beside a count; the count says how many there are in all
UNITS = 30  # units shown at a glance

TALKS = talk_keys.Dimension.TALKS
DOCUMENTS = doc_keys.Dimension.DOCUMENTS
FEEDBACK = opinion_keys.Dimension.FEEDBACK


def _as(kind: type[Figures], figures: Figures) -> Any:
    return kind(figures.values)


def _days(since: datetime.datetime | None, now: datetime.datetime) -> int | None:
    return None if since is None else max((now - since).days, 0)


@dataclass(frozen=True)
class Progress:
    """One step of the county's campaign: ``done`` of ``total``."""

    label: str | Promise
    done: int
    total: int
    url: str = ""
    ends_on: datetime.date | None = None
    today: datetime.date | None = None

    @property
    def percent(self) -> int | None:
        return None if not self.total else int(self.done * 100 // self.total)

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.done >= self.total

    @property
    def overdue(self) -> bool:
        return bool(self.ends_on and self.today and self.today > self.ends_on and not self.complete)


@dataclass(frozen=True)
class Tally:
    label: str | Promise
    value: int
    url: str = ""


@dataclass
class Names:
    """Some names beside a count (``count`` the whole number, ``names`` the first few)."""

    count: int
    names: list[str] = field(default_factory=list)

    @property
    def more(self) -> int:
        return max(self.count - len(self.names), 0)


# --- The office -----------------------------------------------------------------------


def sees_county(scope: Scope) -> bool:
    return scope.is_admin or bool(scope.office_campaign_ids)


def _steps(campaign: Campaign) -> dict[str, Step]:
    steps = Step.objects.filter(stage__campaign=campaign, stage__kind=StageKind.ANALYSIS)
    return {step.kind: step for step in steps}


def county_progress(campaign: Campaign) -> tuple[list[Progress], Figures]:
    """Completion per step, from the county rows (two queries)."""
    county = ledger.county_rows(Figures, campaign)
    talks: TalkFigures = _as(TalkFigures, county)
    documents: DocumentFigures = _as(DocumentFigures, county)
    opinions: OpinionFigures = _as(OpinionFigures, county)
    meetings: MeetingFigures = _as(MeetingFigures, county)
    steps = _steps(campaign)
    today = timezone.localdate()

    def ends(kind: str) -> datetime.date | None:
        step = steps.get(kind)
        return step.ends_on if step else None

    lines = [
        Progress(
            _("Feedback lists signed"),
            opinions.lists_signed,
            opinions.get(FEEDBACK, opinion_keys.LISTS_TOTAL),
            "reports:general_ledger",
            ends(StepKind.SOLICIT),
            today,
        ),
        Progress(
            _("Members who met the talk quota"),
            talks.members_meeting_quota,
            talks.members_total,
            "reports:talks_county",
            ends(StepKind.TALKS),
            today,
        ),
        Progress(
            _("Required pairs who talked"),
            talks.required_pairs_done,
            talks.required_pairs,
            "reports:talks_county",
            ends(StepKind.TALKS),
            today,
        ),
        Progress(
            _("Self-analysis documents approved"),
            documents.approved,
            documents.members,
            "reports:documents_progress",
            ends(StepKind.DOCUMENTS),
            today,
        ),
        Progress(
            _("Meetings held"),
            meetings.held,
            meetings.scheduled,
            "reports:meetings_progress",
            ends(StepKind.MEETINGS),
            today,
        ),
    ]
    return lines, county


def _owner() -> Case:
    # A branch's figures count in its unit's line (as on the progress pages).
    return Case(When(unit__kind=OrgUnitKind.BRANCH, then=F("unit__parent_id")), default=F("unit_id"))


@dataclass(frozen=True)
class Behind:
    unit: OrgUnit
    talks_missing: int  # members below the talk quota
    documents_missing: int  # members whose document is not approved


def units_behind(campaign: Campaign) -> tuple[int, int, int, list[Behind]]:
    """(units behind on talks, on documents, on either, the furthest behind), from the
    unit rows (two queries)."""
    found = (
        LedgerRow.objects.filter(
            campaign=campaign,
            level=LedgerLevel.UNIT,
            unit__isnull=False,
            dimension__in=[TALKS, DOCUMENTS],
            key__in=[
                talk_keys.MEMBERS_TOTAL,
                talk_keys.MEMBERS_MEETING_QUOTA,
                doc_keys.DOC_MEMBERS,
                doc_keys.DOC_APPROVED,
            ],
        )
        .annotate(owner=_owner())
        .order_by()
        .values("owner", "dimension", "key")
        .annotate(v=Sum("value"))
    )
    per_unit: dict[int, dict[tuple[str, str], int]] = defaultdict(dict)
    for row in found:
        per_unit[row["owner"]][(row["dimension"], row["key"])] = int(row["v"] or 0)
    gaps: dict[int, tuple[int, int]] = {}
    for owner, values in per_unit.items():
        talks = values.get((TALKS, talk_keys.MEMBERS_TOTAL), 0) - values.get(
            (TALKS, talk_keys.MEMBERS_MEETING_QUOTA), 0
        )
        documents = values.get((DOCUMENTS, doc_keys.DOC_MEMBERS), 0) - values.get((DOCUMENTS, doc_keys.DOC_APPROVED), 0)
        if talks > 0 or documents > 0:
            gaps[owner] = (max(talks, 0), max(documents, 0))
    furthest = sorted(gaps, key=lambda pk: (-(gaps[pk][0] + gaps[pk][1]), pk))[:NAMES]
    units = OrgUnit.objects.in_bulk(furthest)
    worst = [Behind(units[pk], *gaps[pk]) for pk in furthest if pk in units]
    return (
        sum(1 for talks, _docs in gaps.values() if talks),
        sum(1 for _talks, docs in gaps.values() if docs),
        len(gaps),
        worst,
    )


def office_panel(asked: HomeRequest) -> dict[str, Any] | None:
    campaign = asked.campaign
    if not (asked.scope.is_admin or campaign.pk in asked.scope.office_campaign_ids):
        return None
    progress, county = county_progress(campaign)
    talks: TalkFigures = _as(TalkFigures, county)
    documents: DocumentFigures = _as(DocumentFigures, county)
    meetings: MeetingFigures = _as(MeetingFigures, county)
    behind_talks, behind_documents, behind, worst = units_behind(campaign)
    flagged = [
        Tally(_("Talk cards flagged (returned twice or more)"), talks.cards_flagged, "talks:flagged"),
        Tally(_("Members flagged in the appraisal"), meetings.members_flagged, "appraisal:flagged"),
        Tally(_("Documents returned for revision"), documents.returned, "reports:documents_progress"),
        Tally(_("Talk cards awaiting review"), talks.cards_awaiting, "reports:talks_county"),
        Tally(_("Documents awaiting review"), documents.awaiting, "reports:documents_progress"),
    ]
    return {
        "progress": progress,
        "overdue": [line for line in progress if line.overdue],
        "behind": behind,
        "behind_talks": behind_talks,
        "behind_documents": behind_documents,
        "worst": worst,
        "flagged": flagged,
    }


register_panel(
    Panel("county", "reports/home/county.html", sees_county, office_panel, order=50),
)


# --- Queues of reviewers -------------------------------------------------------------------


@dataclass(frozen=True)
class Queue:
    label: str | Promise
    count: int
    oldest_days: int | None
    url: str


def card_queue(asked: HomeRequest, now: datetime.datetime) -> Queue:
    found = (
        card_selectors.review_queue(asked.user, asked.campaign)
        .order_by()
        .aggregate(n=Count("pk"), oldest=Min("updated_at"))
    )
    return Queue(_("Talk cards to review"), found["n"], _days(found["oldest"], now), "talks:review_queue")


def document_queue(asked: HomeRequest, now: datetime.datetime) -> Queue:
    queue = review_selectors.queue_for(asked.user, asked.campaign)
    found = AnalysisDocument.objects.filter(pk__in=queue.values("pk")).aggregate(
        n=Count("pk"), oldest=Min("submitted_at")
    )
    return Queue(_("Documents to review"), found["n"], _days(found["oldest"], now), "reviews:queue")


@dataclass(frozen=True)
class UnitGlance:
    unit: OrgUnit
    talks: TalkFigures
    documents: DocumentFigures


def glance(campaign: Campaign, units: Iterable[OrgUnit]) -> list[UnitGlance]:
    """Talks and documents of some units (branches folded in): one query."""
    lines = ledger.by_owner(Figures, campaign, units, fold=True, dimensions=(TALKS, DOCUMENTS))
    return [UnitGlance(unit, _as(TalkFigures, figures), _as(DocumentFigures, figures)) for unit, figures in lines]


def supervisor_panel(asked: HomeRequest) -> dict[str, Any] | None:
    supervisor = asked.scope.supervisor
    if supervisor is None or supervisor.team.campaign_id != asked.campaign.pk:
        return None
    now = timezone.now()
    units = list(
        OrgUnit.objects.filter(supervisory_teams=supervisor.team_id, campaign=asked.campaign)
        .select_related("parent")
        .order_by("path")[: UNITS + 1]
    )
    return {
        "team": supervisor.team,
        "queues": [card_queue(asked, now), document_queue(asked, now)],
        "units": glance(asked.campaign, units[:UNITS]),
        "more_units": len(units) > UNITS,
    }


def is_supervisor(scope: Scope) -> bool:
    return scope.supervisor is not None


def reviewer_panel(asked: HomeRequest) -> dict[str, Any] | None:
    """A member to whom documents are routed (a unit's responsible leader): his queue."""
    member = asked.scope.member
    if member is None or member.campaign_id != asked.campaign.pk:
        return None
    if not OrgUnit.objects.filter(responsible_leader=member).exists():
        return None
    return {"queues": [document_queue(asked, timezone.now())]}


def is_member_without_supervision(scope: Scope) -> bool:
    return scope.member is not None and scope.supervisor is None and scope.can("documents.review")


register_panel(Panel("supervision", "reports/home/supervisor.html", is_supervisor, supervisor_panel, order=20))
register_panel(
    Panel("reviewing", "reports/home/reviewer.html", is_member_without_supervision, reviewer_panel, order=25)
)


# --- A secretary ----------------------------------------------------------------------------


def _subtrees(paths: Iterable[str], *lookups: str) -> Q:
    return reduce(or_, (Q(**{f"{lookup}__startswith": path}) for path in paths for lookup in lookups))


def secretary_members(campaign: Campaign, paths: Iterable[str]) -> QuerySet[Member]:
    """The members of the secretary's units and branches."""
    return Member.objects.filter(_subtrees(paths, "unit__path", "branch__path"), campaign=campaign)


@dataclass
class Gaps:
    units: list[OrgUnit]
    members: int
    below_quota: Names
    not_submitted: Names
    returned: Names
    unsigned: Names


def _name(member: Member) -> str:
    return member.name


def secretary_gaps(campaign: Campaign, paths: tuple[str, ...]) -> Gaps:
    """The gaps of a secretary's units: counts from the ledger (the member rows of the
    members in reach for talks and lists; the unit rows — or, for a branch, which has
    none, one count over its documents — for documents), names from the records, at
    most ``NAMES`` of each. Eight queries."""
    units = list(OrgUnit.objects.filter(campaign=campaign, path__in=paths).order_by("path"))
    members = secretary_members(campaign, paths)
    member_count = members.count()
    member_rows = Figures.from_rows(
        LedgerRow.objects.filter(
            level=LedgerLevel.MEMBER,
            member__in=members.values("pk"),
            dimension__in=[TALKS, FEEDBACK],
            key__in=[talk_keys.MEMBERS_MEETING_QUOTA, opinion_keys.LISTS_RELEASED, opinion_keys.LISTS_SIGNED],
        )
        .order_by()
        .values("dimension", "key")
        .annotate(v=Sum("value"))
        .values_list("dimension", "key", "v")
    )
    meets = member_rows.get(TALKS, talk_keys.MEMBERS_MEETING_QUOTA)
    unsigned_count = member_rows.get(FEEDBACK, opinion_keys.LISTS_RELEASED) - member_rows.get(
        FEEDBACK, opinion_keys.LISTS_SIGNED
    )
    if any(unit.kind == OrgUnitKind.BRANCH for unit in units):
        # A branch has no unit rows: its members' documents are counted once, here.
        counted = AnalysisDocument.objects.filter(member__in=members.values("pk")).aggregate(
            submitted=Count("pk", filter=~Q(state=DocumentState.DRAFT)),
            returned=Count("pk", filter=Q(state=DocumentState.RETURNED)),
        )
        submitted, returned_count = counted["submitted"], counted["returned"]
    else:
        documents = ledger.summed(
            DocumentFigures,
            ledger.rows(DocumentFigures, _subtrees(paths, "unit__path"), campaign=campaign, level=LedgerLevel.UNIT),
        )
        submitted, returned_count = documents.submitted, documents.returned

    meeting_quota = LedgerRow.objects.filter(
        level=LedgerLevel.MEMBER, member=OuterRef("pk"), dimension=TALKS, key=talk_keys.MEMBERS_MEETING_QUOTA
    )
    below = members.exclude(Exists(meeting_quota)).order_by("unit__path", "name", "pk")[:NAMES]
    state = AnalysisDocument.objects.filter(member=OuterRef("pk")).values("state")[:1]
    with_state = members.annotate(doc_state=Subquery(state)).order_by("unit__path", "name", "pk")
    not_submitted_names = list(
        with_state.filter(Q(doc_state__isnull=True) | Q(doc_state=DocumentState.DRAFT)).values_list("name", flat=True)[
            :NAMES
        ]
    )
    returned_names = list(with_state.filter(doc_state=DocumentState.RETURNED).values_list("name", flat=True)[:NAMES])
    lists = (
        FeedbackList.objects.filter(
            campaign=campaign, status=FeedbackList.Status.RELEASED, target_member__in=members.values("pk")
        )
        .order_by("ledger_unit__path", "target_member__name", "pk")
        .values_list("target_member__name", flat=True)[:NAMES]
    )
    return Gaps(
        units=units,
        members=member_count,
        below_quota=Names(max(member_count - meets, 0), [_name(m) for m in below]),
        not_submitted=Names(max(member_count - submitted, 0), not_submitted_names),
        returned=Names(returned_count, returned_names),
        unsigned=Names(max(unsigned_count, 0), list(lists)),
    )


def returned_cards(user: Any, campaign: Campaign) -> tuple[int, list[Talk]]:
    """The talk cards this user recorded that were returned for revision (two queries)."""
    cards = Talk.objects.filter(campaign=campaign, recorded_by=user, state=CardState.RETURNED)
    shown = list(cards.select_related("member", "other_member").order_by("updated_at", "pk")[:NAMES])
    return cards.count(), shown


def secretary_panel(asked: HomeRequest) -> dict[str, Any] | None:
    paths = tuple(asked.scope.secretary_paths)
    if not paths:
        return None
    count, cards = returned_cards(asked.user, asked.campaign)
    return {"gaps": secretary_gaps(asked.campaign, paths), "returned_count": count, "returned_cards": cards}


def is_secretary(scope: Scope) -> bool:
    return bool(scope.secretary_paths)


register_panel(Panel("unit_gaps", "reports/home/secretary.html", is_secretary, secretary_panel, order=30))


# --- A member -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    name: str
    kind: str
    done: bool


def member_panel(asked: HomeRequest) -> dict[str, Any] | None:
    member = asked.scope.member
    if member is None or member.campaign_id != asked.campaign.pk:
        return None
    campaign = asked.campaign
    lists = list(
        FeedbackList.objects.filter(Q(target_member=member) | Q(target_team__head=member), campaign=campaign)
        .select_related("target_team")
        .order_by("pk")
    )
    document = AnalysisDocument.objects.filter(member=member).first()
    talks = ledger.member(TalkFigures, member)
    context: dict[str, Any] = {
        "member": member,
        "lists": lists,
        "to_sign": [each for each in lists if each.status == FeedbackList.Status.RELEASED],
        "document": document,
        "minimum": minimum_words(member, campaign),
        "talks": talks,
        "quota": campaign.talk_quota_leader if member.is_leading_cadre else campaign.talk_quota_member,
        "cadre": member.is_leading_cadre,
    }
    if member.is_leading_cadre:
        pairs = talk_selectors.own_required_pairs(member)
        names = dict(Member.objects.filter(pk__in=list(pairs)).values_list("pk", "name"))
        context["pairs"] = sorted(
            (Pair(names.get(pk, "?"), kind, done) for pk, (kind, done) in pairs.items()),
            key=lambda pair: (pair.done, pair.name),
        )
        context["pairs_done"] = sum(1 for pair in context["pairs"] if pair.done)
        charge = list(member.in_charge_of.filter(campaign=campaign).select_related("parent").order_by("path"))
        context["charge"] = glance(campaign, charge)
    return context


def is_member(scope: Scope) -> bool:
    return scope.member is not None


register_panel(Panel("my_work", "reports/home/member.html", is_member, member_panel, order=10))
