"""Writes to opinions: create, edit, classify, merge, delete, and status transitions;
and the solicitation events that gathered them.

Every write that changes what a ledger counts announces, inside the same transaction,
what it changed: an opinion's ledger unit and target, before and after
(``campaign.events.announce_targets``), an event's unit (``announce_change``); the
roll-ups in ``reports`` recompute exactly those once the change is committed. A bulk
write announces once for all its opinions, not once per row.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from campaign.events import announce_change, announce_targets
from campaign.models import Campaign, LeadershipTeam, Member, OrgUnit, TargetCategory, member_category, team_category
from campaign.scoping import scope_for
from core.workflow import Workflow
from opinions.models import Aspect, Channel, Opinion, OpinionStatus, SolicitationEvent, SourceGroup

MAX_TEXT = 4000
SOURCE = "opinions"
EVENT_SOURCE = "events"

# The one place that knows which status may follow which.
TRANSITIONS = Workflow.between(
    {
        OpinionStatus.RECORDED: {OpinionStatus.SORTED},
        OpinionStatus.SORTED: {OpinionStatus.RECORDED, OpinionStatus.FED_BACK},
        OpinionStatus.FED_BACK: {OpinionStatus.ACKNOWLEDGED, OpinionStatus.SORTED},
        OpinionStatus.ACKNOWLEDGED: {OpinionStatus.IN_RECTIFICATION, OpinionStatus.CLOSED},
        OpinionStatus.IN_RECTIFICATION: {OpinionStatus.CLOSED},
        OpinionStatus.CLOSED: {OpinionStatus.IN_RECTIFICATION},
    },
    refusal=lambda opinion, to: {
        "status": _("An opinion that is %(current)s cannot become %(new)s.")
        % {"current": opinion.get_status_display(), "new": OpinionStatus(to).label}
    },
)


def can_transition(current: str, new: str) -> bool:
    return TRANSITIONS.allows(current, new)


@dataclass(frozen=True)
class Target:
    team: LeadershipTeam | None = None
    member: Member | None = None
    unit: OrgUnit | None = None

    @property
    def obj(self) -> LeadershipTeam | Member | OrgUnit | None:
        return self.team or self.member or self.unit


def derive(target: Target) -> tuple[str, OrgUnit | None]:
    """The ledger category and ledger unit of a target (DESIGN §3: the target decides)."""
    if target.team is not None:
        return team_category(target.team.kind), target.team.unit
    if target.member is not None:
        return member_category(target.member.rank), target.member.unit
    if target.unit is not None:
        # A unit or department named as a whole counts with the department teams.
        return TargetCategory.DEPARTMENT_TEAMS, target.unit
    return "", None


def _check_target(*, actor: Any, campaign: Campaign, target: Target) -> None:
    obj = target.obj
    if obj is None:
        return
    if obj.campaign_id != campaign.pk:
        raise ValidationError({"target": _("The target belongs to another campaign.")})
    if actor is not None and not scope_for(actor).can_see(obj):
        raise ValidationError(
            {"target": _("%(target)s is outside the organisations you may record for.") % {"target": obj}}
        )


def _check_fields(*, campaign: Campaign, text: str, received_on: datetime.date) -> None:
    errors: dict[str, str] = {}
    if not text.strip():
        errors["text"] = _("Write the content of the opinion.")
    elif len(text) > MAX_TEXT:
        errors["text"] = _("The content is %(length)s characters long; at most %(max)s are allowed.") % {
            "length": intcomma(len(text)),
            "max": intcomma(MAX_TEXT),
        }
    if received_on < campaign.starts_on or received_on > campaign.ends_on:
        errors["received_on"] = _outside_campaign(campaign)
    if errors:
        raise ValidationError(errors)


def _outside_campaign(campaign: Campaign) -> str:
    return _("The date must lie within the campaign (%(start)s to %(end)s).") % {
        "start": campaign.starts_on.isoformat(),
        "end": campaign.ends_on.isoformat(),
    }


def _check_event(*, actor: Any, campaign: Campaign, event: SolicitationEvent | None) -> None:
    if event is None:
        return
    if event.campaign_id != campaign.pk:
        raise ValidationError({"event": _("The event belongs to another campaign.")})
    if actor is not None and not scope_for(actor).can_see(event):
        raise ValidationError({"event": _("The event %(event)s is outside your organisations.") % {"event": event}})


def _stamp(opinion: Opinion, actor: Any) -> None:
    """Record who made the change in the opinion's history (nobody, for the public)."""
    # None for the public: otherwise simple-history's middleware would name whoever
    # happens to be logged in in this browser.
    opinion._history_user = (  # type: ignore[attr-defined]
        actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    )


