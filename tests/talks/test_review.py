"""The supervisory team's review of talk cards: who may decide, the transitions, the
comment a return needs, and the flag a card gets when returned twice."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from campaign.models import ChangeOutbox, SupervisoryLevel
from talks import services
from talks.models import FLAG_AFTER_RETURNS, CardDecision, CardState, Talk, TalkReview
from tests import factories as f
from tests.talks.cards_world import Cards, cards_fixture  # noqa: F401 (the ``cards`` fixture)
from tests.talks.factories import TalkFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_outbox(cards: Cards) -> None:
    """Setting up the organisation announces changes of its own; start from none."""
    ChangeOutbox.objects.all().delete()


ADEQUATE, RETURN = CardDecision.ADEQUATE, CardDecision.RETURN


@pytest.fixture
def card(cards: Cards) -> Talk:
    return services.talk_create(
        user=cards.users["member"], campaign=cards.world.campaign, data=cards.data(other_member=cards.outsider)
    )


def test_transition_table_names_every_review_move() -> None:
    assert services.TRANSITIONS[(CardState.RECORDED, RETURN)] == CardState.RETURNED
    assert services.TRANSITIONS[(CardState.RETURNED, "edit")] == CardState.REVISED
    assert services.TRANSITIONS[(CardState.REVISED, ADEQUATE)] == CardState.ADEQUATE
    assert services.TRANSITIONS[(CardState.ADEQUATE, "edit")] == CardState.REVISED
    assert (CardState.RETURNED, ADEQUATE) not in services.TRANSITIONS
    assert (CardState.ADEQUATE, RETURN) not in services.TRANSITIONS


def test_supervisor_finds_a_card_adequate(cards: Cards, card: Talk) -> None:
    ChangeOutbox.objects.all().delete()
    review = services.card_review(user=cards.users["supervisor"], talk=card, decision=ADEQUATE, comment="")
    card.refresh_from_db()
    assert card.state == CardState.ADEQUATE and card.times_returned == 0
    assert review.reviewer == cards.users["supervisor"] and review.reviewer_name == "supervisor"
    assert card.history.latest().history_user == cards.users["supervisor"]
    units = set(ChangeOutbox.objects.filter(source="talks").values_list("unit_id", flat=True))
    assert units == {cards.world.unit.pk, cards.world.other_unit.pk}


def test_return_needs_a_comment(cards: Cards, card: Talk) -> None:
    with pytest.raises(ValidationError) as caught:
        services.card_review(user=cards.users["supervisor"], talk=card, decision=RETURN, comment="   ")
    assert "comment" in caught.value.message_dict
    card.refresh_from_db()
    assert card.state == CardState.RECORDED and not TalkReview.objects.exists()


def test_unknown_decision_is_refused(cards: Cards, card: Talk) -> None:
    with pytest.raises(ValidationError) as caught:
        services.card_review(user=cards.users["supervisor"], talk=card, decision="maybe")
    assert "decision" in caught.value.message_dict


def test_returned_revised_accepted(cards: Cards, card: Talk) -> None:
    supervisor = cards.users["supervisor"]
    services.card_review(user=supervisor, talk=card, decision=RETURN, comment="谈话内容过简")
    card.refresh_from_db()
    assert card.state == CardState.RETURNED and card.times_returned == 1 and not card.is_flagged

    # A returned card cannot be decided again until it is revised.
    with pytest.raises(ValidationError, match="nothing to decide"):
        services.card_review(user=supervisor, talk=card, decision=ADEQUATE)

    services.talk_update(user=cards.users["member"], talk=card, data={"agreed": "补充：每月谈一次"})
    card.refresh_from_db()
    assert card.state == CardState.REVISED

    services.card_review(user=supervisor, talk=card, decision=ADEQUATE)
    card.refresh_from_db()
    assert card.state == CardState.ADEQUATE
    assert list(card.reviews.values_list("decision", flat=True)) == [RETURN, ADEQUATE]


def test_the_other_member_may_revise_a_returned_card(cards: Cards) -> None:
    card = services.talk_create(user=cards.users["secretary"], campaign=cards.world.campaign, data=cards.data())
    services.card_review(user=cards.users["supervisor"], talk=card, decision=RETURN, comment="补充")
    services.talk_update(user=cards.users["member"], talk=card, data={"agreed": "补充完毕"})
    card.refresh_from_db()
    assert card.state == CardState.REVISED


def test_correcting_an_adequate_card_sends_it_back_for_review(cards: Cards, card: Talk) -> None:
    services.card_review(user=cards.users["supervisor"], talk=card, decision=ADEQUATE)
    services.talk_update(user=cards.users["member"], talk=card, data={"place": "会议室"})
    card.refresh_from_db()
    assert card.state == CardState.REVISED and card.is_awaiting_review


def test_a_card_returned_twice_is_flagged(cards: Cards, card: Talk) -> None:
    supervisor = cards.users["supervisor"]
    for round_ in range(FLAG_AFTER_RETURNS):
        services.card_review(user=supervisor, talk=card, decision=RETURN, comment=f"第{round_ + 1}次退回")
        card.refresh_from_db()
        assert card.times_returned == round_ + 1
        if round_ + 1 < FLAG_AFTER_RETURNS:
            assert not card.is_flagged
            services.talk_update(user=cards.users["member"], talk=card, data={"agreed": f"修改{round_}"})
    assert card.is_flagged and card.state == CardState.RETURNED


def test_supervisor_of_another_unit_may_not_review(cards: Cards, card: Talk) -> None:
    # The card is also in reach of the other unit (the second person is there), but it
    # is the first member's unit whose team reviews it.
    with pytest.raises(ValidationError, match="supervisory team of the member's unit"):
        services.card_review(user=cards.users["supervisor_outside"], talk=card, decision=ADEQUATE)
    card.refresh_from_db()
    assert card.state == CardState.RECORDED


@pytest.mark.parametrize("role", ["member", "secretary", "office", "admin"])
def test_only_supervisors_review(cards: Cards, card: Talk, role: str) -> None:
    with pytest.raises(ValidationError):
        services.card_review(user=cards.users[role], talk=card, decision=ADEQUATE)
    assert not TalkReview.objects.exists()


def test_municipal_team_reviews_anywhere_in_its_campaign(cards: Cards, card: Talk) -> None:
    team = f.SupervisoryTeamFactory(campaign=cards.world.campaign, level=SupervisoryLevel.MUNICIPAL)
    f.SupervisorFactory(team=team, user=f.UserFactory(username="municipal"))
    municipal = f.UserFactory(username="municipal")
    services.card_review(user=municipal, talk=card, decision=ADEQUATE)


def test_supervisor_does_not_review_a_card_he_is_on(cards: Cards) -> None:
    supervisor = cards.users["supervisor"]
    cards.colleague.user = supervisor
    cards.colleague.save()
    card = TalkFactory(member=cards.colleague, other_member=cards.member, talked_on=cards.day)
    with pytest.raises(ValidationError):
        services.card_review(user=supervisor, talk=card, decision=ADEQUATE)
