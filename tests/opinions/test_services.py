"""The opinion services: derived category and ledger unit, checks with messages at the
field, status transitions, merge, unmerge, delete, and the units each announces."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from campaign.models import ChangeOutbox, TargetCategory
from opinions import services
from opinions.models import Channel, Opinion, OpinionKind, OpinionStatus
from opinions.services import Target
from tests import factories as f
from tests.opinions.factories import OpinionFactory, SolicitationEventFactory

pytestmark = pytest.mark.usefixtures("english")

DAY = datetime.date(2026, 2, 1)


def create(world, actor_role="secretary", **kwargs):
    values = {
        "actor": world.users[actor_role],
        "campaign": world.campaign,
        "kind": OpinionKind.OPINION,
        "text": "会议多、文件多，深入基层少",
        "channel": Channel.FORUM,
        "received_on": DAY,
        "target": Target(member=world.member),
        "recording_unit": world.unit,
    }
    values.update(kwargs)
    return services.opinion_create(**values)


def announced(world) -> list[int | None]:
    return sorted(ChangeOutbox.objects.filter(campaign=world.campaign).values_list("unit_id", flat=True))


@pytest.mark.parametrize(
    ("target_name", "category"),
    [
        ("standing_team", TargetCategory.STANDING_COMMITTEE_TEAM),
        ("county_team", TargetCategory.COUNTY_LEADERSHIP_TEAMS),
        ("department_team", TargetCategory.DEPARTMENT_TEAMS),
        ("standing_member", TargetCategory.STANDING_COMMITTEE_MEMBERS),
        ("county_leader", TargetCategory.COUNTY_LEVEL_LEADERS),
        ("ordinary_member", TargetCategory.OTHER_MEMBERS),
    ],
)
def test_the_target_decides_the_ledger_category_and_unit(world, targets, target_name, category):
    obj = getattr(targets, target_name)
    kind = "team" if hasattr(obj, "head_id") else "member"
    opinion = create(world, target=Target(**{kind: obj}))
    opinion.refresh_from_db()
    assert opinion.category == category
    assert opinion.ledger_unit == world.unit


def test_a_section_cadre_counts_with_other_members(world):
    colleague = world.member.unit.members.get(name="李四INSIDE")
    assert create(world, target=Target(member=colleague)).category == TargetCategory.OTHER_MEMBERS


def test_a_unit_named_as_a_whole_counts_with_the_department_teams(world):
    opinion = create(world, target=Target(unit=world.unit))
    assert opinion.category == TargetCategory.DEPARTMENT_TEAMS
    assert opinion.ledger_unit == world.unit


def test_a_member_of_a_branch_is_in_the_ledger_of_his_unit(world):
    # The world's member belongs to the unit and to one of its branches.
    assert create(world).ledger_unit == world.unit


def test_create_announces_the_ledger_unit_and_records_who(world):
    opinion = create(world)
    assert announced(world) == [world.unit.pk]
    assert opinion.history.latest().history_user == world.users["secretary"]


def test_a_target_outside_the_secretarys_scope_is_refused_at_target(world):
    with pytest.raises(ValidationError) as caught:
        create(world, target=Target(member=world.other_member))
    assert "outside the organisations you may record for" in caught.value.message_dict["target"][0]
    assert not Opinion.objects.exists()
    assert not ChangeOutbox.objects.exists()


def test_the_office_may_record_for_any_target_of_its_campaign(world):
    assert create(world, actor_role="office", target=Target(member=world.other_member)).ledger_unit == world.other_unit


def test_a_target_of_another_campaign_is_refused(world):
    elsewhere = f.MemberFactory(name="邻县ELSEWHERE")
    with pytest.raises(ValidationError) as caught:
        create(world, actor_role="admin", target=Target(member=elsewhere))
    assert caught.value.message_dict["target"] == ["The target belongs to another campaign."]


@pytest.mark.parametrize("day", [datetime.date(2026, 1, 9), datetime.date(2026, 7, 1)])
def test_a_date_outside_the_campaign_is_refused_at_received_on(world, day):
    with pytest.raises(ValidationError) as caught:
        create(world, received_on=day)
    assert caught.value.message_dict["received_on"] == [
        "The date must lie within the campaign (2026-01-10 to 2026-06-30)."
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Write the content of the opinion."),
        ("   \n ", "Write the content of the opinion."),
        ("意" * 4001, "The content is 4,001 characters long; at most 4,000 are allowed."),
    ],
)
def test_empty_or_overlong_text_is_refused_at_text(world, text, message):
    with pytest.raises(ValidationError) as caught:
        create(world, text=text)
    assert caught.value.message_dict["text"] == [message]
    assert not Opinion.objects.exists()


def test_every_wrong_field_is_named_at_once(world):
    with pytest.raises(ValidationError) as caught:
        create(world, text="", received_on=datetime.date(2027, 1, 1), target=Target(member=world.other_member))
    assert set(caught.value.message_dict) == {"text", "received_on", "target"}


def test_an_event_outside_the_secretarys_scope_is_refused_at_event(world):
    event = SolicitationEventFactory(campaign=world.campaign, unit=world.other_unit, title="教育座谈会OUTSIDE")
    with pytest.raises(ValidationError) as caught:
        create(world, event=event)
    assert "event" in caught.value.message_dict


def test_update_reassigns_the_target_and_announces_old_and_new_unit(world):
    opinion = create(world, actor_role="office")
    ChangeOutbox.objects.all().delete()
    services.opinion_update(actor=world.users["office"], opinion=opinion, target=Target(member=world.other_member))
    opinion.refresh_from_db()
    assert opinion.ledger_unit == world.other_unit
    assert opinion.target_member == world.other_member
    assert announced(world) == sorted([world.unit.pk, world.other_unit.pk])
    change = opinion.history.latest().diff_against(opinion.history.earliest())
    assert "target_member" in change.changed_fields


def test_update_checks_the_text_again(world):
    opinion = create(world)
    with pytest.raises(ValidationError) as caught:
        services.opinion_update(actor=world.users["secretary"], opinion=opinion, text=" ")
    assert "text" in caught.value.message_dict
    opinion.refresh_from_db()
    assert opinion.text == "会议多、文件多，深入基层少"


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ([OpinionStatus.SORTED], True),
        ([OpinionStatus.SORTED, OpinionStatus.FED_BACK, OpinionStatus.ACKNOWLEDGED], True),
        (
            [
                OpinionStatus.SORTED,
                OpinionStatus.FED_BACK,
                OpinionStatus.ACKNOWLEDGED,
                OpinionStatus.IN_RECTIFICATION,
                OpinionStatus.CLOSED,
            ],
            True,
        ),
        ([OpinionStatus.FED_BACK], False),
        ([OpinionStatus.CLOSED], False),
        ([OpinionStatus.SORTED, OpinionStatus.ACKNOWLEDGED], False),
    ],
)
def test_status_moves_only_along_the_transitions(world, path, allowed):
    opinion = create(world)
    office = world.users["office"]
    if allowed:
        for status in path:
            opinion = services.opinion_transition(actor=office, opinion=opinion, to=status)
        assert opinion.status == path[-1]
        return
    with pytest.raises(ValidationError) as caught:
        for status in path:
            opinion = services.opinion_transition(actor=office, opinion=opinion, to=status)
    assert "cannot become" in caught.value.message_dict["status"][0]


def test_a_refused_transition_names_both_statuses(world):
    opinion = create(world)
    with pytest.raises(ValidationError) as caught:
        services.opinion_transition(actor=world.users["office"], opinion=opinion, to=OpinionStatus.CLOSED)
    assert caught.value.message_dict["status"] == ["An opinion that is Recorded cannot become Closed."]


def test_merge_keeps_the_duplicates_on_record_counted_once_and_announces_their_units(world):
    office = world.users["office"]
    keep = create(world, actor_role="office")
    inside_duplicate = create(world, actor_role="office", text="文山会海")
    outside_duplicate = create(world, actor_role="office", text="文山会海", target=Target(member=world.other_member))
    ChangeOutbox.objects.all().delete()

    assert services.opinion_merge(actor=office, keep=keep, duplicates=[inside_duplicate, outside_duplicate, keep]) == 2

    assert set(Opinion.objects.filter(merged_into=keep)) == {inside_duplicate, outside_duplicate}
    assert Opinion.objects.filter(merged_into__isnull=True).count() == 1
    assert announced(world) == sorted([world.unit.pk, world.other_unit.pk])


def test_merging_into_an_opinion_that_is_itself_merged_is_refused(world):
    office = world.users["office"]
    first, second, third = (create(world, actor_role="office") for _ in range(3))
    services.opinion_merge(actor=office, keep=first, duplicates=[second])
    with pytest.raises(ValidationError, match="itself been merged"):
        services.opinion_merge(actor=office, keep=second, duplicates=[third])


def test_merging_a_kept_opinion_moves_its_duplicates_along(world):
    office = world.users["office"]
    first, second, third = (create(world, actor_role="office") for _ in range(3))
    services.opinion_merge(actor=office, keep=second, duplicates=[third])
    services.opinion_merge(actor=office, keep=first, duplicates=[second])
    assert set(Opinion.objects.filter(merged_into=first)) == {second, third}


def test_merging_nothing_is_refused(world):
    keep = create(world, actor_role="office")
    with pytest.raises(ValidationError, match="at least one other opinion"):
        services.opinion_merge(actor=world.users["office"], keep=keep, duplicates=[keep])


def test_unmerge_counts_the_opinion_again_and_announces_its_unit(world):
    office = world.users["office"]
    keep = create(world, actor_role="office")
    duplicate = create(world, actor_role="office", target=Target(member=world.other_member))
    services.opinion_merge(actor=office, keep=keep, duplicates=[duplicate])
    ChangeOutbox.objects.all().delete()

    services.opinion_unmerge(actor=office, opinion=duplicate)

    duplicate.refresh_from_db()
    assert duplicate.merged_into is None
    assert announced(world) == [world.other_unit.pk]
    with pytest.raises(ValidationError, match="not merged"):
        services.opinion_unmerge(actor=office, opinion=duplicate)


def test_delete_frees_the_merged_opinions_and_announces_every_unit_concerned(world):
    office = world.users["office"]
    keep = create(world, actor_role="office")
    duplicate = create(world, actor_role="office", target=Target(member=world.other_member))
    services.opinion_merge(actor=office, keep=keep, duplicates=[duplicate])
    ChangeOutbox.objects.all().delete()
    kept_pk = keep.pk

    services.opinion_delete(actor=office, opinion=keep)

    assert list(Opinion.objects.all()) == [duplicate]
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None
    assert announced(world) == sorted([world.unit.pk, world.other_unit.pk])
    deleted = Opinion.history.filter(id=kept_pk, history_type="-").get()
    assert deleted.history_user == office


def test_bulk_writes_announce_each_unit_once(world):
    office = world.users["office"]
    opinions = [create(world, actor_role="office") for _ in range(5)]
    ChangeOutbox.objects.all().delete()
    assert services.opinions_bulk_transition(actor=office, opinions=opinions, to=OpinionStatus.SORTED) == 5
    assert announced(world) == [world.unit.pk]


def test_a_bulk_transition_is_all_or_nothing_and_names_the_opinion(world):
    office = world.users["office"]
    ready, behind = create(world, actor_role="office"), create(world, actor_role="office", text="走访群众少")
    services.opinion_transition(actor=office, opinion=ready, to=OpinionStatus.SORTED)
    ChangeOutbox.objects.all().delete()
    with pytest.raises(ValidationError) as caught:
        services.opinions_bulk_transition(actor=office, opinions=[ready, behind], to=OpinionStatus.FED_BACK)
    message = caught.value.message_dict["status"][0]
    assert f"Opinion {behind.pk}" in message and "走访群众少" in message
    ready.refresh_from_db()
    assert ready.status == OpinionStatus.SORTED  # the first move was rolled back with the rest
    assert not ChangeOutbox.objects.exists()


def test_public_opinions_keep_no_history_user(world):
    opinion = create(world, actor_role="office", target=Target(), target_text="县交通局", channel=Channel.ONLINE)
    opinion = services.opinion_create(
        actor=None,
        campaign=world.campaign,
        kind=OpinionKind.SUGGESTION,
        text="建议公开办事流程",
        channel=Channel.ONLINE,
        received_on=DAY,
        target=Target(),
        target_text="县交通局",
    )
    assert opinion.category == "" and opinion.ledger_unit is None
    assert opinion.history.latest().history_user is None
    # An opinion with no target yet is announced for the ledger's "not yet assigned"
    # bucket (an outbox row with no unit), so the general ledger counts it at once.
    assert ChangeOutbox.objects.filter(unit__isnull=True).count() == 2


def test_factory_rows_look_like_service_rows(world, targets):
    opinion = OpinionFactory(target_team=targets.standing_team, target_member=None)
    assert opinion.category == TargetCategory.STANDING_COMMITTEE_TEAM
    assert opinion.ledger_unit == world.unit
