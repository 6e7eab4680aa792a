"""Reads of meetings shared by the pages, the export and (later) the ledger source;
all scoped through ``campaign.scoping``, each in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from campaign.models import Campaign, Member, OrgUnit
from campaign.scoping import get_object_for_user, scope_for
from meetings import gate as gates
from meetings.models import (
    OPEN_STATES,
    Attendance,
    AttendeeChange,
    Criticism,
    FollowUpNote,
    Meeting,
    MeetingState,
    Reschedule,
    SelfCriticism,
)
from opinions import feedback_selectors

# A member with at least this many opinions (意见, not suggestions) against him or her
# is listed for a follow-up talk after the meeting.
MANY_OPINIONS_AGAINST = 5


def _base() -> QuerySet[Meeting]:
    return Meeting.objects.select_related("campaign", "team", "team__head", "branch", "unit", "chair")


def meetings_for(
    user: Any,
    campaign: Campaign | None,
    *,
    within: OrgUnit | None = None,
    state: str = "",
    kind: str = "",
) -> QuerySet[Meeting]:
    if campaign is None:
        return Meeting.objects.none()
    meetings = scope_for(user).filter(_base().filter(campaign=campaign))
    if within is not None:
        meetings = meetings.filter(unit__path__startswith=within.path)
    if state:
        meetings = meetings.filter(state=state)
    if kind:
        meetings = meetings.filter(kind=kind)
    return meetings.order_by("planned_on", "unit__path", "pk")


def meeting_for_user(user: Any, pk: int) -> Meeting:
    return get_object_for_user(user, _base(), pk=pk)


def shows_links(user: Any) -> bool:
    """Whether the gate's cells link to the other stages' pages: staff only; a member
    opens his or her own records from his or her own pages."""
    scope = scope_for(user)
    return bool(scope.roles - {"member"})


# --- Follow-up talks ---------------------------------------------------------------------

# Other sources of "listed for a follow-up talk": a function of the meeting and its
# attendees' ids returning member id → the reason. The democratic appraisal adds one
# (members rated low) with ``register_follow_up_source``.
FollowUpSource = Callable[[Meeting, Sequence[int]], dict[int, str]]
FOLLOW_UP_SOURCES: list[FollowUpSource] = []


def register_follow_up_source(source: FollowUpSource) -> None:
    if source not in FOLLOW_UP_SOURCES:
        FOLLOW_UP_SOURCES.append(source)


def _many_opinions(meeting: Meeting, member_ids: Sequence[int]) -> dict[int, str]:
    standing = feedback_selectors.feedback_standing(meeting.campaign_id, member_ids=member_ids)
    return {
        pk: _("%(count)d opinions against him or her") % {"count": s.criticisms}
        for (kind, pk), s in standing.items()
        if s.criticisms >= MANY_OPINIONS_AGAINST
    }


@dataclass
class FollowUpCandidate:
    member: Member
    reasons: list[str] = field(default_factory=list)


def follow_up_candidates(meeting: Meeting, attendees: Sequence[Member]) -> list[FollowUpCandidate]:
    ids = [m.pk for m in attendees]
    by_id = {m.pk: m for m in attendees}
    found: dict[int, FollowUpCandidate] = {}
    for source in (_many_opinions, *FOLLOW_UP_SOURCES):
        for pk, reason in source(meeting, ids).items():
            if pk in by_id:
                found.setdefault(pk, FollowUpCandidate(by_id[pk])).reasons.append(reason)
    return sorted(found.values(), key=lambda c: (c.member.name, c.member.pk))


def _aspect_label(value: str) -> str:
    return str(feedback_selectors.ASPECTS(value).label) if value in feedback_selectors.ASPECTS.values else value


aspect_label = _aspect_label


# --- One meeting's page -------------------------------------------------------------------


@dataclass
class AttendeeRecord:
    member: Member
    attendance: Attendance | None
    self_criticism: SelfCriticism | None
    criticisms_received: list[Criticism]
    notes: list[FollowUpNote]

    @property
    def present(self) -> bool:
        return self.attendance is not None and self.attendance.present


@dataclass
class MeetingPage:
    meeting: Meeting
    attendees: list[Member]
    gate: gates.Gate | None
    records: list[AttendeeRecord]
    criticisms: list[Criticism]
    changes: list[AttendeeChange]
    reschedules: list[Reschedule]
    supervisors_expected: list[Any]
    supervisors_present: list[Any]
    follow_up: list[FollowUpCandidate]

    @property
    def present(self) -> list[Member]:
        return [r.member for r in self.records if r.present]

    @property
    def has_notes(self) -> bool:
        return any(r.notes for r in self.records)


def meeting_page(user: Any, meeting: Meeting) -> MeetingPage:
    """Everything the meeting's page shows, in a fixed number of queries whatever the
    number of attendees."""
    from meetings.services import expected_supervisors

    attendees = gates.attendees_of([meeting])[meeting.pk]
    gate = (
        gates.evaluate(meeting.campaign, [meeting], attendees={meeting.pk: attendees}, links=shows_links(user))[
            meeting.pk
        ]
        if meeting.state in OPEN_STATES
        else None
    )
    attendance = {a.member_id: a for a in Attendance.objects.filter(meeting=meeting)}
    selfs = {s.member_id: s for s in SelfCriticism.objects.filter(meeting=meeting)}
    criticisms = list(
        Criticism.objects.filter(meeting=meeting).select_related("from_member", "to_member", "problem").order_by("pk")
    )
    for criticism in criticisms:
        criticism.aspect_label = _aspect_label(criticism.aspect)  # type: ignore[attr-defined]
    for record in selfs.values():
        record.aspect_labels = [_aspect_label(a) for a in record.aspects]  # type: ignore[attr-defined]
    notes: dict[int, list[FollowUpNote]] = {}
    for note in FollowUpNote.objects.filter(meeting=meeting).order_by("noted_at", "pk"):
        notes.setdefault(note.member_id, []).append(note)
    received: dict[int, list[Criticism]] = {}
    for criticism in criticisms:
        received.setdefault(criticism.to_member_id, []).append(criticism)
    records = [
        AttendeeRecord(
            member=m,
            attendance=attendance.get(m.pk),
            self_criticism=selfs.get(m.pk),
            criticisms_received=received.get(m.pk, []),
            notes=notes.get(m.pk, []),
        )
        for m in attendees
    ]
    recording = meeting.is_recording
    return MeetingPage(
        meeting=meeting,
        attendees=attendees,
        gate=gate,
        records=records,
        criticisms=criticisms,
        changes=list(AttendeeChange.objects.filter(meeting=meeting).select_related("member").order_by("pk")),
        reschedules=list(Reschedule.objects.filter(meeting=meeting).order_by("pk")),
        supervisors_expected=expected_supervisors(meeting),
        supervisors_present=list(meeting.supervisors_present.select_related("team").order_by("name"))
        if recording
        else [],
        follow_up=follow_up_candidates(meeting, attendees) if recording else [],
    )


# --- Readiness, county-wide ---------------------------------------------------------------


@dataclass(frozen=True)
class ReadinessFilters:
    committee: OrgUnit | None = None
    unit: OrgUnit | None = None
    condition: str = ""
    state: str = ""  # planned or ready (both when empty)


@dataclass
class ReadinessRow:
    meeting: Meeting
    gate: gates.Gate
    attendees: int

    @property
    def open_conditions(self) -> dict[str, int]:
        return self.gate.open_conditions()

    def missing(self) -> list[gates.Missing]:
        return [item for row in self.gate.rows for cell in row.ordered_cells() for item in cell.missing]


def readiness(user: Any, campaign: Campaign | None, filters: ReadinessFilters | None = None) -> list[ReadinessRow]:
    """Every planned (or ready) meeting in the user's reach with its open conditions,
    narrowed by party committee, unit and open condition."""
    filters = filters or ReadinessFilters()
    if campaign is None:
        return []
    meetings = meetings_for(user, campaign).filter(state__in=list(OPEN_STATES))
    if filters.state:
        meetings = meetings.filter(state=filters.state)
    for within in (filters.committee, filters.unit):
        if within is not None:
            meetings = meetings.filter(unit__path__startswith=within.path)
    meetings_list = list(meetings)
    attendees = gates.attendees_of(meetings_list)
    verdicts = gates.evaluate(campaign, meetings_list, attendees=attendees, links=shows_links(user))
    rows = [ReadinessRow(m, verdicts[m.pk], len(attendees[m.pk])) for m in meetings_list]
    if filters.condition:
        rows = [row for row in rows if row.open_conditions.get(filters.condition)]
    return rows


# --- Counts, for the figures to come ----------------------------------------------------------


def meeting_counts(campaign: Campaign | int, *, unit_ids: Sequence[int] | None = None) -> dict[str, int]:
    """How many meetings by state, and how many were held on the office's override
    (counted in the figures). One query."""
    meetings = Meeting.objects.filter(campaign=campaign)
    if unit_ids is not None:
        meetings = meetings.filter(unit_id__in=unit_ids)
    aggregates = {state: Count("pk", filter=Q(state=state)) for state in MeetingState.values}
    aggregates["overridden"] = Count("pk", filter=~Q(override_reason=""))
    aggregates["total"] = Count("pk")
    return meetings.aggregate(**aggregates)
