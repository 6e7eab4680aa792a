"""Property: whatever sequence of creates, edits, reassignments, merges, unmerges,
deletes, transitions, events, feedback lists and members moving unit happens — with some roll-up messages
lost on the way — once the outbox is drained every ledger figure equals a recount."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign.models import ChangeOutbox, Member
from opinions.models import Aspect, Channel, FeedbackList, Opinion, OpinionKind, OpinionStatus
from opinions.services import (
    event_create,
    opinion_delete,
    opinion_merge,
    opinion_transition,
    opinion_unmerge,
    opinion_update,
)
from reports.ledger import reconcile, rollup
from tests.conftest import property_examples
from tests.reports.helpers import add_opinion, assert_ledger_matches_source, set_list

index = st.integers(min_value=0, max_value=50)
kinds = st.sampled_from(OpinionKind.values)
channels = st.sampled_from(Channel.values)
aspects = st.sampled_from(["", *Aspect.values])
statuses = st.sampled_from(OpinionStatus.values)
delivered = st.booleans()  # False: the roll-up message was lost; only the outbox row remains

creates = st.tuples(st.just("create"), index, kinds, channels, aspects, delivered)
operations = st.one_of(
    creates,
    st.tuples(st.just("reassign"), index, index, delivered),
    st.tuples(st.just("edit"), index, kinds, channels, aspects, delivered),
    st.tuples(st.just("merge"), index, index, delivered),
    st.tuples(st.just("unmerge"), index, delivered),
    st.tuples(st.just("delete"), index, delivered),
    st.tuples(st.just("transition"), index, statuses, delivered),
    st.tuples(st.just("list"), index, st.sampled_from(FeedbackList.Status.values), delivered),
    st.tuples(
        st.just("event"),
        index,
        st.sampled_from([Channel.FORUM, Channel.QUESTIONNAIRE, Channel.SUGGESTION_BOX]),
        st.integers(0, 500),
        st.integers(0, 5),
        delivered,
    ),
    # A member moves to the other unit (announced by unit, not by target): later changes
    # to opinions about him or her roll up by target, filed under the new unit.
    st.tuples(st.just("move"), index, delivered),
    st.tuples(st.just("drain")),
)


def _pick(items: list[Any], i: int) -> Any:
    return items[i % len(items)] if items else None


def _apply(ledgers: Any, operation: tuple) -> None:
    campaign = ledgers.campaign
    targets = ledgers.targets()
    opinions = list(Opinion.objects.filter(campaign=campaign).order_by("pk"))
    name = operation[0]
    if name == "create":
        _, i, kind, channel, aspect, _delivered = operation
        add_opinion(campaign, _pick(targets, i), kind=kind, channel=channel, aspect=aspect)
    elif name == "reassign" and opinions:
        _, i, j, _delivered = operation
        opinion_update(actor=None, opinion=_pick(opinions, i), target=_pick(targets, j))
    elif name == "edit" and opinions:
        _, i, kind, channel, aspect, _delivered = operation
        opinion_update(actor=None, opinion=_pick(opinions, i), kind=kind, channel=channel, aspect=aspect)
    elif name == "merge" and len(opinions) > 1:
        _, i, j, _delivered = operation
        opinion_merge(actor=None, keep=_pick(opinions, i), duplicates=[_pick(opinions, j)])
    elif name == "unmerge" and opinions:
        opinion_unmerge(actor=None, opinion=_pick(opinions, operation[1]))
    elif name == "delete" and opinions:
        opinion_delete(actor=None, opinion=_pick(opinions, operation[1]))
    elif name == "transition" and opinions:
        opinion_transition(actor=None, opinion=_pick(opinions, operation[1]), to=operation[2])
    elif name == "list":
        _, i, status, _delivered = operation
        subject = _pick(
            [ledgers.member, ledgers.colleague, ledgers.standing_member, ledgers.team_in, ledgers.standing], i
        )
        if hasattr(subject, "rank"):
            set_list(campaign, member=subject, status=status)
        else:
            set_list(campaign, team=subject, status=status)
    elif name == "event":
        _, i, channel, forms, boxes, _delivered = operation
        units = [ledgers.world.unit, ledgers.world.other_unit, ledgers.world.committee, ledgers.world.county]
        event_create(
            actor=None,
            campaign=campaign,
            unit=_pick(units, i),
            channel=channel,
            title="座谈会",
            held_on=campaign.starts_on,
            forms_issued=forms,
            forms_returned=forms // 2,
            boxes_set=boxes,
        )
    elif name == "move":
        # A fresh instance: the fixture's own must not carry the move into the next example.
        chosen = _pick([ledgers.member, ledgers.colleague, ledgers.other_member], operation[1])
        member = Member.objects.get(pk=chosen.pk)
        units = (ledgers.world.unit, ledgers.world.other_unit)
        member.unit = units[1] if member.unit_id == units[0].pk else units[0]
        member.branch = None
        member.save()
    elif name == "drain":
        rollup.ledger_drain_outbox()


@settings(
    max_examples=property_examples(60),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    # A few opinions first, so that the later steps have something to work on.
    first=st.lists(creates, min_size=2, max_size=8),
    then=st.lists(operations, min_size=3, max_size=30),
)
def test_every_figure_equals_a_recount_after_any_sequence_of_changes(
    ledgers, django_capture_on_commit_callbacks, first, then
):
    steps = first + then
    # Each example runs in a savepoint rolled back at its end: the next starts afresh.
    with transaction.atomic():
        for operation in steps:
            deliver = operation[-1] is True
            # A delivered change runs its roll-up task on "commit", as in production;
            # a lost one leaves only its outbox row behind.
            context = django_capture_on_commit_callbacks(execute=True) if deliver else nullcontext()
            with context:
                try:
                    with transaction.atomic():
                        _apply(ledgers, operation)
                except ValidationError:
                    pass  # a move the rules refuse (an invalid transition, a double merge…)
        # What the periodic re-send does for the lost messages.
        rollup.ledger_drain_outbox()
        assert not ChangeOutbox.objects.exists()
        assert_ledger_matches_source(ledgers.campaign)
        assert reconcile.ledger_compare(campaign_id=ledgers.campaign.pk) == []
        transaction.set_rollback(True)