Subject = tuple[int | None, str]

# While a bulk write runs, announcements are gathered here and sent once at its end.
_PENDING: ContextVar[dict[int, set[Subject]] | None] = ContextVar("opinions_pending_announcements", default=None)


def subject(ledger_unit_id: int | None, target_member_id: int | None, target_team_id: int | None) -> Subject:
    """What an opinion counts for in the ledger, as the outbox names it
    (``ChangeOutbox.target``): its ledger unit, and its member, its team, or the unit
    as a whole ("unit:none": no target yet, a public opinion awaiting assignment)."""
    if target_member_id is not None:
        return ledger_unit_id, f"member:{target_member_id}"
    if target_team_id is not None:
        return ledger_unit_id, f"team:{target_team_id}"
    return ledger_unit_id, f"unit:{'none' if ledger_unit_id is None else ledger_unit_id}"


def _subject(opinion: Opinion) -> Subject:
    return subject(opinion.ledger_unit_id, opinion.target_member_id, opinion.target_team_id)


def _announce(campaign_id: int, subjects: Iterable[Subject]) -> None:
    pending = _PENDING.get()
    if pending is not None:
        pending.setdefault(campaign_id, set()).update(subjects)
        return
    announce_targets(campaign_id=campaign_id, subjects=subjects, source=SOURCE)


@contextmanager
def one_announcement() -> Iterator[None]:
    """Gather the announcements of the writes inside into one per campaign, sent only
    if they all succeed (the transaction around them is rolled back otherwise)."""
    if _PENDING.get() is not None:
        yield  # an outer bulk write sends them
        return
    pending: dict[int, set[Subject]] = {}
    token = _PENDING.set(pending)
    try:
        yield
    finally:
        _PENDING.reset(token)
    for campaign_id, subjects in pending.items():
        announce_targets(campaign_id=campaign_id, subjects=subjects, source=SOURCE)


def _new_opinion(
    *,
    actor: Any,
    campaign: Campaign,
    kind: str,
    text: str,
    channel: str,
    received_on: datetime.date,
    target: Target,
    target_text: str = "",
    aspect: str = "",
    source_group: str = "",
    event: SolicitationEvent | None = None,
    recording_unit: OrgUnit | None = None,
    submitter_name: str = "",
    submitter_contact: str = "",
    receipt_hash: str = "",
    related_read: bool = False,
) -> Opinion:
    """A validated, unsaved opinion; every error is raised at once, by field.

    ``related_read``: the caller read the campaign, target and event from the database
    just now, so the model's checks need not ask the database again whether they exist
    (their foreign keys keep them at the write), nor test the constraints in SQL."""
    errors: dict[str, list[str]] = {}
    for check in (
        lambda: _check_fields(campaign=campaign, text=text, received_on=received_on),
        lambda: _check_target(actor=actor, campaign=campaign, target=target),
        lambda: _check_event(actor=actor, campaign=campaign, event=event),
    ):
        try:
            check()
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    category, ledger_unit = derive(target)
    opinion = Opinion(
        campaign=campaign,
        kind=kind,
        text=text.strip(),
        channel=channel,
        event=event,
        source_group=source_group,
        aspect=aspect,
        target_team=target.team,
        target_member=target.member,
        target_unit=target.unit,
        target_text=target_text,
        category=category,
        ledger_unit=ledger_unit,
        received_on=received_on,
        recording_unit=recording_unit,
        submitter_name=submitter_name,
        submitter_contact=submitter_contact,
        receipt_hash=receipt_hash,
    )
    if related_read and sum(each is not None for each in (target.team, target.member, target.unit)) <= 1:
        # The one constraint a new opinion could break is "at most one target", tested
        # just above in Python; with it broken, the full check below names it as ever.
        read = [
            field.name
            for field in Opinion._meta.concrete_fields
            if field.is_relation and getattr(opinion, field.attname) is not None
        ]
        opinion.full_clean(exclude=read, validate_constraints=False)
    else:
        opinion.full_clean()
    return opinion


