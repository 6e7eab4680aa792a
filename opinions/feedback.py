"""Writes of feedback and sign-off: the office consolidates a target's opinions into
feedback items in its own words, releases lists in batches, and the member (or a
team's head) signs for his or her list.

A list moves draft → released → signed in one function, ``feedback_list_transition``;
it knows which move is allowed, what each move requires (the k rule, at least one
item, the right signer) and what follows from it (the consolidated opinions become
fed back, then acknowledged, through ``opinions.services``). Every change of a list's
status announces its ledger unit, so the ledgers' feedback figures follow.

Items are changed only while their list is a draft. Their order is the office's: a
new item takes the place the default order gives it — by aspect, then by a hash of
its wording — and the office may move items up and down. Nothing about the opinions
behind an item (who, when, how, in which order they came) decides where it stands.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaign.events import announce_change
from campaign.models import Campaign, LeadershipTeam, Member
from campaign.scoping import scope_for
from core.workflow import Workflow
from notifications import kinds as notices
from notifications.services import notify
from opinions.models import Aspect, FeedbackItem, FeedbackList, Opinion, OpinionStatus, ReleaseBatch
from opinions.services import MAX_TEXT, Target, derive, opinions_bulk_transition

SOURCE = "feedback"
Status = FeedbackList.Status

# The one place that knows which status of a list may follow which.
LIST_TRANSITIONS = Workflow.between(
    {Status.DRAFT: {Status.RELEASED}, Status.RELEASED: {Status.SIGNED}},
    refusal=lambda feedback_list, to: {"status": _refusal(feedback_list, to)},
)

UP, DOWN = "up", "down"
ASPECT_ORDER = {value: index for index, value in enumerate(Aspect.values)}


def can_transition(current: str, new: str) -> bool:
    return LIST_TRANSITIONS.allows(current, new)


def _stamp(obj: Any, actor: Any) -> None:
    if actor is not None and getattr(actor, "is_authenticated", False):
        obj._history_user = actor


def _announce(feedback_list: FeedbackList) -> None:
    # The list counts in its ledger unit's rows, and in its member's or team's row, filed
    # under his, her or its unit of today: not the same unit once the member has moved.
    if feedback_list.target_member_id is not None:
        current = Member.objects.filter(pk=feedback_list.target_member_id)
    else:
        current = LeadershipTeam.objects.filter(pk=feedback_list.target_team_id)
    units = {feedback_list.ledger_unit_id, *current.values_list("unit_id", flat=True)}
    announce_change(campaign_id=feedback_list.campaign_id, unit_ids=units, source=SOURCE)


def target_of(feedback_list: FeedbackList) -> Target:
    return Target(member=feedback_list.target_member, team=feedback_list.target_team)


def list_name(feedback_list: FeedbackList) -> str:
    return str(feedback_list.target_member or feedback_list.target_team)


def _lock(feedback_list: FeedbackList) -> FeedbackList:
    """The list, locked for the rest of the transaction: a release and an edit of its
    items never interleave."""
    return (
        FeedbackList.objects.select_for_update(of=("self",))
        .select_related("campaign", "target_member", "target_team", "target_team__head")
        .get(pk=feedback_list.pk)
    )


def require_draft(feedback_list: FeedbackList) -> None:
    if feedback_list.status != Status.DRAFT:
        raise ValidationError(
            _("The list for %(target)s has been released; its items can no longer be changed.")
            % {"target": list_name(feedback_list)}
        )


# --- Lists ----------------------------------------------------------------------


@transaction.atomic
def feedback_list_get_or_create(*, actor: Any, campaign: Campaign, target: Target) -> FeedbackList:
    """The one list of a member or a leadership team, created the first time the
    office writes feedback for it."""
    if target.unit is not None or (target.member is None) == (target.team is None):
        raise ValidationError({"target": _("Feedback is written for a member or a leadership team.")})
    obj = target.obj
    if obj.campaign_id != campaign.pk:
        raise ValidationError({"target": _("The target belongs to another campaign.")})
    if actor is not None and not scope_for(actor).can_see(obj):
        raise ValidationError({"target": _("%(target)s is outside your organisations.") % {"target": obj}})
    lookup = {"target_member": target.member} if target.member is not None else {"target_team": target.team}
    existing = FeedbackList.objects.filter(**lookup).first()
    if existing is not None:
        return existing
    _category, ledger_unit = derive(target)
    feedback_list = FeedbackList(campaign=campaign, ledger_unit=ledger_unit, **lookup)
    _stamp(feedback_list, actor)
    try:
        # Two clicks at once: the one-to-one constraint lets one of them create it.
        with transaction.atomic():
            feedback_list.save()
    except IntegrityError:
        return FeedbackList.objects.get(**lookup)
    _announce(feedback_list)  # the ledgers count lists being written too
    return feedback_list


@transaction.atomic
def feedback_list_confirm_wording(*, actor: Any, feedback_list: FeedbackList, confirmed: bool) -> FeedbackList:
    """The office's word that it consolidated the wording of a short list so that no
    source can be guessed from it (the k rule)."""
    feedback_list = _lock(feedback_list)
    require_draft(feedback_list)
    feedback_list.wording_confirmed = confirmed
    _stamp(feedback_list, actor)
    feedback_list.save(update_fields=["wording_confirmed"])
    return feedback_list


def consolidated_count(feedback_list: FeedbackList) -> int:
    """How many distinct opinions the list's items consolidate."""
    return (
        Opinion.objects.filter(feedback_items__feedback_list=feedback_list).values("pk").distinct().order_by().count()
    )


