"""Every write on talk cards: logging, correcting and deleting a card, and the
supervisory team's decision on it. All inside ``transaction.atomic``; each announces
the units of both people on the card (old and new ones on a correction) so that the
ledger's roll-ups recount them.

The review workflow is ``TRANSITIONS``; nothing else changes ``Talk.state``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.events import announce_change
from campaign.models import Campaign, LeadershipTeam, Member, OrgUnit, Stage, StageKind
from campaign.scoping import Scope, scope_for
from core.workflow import Workflow
from notifications import kinds as notices
from notifications.services import notify
from talks.models import (
    AWAITING_REVIEW,
    CARD_COMMENT_MAX_CHARS,
    CARD_TEXT_MAX_CHARS,
    CardDecision,
    CardState,
    Relation,
    Talk,
    TalkKind,
    TalkReview,
    pair_key,
)

SOURCE = "talks"

# What a card's writer gives: the people, the kind, and what was said.
PEOPLE_FIELDS = ("member", "other_member", "outsider_name", "outsider_role", "outsider_relation")
TEXT_FIELDS = ("place", "topics", "member_problems", "other_problems", "agreed")
FIELDS = ("kind", *PEOPLE_FIELDS, "talked_on", *TEXT_FIELDS)

# The one table of allowed moves: (state, action) → next state. "edit" is a correction
# by the recorder or a person on the card: a returned card becomes revised, and a card
# found adequate goes back for review, since what was reviewed is no longer what it says.
TRANSITIONS = Workflow(
    {
        (CardState.RECORDED, "edit"): CardState.RECORDED,
        (CardState.REVISED, "edit"): CardState.REVISED,
        (CardState.RETURNED, "edit"): CardState.REVISED,
        (CardState.ADEQUATE, "edit"): CardState.REVISED,
        (CardState.RECORDED, CardDecision.ADEQUATE): CardState.ADEQUATE,
        (CardState.REVISED, CardDecision.ADEQUATE): CardState.ADEQUATE,
        (CardState.RECORDED, CardDecision.RETURN): CardState.RETURNED,
        (CardState.REVISED, CardDecision.RETURN): CardState.RETURNED,
    },
    refusal=lambda talk, _action: (
        _("This card is “%(state)s”; there is nothing to decide.") % {"state": talk.get_state_display()}
    ),
)


def transition(talk: Talk, action: str) -> str:
    """Move ``talk`` to the state ``action`` leads to, or refuse."""
    return TRANSITIONS.move(talk, action)


class DuplicateTalk(ValidationError):
    """The same two people on the same day are already on a card: ``existing`` is that
    card, which the page offers for correction instead."""

    def __init__(self, existing: Talk) -> None:
        self.existing = existing
        message = _(
            "This talk is already on record: %(member)s with %(other)s on %(date)s (card no. %(number)s). "
            "Correct that card instead of entering the talk again."
        ) % {
            "member": existing.member.name,
            "other": existing.other_name,
            "date": existing.talked_on.isoformat(),
            "number": existing.pk,
        }
        super().__init__({NON_FIELD_ERRORS: [message]})


# --- Who may do what ----------------------------------------------------------------


def _is_system(user: Any) -> bool:
    # None is the system itself (the demo, a management command): no scope applies.
    return user is None


def _in_subtree(scope: Scope, member: Member | None) -> bool:
    return member is not None and any(member.unit.path.startswith(path) for path in scope.secretary_paths)


def may_record(
    user: Any, campaign: Campaign, member: Member | None, other: Member | None, kind: str = ""
) -> tuple[bool, str]:
    """Whether ``user`` may keep a card between these people, and if not, the field the
    refusal concerns. A member logs only talks he or she took part in; a secretary those
    whose first person is in his or her subtree (for a leading cadre's talk with the head
    of a unit in his or her charge, the head's secretary too: the cadre comes first on
    that card); the county office anything in its campaign."""
    if _is_system(user):
        return True, ""
    scope = scope_for(user)
    if not scope.can("talks.log"):
        return False, "member"
    if scope.is_admin or campaign.pk in scope.office_campaign_ids:
        return True, ""
    if scope.member is not None and scope.member.pk in {getattr(member, "pk", None), getattr(other, "pk", None)}:
        return True, ""
    if _in_subtree(scope, member) or (kind == TalkKind.CHARGE and _in_subtree(scope, other)):
        return True, ""
    return False, "member"


def may_change(user: Any, talk: Talk) -> bool:
    """Whether ``user`` may correct or delete the card: whoever may record it as it stands."""
    allowed, _field = may_record(user, talk.campaign, talk.member, talk.other_member, talk.kind)
    return allowed


def may_review(user: Any, talk: Talk) -> bool:
    """Only a supervisor whose scope covers the card's first member decides on it, and
    never on a card he or she is on."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    scope = scope_for(user)
    if not scope.can("talks.review"):
        return False
    if user.pk in {talk.member.user_id, talk.other_member.user_id if talk.other_member_id else None}:
        return False
    return scope.filter(Member.objects.filter(pk=talk.member_id)).exists()


