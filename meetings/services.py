"""Writes of meetings: planning, attendees, the gate's state, holding, what was said,
problems handed to rectification, and the follow-up. Each is atomic, refuses bad input
with a translated message at its field, and announces its units (``source="meetings"``)
for the ledger source to come.

The state moves only through ``MEETING_TRANSITIONS``. Planned ↔ ready is the gate's
business alone (``meetings_follow_gate``, run when another stage announces a change,
and again by ``meeting_hold`` on the spot); nobody ticks it by hand.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.events import announce_change
from campaign.models import Campaign, LeadershipTeam, Member, OrgUnit, OrgUnitKind, Supervisor
from campaign.scoping import Scope, scope_for
from core.workflow import Workflow
from meetings import gate as gates
from meetings.models import (
    REASON_MAX_CHARS,
    TEXT_MAX_CHARS,
    Attendance,
    AttendeeChange,
    Criticism,
    FollowUpNote,
    Meeting,
    MeetingKind,
    MeetingState,
    OpenCondition,
    Reschedule,
    SelfCriticism,
)
from opinions.feedback_selectors import ASPECTS
from rectification import services as rectification
from rectification.models import ProblemSource
from reviews import selectors as review_selectors
from reviews.models import DocumentState

SOURCE = "meetings"
State = MeetingState

# Actions of the table.
BECOME_READY, LOSE_READY, HOLD, HOLD_OVERRIDDEN = "become_ready", "lose_ready", "hold", "hold_overridden"
FOLLOW_UP, CANCEL, RESCHEDULE = "follow_up", "cancel", "reschedule"


def _refusal(meeting: Meeting, action: str) -> dict[str, str]:
    messages = {
        HOLD: _("Only a planned or ready meeting can be recorded as held."),
        HOLD_OVERRIDDEN: _("Only a planned or ready meeting can be recorded as held."),
        FOLLOW_UP: _("Only a meeting that was held can be marked as followed up."),
        CANCEL: _("Only a planned or ready meeting can be cancelled."),
        RESCHEDULE: _("Only a planned or ready meeting can be rescheduled."),
    }
    return {"state": messages.get(action, _("This meeting cannot change that way now."))}


MEETING_TRANSITIONS = Workflow(
    {
        (State.PLANNED, BECOME_READY): State.READY,
        (State.READY, LOSE_READY): State.PLANNED,
        (State.READY, HOLD): State.HELD,
        (State.PLANNED, HOLD_OVERRIDDEN): State.HELD,
        (State.HELD, FOLLOW_UP): State.FOLLOWED_UP,
        (State.PLANNED, CANCEL): State.CANCELLED,
        (State.READY, CANCEL): State.CANCELLED,
        (State.PLANNED, RESCHEDULE): State.PLANNED,
        (State.READY, RESCHEDULE): State.READY,
    },
    refusal=_refusal,
)


# --- Who may do what ----------------------------------------------------------------------


def is_office(user: Any, campaign_id: int) -> bool:
    return campaign_id in scope_for(user).office_campaign_ids


def may_manage(user: Any, meeting: Meeting) -> bool:
    """Plan, change and record a meeting: the office any; a secretary the branch
    meetings of his or her organisations."""
    scope = scope_for(user)
    if scope.is_admin or meeting.campaign_id in scope.office_campaign_ids:
        return True
    return meeting.kind == MeetingKind.ORGANISATIONAL_LIFE and scope.can_edit_unit(meeting.unit)


def may_follow_up(user: Any, meeting: Meeting) -> bool:
    """Follow-up notes: the office and the supervisors of the meeting's units."""
    scope = scope_for(user)
    if scope.is_admin or meeting.campaign_id in scope.office_campaign_ids:
        return True
    return scope.supervisor is not None and scope.can_see(meeting)


def _stamp(obj: Any, user: Any) -> None:
    obj._history_user = user if getattr(user, "is_authenticated", False) else None


