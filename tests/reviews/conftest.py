"""Helpers for the self-analysis document tests: text of a given length, a member with
a login, a document written and submitted through the services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from campaign.models import Member, Rank
from reviews import services
from reviews.models import SECTION_FIELDS, AnalysisDocument
from tests import factories as f

SENTENCE = "对照党章要求查找自身在学习和工作中存在的差距"  # 22 characters, 22 words


def words(n: int) -> str:
    """Chinese text of exactly ``n`` words, in sentences of 22 characters and a full stop."""
    whole, rest = divmod(n, len(SENTENCE))
    return "。".join([SENTENCE] * whole + ([SENTENCE[:rest]] if rest else [])) + "。"


def sections_of(total: int) -> dict[str, str]:
    """Seven sections that add up to ``total`` words."""
    share, extra = divmod(total, len(SECTION_FIELDS))
    return {name: words(share + (extra if i == 0 else 0)) for i, name in enumerate(SECTION_FIELDS)}


ALL_CONFIRMED = dict.fromkeys(services.COMPARISONS, True)


@pytest.fixture
def author(world: Any) -> Member:
    return world.member  # an ordinary member with a login, in the world's unit


@pytest.fixture
def write(world: Any) -> Callable[..., AnalysisDocument]:
    def _write(member: Member, total: int, *, confirm: bool = True) -> AnalysisDocument:
        document = services.document_get_or_create(member=member)
        return services.document_save(
            document=document,
            user=member.user,
            sections=sections_of(total),
            comparisons=ALL_CONFIRMED if confirm else {},
        )

    return _write


@pytest.fixture
def reviewer(world: Any) -> Member:
    """The world unit's responsible leader, with a login: the reviewer of ordinary members."""
    leader = f.MemberFactory(
        campaign=world.campaign,
        unit=world.unit,
        name="单位负责人",
        rank=Rank.SECTION_CADRE,
        user=f.UserFactory(username="unit-leader"),
    )
    world.unit.responsible_leader = leader
    world.unit.save()
    return leader


@pytest.fixture(autouse=True)
def english(settings: Any) -> Any:
    """The assertions read the English messages, whatever the catalogue holds: the
    services in the active language, the pages in LANGUAGE_CODE (the test client sends
    no Accept-Language)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