# --- Checks -----------------------------------------------------------------------


def analysis_stage(campaign: Campaign) -> Stage | None:
    return campaign.stages.filter(kind=StageKind.ANALYSIS).order_by("order").first()


def _date_problem(campaign: Campaign, talked_on: datetime.date | None, lookups: CardLookups | None = None) -> str:
    if talked_on is None:
        return _("Give the date of the talk.")
    stage = lookups.stage if lookups is not None else analysis_stage(campaign)
    if stage is None:
        return _(
            "The campaign has no dates for its analysis-and-evaluation stage yet; the county office sets them first."
        )
    if not stage.starts_on <= talked_on <= stage.ends_on:
        return _(
            "Talks are recorded for the analysis-and-evaluation stage, from %(start)s to %(end)s; "
            "%(date)s lies outside it."
        ) % {
            "start": stage.starts_on.isoformat(),
            "end": stage.ends_on.isoformat(),
            "date": talked_on.isoformat(),
        }
    return ""


def _team_ids(member: Member) -> set[int]:
    return set(
        LeadershipTeam.objects.filter(campaign_id=member.campaign_id)
        .filter(Q(members=member) | Q(head=member))
        .values_list("pk", flat=True)
    )


def _in_charge(cadre: Member, head: Member) -> bool:
    """``cadre`` is a leading cadre in charge of a unit that ``head`` is responsible for."""
    return (
        cadre.is_leading_cadre
        and cadre.pk != head.pk
        and OrgUnit.objects.filter(leaders_in_charge=cadre, responsible_leader=head).exists()
    )


class CardLookups:
    """What ``check_card`` would otherwise read row by row, read once for a chunk of an
    import: the analysis stage, the teams and charges of the chunk's members, and the
    cards already on record for the chunk's pairs. A few queries per chunk, not per row."""

    def __init__(self, campaign: Campaign, members: Iterable[Member], pairs: Iterable[tuple[str, datetime.date]]):
        ids = {member.pk for member in members}
        self.stage = analysis_stage(campaign)
        self.teams: dict[int, set[int]] = {pk: set() for pk in ids}
        through = LeadershipTeam.members.through.objects.filter(member_id__in=ids)
        for member_id, team_id in through.values_list("member_id", "leadershipteam_id"):
            self.teams[member_id].add(team_id)
        heads = LeadershipTeam.objects.filter(campaign=campaign, head_id__in=ids)
        for team_id, head_id in heads.values_list("pk", "head_id"):
            self.teams[head_id].add(team_id)
        # (cadre, head): the cadre has in charge a unit the head is responsible for.
        self.charges = set(
            OrgUnit.objects.filter(leaders_in_charge__in=ids, responsible_leader_id__in=ids).values_list(
                "leaders_in_charge", "responsible_leader_id"
            )
        )
        wanted = set(pairs)
        self.existing: dict[tuple[str, datetime.date], Talk] = {}
        if wanted:
            pairs, days = {pair for pair, _day in wanted}, {day for _pair, day in wanted}
            on_record = Talk.objects.filter(campaign=campaign, pair__in=pairs, talked_on__in=days).select_related(
                "member", "other_member"
            )
            for talk in on_record:
                self.existing.setdefault((talk.pair, talk.talked_on), talk)

    def in_charge(self, cadre: Member, head: Member) -> bool:
        return cadre.is_leading_cadre and cadre.pk != head.pk and (cadre.pk, head.pk) in self.charges