def _user(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


def _announce(meeting: Meeting) -> None:
    announce_change(campaign_id=meeting.campaign_id, unit_ids={meeting.unit_id}, source=SOURCE)


def _lock(meeting: Meeting) -> Meeting:
    return (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("campaign", "team", "branch", "unit")
        .get(pk=meeting.pk)
    )


def _reason(value: str, field: str, message: str) -> str:
    reason = (value or "").strip()
    if not reason:
        raise ValidationError({field: message})
    if len(reason) > REASON_MAX_CHARS:
        raise ValidationError({field: _("Keep it under %(limit)s characters.") % {"limit": intcomma(REASON_MAX_CHARS)}})
    return reason


def _text(value: str, field: str, message: str, *, required: bool = True, limit: int = TEXT_MAX_CHARS) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: message})
    if len(text) > limit:
        raise ValidationError({field: _("Keep it under %(limit)s characters.") % {"limit": intcomma(limit)}})
    return text


# --- Planning -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    kind: str
    planned_on: datetime.date
    place: str
    team: LeadershipTeam | None = None
    branch: OrgUnit | None = None
    chair: Member | None = None


@transaction.atomic
def meeting_plan(*, user: Any, campaign: Campaign, plan: Plan) -> Meeting:
    """A new meeting, planned; its state follows the gate at once."""
    scope = scope_for(user)
    errors: dict[str, str] = {}
    if plan.kind == MeetingKind.DEMOCRATIC_LIFE:
        if plan.team is None or plan.team.campaign_id != campaign.pk:
            errors["team"] = _("Choose the leadership team that meets.")
        elif not (scope.is_admin or campaign.pk in scope.office_campaign_ids):
            errors["team"] = _("Only the county office plans the democratic life meetings of leadership teams.")
    elif plan.kind == MeetingKind.ORGANISATIONAL_LIFE:
        if plan.branch is None or plan.branch.kind != OrgUnitKind.BRANCH or plan.branch.campaign_id != campaign.pk:
            errors["branch"] = _("Choose the branch that meets.")
        elif not scope.can_edit_unit(plan.branch):
            errors["branch"] = _("%(branch)s is outside your organisations.") % {"branch": plan.branch.name}
    else:
        errors["kind"] = _("Choose the kind of meeting.")
    if not (plan.place or "").strip():
        errors["place"] = _("Say where the meeting is held.")
    if errors:
        raise ValidationError(errors)
    is_team = plan.kind == MeetingKind.DEMOCRATIC_LIFE
    meeting = Meeting(
        campaign=campaign,
        kind=plan.kind,
        team=plan.team if is_team else None,
        branch=None if is_team else plan.branch,
        unit=plan.team.unit if is_team and plan.team else plan.branch,
        planned_on=plan.planned_on,
        place=plan.place.strip(),
        chair=plan.chair,
    )
    _stamp(meeting, user)
    meeting.save()
    if plan.chair is not None and plan.chair.pk not in {m.pk for m in gates.attendees_of([meeting])[meeting.pk]}:
        # Raised inside the transaction: the meeting just saved goes with it.
        raise ValidationError({"chair": _("The chair must be one of the attendees.")})
    _announce(meeting)
    _follow(meeting, user)
    return meeting


@transaction.atomic
def meeting_reschedule(*, user: Any, meeting: Meeting, planned_on: datetime.date, place: str, reason: str) -> Meeting:
    meeting = _lock(meeting)
    MEETING_TRANSITIONS.check(meeting, RESCHEDULE)
    reason = _reason(reason, "reason", _("Say why the meeting is moved."))
    place = (place or "").strip() or meeting.place
    if planned_on == meeting.planned_on and place == meeting.place:
        raise ValidationError({"planned_on": _("Give a new date or a new place.")})
    Reschedule.objects.create(
        meeting=meeting,
        old_date=meeting.planned_on,
        new_date=planned_on,
        old_place=meeting.place,
        new_place=place,
        reason=reason,
        changed_by=_user(user),
    )
    meeting.planned_on, meeting.place = planned_on, place
    _stamp(meeting, user)
    meeting.save(update_fields=["planned_on", "place", "updated_at"])
    _announce(meeting)
    return meeting


