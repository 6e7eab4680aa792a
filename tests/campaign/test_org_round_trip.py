"""The organisation export carries every org fact: exported, then imported into a
campaign that holds nothing yet (new ids for everything, as in a fresh database), the
whole organisation compares equal field by field, and the restored campaign accepts
its own talk export (the charge talks need the units' responsible leaders)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.utils import translation

from campaign.models import Campaign, LeadershipTeam, Member, OrgUnit, Rank, SupervisoryTeam
from campaign.resources import export_campaign
from talks.imports import talks_import
from talks.models import Talk, TalkKind
from talks.resources import export_bytes
from tests import factories as f
from tests.campaign.importing import UNIT_HEADERS, messages, run, xlsx
from tests.talks.factories import PublicTalkFactory, TalkFactory, analysis_day


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def org_snapshot(campaign: Campaign) -> dict[str, Any]:
    """Every org fact of the campaign, by the keys that survive a trip (codes, numbers, names)."""
    units = {
        u.code: (
            u.name,
            u.kind,
            u.parent.code if u.parent else "",
            u.responsible_leader.number if u.responsible_leader else "",
            u.depth,
        )
        for u in OrgUnit.objects.filter(campaign=campaign).select_related("parent", "responsible_leader")
    }
    members = {
        m.number: (
            m.name,
            m.unit.code,
            m.branch.code if m.branch else "",
            m.rank,
            m.position,
            sorted(u.code for u in m.in_charge_of.all()),
        )
        for m in Member.objects.filter(campaign=campaign).select_related("unit", "branch")
    }
    teams = {
        t.code: (
            t.name,
            t.kind,
            t.unit.code,
            t.head.number if t.head else "",
            sorted(m.number for m in t.members.all()),
        )
        for t in LeadershipTeam.objects.filter(campaign=campaign).select_related("unit", "head")
    }
    supervisory = {
        t.name: (
            t.level,
            sorted((s.name, s.is_leader) for s in t.supervisors.all()),
            sorted(u.code for u in t.units.all()),
        )
        for t in SupervisoryTeam.objects.filter(campaign=campaign)
    }
    return {"units": units, "members": members, "teams": teams, "supervisory": supervisory}


def talk_snapshot(campaign: Campaign) -> list[tuple[Any, ...]]:
    return sorted(
        (
            t.member.number,
            t.other_member.number if t.other_member else "",
            t.outsider_name,
            t.kind,
            t.talked_on,
            t.topics,
        )
        for t in Talk.objects.filter(campaign=campaign).select_related("member", "other_member")
    )


@pytest.fixture
def full_org(world):
    """The world with every org fact set: responsible leaders, charges, a county leader
    in charge of a unit, team seats and heads, supervisors, and talks of every kind."""
    colleague = Member.objects.get(campaign=world.campaign, name="李四INSIDE")
    cadre = f.MemberFactory(
        campaign=world.campaign,
        unit=world.unit,
        name="赵县长",
        number="LDR1",
        rank=Rank.COUNTY_LEADER,
        position="副县长",
    )
    cadre.in_charge_of.add(world.unit, world.other_unit)
    for unit, leader in ((world.unit, colleague), (world.other_unit, world.other_member)):
        unit.responsible_leader = leader
        unit.save()
    team = world.campaign.supervisory_teams.get(name="县第一督导组")
    f.SupervisorFactory(team=team, name="组员甲")
    day = analysis_day(world.campaign, 2)
    TalkFactory(campaign=world.campaign, member=colleague, other_member=world.member, kind=TalkKind.TEAM, talked_on=day)
    TalkFactory(campaign=world.campaign, member=cadre, other_member=colleague, kind=TalkKind.CHARGE, talked_on=day)
    TalkFactory(
        campaign=world.campaign, member=cadre, other_member=world.other_member, kind=TalkKind.CHARGE, talked_on=day
    )
    TalkFactory(campaign=world.campaign, member=world.member, other_member=world.other_member, kind=TalkKind.MEMBER)
    PublicTalkFactory(campaign=world.campaign, member=world.member, talked_on=day)
    return world


def fresh_copy(campaign: Campaign) -> Campaign:
    copy = f.CampaignFactory(slug="restored", name="恢复", starts_on=campaign.starts_on, ends_on=campaign.ends_on)
    f.add_stages(copy)
    for stage in copy.stages.all():
        original = campaign.stages.get(kind=stage.kind)
        stage.starts_on, stage.ends_on = original.starts_on, original.ends_on
        stage.save()
    return copy


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_org_export_restores_every_org_fact_and_its_talks(full_org, language):
    campaign = full_org.campaign
    with translation.override(language):
        exported = export_campaign(campaign)
        copy = fresh_copy(campaign)
        report = run(copy, exported, "org.xlsx")
        assert report.ok, messages(report)
        assert org_snapshot(copy) == org_snapshot(campaign)
        assert sum(1 for unit in org_snapshot(copy)["units"].values() if unit[3]) == 2  # leaders came back
        for extension in ("xlsx", "csv"):
            talks = export_bytes(Talk.objects.filter(campaign=campaign), extension)
            outcome = talks_import(
                campaign=copy, user=None, source=io.BytesIO(talks), filename=f"talks.{extension}", dry_run=True
            )
            assert outcome.ok, [str(e) for e in outcome.errors]
            assert outcome.rows == Talk.objects.filter(campaign=campaign).count() == 5
        talks_import(
            campaign=copy,
            user=None,
            source=io.BytesIO(export_bytes(Talk.objects.filter(campaign=campaign), "csv")),
            filename="talks.csv",
            dry_run=False,
        )
        assert talk_snapshot(copy) == talk_snapshot(campaign)


def test_responsible_leaders_go_out_and_come_back(full_org):
    with translation.override("en"):
        exported = export_campaign(full_org.campaign)
        copy = fresh_copy(full_org.campaign)
        assert run(copy, exported).ok
    leaders = dict(
        OrgUnit.objects.filter(campaign=copy, responsible_leader__isnull=False).values_list(
            "code", "responsible_leader__number"
        )
    )
    colleague = Member.objects.get(campaign=full_org.campaign, name="李四INSIDE")
    assert leaders == {full_org.unit.code: colleague.number, full_org.other_unit.code: full_org.other_member.number}


def test_a_leader_number_unknown_anywhere_is_refused_at_its_cell(world):
    data = xlsx({"units": [[*UNIT_HEADERS, "Responsible leader number"], ["NU", "新单位", "Unit", "C", "NOBODY"]]})
    with translation.override("en"):
        report = run(world.campaign, data)
        assert messages(report) == [
            "units row 2, column Responsible leader number: No member has the number NOBODY in this campaign "
            "or earlier in the file."
        ]
    assert not OrgUnit.objects.filter(campaign=world.campaign, code="NU").exists()


def test_a_leader_named_on_the_units_sheet_may_come_later_in_the_members_sheet(world):
    data = xlsx(
        {
            "units": [[*UNIT_HEADERS, "负责人编号"], ["NU", "新单位", "Unit", "C", "NEW1"]],
            "members": [["Number", "Name", "Unit code"], ["NEW1", "新负责人", "NU"]],
        }
    )
    with translation.override("en"):
        report = run(world.campaign, data)
    assert report.ok, messages(report)
    unit = OrgUnit.objects.get(campaign=world.campaign, code="NU")
    assert unit.responsible_leader is not None and unit.responsible_leader.number == "NEW1"


def test_changing_only_the_leader_counts_the_unit_as_updated_and_a_blank_cell_clears_it(world):
    leader = world.member
    code = world.unit.code
    with translation.override("en"):
        exported_row = [code, world.unit.name, "Unit", world.committee.code]
        report = run(
            world.campaign,
            xlsx({"units": [[*UNIT_HEADERS, "Responsible leader number"], [*exported_row, leader.number]]}),
        )
        assert report.ok, messages(report)
        assert (report.counts[0].updated, report.counts[0].unchanged) == (1, 0)
        world.unit.refresh_from_db()
        assert world.unit.responsible_leader_id == leader.pk
        report = run(
            world.campaign, xlsx({"units": [[*UNIT_HEADERS, "Responsible leader number"], [*exported_row, ""]]})
        )
        assert report.ok, messages(report)
    world.unit.refresh_from_db()
    assert world.unit.responsible_leader_id is None
    # A file without the column leaves the leader alone.
    world.unit.responsible_leader = leader
    world.unit.save()
    with translation.override("en"):
        assert run(world.campaign, xlsx({"units": [UNIT_HEADERS, exported_row]})).ok
    world.unit.refresh_from_db()
    assert world.unit.responsible_leader_id == leader.pk


def test_new_records_written_in_bulk_keep_their_history_and_are_announced(world):
    """The fast path (campaign.org_bulk): history rows with the seats and charges of each
    new record, and the followers told (talks: outbox rows for the new units)."""
    from campaign.models import ChangeOutbox

    before = set(ChangeOutbox.objects.values_list("pk", flat=True))
    data = xlsx(
        {
            "units": [[*UNIT_HEADERS, "Responsible leader number"], ["NU", "新单位", "Unit", "C", "N1"]],
            "members": [
                ["Number", "Name", "Unit code", "Rank", "Units in charge"],
                ["N1", "新一", "NU", "Section-level cadre", ""],
                ["N2", "新二", "NU", "County-level leading cadre", "NU"],
            ],
            "teams": [
                ["Code", "Name", "Kind", "Unit code", "Head number", "Member numbers"],
                ["NT", "新班子", "Department team", "NU", "N1", "N1, N2"],
            ],
        }
    )
    with translation.override("en"):
        report = run(world.campaign, data)
    assert report.ok, messages(report)
    assert [c.created for c in report.counts] == [1, 2, 1]
    team = LeadershipTeam.objects.get(campaign=world.campaign, code="NT")
    created = team.history.get(history_type="+")
    assert sorted(m.member.number for m in created.members.all()) == ["N1", "N2"]
    cadre = Member.objects.get(campaign=world.campaign, number="N2")
    assert [u.orgunit.code for u in cadre.history.get(history_type="+").in_charge_of.all()] == ["NU"]
    unit = OrgUnit.objects.get(campaign=world.campaign, code="NU")
    assert unit.path == f"{world.county.path}{unit.pk:08d}/" and unit.responsible_leader.number == "N1"
    announced = ChangeOutbox.objects.exclude(pk__in=before)
    assert {(row.source, row.unit_id) for row in announced} >= {("talks", unit.pk), ("documents", unit.pk)}