# Names, roles and places are one line; what was said keeps its lines.
_ONE_LINE = ("kind", "outsider_name", "outsider_role", "outsider_relation", "place")
_MULTI_LINE = ("topics", "member_problems", "other_problems", "agreed")


def _clean_data(data: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise TypeError(f"Unknown talk card fields: {', '.join(sorted(unknown))}")
    cleaned = {name: data.get(name) for name in FIELDS}
    for name in _ONE_LINE:
        cleaned[name] = " ".join(str(cleaned[name] or "").split())
    for name in _MULTI_LINE:
        cleaned[name] = _text(cleaned[name])
    return cleaned


def _text(value: Any) -> str:
    return str(value or "").replace("\r\n", "\n").strip()


def _too_long(text: str, limit: int) -> str:
    return _("The content is %(length)s characters long; at most %(max)s are allowed.") % {
        "length": intcomma(len(text)),
        "max": intcomma(limit),
    }


def check_card(
    *,
    user: Any,
    campaign: Campaign,
    data: Mapping[str, Any],
    talk: Talk | None = None,
    lookups: CardLookups | None = None,
) -> dict[str, Any]:
    """The card's fields, checked and put in order (for a leading cadre's talk with the
    head of a unit in his or her charge, the cadre first), or a ValidationError with a
    message at each field concerned. ``talk``: the card being corrected, if any.
    Writes nothing; an import calls it row by row, with ``lookups`` read for its chunk."""
    cleaned = _clean_data(data)
    errors: dict[str, list[str]] = {}

    def refuse(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    member: Member | None = cleaned["member"]
    other: Member | None = cleaned["other_member"]
    kind: str = cleaned["kind"]

    if member is None:
        refuse("member", _("Choose the member who talked."))
    elif member.campaign_id != campaign.pk:
        refuse("member", _("%(name)s is not a member in this campaign.") % {"name": member.name})
    if other is not None and other.campaign_id != campaign.pk:
        refuse("other_member", _("%(name)s is not a member in this campaign.") % {"name": other.name})
    if member is not None and other is not None and member.pk == other.pk:
        refuse(
            "other_member",
            _("A talk needs two people: %(name)s cannot talk with himself or herself. Choose the other person.")
            % {"name": member.name},
        )

    if kind not in TalkKind.values:
        refuse("kind", _("Choose the kind of talk."))
    elif kind == TalkKind.PUBLIC:
        if other is not None:
            refuse(
                "other_member",
                _("A talk with the public is with a person outside the membership: leave the member empty."),
            )
        if not cleaned["outsider_name"]:
            refuse("outsider_name", _("Give the name of the person outside the membership."))
        if not cleaned["outsider_relation"]:
            refuse("outsider_relation", _("Say how he or she stands to the member (a resident, a colleague, …)."))
        elif cleaned["outsider_relation"] not in Relation.values:
            refuse("outsider_relation", _("Choose the relation from the list."))
    else:
        if other is None:
            refuse(
                "other_member",
                _("Choose the member he or she talked with (a person outside the membership: “%(kind)s”).")
                % {"kind": TalkKind.PUBLIC.label},
            )
        if cleaned["outsider_name"] or cleaned["outsider_role"] or cleaned["outsider_relation"]:
            refuse(
                "outsider_name",
                _("A talk between two members names no one outside the membership: clear these fields."),
            )

    date_problem = _date_problem(campaign, cleaned["talked_on"], lookups)
    if date_problem:
        refuse("talked_on", date_problem)
    if not cleaned["topics"]:
        refuse("topics", _("Write down what the talk was about."))
    for name in _MULTI_LINE:
        if len(cleaned[name]) > CARD_TEXT_MAX_CHARS:
            refuse(name, _too_long(cleaned[name], CARD_TEXT_MAX_CHARS))

    people_ok = not any(name in errors for name in ("member", "other_member", "kind"))
    if people_ok and member is not None and other is not None:
        in_charge = lookups.in_charge if lookups is not None else _in_charge

        def teams_of(person: Member) -> set[int]:
            return lookups.teams.get(person.pk, set()) if lookups is not None else _team_ids(person)

        if kind == TalkKind.TEAM and not (teams_of(member) & teams_of(other)):
            refuse(
                "kind",
                _("%(member)s and %(other)s are not in one leadership team; choose another kind of talk.")
                % {"member": member.name, "other": other.name},
            )
        elif kind == TalkKind.CHARGE:
            if in_charge(other, member) and not in_charge(member, other):
                member, other = other, member  # the cadre comes first on the card
                cleaned["member"], cleaned["other_member"] = member, other
            elif not in_charge(member, other):
                refuse(
                    "kind",
                    _(
                        "Neither %(member)s nor %(other)s is a leading cadre in charge of a unit the other "
                        "is responsible for; choose another kind of talk."
                    )
                    % {"member": member.name, "other": other.name},
                )

    if people_ok and member is not None:
        allowed, field = may_record(user, campaign, member, other, kind)
        if not allowed:
            refuse(
                field,
                _("You may record only talks of the members in your charge, or talks you took part in yourself."),
            )

    if errors:
        raise ValidationError(errors)

    pair = pair_key(member.pk, other.pk if other else None, cleaned["outsider_name"])
    if lookups is not None and talk is None:
        existing = lookups.existing.get((pair, cleaned["talked_on"]))
    else:
        existing = (
            Talk.objects.filter(campaign=campaign, pair=pair, talked_on=cleaned["talked_on"])
            .exclude(pk=talk.pk if talk is not None else None)
            .select_related("member", "other_member")
            .first()
        )
    if existing is not None:
        raise DuplicateTalk(existing)
    return cleaned


def _units(talk: Talk) -> set[int]:
    units = {talk.member.unit_id}
    if talk.other_member_id:
        units.add(talk.other_member.unit_id)
    return units


def _announce(talk: Talk, units: Iterable[int]) -> None:
    announce_change(campaign_id=talk.campaign_id, unit_ids=set(units), source=SOURCE)


def _stamp(talk: Talk, user: Any) -> None:
    """Record who made the change in the card's history."""
    talk._history_user = user if user is not None and getattr(user, "is_authenticated", False) else None


def _save(talk: Talk) -> None:
    # Two people entering the same talk at the same moment: the constraint decides,
    # and the second is offered the first one's card.
    try:
        with transaction.atomic():
            talk.save()
    except IntegrityError:
        existing = (
            Talk.objects.filter(campaign_id=talk.campaign_id, pair=talk.pair, talked_on=talk.talked_on)
            .exclude(pk=talk.pk)
            .select_related("member", "other_member")
            .first()
        )
        if existing is None:
            raise
        raise DuplicateTalk(existing) from None


def _user_name(user: Any) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


# --- Writing ----------------------------------------------------------------------


@transaction.atomic
def talk_create(*, user: Any, campaign: Campaign, data: Mapping[str, Any]) -> Talk:
    """Log a talk on a new card, awaiting the supervisory team's review."""
    cleaned = check_card(user=user, campaign=campaign, data=data)
    talk = Talk(campaign=campaign, **cleaned)
    talk.recorded_by = user if user is not None and getattr(user, "is_authenticated", False) else None
    talk.recorder_name = _user_name(user)
    talk.state = CardState.RECORDED
    _stamp(talk, user)
    _save(talk)
    _announce(talk, _units(talk))
    return talk


@transaction.atomic
def talk_update(*, user: Any, talk: Talk, data: Mapping[str, Any]) -> Talk:
    """Correct a card. A returned card becomes revised, and one found adequate goes back
    for review; a correction that changes nothing writes nothing."""
    talk = (
        Talk.objects.select_for_update(of=("self",))
        .select_related("campaign", "member__unit", "other_member__unit")
        .get(pk=talk.pk)
    )
    if not may_change(user, talk):
        raise ValidationError(_("You may not change this card."))
    cleaned = check_card(user=user, campaign=talk.campaign, data={**_current(talk), **data}, talk=talk)
    changed = [name for name in FIELDS if _value(getattr(talk, name)) != _value(cleaned[name])]
    if not changed:
        return talk
    old_units = _units(talk)
    for name in FIELDS:
        setattr(talk, name, cleaned[name])
    transition(talk, "edit")
    _stamp(talk, user)
    _save(talk)
    _announce(talk, old_units | _units(talk))
    return talk


def _current(talk: Talk) -> dict[str, Any]:
    return {name: getattr(talk, name) for name in FIELDS}


def _value(value: Any) -> Any:
    return value.pk if isinstance(value, Member) else value


@transaction.atomic
def talk_delete(*, user: Any, talk: Talk) -> None:
    talk = (
        Talk.objects.select_for_update(of=("self",))
        .select_related("campaign", "member", "other_member")
        .get(pk=talk.pk)
    )
    if not may_change(user, talk):
        raise ValidationError(_("You may not delete this card."))
    units = _units(talk)
    _stamp(talk, user)
    talk.delete()
    announce_change(campaign_id=talk.campaign_id, unit_ids=units, source=SOURCE)


@transaction.atomic
def card_review(*, user: Any, talk: Talk, decision: str, comment: str = "") -> TalkReview:
    """The supervisory team's decision: adequate, or returned with a comment for the
    recorder to revise. A card returned ``FLAG_AFTER_RETURNS`` times is flagged to the office."""
    talk = (
        Talk.objects.select_for_update(of=("self",))
        .select_related("campaign", "member__unit", "other_member__unit")
        .get(pk=talk.pk)
    )
    if not may_review(user, talk):
        raise ValidationError(_("Only the supervisory team of the member's unit may review this card."))
    comment = _text(comment)
    if decision not in CardDecision.values:
        raise ValidationError({"decision": _("Choose adequate or return for revision.")})
    if talk.state not in AWAITING_REVIEW:
        raise ValidationError(
            _("This card is “%(state)s”; there is nothing to decide.") % {"state": talk.get_state_display()}
        )
    if decision == CardDecision.RETURN and not comment:
        raise ValidationError({"comment": _("Say what the recorder should revise.")})
    if len(comment) > CARD_COMMENT_MAX_CHARS:
        raise ValidationError({"comment": _too_long(comment, CARD_COMMENT_MAX_CHARS)})
    transition(talk, decision)
    review = TalkReview.objects.create(
        talk=talk,
        decision=decision,
        comment=comment,
        reviewer=user,
        reviewer_name=_user_name(user),
        decided_at=timezone.now(),
    )
    talk.times_returned = talk.reviews.filter(decision=CardDecision.RETURN).count()
    _stamp(talk, user)
    talk.save(update_fields=["state", "times_returned", "updated_at"])
    _announce(talk, _units(talk))
    if decision == CardDecision.RETURN:
        notify(
            users=[talk.recorded_by_id],
            kind=notices.CARD_RETURNED.key,
            url=reverse("talks:card_detail", args=[talk.pk]),
            params={"number": talk.pk},
        )
    return review