def opinion_check(
    *,
    campaign: Campaign,
    kind: str,
    text: str,
    channel: str,
    received_on: datetime.date,
    target: Target,
    target_text: str = "",
    aspect: str = "",
    submitter_name: str = "",
    submitter_contact: str = "",
) -> None:
    """Raise the ValidationError that ``opinion_create`` would raise for these fields
    (without an actor: the public's), writing nothing. The campaign and the target are
    those the caller just read (the public box's): their rows are not read again."""
    _new_opinion(
        related_read=True,
        actor=None,
        campaign=campaign,
        kind=kind,
        text=text,
        channel=channel,
        received_on=received_on,
        target=target,
        target_text=target_text,
        aspect=aspect,
        submitter_name=submitter_name,
        submitter_contact=submitter_contact,
    )


@transaction.atomic
def opinion_create(
    *,
    actor: Any,
    campaign: Campaign,
    kind: str,
    text: str,
    channel: str,
    received_on: datetime.date,
    target: Target,
    target_text: str = "",
    aspect: str = "",
    source_group: str = "",
    event: Any = None,
    recording_unit: OrgUnit | None = None,
    submitter_name: str = "",
    submitter_contact: str = "",
    receipt_hash: str = "",
    history_date: datetime.datetime | None = None,
) -> Opinion:
    opinion = _new_opinion(
        actor=actor,
        campaign=campaign,
        kind=kind,
        text=text,
        channel=channel,
        received_on=received_on,
        target=target,
        target_text=target_text,
        aspect=aspect,
        source_group=source_group,
        event=event,
        recording_unit=recording_unit,
        submitter_name=submitter_name,
        submitter_contact=submitter_contact,
        receipt_hash=receipt_hash,
    )
    if history_date is not None:
        opinion._history_date = history_date  # type: ignore[attr-defined]  # simple-history: no time finer than asked
    _stamp(opinion, actor)
    opinion.save()
    _announce(campaign.pk, [_subject(opinion)])
    return opinion


@dataclass(frozen=True)
class OpinionRow:
    """One row of a batch: what differs from row to row of a forum's minutes or a box."""

    kind: str
    text: str
    target: Target
    aspect: str = ""
    source_group: str = ""
    target_text: str = ""


class BatchError(ValidationError):
    """A batch with wrong rows (or a wrong heading): nothing was saved.

    ``rows`` maps the 0-based index of each wrong row to its error (by field);
    ``heading`` holds the errors of the fields shared by the whole batch."""

    def __init__(self, *, rows: dict[int, ValidationError], heading: ValidationError | None = None) -> None:
        self.rows = rows
        self.heading = heading
        messages = [] if heading is None else list(heading.messages)
        for index, error in sorted(rows.items()):
            messages.extend(
                _("Row %(row)d: %(message)s") % {"row": index + 1, "message": message} for message in error.messages
            )
        super().__init__(messages)


