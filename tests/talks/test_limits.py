"""Every text on a talk card, and a reviewer's comment, has a length limit: refused at
the form field and in the services (which imports and scripts call), with the length
and the limit in the message, and held by the database."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from talks import services
from talks.forms import CardForm, ReviewForm
from talks.models import CARD_COMMENT_MAX_CHARS, CARD_TEXT_FIELDS, CARD_TEXT_MAX_CHARS, CardDecision, Talk
from tests.talks.cards_world import Cards, cards_fixture  # noqa: F401 (the ``cards`` fixture)
from tests.talks.test_card_pages import card_post

pytestmark = pytest.mark.django_db

TOO_LONG = "谈" * (CARD_TEXT_MAX_CHARS + 1)


@pytest.mark.parametrize("field", CARD_TEXT_FIELDS)
def test_the_service_refuses_a_text_over_its_limit_at_the_field(cards: Cards, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        services.talk_create(
            user=cards.users["member"], campaign=cards.world.campaign, data=cards.data(**{field: TOO_LONG})
        )
    assert caught.value.message_dict[field] == [
        f"The content is {CARD_TEXT_MAX_CHARS + 1:,} characters long; at most {CARD_TEXT_MAX_CHARS:,} are allowed."
    ]
    assert not Talk.objects.exists()


def test_a_text_of_exactly_the_limit_is_kept(cards: Cards) -> None:
    talk = services.talk_create(
        user=cards.users["member"], campaign=cards.world.campaign, data=cards.data(topics="谈" * CARD_TEXT_MAX_CHARS)
    )
    assert len(Talk.objects.get(pk=talk.pk).topics) == CARD_TEXT_MAX_CHARS


@pytest.mark.parametrize("field", CARD_TEXT_FIELDS)
def test_the_form_refuses_a_text_over_its_limit_at_the_field(cards: Cards, field: str) -> None:
    form = CardForm(card_post(cards, **{field: TOO_LONG}), user=cards.users["member"], campaign=cards.world.campaign)
    assert not form.is_valid()
    assert form.errors[field] == [
        f"Ensure this value has at most {CARD_TEXT_MAX_CHARS} characters (it has {CARD_TEXT_MAX_CHARS + 1})."
    ]


def test_the_card_page_shows_the_limit_at_the_field_and_writes_nothing(cards: Cards, login) -> None:
    response = login(cards.users["member"]).post(reverse("talks:card_new"), card_post(cards, agreed=TOO_LONG))
    assert response.status_code == 200 and not Talk.objects.exists()
    assert "at most 5000 characters" in response.context["form"].errors["agreed"][0]
    assert f'maxlength="{CARD_TEXT_MAX_CHARS}"' in response.content.decode()


def test_a_review_comment_over_its_limit_is_refused(cards: Cards) -> None:
    talk = services.talk_create(
        user=cards.users["member"], campaign=cards.world.campaign, data=cards.data(other_member=cards.outsider)
    )
    comment = "改" * (CARD_COMMENT_MAX_CHARS + 1)
    with pytest.raises(ValidationError) as caught:
        services.card_review(user=cards.users["supervisor"], talk=talk, decision=CardDecision.RETURN, comment=comment)
    assert "at most 2,000 are allowed" in caught.value.message_dict["comment"][0]
    assert not talk.reviews.exists()
    form = ReviewForm({"decision": CardDecision.RETURN, "comment": comment})
    assert not form.is_valid() and "comment" in form.errors


def test_the_database_holds_to_the_limit(cards: Cards) -> None:
    talk = services.talk_create(user=cards.users["member"], campaign=cards.world.campaign, data=cards.data())
    with pytest.raises(IntegrityError), transaction.atomic():
        Talk.objects.filter(pk=talk.pk).update(topics=TOO_LONG)
