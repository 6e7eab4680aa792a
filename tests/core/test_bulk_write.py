"""core.bulk_write.insert_with_history: rows and their history rows, as bulk_create_with_history writes them."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from campaign.models import Member, OrgUnit, OrgUnitKind
from core.bulk_write import insert_with_history
from tests.factories import CampaignFactory, MemberFactory, OrgUnitFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_rows_get_new_ids_and_one_history_row_each() -> None:
    campaign = CampaignFactory()
    unit = OrgUnitFactory(campaign=campaign, kind=OrgUnitKind.UNIT)
    before = MemberFactory(campaign=campaign, unit=unit)
    user = UserFactory()
    when = timezone.now() - datetime.timedelta(minutes=5)
    members = [Member(campaign=campaign, unit=unit, number=f"N{i}", name=f"名{i}") for i in range(3)]

    written = insert_with_history(Member, members, user=user, reason="import org.xlsx", when=when)

    assert [m.pk for m in written] == sorted(m.pk for m in written)
    assert all(m.pk > before.pk and not m._state.adding for m in written)
    stored = {m.number: m for m in Member.objects.filter(pk__in=[m.pk for m in written])}
    assert {n: stored[n].name for n in stored} == {"N0": "名0", "N1": "名1", "N2": "名2"}
    history = Member.history.filter(id__in=[m.pk for m in written])
    assert history.count() == 3
    assert {(h.history_type, h.history_user_id, h.history_change_reason, h.history_date) for h in history} == {
        ("+", user.pk, "import org.xlsx", when)
    }
    assert {h.number for h in history} == {"N0", "N1", "N2"}
    # The next row saved the ordinary way gets an id above them.
    assert MemberFactory(campaign=campaign, unit=unit).pk > max(m.pk for m in written)


def test_prepare_sees_the_ids_before_the_rows_are_written() -> None:
    campaign = CampaignFactory()
    county = OrgUnitFactory(campaign=campaign, kind=OrgUnitKind.COUNTY_COMMITTEE, parent=None)
    units = [
        OrgUnit(campaign=campaign, code=f"U{i}", name=f"单位{i}", kind=OrgUnitKind.PARTY_COMMITTEE, parent=county)
        for i in range(2)
    ]

    def place(new: list[OrgUnit]) -> None:
        for unit in new:
            unit.path = f"{county.path}{unit.pk:08d}/"
            unit.depth = 1

    insert_with_history(OrgUnit, units, user=None, reason="import", when=timezone.now(), prepare=place)

    for unit in units:
        stored = OrgUnit.objects.get(pk=unit.pk)
        assert stored.path == f"{county.path}{unit.pk:08d}/"
        assert OrgUnit.history.get(id=unit.pk).path == stored.path
        assert OrgUnit.history.get(id=unit.pk).history_user_id is None
    assert set(OrgUnit.objects.subtree_of(county).values_list("pk", flat=True)) >= {u.pk for u in units}


def test_nothing_to_write() -> None:
    assert insert_with_history(Member, [], user=None, reason="", when=timezone.now()) == []