@transaction.atomic
def meeting_cancel(*, user: Any, meeting: Meeting, reason: str) -> Meeting:
    meeting = _lock(meeting)
    MEETING_TRANSITIONS.check(meeting, CANCEL)
    meeting.cancel_reason = _reason(reason, "reason", _("Say why the meeting is cancelled."))
    MEETING_TRANSITIONS.move(meeting, CANCEL)
    _stamp(meeting, user)
    meeting.save(update_fields=["state", "cancel_reason", "updated_at"])
    _forget_open_conditions(meeting)
    _announce(meeting)
    return meeting


@transaction.atomic
def attendee_change(*, user: Any, meeting: Meeting, member: Member, kind: str, reason: str) -> AttendeeChange | None:
    """Add a member to the attendees, or remove one, with the reason. Undoing a change
    (adding back someone removed) deletes it: the attendees are derived again."""
    meeting = _lock(meeting)
    if not meeting.is_open:
        raise ValidationError({"member": _("The attendees of a meeting are settled once it is held or cancelled.")})
    if member.campaign_id != meeting.campaign_id:
        raise ValidationError({"member": _("The member belongs to another campaign.")})
    reason = _reason(reason, "reason", _("Say why the attendees change."))
    attendees = {m.pk for m in gates.attendees_of([meeting])[meeting.pk]}
    existing = AttendeeChange.objects.filter(meeting=meeting, member=member).first()
    if kind == AttendeeChange.Kind.ADD and member.pk in attendees:
        raise ValidationError({"member": _("%(name)s already attends.") % {"name": member.name}})
    if kind == AttendeeChange.Kind.REMOVE and member.pk not in attendees:
        raise ValidationError({"member": _("%(name)s does not attend.") % {"name": member.name}})
    if kind not in AttendeeChange.Kind.values:
        raise ValidationError({"kind": _("Choose to add or to remove.")})
    result: AttendeeChange | None
    if existing is not None and existing.kind != kind:
        existing.delete()
        result = None
    else:
        result = AttendeeChange(meeting=meeting, member=member, kind=kind, reason=reason, changed_by=_user(user))
        _stamp(result, user)
        result.save()
    _announce(meeting)
    _follow(meeting, user)
    return result


# --- The gate's state -----------------------------------------------------------------------


def record_open_conditions(meetings: Iterable[Meeting], verdicts: Mapping[int, gates.Gate]) -> set[int]:
    """Keep each meeting's stored open conditions (``OpenCondition``) equal to its gate:
    the conditions not met by every attendee (and the team), for an open meeting; none
    for a held or cancelled one. Returns the units of the meetings whose rows changed,
    for the ledger. A query to read them, one per condition met since, one to add."""
    meetings = list(meetings)
    if not meetings:
        return set()
    wanted: dict[int, set[str]] = {}
    for meeting in meetings:
        verdict = verdicts.get(meeting.pk)
        open_now = meeting.is_open and verdict is not None
        wanted[meeting.pk] = (
            {condition for condition, rows in verdict.open_conditions().items() if rows}
            if open_now and verdict is not None
            else set()
        )
    stored: dict[int, set[str]] = {pk: set() for pk in wanted}
    for meeting_id, condition in OpenCondition.objects.filter(meeting_id__in=list(wanted)).values_list(
        "meeting_id", "condition"
    ):
        stored[meeting_id].add(condition)
    gone = [(pk, c) for pk, conditions in stored.items() for c in conditions - wanted[pk]]
    new = [OpenCondition(meeting_id=pk, condition=c) for pk, wants in wanted.items() for c in wants - stored[pk]]
    for condition in sorted({c for _pk, c in gone}):
        met = [pk for pk, c in gone if c == condition]
        OpenCondition.objects.filter(condition=condition, meeting_id__in=met).delete()
    if new:
        OpenCondition.objects.bulk_create(new)
    changed = {pk for pk in wanted if wanted[pk] != stored[pk]}
    return {meeting.unit_id for meeting in meetings if meeting.pk in changed}


def _forget_open_conditions(meeting: Meeting) -> None:
    """A meeting held or cancelled waits on nothing any more."""
    OpenCondition.objects.filter(meeting=meeting).delete()