def release_problems(feedback_list: FeedbackList) -> list[str]:
    """Why a draft list cannot be released yet; empty when it can."""
    name = list_name(feedback_list)
    items = list(
        feedback_list.items.annotate(
            n=Count("opinions"),
            about=Count("opinions", filter=_about(target_of(feedback_list), prefix="opinions__")),
        ).order_by("position", "pk")
    )
    if not items:
        return [_("The list for %(target)s has no items; write at least one before releasing it.") % {"target": name}]
    problems = []
    for number, item in enumerate(items, start=1):
        if item.n == 0:
            problems.append(
                _("Item %(number)d of the list for %(target)s consolidates no opinion any more.")
                % {"number": number, "target": name}
            )
        elif item.about < item.n:
            problems.append(
                _("Item %(number)d of the list for %(target)s consolidates an opinion that is no longer about it.")
                % {"number": number, "target": name}
            )
    threshold = feedback_list.campaign.feedback_threshold
    if feedback_list.target_member_id is not None and not feedback_list.wording_confirmed:
        count = consolidated_count(feedback_list)
        if count < threshold:
            problems.append(
                ngettext(
                    "The list for %(target)s rests on %(count)d opinion, fewer than %(k)d: so few opinions can "
                    "point to who gave them. Confirm that you consolidated the wording before releasing it.",
                    "The list for %(target)s rests on %(count)d opinions, fewer than %(k)d: so few opinions can "
                    "point to who gave them. Confirm that you consolidated the wording before releasing it.",
                    count,
                )
                % {"target": name, "count": count, "k": threshold}
            )
    return problems


def _signer_problem(feedback_list: FeedbackList, signer: Member | None) -> str | None:
    if feedback_list.target_member_id is not None:
        if signer is None or signer.pk != feedback_list.target_member_id:
            return _("Only %(name)s may sign for this list.") % {"name": feedback_list.target_member.name}
        return None
    head = feedback_list.target_team.head
    if head is None:
        return _("The team %(team)s has no head to sign for its list.") % {"team": feedback_list.target_team.name}
    if signer is None or signer.pk != head.pk:
        return _("Only the head of %(team)s may sign for its list.") % {"team": feedback_list.target_team.name}
    return None


def _refusal(feedback_list: FeedbackList, to: str) -> str:
    name = list_name(feedback_list)
    if to == Status.SIGNED and feedback_list.status == Status.DRAFT:
        return _("The list for %(target)s has not been released yet; it cannot be signed.") % {"target": name}
    if to == Status.SIGNED and feedback_list.status == Status.SIGNED:
        return _("The list for %(target)s has already been signed for.") % {"target": name}
    if to == Status.RELEASED and feedback_list.status != Status.DRAFT:
        return _("The list for %(target)s has already been released.") % {"target": name}
    return _("A list that is %(current)s cannot become %(new)s.") % {
        "current": feedback_list.get_status_display(),
        "new": Status(to).label,
    }