def _check_heading(
    *,
    actor: Any,
    campaign: Campaign,
    channel: str,
    received_on: datetime.date | None,
    event: SolicitationEvent | None,
    recording_unit: OrgUnit | None,
) -> None:
    errors: dict[str, str] = {}
    if event is not None:
        try:
            _check_event(actor=actor, campaign=campaign, event=event)
        except ValidationError as error:
            errors.update({k: v[0] for k, v in error.message_dict.items()})
        if channel and channel != event.channel:
            errors["channel"] = _("The event %(event)s was a %(channel)s; the channel must match it.") % {
                "event": event,
                "channel": event.get_channel_display(),
            }
    elif not channel:
        errors["channel"] = _("Choose the event, or the channel the opinions came through.")
    elif channel not in Channel.values:
        errors["channel"] = _("Choose a channel from the list.")
    if received_on is None:
        errors["received_on"] = _("Give the date the opinions were received.")
    elif received_on < campaign.starts_on or received_on > campaign.ends_on:
        errors["received_on"] = _outside_campaign(campaign)
    if recording_unit is not None:
        if recording_unit.campaign_id != campaign.pk:
            errors["recording_unit"] = _("The organisation belongs to another campaign.")
        elif actor is not None and not scope_for(actor).can_edit_unit(recording_unit):
            errors["recording_unit"] = _("You may not record opinions for %(unit)s.") % {"unit": recording_unit}
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def opinions_create_batch(
    *,
    actor: Any,
    campaign: Campaign,
    rows: Sequence[OpinionRow],
    channel: str = "",
    received_on: datetime.date | None = None,
    event: SolicitationEvent | None = None,
    recording_unit: OrgUnit | None = None,
) -> list[Opinion]:
    """Record the opinions of one forum's minutes, one box, one round: all or none.

    Every row is checked before anything is saved; if any row (or the heading) is
    wrong, a ``BatchError`` names each wrong row and field and nothing is written."""
    heading: ValidationError | None = None
    if event is not None:
        channel = channel or event.channel
        received_on = received_on or event.held_on
    try:
        _check_heading(
            actor=actor,
            campaign=campaign,
            channel=channel,
            received_on=received_on,
            event=event,
            recording_unit=recording_unit,
        )
    except ValidationError as error:
        heading = error
    if not rows:
        raise BatchError(rows={}, heading=heading or ValidationError(_("Enter at least one opinion.")))
    opinions: list[Opinion] = []
    row_errors: dict[int, ValidationError] = {}
    for index, row in enumerate(rows):
        try:
            opinions.append(
                _new_opinion(
                    actor=actor,
                    campaign=campaign,
                    kind=row.kind,
                    text=row.text,
                    channel=channel,
                    # A bad heading date is reported once, at the heading, not on every row.
                    received_on=received_on if heading is None and received_on is not None else campaign.starts_on,
                    target=row.target,
                    target_text=row.target_text,
                    aspect=row.aspect,
                    source_group=row.source_group,
                    event=event if heading is None else None,
                    recording_unit=recording_unit,
                )
            )
        except ValidationError as error:
            row_errors[index] = error
    if heading is not None or row_errors:
        raise BatchError(rows=row_errors, heading=heading)
    for opinion in opinions:
        _stamp(opinion, actor)
        opinion.save()
    _announce(campaign.pk, {_subject(opinion) for opinion in opinions})
    return opinions


EDITABLE = ("kind", "text", "channel", "aspect", "source_group", "received_on", "event", "target_text")


def may_change(actor: Any, opinion: Opinion) -> bool:
    """Whether the actor may edit or delete the opinion: the county office (of its
    campaign) and the administrator may; a unit secretary only what his or her own
    organisations recorded, so that no unit rewrites or removes what the public or
    another unit said about it. ``None`` is the system itself (imports, tests)."""
    if actor is None:
        return True
    scope = scope_for(actor)
    if scope.is_admin or opinion.campaign_id in scope.office_campaign_ids:
        return True
    return opinion.recording_unit is not None and scope.can_edit_unit(opinion.recording_unit)


def _check_may_change(actor: Any, opinion: Opinion) -> None:
    if not may_change(actor, opinion):
        raise ValidationError(
            _("Only the county office may change an opinion that another organisation recorded or the public sent.")
        )