def _follow(meeting: Meeting, user: Any = None, verdict: gates.Gate | None = None, *, record: bool = True) -> None:
    """Move an open meeting between planned and ready as its gate says, and keep its
    open conditions as the gate found them (unless the caller ``record``s them for many
    meetings at once)."""
    if not meeting.is_open:
        return
    verdict = verdict or gates.gate_for(meeting, links=False)
    if record and record_open_conditions([meeting], {meeting.pk: verdict}):
        _announce(meeting)
    ready = verdict.ready
    action = BECOME_READY if ready and meeting.state == State.PLANNED else None
    if not ready and meeting.state == State.READY:
        action = LOSE_READY
    if action is None:
        return
    MEETING_TRANSITIONS.move(meeting, action)
    _stamp(meeting, user)
    meeting.save(update_fields=["state", "updated_at"])
    _announce(meeting)


def campaigns_with_open_meetings() -> list[int]:
    return list(
        Meeting.objects.filter(state__in=[State.PLANNED, State.READY])
        .order_by("campaign_id")
        .values_list("campaign_id", flat=True)
        .distinct()
    )


@transaction.atomic
def meetings_follow_gate(*, campaign_id: int) -> int:
    """Bring every open meeting of a campaign in step with its gate (after another
    stage announced a change); returns how many moved. A fixed number of queries for
    the gate and its open conditions, one save per meeting that moves."""
    meetings = list(
        Meeting.objects.select_for_update(of=("self",))
        .filter(campaign_id=campaign_id, state__in=[State.PLANNED, State.READY])
        .select_related("campaign", "team", "branch", "unit")
    )
    if not meetings:
        return 0
    campaign = meetings[0].campaign
    verdicts = gates.evaluate(campaign, meetings, links=False)
    changed = record_open_conditions(meetings, verdicts)
    if changed:
        announce_change(campaign_id=campaign_id, unit_ids=changed, source=SOURCE)
    moved = 0
    for meeting in meetings:
        before = meeting.state
        _follow(meeting, verdict=verdicts[meeting.pk], record=False)
        moved += meeting.state != before
    return moved


# --- Holding the meeting ---------------------------------------------------------------------


@dataclass(frozen=True)
class Presence:
    present: bool
    absence_reason: str = ""


