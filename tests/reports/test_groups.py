"""One way for every progress page (reports/ledger/groups.py): the organisations grouped
under their party committee with a subtotal row, the county total at the foot; each
subtotal equals the sum of its units' lines, figure by figure."""

from __future__ import annotations

from collections import Counter

import pytest
from django.urls import reverse

from reports.ledger.figures import Figures
from reports.ledger.groups import grouped
from reports.opinions.selectors import SUMMARY_DIMENSIONS
from tests.campaign.test_home import _populate
from tests.meetings.test_figures_pages import _units_with_meetings
from tests.opinions.factories import OpinionFactory

pytestmark = pytest.mark.django_db

# page → (URL name, the dimensions its lines carry; None: every one of its kind)
PAGES = {
    "opinions": ("reports:general_ledger", tuple(SUMMARY_DIMENSIONS)),
    "talks": ("reports:talks_county", None),
    "documents": ("reports:documents_progress", None),
    "meetings": ("reports:meetings_progress", None),
}


def _sum(figures: list[Figures], dimensions) -> Counter:
    total: Counter = Counter()
    for each in figures:
        for dimension, keys in each.values.items():
            if dimensions is None or dimension in dimensions:
                for key, value in keys.items():
                    total[(dimension, key)] += value
    return +total  # zeros dropped


@pytest.fixture
def busy(world):
    _populate(world, 8)
    _units_with_meetings(world, world.unit.parent, 2)
    _units_with_meetings(world, world.other_unit.parent, 1)
    for member in (world.member, world.other_member):
        for _ in range(3):
            OpinionFactory(target_member=member)
    OpinionFactory(target_member=None, target_unit=world.committee)  # filed under the committee itself
    from reports.ledger.rollup import ledger_rollup_full

    ledger_rollup_full(campaign_id=world.campaign.pk)
    return world


@pytest.mark.parametrize("page", sorted(PAGES))
def test_each_subtotal_is_the_sum_of_its_units(busy, login, page):
    name, dimensions = PAGES[page]
    response = login(busy.users["office"]).get(reverse(name))
    assert response.status_code == 200
    groups = list(response.context["groups"])
    committees = [group for group in groups if group.committee is not None]
    assert {group.committee.pk for group in committees} == {busy.committee.pk, busy.other_committee.pk}
    checked = 0
    for group in committees:
        parts = [line.figures for line in group.lines] + ([group.own.figures] if group.own else [])
        assert _sum([group.subtotal], dimensions) == _sum(parts, dimensions), group.committee.name
        checked += bool(_sum(parts, dimensions))
    assert checked == 2  # both committees hold figures: the equality is not 0 == 0
    # The county total is the sum of every group.
    every = [line.figures for group in groups for line in group.lines] + [g.own.figures for g in groups if g.own]
    assert _sum([response.context["totals"]], dimensions) == _sum(every, dimensions)
    text = response.content.decode()
    assert 'class="subtotal"' in text and f"?committee={busy.committee.pk}" in text


def test_a_secretary_sees_no_committee_row(busy, login):
    response = login(busy.users["secretary"]).get(reverse("reports:talks_county"))
    groups = list(response.context["groups"])
    assert [group.committee for group in groups] == [None]
    assert 'class="subtotal"' not in response.content.decode()


def test_the_committees_own_line_shows_only_when_it_holds_a_figure(world):
    class Line:
        def __init__(self, unit, values):
            self.unit, self.figures = unit, Figures(values)

    committee, unit = world.committee, world.unit
    empty = grouped([Line(committee, {}), Line(unit, {"d": {"k": 2}})], [(committee, Figures({"d": {"k": 2}}))])
    assert empty[0].own is None and [line.unit for line in empty[0].lines] == [unit]
    held = grouped([Line(committee, {"d": {"k": 1}}), Line(unit, {})], [(committee, Figures({"d": {"k": 1}}))])
    assert held[0].own.unit == committee
    loose = grouped([Line(world.county, {"d": {"k": 1}})], [(committee, Figures())])
    assert loose[0].committee is None and loose[0].subtotal is None


def test_the_county_committees_empty_line_is_left_out(world):
    class Line:
        def __init__(self, unit, values):
            self.unit, self.figures = unit, Figures(values)

    assert grouped([Line(world.county, {})], []) == []
    assert grouped([Line(world.county, {"d": {"k": 1}})], [])[0].lines[0].unit == world.county