def _about(target: Target, *, prefix: str = "") -> Q:
    if target.member is not None:
        return Q(**{f"{prefix}target_member": target.member})
    return Q(**{f"{prefix}target_team": target.team})


def _move_opinions(*, actor: Any, feedback_list: FeedbackList, steps: Sequence[tuple[str, str]]) -> None:
    """Move the consolidated opinions along ``steps`` (from, to), each step for the
    opinions then in its "from" status; opinions already further along stay."""
    ids = list(
        Opinion.objects.filter(feedback_items__feedback_list=feedback_list).values_list("pk", flat=True).distinct()
    )
    for current, new in steps:
        moving = list(Opinion.objects.filter(pk__in=ids, status=current).order_by("pk"))
        if moving:
            opinions_bulk_transition(actor=actor, opinions=moving, to=new)


@transaction.atomic
def feedback_list_transition(
    *,
    actor: Any,
    feedback_list: FeedbackList,
    to: str,
    batch: ReleaseBatch | None = None,
    signed_by: Member | None = None,
) -> FeedbackList:
    """Move a list to its next status: released (in ``batch``) or signed (by
    ``signed_by``). Raises ValidationError, with nothing written, when the move is not
    allowed or its conditions are not met."""
    feedback_list = _lock(feedback_list)
    if to not in Status.values:
        raise ValidationError({"status": _("Choose a status from the list.")})
    LIST_TRANSITIONS.check(feedback_list, to)
    if to == Status.RELEASED:
        if batch is None or batch.campaign_id != feedback_list.campaign_id:
            raise ValueError("A release needs a batch of the list's campaign.")
        problems = release_problems(feedback_list)
        if problems:
            raise ValidationError({"release": problems})
        feedback_list.batch = batch
        feedback_list.released_on = batch.released_on
        _move_opinions(
            actor=actor,
            feedback_list=feedback_list,
            steps=[(OpinionStatus.RECORDED, OpinionStatus.SORTED), (OpinionStatus.SORTED, OpinionStatus.FED_BACK)],
        )
    elif to == Status.SIGNED:
        problem = _signer_problem(feedback_list, signed_by)
        if problem:
            raise ValidationError({"signed_by": problem})
        feedback_list.signed_by = signed_by
        feedback_list.signed_at = timezone.now()
        _move_opinions(
            actor=actor, feedback_list=feedback_list, steps=[(OpinionStatus.FED_BACK, OpinionStatus.ACKNOWLEDGED)]
        )
    LIST_TRANSITIONS.move(feedback_list, to)
    _stamp(feedback_list, actor)
    feedback_list.save()
    _announce(feedback_list)
    return feedback_list


@transaction.atomic
def feedback_lists_release(
    *,
    actor: Any,
    campaign: Campaign,
    lists: Iterable[FeedbackList],
    released_on: datetime.date,
    note: str = "",
) -> ReleaseBatch:
    """Release the chosen lists as one batch: all of them, or — if any cannot be
    released — none, with every reason named by its list."""
    chosen = sorted({feedback_list.pk: feedback_list for feedback_list in lists}.values(), key=lambda fl: fl.pk)
    errors: dict[str, list[str]] = {}
    if not chosen:
        errors["lists"] = [_("Select at least one list to release.")]
    if released_on < campaign.starts_on:
        errors["released_on"] = [
            _("A list cannot be released before the campaign starts (%(start)s).")
            % {"start": campaign.starts_on.isoformat()}
        ]
    elif released_on > timezone.localdate():
        errors["released_on"] = [_("The release date cannot lie in the future.")]
    if len(note) > ReleaseBatch._meta.get_field("note").max_length:
        errors["note"] = [_("The note is too long.")]
    locked = []
    for feedback_list in chosen:
        feedback_list = _lock(feedback_list)
        locked.append(feedback_list)
        if feedback_list.campaign_id != campaign.pk:
            errors.setdefault("lists", []).append(
                _("The list for %(target)s belongs to another campaign.") % {"target": list_name(feedback_list)}
            )
        elif feedback_list.status != Status.DRAFT:
            errors.setdefault("lists", []).append(_refusal(feedback_list, Status.RELEASED))
        else:
            errors.setdefault("lists", []).extend(release_problems(feedback_list))
    errors = {field: messages for field, messages in errors.items() if messages}
    if errors:
        raise ValidationError(errors)
    batch = ReleaseBatch.objects.create(campaign=campaign, released_by=actor, released_on=released_on, note=note)
    for feedback_list in locked:
        feedback_list_transition(actor=actor, feedback_list=feedback_list, to=Status.RELEASED, batch=batch)
    _notify_signers(locked)
    return batch