@transaction.atomic
def meeting_hold(
    *,
    user: Any,
    meeting: Meeting,
    held_on: datetime.date | None,
    minutes: str,
    attendance: Mapping[int, Presence],
    supervisors_present: Iterable[Supervisor] = (),
    override_reason: str = "",
    chair: Member | None = None,
) -> Meeting:
    """Record the meeting as held: only when its gate is open now, or when the county
    office overrides it with a written reason. Attendance is given for every attendee;
    someone absent has a reason."""
    meeting = _lock(meeting)
    if not meeting.is_open:
        MEETING_TRANSITIONS.check(meeting, HOLD)
    verdict = gates.gate_for(meeting, links=False)
    override_reason = (override_reason or "").strip()
    errors: dict[str, Any] = {}
    if verdict.ready:
        override_reason = ""  # nothing to override
    elif not override_reason:
        errors["override_reason"] = _(
            "The meeting cannot be recorded as held: %(count)d conditions of the three no-convenings are not met. "
            "Supply what is missing, or the county office may override with a written reason."
        ) % {"count": verdict.missing_count()}
    elif not is_office(user, meeting.campaign_id):
        errors["override_reason"] = _("Only the county office may override the three no-convenings.")
    elif len(override_reason) > 2000:
        errors["override_reason"] = _("Keep it under %(limit)s characters.") % {"limit": intcomma(2000)}
    if held_on is None:
        errors["held_on"] = _("Give the date the meeting was held.")
    attendees = gates.attendees_of([meeting])[meeting.pk]
    rows: list[Attendance] = []
    for member in attendees:
        presence = attendance.get(member.pk)
        if presence is None:
            errors[f"attendance_{member.pk}"] = _("Say whether %(name)s was present.") % {"name": member.name}
            continue
        reason = (presence.absence_reason or "").strip()
        if not presence.present and not reason:
            errors[f"attendance_{member.pk}"] = _("Give the reason %(name)s was absent.") % {"name": member.name}
            continue
        rows.append(
            Attendance(
                meeting=meeting,
                member=member,
                present=presence.present,
                absence_reason="" if presence.present else reason[:500],
            )
        )
    if attendees and not any(row.present for row in rows) and not errors:
        errors["attendance"] = _("Nobody was present: a meeting needs its attendees.")
    minutes = (minutes or "").strip()
    if len(minutes) > 50_000:
        errors["minutes"] = _("Keep it under %(limit)s characters.") % {"limit": intcomma(50_000)}
    supervisors = list(supervisors_present)
    expected = {s.pk for s in expected_supervisors(meeting)}
    stray = [s.name for s in supervisors if s.pk not in expected]
    if stray:
        errors["supervisors_present"] = _("%(names)s do not supervise this meeting.") % {"names": "、".join(stray)}
    if chair is not None and chair.pk not in {m.pk for m in attendees}:
        errors["chair"] = _("The chair must be one of the attendees.")
    if errors:
        raise ValidationError(errors)
    if chair is not None:
        meeting.chair = chair
    if verdict.ready:
        if meeting.state == State.PLANNED:
            MEETING_TRANSITIONS.move(meeting, BECOME_READY)
        MEETING_TRANSITIONS.move(meeting, HOLD)
    else:
        if meeting.state == State.READY:
            MEETING_TRANSITIONS.move(meeting, LOSE_READY)
        MEETING_TRANSITIONS.move(meeting, HOLD_OVERRIDDEN)
        meeting.override_reason = override_reason
        meeting.override_by = _user(user)
        meeting.override_at = timezone.now()
    meeting.held_on = held_on
    meeting.minutes = minutes
    _stamp(meeting, user)
    meeting.save()
    Attendance.objects.bulk_create(rows)
    meeting.supervisors_present.set(supervisors)
    _forget_open_conditions(meeting)
    _announce(meeting)
    return meeting


def expected_supervisors(meeting: Meeting) -> list[Supervisor]:
    """Who supervises the meeting: the municipal team for the Standing Committee, else
    the supervisory teams of the meeting's unit or the units above it."""
    from campaign.models import TeamKind

    base = Supervisor.objects.filter(team__campaign_id=meeting.campaign_id).select_related("team")
    if meeting.team_id and meeting.team.kind == TeamKind.STANDING_COMMITTEE:
        return list(base.filter(team__level="municipal").order_by("team__name", "-is_leader", "name"))
    ancestor_ids = [int(part) for part in meeting.unit.path.strip("/").split("/") if part]
    return list(base.filter(team__units__in=ancestor_ids).distinct().order_by("team__name", "-is_leader", "name"))


# --- At the meeting --------------------------------------------------------------------------


def _present_ids(meeting: Meeting) -> set[int]:
    return set(Attendance.objects.filter(meeting=meeting, present=True).values_list("member_id", flat=True))


def _require_recording(meeting: Meeting) -> None:
    if not meeting.is_recording:
        raise ValidationError(_("What was said is recorded once the meeting is held."))


def _aspect(value: str, field: str = "aspect") -> str:
    if value not in ASPECTS.values:
        raise ValidationError({field: _("Choose the aspect.")})
    return value


@transaction.atomic
def self_criticism_save(
    *, user: Any, meeting: Meeting, member: Member, summary: str, aspects: Iterable[str]
) -> SelfCriticism:
    """An attendee's self-criticism, linked to his or her approved document."""
    meeting = _lock(meeting)
    _require_recording(meeting)
    if member.pk not in _present_ids(meeting):
        raise ValidationError({"member": _("%(name)s was not present at the meeting.") % {"name": member.name}})
    summary = _text(summary, "summary", _("Sum up the self-criticism."))
    chosen = sorted(set(aspects))
    for value in chosen:
        _aspect(value, "aspects")
    document = review_selectors.document_states(meeting.campaign_id, [member.pk]).get(member.pk)
    document_id = document[0] if document and document[1] == DocumentState.APPROVED else None
    record = SelfCriticism.objects.filter(meeting=meeting, member=member).first() or SelfCriticism(
        meeting=meeting, member=member
    )
    record.summary, record.aspects, record.document_id, record.recorded_by = summary, chosen, document_id, _user(user)
    _stamp(record, user)
    record.save()
    _announce(meeting)
    return record


