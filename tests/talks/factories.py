"""Factories for talk cards and their reviews.

``TalkFactory`` writes a card the way the services leave it (``pair`` is set by
``Talk.save``), dated inside the analysis-and-evaluation stage when the campaign has
one (``tests.factories.add_stages``) and 45 days after the campaign's start otherwise.
By default it is a talk between two members of one unit ("member" kind); pass
``other_member=None, outsider_name=...`` (or use ``PublicTalkFactory``) for a talk
with the public. Tests of the services' rules call the services themselves."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterable
from typing import Any

import factory
from django.utils import timezone

from campaign.models import Campaign, Member, StageKind
from talks.models import CardDecision, CardState, Relation, Talk, TalkKind, TalkReview, pair_key
from tests import factories as f


def analysis_day(campaign: Campaign, offset: int = 0) -> datetime.date:
    """A day inside the campaign's analysis-and-evaluation stage (its first day plus
    ``offset``, kept inside the stage)."""
    stage = campaign.stages.filter(kind=StageKind.ANALYSIS).first()
    if stage is None:
        return campaign.starts_on + datetime.timedelta(days=45 + offset)
    day = stage.starts_on + datetime.timedelta(days=offset)
    return min(day, stage.ends_on)


# What a card says when a test does not care (``TalkFactory`` and ``bulk_talks``).
PLACE = "党员活动室"
MEMBER_PROBLEMS = "学习不够深入"
OTHER_PROBLEMS = "联系群众不够"
AGREED = "互相监督，限期改进"


class TalkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Talk

    member = factory.SubFactory(f.MemberFactory)
    campaign = factory.SelfAttribute("member.campaign")
    other_member = factory.SubFactory(
        f.MemberFactory,
        campaign=factory.SelfAttribute("..member.campaign"),
        unit=factory.SelfAttribute("..member.unit"),
    )
    outsider_name = ""
    outsider_role = ""
    outsider_relation = ""
    kind = factory.LazyAttribute(lambda o: TalkKind.MEMBER if o.other_member is not None else TalkKind.PUBLIC)
    talked_on = factory.LazyAttribute(lambda o: analysis_day(o.campaign))
    place = PLACE
    topics = factory.Sequence(lambda n: f"谈心主题{n}：工作作风与群众路线")
    member_problems = MEMBER_PROBLEMS
    other_problems = OTHER_PROBLEMS
    agreed = AGREED
    recorded_by = None
    recorder_name = factory.LazyAttribute(lambda o: o.recorded_by.get_username() if o.recorded_by else o.member.name)
    state = CardState.RECORDED
    times_returned = 0


class PublicTalkFactory(TalkFactory):
    """A member's talk with a person outside the membership."""

    other_member = None
    outsider_name = factory.Sequence(lambda n: f"群众{n}")
    outsider_role = "个体工商户"
    outsider_relation = Relation.BUSINESS_OWNER
    kind = TalkKind.PUBLIC


class TalkReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TalkReview

    talk = factory.SubFactory(TalkFactory)
    decision = CardDecision.ADEQUATE
    comment = factory.LazyAttribute(lambda o: "" if o.decision == CardDecision.ADEQUATE else "请补充谈话内容")
    reviewer = None
    reviewer_name = "督导组长"
    decided_at = factory.LazyFunction(timezone.now)


# Who the public are in ``PublicTalkFactory`` and ``bulk_talks``.
PUBLIC_OUTSIDER = {"outsider_role": "个体工商户", "outsider_relation": Relation.BUSINESS_OWNER}


def bulk_talks(campaign: Campaign, rows: Iterable[dict[str, Any]]) -> list[Talk]:
    """Cards written in bulk, as ``TalkFactory`` would write them one by one: each row
    names the ``member`` and either ``other_member`` (kind "member" unless given) or
    ``outsider_name`` (a talk with the public); the pair key is ``Talk.save``'s, the day
    the analysis stage's first unless given. No history and no announcement: a test
    that reads the ledger rolls it up afterwards (``tests.factories``'s bulk builders)."""
    day = analysis_day(campaign)
    cards = []
    for fields in rows:
        member: Member = fields["member"]
        other: Member | None = fields.get("other_member")
        outsider = fields.get("outsider_name", "")
        n = next(_topics)
        card = {
            "campaign": campaign,
            "kind": TalkKind.MEMBER if other is not None else TalkKind.PUBLIC,
            "talked_on": day,
            "place": PLACE,
            "topics": f"谈心主题B{n}：工作作风与群众路线",
            "member_problems": MEMBER_PROBLEMS,
            "other_problems": OTHER_PROBLEMS,
            "agreed": AGREED,
            "recorder_name": member.name,
            "state": CardState.RECORDED,
            **({} if other is not None else PUBLIC_OUTSIDER),
            **fields,
        }
        card["pair"] = pair_key(member.pk, other.pk if other is not None else None, outsider)
        cards.append(Talk(**card))
    return Talk.objects.bulk_create(cards, batch_size=1000)


_topics = itertools.count(1)