@transaction.atomic
def opinion_update(*, actor: Any, opinion: Opinion, target: Target | None = None, **changes: Any) -> Opinion:
    """Edit an opinion's fields and, if given, reassign its target (re-deriving the
    category and ledger unit). Both the old and the new ledger unit are recomputed."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise TypeError(f"Not editable: {', '.join(sorted(unknown))}")
    opinion = Opinion.objects.select_related("campaign").select_for_update(of=("self",)).get(pk=opinion.pk)
    _check_may_change(actor, opinion)
    before = _subject(opinion)
    for name, value in changes.items():
        setattr(opinion, name, value)
    if "text" in changes:
        opinion.text = opinion.text.strip()
    _check_fields(campaign=opinion.campaign, text=opinion.text, received_on=opinion.received_on)
    if "event" in changes:
        _check_event(actor=actor, campaign=opinion.campaign, event=opinion.event)
    if target is not None:
        _check_target(actor=actor, campaign=opinion.campaign, target=target)
        opinion.target_team, opinion.target_member, opinion.target_unit = target.team, target.member, target.unit
        opinion.category, opinion.ledger_unit = derive(target)
    opinion.full_clean()
    _stamp(opinion, actor)
    opinion.save()
    _announce(opinion.campaign_id, [before, _subject(opinion)])
    return opinion


@transaction.atomic
def opinion_delete(*, actor: Any, opinion: Opinion) -> None:
    # As it is now: the caller's copy may predate a reassignment, and the ledger must be
    # told the target and unit the opinion counted for.
    opinion = Opinion.objects.select_related("recording_unit").select_for_update(of=("self",)).get(pk=opinion.pk)
    _check_may_change(actor, opinion)
    subjects = {_subject(opinion)}
    campaign_id = opinion.campaign_id
    # Opinions merged into this one stand on their own again rather than vanish.
    merged = Opinion.objects.filter(merged_into=opinion)
    subjects.update(subject(*row) for row in merged.values_list("ledger_unit_id", "target_member_id", "target_team_id"))
    merged.update(merged_into=None)
    _stamp(opinion, actor)
    opinion.delete()
    _announce(campaign_id, subjects)


@transaction.atomic
def opinion_transition(*, actor: Any, opinion: Opinion, to: str) -> Opinion:
    opinion = Opinion.objects.select_for_update().get(pk=opinion.pk)
    if to not in OpinionStatus.values:
        raise ValidationError({"status": _("Choose a status from the list.")})
    TRANSITIONS.move(opinion, to)
    _stamp(opinion, actor)
    opinion.save(update_fields=["status"])
    _announce(opinion.campaign_id, [_subject(opinion)])
    return opinion


T = TypeVar("T")


def _each(opinions: Iterable[Opinion], write: Callable[[Opinion], T]) -> list[T]:
    """Apply one write to many opinions, all or nothing; an error names the opinion."""
    done: list[T] = []
    for opinion in opinions:
        try:
            done.append(write(opinion))
        except ValidationError as error:
            raise ValidationError(
                {
                    field: [
                        _("Opinion %(number)s (“%(text)s”): %(message)s")
                        % {"number": opinion.pk, "text": _excerpt(opinion.text), "message": message}
                        for message in messages
                    ]
                    for field, messages in _by_field(error).items()
                }
            ) from error
    if not done:
        raise ValidationError(_("Select at least one opinion."))
    return done


def _by_field(error: ValidationError) -> dict[str, list[str]]:
    return error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}


def _excerpt(text: str, length: int = 20) -> str:
    return text if len(text) <= length else text[:length] + "…"


@transaction.atomic
def opinions_bulk_transition(*, actor: Any, opinions: Iterable[Opinion], to: str) -> int:
    """Move many opinions to a status; all or nothing."""
    with one_announcement():
        return len(_each(opinions, lambda opinion: opinion_transition(actor=actor, opinion=opinion, to=to)))


@transaction.atomic
def opinions_bulk_set_aspect(*, actor: Any, opinions: Iterable[Opinion], aspect: str) -> int:
    """Classify many opinions under one aspect; all or nothing."""
    if aspect not in Aspect.values:
        raise ValidationError({"aspect": _("Choose an aspect from the list.")})
    with one_announcement():
        return len(_each(opinions, lambda opinion: opinion_update(actor=actor, opinion=opinion, aspect=aspect)))


@transaction.atomic
def opinions_bulk_reassign(*, actor: Any, opinions: Iterable[Opinion], target: Target) -> int:
    """Give many opinions one target (re-deriving category and ledger unit); all or nothing."""
    if target.obj is None:
        raise ValidationError({"target": _("Choose the target to give the opinions.")})
    with one_announcement():
        return len(_each(opinions, lambda opinion: opinion_update(actor=actor, opinion=opinion, target=target)))


@transaction.atomic
def opinion_merge(*, actor: Any, keep: Opinion, duplicates: Iterable[Opinion]) -> int:
    """Merge duplicates into ``keep``: they stay on record (and can be unmerged) but
    count once, through ``keep``, in every ledger."""
    keep = Opinion.objects.select_for_update().get(pk=keep.pk)
    if keep.merged_into_id is not None:
        raise ValidationError(_("The opinion to keep has itself been merged into another."))
    subjects = {_subject(keep)}
    count = 0
    # As they are now (locked): the caller's copies may predate a reassignment.
    chosen = [duplicate.pk for duplicate in duplicates if duplicate.pk != keep.pk]
    for duplicate in Opinion.objects.select_for_update().filter(pk__in=chosen).order_by("pk"):
        if duplicate.campaign_id != keep.campaign_id:
            raise ValidationError(_("Only opinions of one campaign can be merged."))
        # Whatever was merged into the duplicate now points at ``keep``: one level only.
        Opinion.objects.filter(merged_into=duplicate).update(merged_into=keep)
        duplicate.merged_into = keep
        _stamp(duplicate, actor)
        duplicate.save(update_fields=["merged_into"])
        subjects.add(_subject(duplicate))
        count += 1
    if count == 0:
        raise ValidationError(_("Select at least one other opinion to merge into the one kept."))
    _announce(keep.campaign_id, subjects)
    return count


@transaction.atomic
def opinion_unmerge(*, actor: Any, opinion: Opinion) -> Opinion:
    opinion = Opinion.objects.select_for_update().get(pk=opinion.pk)
    if opinion.merged_into_id is None:
        raise ValidationError(_("This opinion is not merged into another."))
    opinion.merged_into = None
    _stamp(opinion, actor)
    opinion.save(update_fields=["merged_into"])
    _announce(opinion.campaign_id, [_subject(opinion)])
    return opinion


# --- Solicitation events --------------------------------------------------------

EVENT_FIELDS = (
    "unit",
    "channel",
    "title",
    "level",
    "held_on",
    "ends_on",
    "place",
    "attendee_groups",
    "attendance",
    "forms_issued",
    "forms_returned",
    "boxes_set",
)


def _check_solicitation(*, actor: Any, event: SolicitationEvent) -> None:
    """Every rule of an event, each message at its field."""
    campaign = event.campaign
    errors: dict[str, str] = {}
    if event.unit_id:
        if event.unit.campaign_id != campaign.pk:
            errors["unit"] = _("The organisation belongs to another campaign.")
        elif actor is not None and not scope_for(actor).can_edit_unit(event.unit):
            errors["unit"] = _("You may not record events for %(unit)s.") % {"unit": event.unit}
    if event.held_on and not campaign.starts_on <= event.held_on <= campaign.ends_on:
        errors["held_on"] = _outside_campaign(campaign)
    if event.ends_on and event.held_on and event.ends_on < event.held_on:
        errors["ends_on"] = _("The event cannot end before it starts (%(start)s).") % {
            "start": event.held_on.isoformat()
        }
    elif event.ends_on and not campaign.starts_on <= event.ends_on <= campaign.ends_on:
        errors["ends_on"] = _outside_campaign(campaign)
    if event.forms_returned > event.forms_issued:
        errors["forms_returned"] = _("%(returned)d forms cannot have come back when only %(issued)d were issued.") % {
            "returned": event.forms_returned,
            "issued": event.forms_issued,
        }
    unknown = [group for group in event.attendee_groups or [] if group not in SourceGroup.values]
    if unknown:
        errors["attendee_groups"] = _("Unknown attendee groups: %(groups)s.") % {"groups": ", ".join(map(str, unknown))}
    if errors:
        raise ValidationError(errors)


def _save_event(*, actor: Any, event: SolicitationEvent) -> SolicitationEvent:
    event.title = event.title.strip()
    event.place = event.place.strip()
    errors: dict[str, list[str]] = {}
    for check in (
        lambda: _check_solicitation(actor=actor, event=event),
        lambda: event.full_clean(validate_constraints=False),  # the checks above say it better
    ):
        try:
            check()
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors.setdefault(field, [])
                errors[field].extend(m for m in messages if m not in errors[field])
    if errors:
        raise ValidationError(errors)
    # Stored once each, in the order of the list, however they were ticked.
    event.attendee_groups = [group for group in SourceGroup.values if group in set(event.attendee_groups)]
    if actor is not None and getattr(actor, "is_authenticated", False):
        event._history_user = actor  # type: ignore[attr-defined]
    event.save()
    return event


@transaction.atomic
def event_create(*, actor: Any, campaign: Campaign, **fields: Any) -> SolicitationEvent:
    """Record a forum, a questionnaire round, a suggestion box…, held by one unit."""
    unknown = set(fields) - set(EVENT_FIELDS)
    if unknown:
        raise TypeError(f"Not an event field: {', '.join(sorted(unknown))}")
    event = _save_event(actor=actor, event=SolicitationEvent(campaign=campaign, **fields))
    announce_change(campaign_id=campaign.pk, unit_ids=[event.unit_id], source=EVENT_SOURCE)
    return event


@transaction.atomic
def event_update(*, actor: Any, event: SolicitationEvent, **changes: Any) -> SolicitationEvent:
    unknown = set(changes) - set(EVENT_FIELDS)
    if unknown:
        raise TypeError(f"Not an event field: {', '.join(sorted(unknown))}")
    event = SolicitationEvent.objects.select_related("campaign").select_for_update(of=("self",)).get(pk=event.pk)
    old_unit = event.unit_id
    for name, value in changes.items():
        setattr(event, name, value)
    event = _save_event(actor=actor, event=event)
    # A moved event changes the counts of the unit it left and the one it joined.
    announce_change(campaign_id=event.campaign_id, unit_ids=[old_unit, event.unit_id], source=EVENT_SOURCE)
    return event


@transaction.atomic
def opinions_follow_problem(*, actor: Any, statuses: Mapping[int, str]) -> int:
    """The statuses the rectification stage decides for the opinions behind a problem:
    "in rectification" when the problem is made of them, "closed" when it is solved,
    where they were when it is deleted. The problem's workflow drives these moves, not
    this app's table (``TRANSITIONS``); the ledger hears of them as of any other."""
    opinions = list(Opinion.objects.select_for_update().filter(pk__in=list(statuses)).order_by("pk"))
    changed = [opinion for opinion in opinions if opinion.status != statuses[opinion.pk]]
    for opinion in changed:
        if statuses[opinion.pk] not in OpinionStatus.values:
            raise ValueError(f"Unknown opinion status {statuses[opinion.pk]!r}")
        opinion.status = statuses[opinion.pk]
        _stamp(opinion, actor)
        opinion.save(update_fields=["status"])
    by_campaign: dict[int, list[Subject]] = {}
    for opinion in changed:
        by_campaign.setdefault(opinion.campaign_id, []).append(_subject(opinion))
    for campaign_id, subjects in by_campaign.items():
        _announce(campaign_id, subjects)
    return len(changed)