@transaction.atomic
def criticism_record(
    *, user: Any, meeting: Meeting, from_member: Member, to_member: Member, content: str, aspect: str
) -> Criticism:
    """A criticism from one attendee to another, or (from and to the same attendee) a
    problem named in his or her self-criticism. Both must have been present."""
    meeting = _lock(meeting)
    _require_recording(meeting)
    present = _present_ids(meeting)
    errors: dict[str, str] = {}
    if from_member.pk not in present:
        errors["from_member"] = _(
            "%(name)s was not present at the meeting: a criticism from him or her is refused."
        ) % {"name": from_member.name}
    if to_member.pk not in present:
        errors["to_member"] = _("%(name)s was not present at the meeting: criticise only those present.") % {
            "name": to_member.name
        }
    if errors:
        raise ValidationError(errors)
    criticism = Criticism(
        meeting=meeting,
        from_member=from_member,
        to_member=to_member,
        content=_text(content, "content", _("Say what the criticism is.")),
        aspect=_aspect(aspect),
        recorded_by=_user(user),
    )
    _stamp(criticism, user)
    criticism.save()
    _announce(meeting)
    return criticism


@transaction.atomic
def criticism_to_rectify(*, user: Any, criticism: Criticism) -> Criticism:
    """Mark a criticism (or a problem named in a self-criticism) "to rectify": it becomes
    a problem of the rectification stage, created by that stage's service."""
    criticism = (
        Criticism.objects.select_for_update(of=("self",))
        .select_related("meeting__campaign", "to_member__unit")
        .get(pk=criticism.pk)
    )
    if criticism.problem_id is not None:
        raise ValidationError(_("This criticism is already a problem to rectify."))
    member = criticism.to_member
    problem = rectification.problem_record(
        campaign=criticism.meeting.campaign,
        unit=member.unit,
        member=member,
        text=criticism.content,
        aspect=criticism.aspect,
        source=ProblemSource.MEETING_SELF_CRITICISM if criticism.is_self else ProblemSource.MEETING_CRITICISM,
        source_id=criticism.pk,
        user=user,
    )
    criticism.problem = problem
    _stamp(criticism, user)
    criticism.save(update_fields=["problem"])
    # The meeting's figures count the problems found (filed under the meeting's unit,
    # which the rectification stage's own announcement may not name).
    _announce(criticism.meeting)
    return criticism


# --- Afterwards -----------------------------------------------------------------------------


@transaction.atomic
def follow_up_note_add(
    *, user: Any, meeting: Meeting, member: Member, observation: str, help_given: str = ""
) -> FollowUpNote:
    meeting = _lock(meeting)
    _require_recording(meeting)
    if member.pk not in {m.pk for m in gates.attendees_of([meeting])[meeting.pk]}:
        raise ValidationError({"member": _("%(name)s does not attend this meeting.") % {"name": member.name}})
    scope: Scope = scope_for(user)
    note = FollowUpNote(
        meeting=meeting,
        member=member,
        observation=_text(observation, "observation", _("Write what was observed.")),
        help_given=_text(help_given, "help_given", "", required=False),
        author=_user(user),
        author_name=(scope.supervisor.name if scope.supervisor is not None else "")
        or (user.get_full_name() or user.get_username() if _user(user) else ""),
    )
    _stamp(note, user)
    note.save()
    _announce(meeting)
    return note


@transaction.atomic
def meeting_followed_up(*, user: Any, meeting: Meeting) -> Meeting:
    meeting = _lock(meeting)
    MEETING_TRANSITIONS.move(meeting, FOLLOW_UP)
    _stamp(meeting, user)
    meeting.save(update_fields=["state", "updated_at"])
    _announce(meeting)
    return meeting
