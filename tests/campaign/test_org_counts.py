"""The member counts on the organisation pages are the members of each subtree: a branch
counts its own members, a unit its branches' and its own, a committee all of its units'."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from campaign import selectors
from campaign.models import OrgUnit
from tests import factories as f

pytestmark = pytest.mark.django_db


def counts_on(html: str) -> dict[str, int]:
    """Name → the row's member count, from the organisation list's rows."""
    rows = re.findall(
        r'<a href="/org/units/\d+/">([^<]+)</a></td><td>[^<]*</td><td>[^<]*</td><td class="num">(\d+)</td>', html
    )
    return {name: int(count) for name, count in rows}


def test_the_organisation_list_counts_each_subtrees_members(world, client):
    # A member of the unit outside any branch counts for the unit, not the branch.
    f.MemberFactory(campaign=world.campaign, unit=world.unit, branch=None, name="赵六INSIDE")
    client.force_login(world.users["office"])
    counts = counts_on(client.get(reverse("campaign:unit_list")).content.decode())
    assert counts[world.branch.name] == 2  # 张三 and 李四, in the branch
    assert counts[world.unit.name] == 3
    assert counts[world.committee.name] == 3
    assert counts[world.county.name] == 4
    assert counts[world.other_branch.name] == 1


def test_a_units_page_counts_its_childrens_subtrees(world, client):
    client.force_login(world.users["office"])
    html = client.get(reverse("campaign:unit_detail", args=[world.unit.pk])).content.decode()
    assert re.search(rf">{world.branch.name}</a></td><td>[^<]*</td><td class=\"num\">2</td>", html)


def test_counting_a_page_of_units_is_one_query(world, django_assert_num_queries):
    units = list(OrgUnit.objects.filter(campaign=world.campaign))
    with django_assert_num_queries(1):
        counted = selectors.count_subtree_members(units)
    assert sum(unit.member_count for unit in counted if unit.parent_id is None) == 3