def _notify_signers(lists: Sequence[FeedbackList]) -> None:
    """Tell whoever signs each released list that it awaits his or her signature: the
    member, or the team's head. The notice names no opinion and no one who gave one."""
    member_ids = [each.target_member_id for each in lists if each.target_member_id]
    users = Member.objects.filter(pk__in=member_ids, user__isnull=False).values_list("user_id", flat=True)
    notify(users=list(users), kind=notices.LIST_TO_SIGN.key, url=reverse("opinions:my_feedback"))
    team_ids = [each.target_team_id for each in lists if each.target_team_id]
    teams = LeadershipTeam.objects.filter(pk__in=team_ids, head__user__isnull=False).values_list(
        "name", "head__user_id"
    )
    for name, user_id in teams:
        notify(
            users=[user_id],
            kind=notices.TEAM_LIST_TO_SIGN.key,
            url=reverse("opinions:my_feedback"),
            params={"team": name},
        )


@transaction.atomic
def feedback_list_sign(*, actor: Any, feedback_list: FeedbackList, confirmed: bool) -> FeedbackList:
    """The member (or the team's head) signs for a released list."""
    if not confirmed:
        raise ValidationError({"confirmed": _("Tick the box to confirm that you have read the list.")})
    signer = Member.objects.filter(user=actor).first() if getattr(actor, "is_authenticated", False) else None
    return feedback_list_transition(actor=actor, feedback_list=feedback_list, to=Status.SIGNED, signed_by=signer)


# --- Items ----------------------------------------------------------------------


def default_key(aspect: str, text: str) -> tuple[int, str]:
    """Where an item stands by default: by aspect, then by a hash of its wording — an
    order that owes nothing to when or how the opinions behind it came in."""
    return ASPECT_ORDER.get(aspect, len(ASPECT_ORDER)), hashlib.sha256(text.encode()).hexdigest()


def _check_item(
    *,
    actor: Any,
    feedback_list: FeedbackList,
    text: str,
    aspect: str,
    opinions: Sequence[Opinion],
    item: FeedbackItem | None = None,
) -> None:
    errors: dict[str, str] = {}
    if not text.strip():
        errors["text"] = _("Write the feedback in the office's own words.")
    elif len(text) > MAX_TEXT:
        errors["text"] = _("The content is %(length)s characters long; at most %(max)s are allowed.") % {
            "length": intcomma(len(text)),
            "max": intcomma(MAX_TEXT),
        }
    if aspect not in Aspect.values:
        errors["aspect"] = _("Choose the aspect this item concerns.")
    if not opinions:
        errors["opinions"] = _("Choose at least one opinion that this item consolidates.")
    else:
        errors.update(_check_opinions(actor=actor, feedback_list=feedback_list, opinions=opinions, item=item))
    if errors:
        raise ValidationError(errors)


def _check_opinions(
    *, actor: Any, feedback_list: FeedbackList, opinions: Sequence[Opinion], item: FeedbackItem | None
) -> dict[str, str]:
    ids = {opinion.pk for opinion in opinions}
    eligible = Opinion.objects.filter(pk__in=ids).filter(_about(target_of(feedback_list)), merged_into__isnull=True)
    if actor is not None:
        eligible = scope_for(actor).filter(eligible)
    wrong = ids - set(eligible.values_list("pk", flat=True))
    if wrong:
        return {
            "opinions": _("Opinions %(numbers)s are not counted opinions about %(target)s.")
            % {"numbers": ", ".join(f"#{pk}" for pk in sorted(wrong)), "target": list_name(feedback_list)}
        }
    taken = FeedbackItem.opinions.through.objects.filter(opinion_id__in=ids)
    if item is not None:
        taken = taken.exclude(feedbackitem_id=item.pk)
    taken_ids = sorted(set(taken.values_list("opinion_id", flat=True)))
    if taken_ids:
        return {
            "opinions": _("Opinions %(numbers)s are already consolidated in another item.")
            % {"numbers": ", ".join(f"#{pk}" for pk in taken_ids)}
        }
    return {}


