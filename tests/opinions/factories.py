"""Factories for opinions and solicitation events.

``OpinionFactory`` derives the category and ledger unit from the target the way the
services do, so that a row built here looks like one the services wrote. Tests of
the services' behaviour call the services themselves."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterable
from typing import Any

import factory

from campaign.models import Campaign
from opinions.models import Channel, EventLevel, Opinion, OpinionKind, SolicitationEvent
from opinions.services import Target, derive
from tests import factories as f


class SolicitationEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SolicitationEvent

    campaign = factory.SelfAttribute("unit.campaign")
    unit = factory.SubFactory(f.OrgUnitFactory)
    channel = Channel.FORUM
    title = factory.Sequence(lambda n: f"座谈会{n}")
    level = EventLevel.UNIT
    held_on = factory.LazyAttribute(lambda o: o.campaign.starts_on + datetime.timedelta(days=20))


def _target(o: object) -> Target:
    return Target(team=o.target_team, member=o.target_member, unit=o.target_unit)


class OpinionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opinion

    target_team = None
    target_member = factory.SubFactory(f.MemberFactory)
    target_unit = None
    campaign = factory.LazyAttribute(lambda o: _target(o).obj.campaign)
    kind = OpinionKind.OPINION
    text = factory.Sequence(lambda n: f"意见内容{n}：工作作风有待改进")
    channel = Channel.FORUM
    received_on = factory.LazyAttribute(lambda o: o.campaign.starts_on + datetime.timedelta(days=30))
    category = factory.LazyAttribute(lambda o: derive(_target(o))[0])
    ledger_unit = factory.LazyAttribute(lambda o: derive(_target(o))[1])


_texts = itertools.count(1)


def bulk_opinions(campaign: Campaign, rows: Iterable[tuple[Target, dict[str, Any]]]) -> list[Opinion]:
    """Opinions written in bulk, each about its ``Target`` with the category and ledger
    unit the services derive from it (``opinions.services.derive``), and otherwise
    ``OpinionFactory``'s fields unless a row gives its own. No history and no
    announcement: a test that reads the ledger rolls it up once afterwards
    (``reports.ledger.rollup.ledger_rollup_full``)."""
    received_on = campaign.starts_on + datetime.timedelta(days=30)
    opinions = []
    for target, fields in rows:
        category, ledger_unit = derive(target)
        opinions.append(
            Opinion(
                **{
                    "campaign": campaign,
                    "kind": OpinionKind.OPINION,
                    "text": f"意见内容B{next(_texts)}：工作作风有待改进",
                    "channel": Channel.FORUM,
                    "received_on": received_on,
                    "target_team": target.team,
                    "target_member": target.member,
                    "target_unit": target.unit,
                    "category": category,
                    "ledger_unit": ledger_unit,
                    **fields,
                }
            )
        )
    return Opinion.objects.bulk_create(opinions, batch_size=500)
