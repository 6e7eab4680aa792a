"""Logging, correcting and deleting talk cards through the services: every bad input
gets its message at the field concerned and writes nothing; corrections keep history;
both people's units are announced to the ledger."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from campaign.models import ChangeOutbox, Rank
from talks import services
from talks.models import CardState, Relation, Talk, TalkKind
from tests import factories as f
from tests.talks.cards_world import Cards, cards_fixture  # noqa: F401 (the ``cards`` fixture)
from tests.talks.factories import TalkFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_outbox(cards: Cards) -> None:
    """Setting up the organisation announces changes of its own; start from none."""
    ChangeOutbox.objects.all().delete()


def refused(call, *, field: str) -> list[str]:
    """Run ``call``; it must be refused, with nothing written. The messages at ``field``."""
    talks_before = Talk.objects.count()
    history_before = Talk.history.count()
    outbox_before = ChangeOutbox.objects.count()
    with pytest.raises(ValidationError) as caught:
        call()
    assert Talk.objects.count() == talks_before
    assert Talk.history.count() == history_before
    assert ChangeOutbox.objects.count() == outbox_before
    errors = caught.value.message_dict
    assert field in errors, errors
    return errors[field]


def announced(unit_ids: set[int]) -> None:
    rows = set(ChangeOutbox.objects.filter(source="talks").values_list("unit_id", flat=True))
    assert rows == unit_ids


# --- Creating ------------------------------------------------------------------


def test_member_logs_own_talk_with_a_colleague(cards: Cards) -> None:
    talk = services.talk_create(user=cards.users["member"], campaign=cards.world.campaign, data=cards.data())
    assert talk.state == CardState.RECORDED
    assert talk.recorded_by == cards.users["member"]
    assert talk.recorder_name == "member"
    assert talk.pair == f"m:{min(cards.member.pk, cards.colleague.pk)}:{max(cards.member.pk, cards.colleague.pk)}"
    record = talk.history.get()
    assert record.history_type == "+" and record.history_user == cards.users["member"]
    announced({cards.world.unit.pk})


def test_a_talk_across_units_announces_both_units(cards: Cards) -> None:
    services.talk_create(
        user=cards.users["member"], campaign=cards.world.campaign, data=cards.data(other_member=cards.outsider)
    )
    announced({cards.world.unit.pk, cards.world.other_unit.pk})


def test_talk_with_the_public(cards: Cards) -> None:
    talk = services.talk_create(
        user=cards.users["member"],
        campaign=cards.world.campaign,
        data=cards.data(
            kind=TalkKind.PUBLIC,
            other_member=None,
            outsider_name="  刘  大妈 ",
            outsider_role="社区居民",
            outsider_relation=Relation.RESIDENT,
        ),
    )
    assert talk.outsider_name == "刘 大妈"
    assert talk.other_name == "刘 大妈"
    announced({cards.world.unit.pk})


def test_talk_with_oneself_is_refused(cards: Cards) -> None:
    messages = refused(
        lambda: services.talk_create(
            user=cards.users["member"], campaign=cards.world.campaign, data=cards.data(other_member=cards.member)
        ),
        field="other_member",
    )
    assert "cannot talk with himself or herself" in messages[0]
    assert cards.member.name in messages[0]


@pytest.mark.parametrize("days", [-1, 40])
def test_date_outside_the_analysis_stage_is_refused_with_its_dates(cards: Cards, days: int) -> None:
    day = (cards.stage.starts_on if days < 0 else cards.stage.ends_on) + datetime.timedelta(days=days)
    messages = refused(
        lambda: services.talk_create(
            user=cards.users["member"], campaign=cards.world.campaign, data=cards.data(talked_on=day)
        ),
        field="talked_on",
    )
    assert cards.stage.starts_on.isoformat() in messages[0]
    assert cards.stage.ends_on.isoformat() in messages[0]
    assert day.isoformat() in messages[0]


def test_first_and_last_day_of_the_stage_are_accepted(cards: Cards) -> None:
    campaign = cards.world.campaign
    services.talk_create(
        user=cards.users["member"], campaign=campaign, data=cards.data(talked_on=cards.stage.starts_on)
    )
    services.talk_create(user=cards.users["member"], campaign=campaign, data=cards.data(talked_on=cards.stage.ends_on))
    assert Talk.objects.count() == 2


def test_campaign_without_an_analysis_stage_says_so(cards: Cards) -> None:
    cards.stage.delete()
    messages = refused(
        lambda: services.talk_create(user=cards.users["member"], campaign=cards.world.campaign, data=cards.data()),
        field="talked_on",
    )
    assert "no dates for its analysis-and-evaluation stage" in messages[0]


def test_member_may_not_log_a_talk_of_two_others(cards: Cards) -> None:
    messages = refused(
        lambda: services.talk_create(
            user=cards.users["member"],
            campaign=cards.world.campaign,
            data=cards.data(member=cards.colleague, other_member=cards.outsider),
        ),
        field="member",
    )
    assert "talks you took part in" in messages[0]


def test_member_may_be_the_second_person(cards: Cards) -> None:
    talk = services.talk_create(
        user=cards.users["member"],
        campaign=cards.world.campaign,
        data=cards.data(member=cards.colleague, other_member=cards.member),
    )
    assert talk.member == cards.colleague


def test_secretary_logs_for_a_member_of_the_unit_with_anyone(cards: Cards) -> None:
    talk = services.talk_create(
        user=cards.users["secretary"],
        campaign=cards.world.campaign,
        data=cards.data(member=cards.colleague, other_member=cards.outsider),
    )
    assert talk.recorded_by == cards.users["secretary"]


def test_secretary_may_not_log_with_a_first_person_outside_the_unit(cards: Cards) -> None:
    refused(
        lambda: services.talk_create(
            user=cards.users["secretary"],
            campaign=cards.world.campaign,
            data=cards.data(member=cards.outsider, other_member=cards.member),
        ),
        field="member",
    )


def test_office_logs_anywhere_in_its_campaign(cards: Cards) -> None:
    services.talk_create(
        user=cards.users["office"],
        campaign=cards.world.campaign,
        data=cards.data(member=cards.outsider, other_member=cards.cadre, kind=TalkKind.CHARGE),
    )
    assert Talk.objects.get().member == cards.cadre


def test_supervisor_may_not_log(cards: Cards) -> None:
    refused(
        lambda: services.talk_create(user=cards.users["supervisor"], campaign=cards.world.campaign, data=cards.data()),
        field="member",
    )


def test_member_of_another_campaign_is_refused(cards: Cards) -> None:
    stranger = f.MemberFactory(name="外县党员")
    messages = refused(
        lambda: services.talk_create(
            user=cards.users["office"], campaign=cards.world.campaign, data=cards.data(other_member=stranger)
        ),
        field="other_member",
    )
    assert "外县党员" in messages[0]


def test_the_same_talk_twice_is_refused_and_the_card_offered(cards: Cards) -> None:
    campaign = cards.world.campaign
    first = services.talk_create(user=cards.users["member"], campaign=campaign, data=cards.data())
    ChangeOutbox.objects.all().delete()
    # The same two people in the other order, on the same day, entered by the secretary.
    with pytest.raises(services.DuplicateTalk) as caught:
        services.talk_create(
            user=cards.users["secretary"],
            campaign=campaign,
            data=cards.data(member=cards.colleague, other_member=cards.member, topics="另一次记录"),
        )
    assert caught.value.existing == first
    message = caught.value.message_dict[NON_FIELD_ERRORS][0]
    assert f"card no. {first.pk}" in message and "Correct that card" in message
    assert Talk.objects.count() == 1 and not ChangeOutbox.objects.exists()


def test_the_same_people_on_another_day_is_another_talk(cards: Cards) -> None:
    campaign = cards.world.campaign
    services.talk_create(user=cards.users["member"], campaign=campaign, data=cards.data())
    services.talk_create(
        user=cards.users["member"], campaign=campaign, data=cards.data(talked_on=cards.day + datetime.timedelta(1))
    )
    assert Talk.objects.count() == 2


def test_the_same_outsider_twice_in_a_day_is_refused(cards: Cards) -> None:
    campaign = cards.world.campaign
    public = {"kind": TalkKind.PUBLIC, "other_member": None, "outsider_relation": Relation.RESIDENT}
    services.talk_create(
        user=cards.users["member"], campaign=campaign, data=cards.data(outsider_name="刘大妈", **public)
    )
    with pytest.raises(services.DuplicateTalk):
        services.talk_create(
            user=cards.users["member"], campaign=campaign, data=cards.data(outsider_name=" 刘大妈", **public)
        )


# --- The kind must fit the people ----------------------------------------------------


def test_public_kind_with_a_member_is_refused(cards: Cards) -> None:
    messages = refused(
        lambda: services.talk_create(
            user=cards.users["member"], campaign=cards.world.campaign, data=cards.data(kind=TalkKind.PUBLIC)
        ),
        field="other_member",
    )
    assert "outside the membership" in messages[0]


def test_public_kind_needs_a_name_and_a_relation(cards: Cards) -> None:
    call = lambda: services.talk_create(  # noqa: E731
        user=cards.users["member"],
        campaign=cards.world.campaign,
        data=cards.data(kind=TalkKind.PUBLIC, other_member=None, outsider_name=" "),
    )
    assert refused(call, field="outsider_name")
    assert refused(call, field="outsider_relation")


def test_a_talk_between_members_names_no_outsider(cards: Cards) -> None:
    refused(
        lambda: services.talk_create(
            user=cards.users["member"], campaign=cards.world.campaign, data=cards.data(outsider_name="刘大妈")
        ),
        field="outsider_name",
    )


def test_member_kind_without_the_other_member_is_refused(cards: Cards) -> None:
    refused(
        lambda: services.talk_create(
            user=cards.users["member"], campaign=cards.world.campaign, data=cards.data(other_member=None)
        ),
        field="other_member",
    )


def test_team_kind_needs_one_leadership_team(cards: Cards) -> None:
    campaign = cards.world.campaign
    talk = services.talk_create(user=cards.users["member"], campaign=campaign, data=cards.data(kind=TalkKind.TEAM))
    assert talk.kind == TalkKind.TEAM
    messages = refused(
        lambda: services.talk_create(
            user=cards.users["member"],
            campaign=campaign,
            data=cards.data(kind=TalkKind.TEAM, other_member=cards.outsider),
        ),
        field="kind",
    )
    assert "not in one leadership team" in messages[0]


def test_team_kind_counts_the_head_of_the_team(cards: Cards) -> None:
    # The colleague heads the team (and is in it); a head who is not listed as a member counts too.
    team = cards.colleague.teams_headed.get()
    team.members.remove(cards.colleague)
    services.talk_create(user=cards.users["member"], campaign=cards.world.campaign, data=cards.data(kind="team"))


def test_charge_kind_puts_the_cadre_first(cards: Cards) -> None:
    talk = services.talk_create(
        user=cards.users["office"],
        campaign=cards.world.campaign,
        data=cards.data(kind=TalkKind.CHARGE, member=cards.outsider, other_member=cards.cadre),
    )
    assert (talk.member, talk.other_member) == (cards.cadre, cards.outsider)


def test_head_of_the_unit_logs_the_talk_with_his_cadre(cards: Cards) -> None:
    head = cards.outsider
    head.user = f.UserFactory(username="head")
    head.save()
    talk = services.talk_create(
        user=head.user,
        campaign=cards.world.campaign,
        data=cards.data(kind=TalkKind.CHARGE, member=head, other_member=cards.cadre),
    )
    assert talk.member == cards.cadre


def test_charge_kind_needs_charge_of_the_unit_the_other_heads(cards: Cards) -> None:
    messages = refused(
        lambda: services.talk_create(
            user=cards.users["office"],
            campaign=cards.world.campaign,
            data=cards.data(kind=TalkKind.CHARGE, member=cards.cadre, other_member=cards.member),
        ),
        field="kind",
    )
    assert "leading cadre in charge" in messages[0]


def test_charge_kind_needs_a_leading_cadre(cards: Cards) -> None:
    cards.cadre.rank = Rank.ORDINARY
    cards.cadre.save()
    refused(
        lambda: services.talk_create(
            user=cards.users["office"],
            campaign=cards.world.campaign,
            data=cards.data(kind=TalkKind.CHARGE, member=cards.cadre, other_member=cards.outsider),
        ),
        field="kind",
    )


def test_topics_and_kind_are_required(cards: Cards) -> None:
    call = lambda: services.talk_create(  # noqa: E731
        user=cards.users["member"], campaign=cards.world.campaign, data=cards.data(topics="  ", kind="")
    )
    assert refused(call, field="topics")
    assert refused(call, field="kind")


# --- Correcting ----------------------------------------------------------------------


def test_correction_keeps_history_and_announces_old_and_new_units(cards: Cards) -> None:
    campaign = cards.world.campaign
    talk = services.talk_create(user=cards.users["member"], campaign=campaign, data=cards.data())
    ChangeOutbox.objects.all().delete()
    services.talk_update(
        user=cards.users["secretary"], talk=talk, data={"other_member": cards.outsider, "agreed": "下周再谈"}
    )
    talk.refresh_from_db()
    assert talk.other_member == cards.outsider and talk.agreed == "下周再谈"
    latest = talk.history.latest()
    assert latest.history_type == "~" and latest.history_user == cards.users["secretary"]
    assert talk.history.count() == 2
    announced({cards.world.unit.pk, cards.world.other_unit.pk})

    # Moving the talk back to the colleague announces the other unit that lost it.
    ChangeOutbox.objects.all().delete()
    services.talk_update(user=cards.users["member"], talk=talk, data={"other_member": cards.colleague})
    announced({cards.world.unit.pk, cards.world.other_unit.pk})


def test_correction_that_changes_nothing_writes_nothing(cards: Cards) -> None:
    talk = services.talk_create(user=cards.users["member"], campaign=cards.world.campaign, data=cards.data())
    ChangeOutbox.objects.all().delete()
    services.talk_update(user=cards.users["member"], talk=talk, data=cards.data())
    assert talk.history.count() == 1 and not ChangeOutbox.objects.exists()


def test_correction_with_bad_input_writes_nothing(cards: Cards) -> None:
    talk = services.talk_create(user=cards.users["member"], campaign=cards.world.campaign, data=cards.data())
    refused(
        lambda: services.talk_update(user=cards.users["member"], talk=talk, data={"other_member": cards.member}),
        field="other_member",
    )
    talk.refresh_from_db()
    assert talk.other_member == cards.colleague


def test_correction_into_an_existing_talk_is_refused(cards: Cards) -> None:
    campaign = cards.world.campaign
    first = services.talk_create(user=cards.users["member"], campaign=campaign, data=cards.data())
    second = services.talk_create(
        user=cards.users["member"], campaign=campaign, data=cards.data(talked_on=cards.day + datetime.timedelta(1))
    )
    with pytest.raises(services.DuplicateTalk) as caught:
        services.talk_update(user=cards.users["member"], talk=second, data={"talked_on": cards.day})
    assert caught.value.existing == first


def test_someone_not_on_the_card_may_not_correct_it(cards: Cards) -> None:
    talk = TalkFactory(member=cards.colleague, other_member=cards.outsider, talked_on=cards.day)
    for name in ("member", "supervisor", "supervisor_outside"):
        with pytest.raises(ValidationError):
            services.talk_update(user=cards.users[name], talk=talk, data={"agreed": "改"})
    outside_secretary = f.UserFactory(username="secretary-outside")
    f.RoleAssignmentFactory(
        user=outside_secretary, campaign=cards.world.campaign, kind="secretary", unit=cards.world.other_unit
    )
    with pytest.raises(ValidationError):
        services.talk_update(user=outside_secretary, talk=talk, data={"agreed": "改"})
    assert talk.history.count() == 1  # made by the factory, never changed


def test_secretary_may_not_move_a_card_out_of_the_unit(cards: Cards) -> None:
    talk = services.talk_create(user=cards.users["secretary"], campaign=cards.world.campaign, data=cards.data())
    refused(
        lambda: services.talk_update(
            user=cards.users["secretary"], talk=talk, data={"member": cards.outsider, "other_member": cards.member}
        ),
        field="member",
    )


# --- Deleting ------------------------------------------------------------------------


def test_delete_announces_both_units_and_keeps_history(cards: Cards) -> None:
    talk = services.talk_create(
        user=cards.users["member"], campaign=cards.world.campaign, data=cards.data(other_member=cards.outsider)
    )
    pk = talk.pk
    ChangeOutbox.objects.all().delete()
    services.talk_delete(user=cards.users["member"], talk=talk)
    assert not Talk.objects.filter(pk=pk).exists()
    deleted = Talk.history.filter(id=pk).latest()
    assert deleted.history_type == "-" and deleted.history_user == cards.users["member"]
    announced({cards.world.unit.pk, cards.world.other_unit.pk})


def test_delete_by_someone_not_allowed_is_refused(cards: Cards) -> None:
    talk = TalkFactory(member=cards.colleague, other_member=cards.outsider, talked_on=cards.day)
    with pytest.raises(ValidationError):
        services.talk_delete(user=cards.users["member"], talk=talk)
    assert Talk.objects.filter(pk=talk.pk).exists()