def _place(feedback_list: FeedbackList, item: FeedbackItem) -> None:
    """Put ``item`` before the first other item whose default key is greater, and
    number the list 1…n. A list the office never reordered stays in the default order."""
    others = list(feedback_list.items.exclude(pk=item.pk).order_by("position", "pk"))
    key = default_key(item.aspect, item.text)
    index = next(
        (i for i, other in enumerate(others) if default_key(other.aspect, other.text) > key),
        len(others),
    )
    _renumber([*others[:index], item, *others[index:]])


def _renumber(items: Sequence[FeedbackItem]) -> None:
    changed = []
    for position, item in enumerate(items, start=1):
        if item.position != position:
            item.position = position
            changed.append(item)
    if changed:
        FeedbackItem.objects.bulk_update(changed, ["position"])


@transaction.atomic
def feedback_item_create(
    *, actor: Any, feedback_list: FeedbackList, text: str, aspect: str, opinions: Sequence[Opinion]
) -> FeedbackItem:
    feedback_list = _lock(feedback_list)
    require_draft(feedback_list)
    opinions = list(opinions)
    _check_item(actor=actor, feedback_list=feedback_list, text=text, aspect=aspect, opinions=opinions)
    item = FeedbackItem(feedback_list=feedback_list, text=text.strip(), aspect=aspect, position=0)
    _stamp(item, actor)
    item.save()
    item.opinions.set(opinions)
    _place(feedback_list, item)
    return item


@transaction.atomic
def feedback_item_update(
    *, actor: Any, item: FeedbackItem, text: str, aspect: str, opinions: Sequence[Opinion]
) -> FeedbackItem:
    feedback_list = _lock(item.feedback_list)
    require_draft(feedback_list)
    item = FeedbackItem.objects.select_for_update().get(pk=item.pk)
    opinions = list(opinions)
    _check_item(actor=actor, feedback_list=feedback_list, text=text, aspect=aspect, opinions=opinions, item=item)
    aspect_changed = item.aspect != aspect
    item.text, item.aspect = text.strip(), aspect
    _stamp(item, actor)
    item.save()
    item.opinions.set(opinions)
    if aspect_changed:
        # Another aspect is another place in the default order; a new wording alone
        # keeps the place the office gave the item.
        _place(feedback_list, item)
    return item


@transaction.atomic
def feedback_item_delete(*, actor: Any, item: FeedbackItem) -> None:
    feedback_list = _lock(item.feedback_list)
    require_draft(feedback_list)
    item = FeedbackItem.objects.get(pk=item.pk)
    _stamp(item, actor)
    item.delete()
    _renumber(list(feedback_list.items.order_by("position", "pk")))


@transaction.atomic
def feedback_item_move(*, actor: Any, item: FeedbackItem, direction: str) -> FeedbackItem:
    """Move an item one place up or down: the office's order."""
    if direction not in (UP, DOWN):
        raise ValidationError({"direction": _("Move an item up or down.")})
    feedback_list = _lock(item.feedback_list)
    require_draft(feedback_list)
    items = list(feedback_list.items.order_by("position", "pk"))
    index = next(i for i, other in enumerate(items) if other.pk == item.pk)
    swap = index - 1 if direction == UP else index + 1
    if 0 <= swap < len(items):
        items[index], items[swap] = items[swap], items[index]
        _renumber(items)
    return next(other for other in items if other.pk == item.pk)


@transaction.atomic
def feedback_list_default_order(*, actor: Any, feedback_list: FeedbackList) -> FeedbackList:
    """Put the items back in the default order (by aspect, then by wording's hash)."""
    feedback_list = _lock(feedback_list)
    require_draft(feedback_list)
    items = sorted(feedback_list.items.all(), key=lambda item: (default_key(item.aspect, item.text), item.pk))
    _renumber(items)
    return feedback_list
