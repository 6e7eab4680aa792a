"""The org-path repair job (campaign.maintenance) and its management command."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from campaign.maintenance import org_paths_rebuild
from campaign.models import OrgUnit, OrgUnitKind
from tests import factories as f


def paths(campaign) -> dict[int, tuple[str, int]]:
    rows = OrgUnit.objects.filter(campaign=campaign).values_list("pk", "path", "depth")
    return {pk: (path, depth) for pk, path, depth in rows}


def test_healthy_tree_needs_no_fix(world):
    before = paths(world.campaign)
    assert org_paths_rebuild(campaign_id=world.campaign.pk) == 0
    assert paths(world.campaign) == before


def test_wiped_paths_are_rebuilt_from_parent_links(world):
    before = paths(world.campaign)
    OrgUnit.objects.filter(campaign=world.campaign).exclude(pk=world.county.pk).update(path="", depth=0)
    assert org_paths_rebuild(campaign_id=world.campaign.pk) == 6
    assert paths(world.campaign) == before
    assert set(OrgUnit.objects.subtree_of(world.committee)) == {world.committee, world.unit, world.branch}
    assert org_paths_rebuild(campaign_id=world.campaign.pk) == 0, "a second run finds nothing"


def test_rows_loaded_around_save_get_their_paths(world):
    loaded = OrgUnit.objects.bulk_create(
        [OrgUnit(campaign=world.campaign, parent=world.unit, kind=OrgUnitKind.BRANCH, code="B9", name="新支部")]
    )[0]
    assert org_paths_rebuild(campaign_id=world.campaign.pk) == 1
    loaded.refresh_from_db()
    assert loaded.path == f"{world.unit.path}{loaded.pk:08d}/"
    assert loaded.depth == 3
    assert loaded.is_within(world.committee)


def test_a_move_made_by_update_is_followed_by_the_whole_subtree(world):
    # A raw re-parenting: the unit (and its branch) move to the other committee.
    OrgUnit.objects.filter(pk=world.unit.pk).update(parent=world.other_committee)
    assert org_paths_rebuild(campaign_id=world.campaign.pk) == 2
    moved = {world.other_committee, world.other_unit, world.other_branch, world.unit, world.branch}
    assert set(OrgUnit.objects.subtree_of(world.other_committee)) == moved
    assert set(OrgUnit.objects.subtree_of(world.committee)) == {world.committee}


def test_only_the_named_campaign_is_touched(world):
    other = f.OrgUnitFactory(kind=OrgUnitKind.COUNTY_COMMITTEE)
    OrgUnit.objects.filter(pk=other.pk).update(path="/broken/")
    assert org_paths_rebuild(campaign_id=world.campaign.pk) == 0
    other.refresh_from_db()
    assert other.path == "/broken/"


def test_a_loop_in_parent_links_is_refused_and_nothing_is_written(world):
    OrgUnit.objects.filter(pk=world.committee.pk).update(parent=world.branch)
    OrgUnit.objects.filter(pk=world.other_branch.pk).update(path="")
    with pytest.raises(ValidationError) as error:
        org_paths_rebuild(campaign_id=world.campaign.pk)
    message = error.value.message_dict["parent"][0]
    for name in (world.committee.name, world.unit.name, world.branch.name):
        assert name in message
    assert world.other_unit.name not in message
    assert OrgUnit.objects.get(pk=world.other_branch.pk).path == "", "all or nothing"


def test_a_parent_in_another_campaign_is_refused(world):
    stranger = f.OrgUnitFactory(kind=OrgUnitKind.PARTY_COMMITTEE)
    OrgUnit.objects.filter(pk=world.unit.pk).update(parent=stranger)
    with pytest.raises(ValidationError) as error:
        org_paths_rebuild(campaign_id=world.campaign.pk)
    assert world.unit.name in error.value.message_dict["parent"][0]


def test_unknown_campaign_is_refused(db):
    with pytest.raises(ValidationError) as error:
        org_paths_rebuild(campaign_id=424242)
    assert "424242" in error.value.message_dict["campaign"][0]


def test_queries_do_not_grow_with_the_tree(world):
    OrgUnit.objects.filter(campaign=world.campaign).update(path="")
    with CaptureQueriesContext(connection) as small:
        org_paths_rebuild(campaign_id=world.campaign.pk)
    for i in range(60):
        f.OrgUnitFactory(campaign=world.campaign, kind=OrgUnitKind.BRANCH, parent=world.unit, code=f"X{i}")
    OrgUnit.objects.filter(campaign=world.campaign).update(path="")
    with CaptureQueriesContext(connection) as large:
        assert org_paths_rebuild(campaign_id=world.campaign.pk) == 67
    assert len(large) == len(small)


@pytest.fixture
def english():
    with translation.override("en"):
        yield


def test_command_reports_what_it_fixed(world, capsys, english):
    OrgUnit.objects.filter(pk=world.branch.pk).update(path="", depth=0)
    call_command("rebuild_org_paths", "--campaign", "demo")
    assert "示范县第一批: 1 organisation(s) had a wrong path or depth and were fixed." in capsys.readouterr().out
    call_command("rebuild_org_paths", "--campaign", "demo")
    assert ": 0 organisation(s)" in capsys.readouterr().out


def test_command_names_the_known_campaigns_for_an_unknown_code(world, english):
    with pytest.raises(CommandError, match=r"No campaign has the code nowhere \(known codes: demo\)"):
        call_command("rebuild_org_paths", "--campaign", "nowhere")


def test_command_shows_the_services_message(world):
    OrgUnit.objects.filter(pk=world.committee.pk).update(parent=world.branch)
    with pytest.raises(CommandError, match=world.branch.name):
        call_command("rebuild_org_paths", "--campaign", "demo")
