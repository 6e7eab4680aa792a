"""The demo county as `manage.py seed_demo` builds it: the org tree, members, teams,
supervisory teams, logins and scopes, exactly (tests/demo/conftest.py seeds it once)."""

from __future__ import annotations

from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError
from django.urls import reverse
from django.utils import timezone

from campaign import demo
from campaign.models import (
    Campaign,
    LeadershipTeam,
    Member,
    OrgUnit,
    OrgUnitKind,
    Rank,
    RoleAssignment,
    RoleKind,
    Stage,
    StageKind,
    StepKind,
    Supervisor,
    SupervisoryLevel,
    SupervisoryTeam,
    TeamKind,
)
from campaign.scoping import scope_for
from tests.demo.helpers import EXPECTED_RANKS, fresh_user, seed, visible

User = get_user_model()


@pytest.mark.django_db
@pytest.mark.usefixtures("seeded")
class TestDemoCounty:
    def test_campaign_is_in_analysis_and_evaluation_since_march_17_of_the_story(self, seeded):
        campaign = seeded.campaign
        assert campaign.name == "某县第一批保持共产党员先进性教育活动"
        assert campaign.county == "某县"
        assert campaign.batch == 1
        stages = list(campaign.stages.order_by("order"))
        assert [stage.kind for stage in stages] == [StageKind.LEARNING, StageKind.ANALYSIS, StageKind.RECTIFICATION]
        current = campaign.current_stage
        assert current.kind == StageKind.ANALYSIS
        # The seed's 17 March, moved with the story so that its 16 April is today.
        assert current.starts_on == demo.STORY_STARTS.replace(month=3, day=17) + demo.story_offset()
        assert current.starts_on <= timezone.localdate() <= current.ends_on
        assert stages[0].ends_on < current.starts_on and current.ends_on < stages[2].starts_on
        steps = list(current.steps.order_by("order"))
        assert [step.kind for step in steps] == list(StepKind.values)
        assert all(current.starts_on <= step.starts_on <= step.ends_on <= current.ends_on for step in steps)
        assert Stage.objects.filter(campaign=campaign, is_current=True).count() == 1

    def test_org_tree_has_exactly_15_committees_91_units_287_branches(self, seeded):
        units = OrgUnit.objects.filter(campaign=seeded.campaign)
        counts = Counter(units.values_list("kind", flat=True))
        assert counts == {
            OrgUnitKind.COUNTY_COMMITTEE: 1,
            OrgUnitKind.PARTY_COMMITTEE: 15,
            OrgUnitKind.UNIT: 91,
            OrgUnitKind.BRANCH: 287,
        }
        county = units.get(kind=OrgUnitKind.COUNTY_COMMITTEE)
        assert county.name == "中共某县委员会"
        assert set(units.filter(kind=OrgUnitKind.PARTY_COMMITTEE).values_list("parent", flat=True)) == {county.pk}
        names = set(units.filter(kind=OrgUnitKind.PARTY_COMMITTEE).values_list("name", flat=True))
        assert {
            "县直机关工委",
            "县教育系统党委",
            "县卫生系统党委",
            "县农业系统党委",
            "城关镇党委",
            "青山乡党委",
        } <= names

    def test_every_branch_sits_under_a_unit_and_every_unit_has_a_branch(self, seeded):
        units = OrgUnit.objects.filter(campaign=seeded.campaign)
        by_pk = {unit.pk: unit for unit in units}
        branches = [unit for unit in units if unit.kind == OrgUnitKind.BRANCH]
        assert all(by_pk[branch.parent_id].kind == OrgUnitKind.UNIT for branch in branches)
        assert {branch.parent_id for branch in branches} == {u.pk for u in units if u.kind == OrgUnitKind.UNIT}
        assert all(by_pk[u.parent_id].kind == OrgUnitKind.PARTY_COMMITTEE for u in units if u.kind == "unit")

    def test_branch_names_start_with_their_units_name_and_never_say_jiguan_twice(self, seeded):
        units = {unit.pk: unit for unit in OrgUnit.objects.filter(campaign=seeded.campaign)}
        branches = [unit for unit in units.values() if unit.kind == OrgUnitKind.BRANCH]
        assert all(branch.name.startswith(units[branch.parent_id].name) for branch in branches)
        assert not [branch.name for branch in branches if "机关机关" in branch.name]
        assert any(branch.name.endswith("乡机关第一党支部") for branch in branches)

    def test_paths_are_what_save_would_compute(self, seeded):
        for unit in OrgUnit.objects.filter(campaign=seeded.campaign).select_related("parent"):
            parent_path = unit.parent.path if unit.parent else "/"
            assert unit.path == f"{parent_path}{unit.pk:08d}/"
            assert unit.depth == unit.path.count("/") - 2
        committee = OrgUnit.objects.get(campaign=seeded.campaign, name="县教育系统党委")
        assert OrgUnit.objects.subtree_of(committee).filter(kind=OrgUnitKind.UNIT).count() == 6

    def test_members_of_every_rank_with_unique_numbers(self, seeded):
        members = Member.objects.filter(campaign=seeded.campaign)
        assert Counter(members.values_list("rank", flat=True)) == EXPECTED_RANKS
        assert members.count() == 2600
        assert members.values("number").distinct().count() == 2600
        assert members.values("name").distinct().count() == 2600

    def test_every_member_is_in_a_branch_of_his_unit_and_every_branch_has_three(self, seeded):
        members = list(Member.objects.filter(campaign=seeded.campaign).select_related("unit", "branch"))
        assert all(m.branch is not None and m.branch.parent_id == m.unit_id for m in members)
        assert all(m.unit.kind == OrgUnitKind.UNIT for m in members)
        per_branch = Counter(m.branch_id for m in members)
        assert len(per_branch) == 287
        assert min(per_branch.values()) >= 3

    def test_each_unit_has_a_section_level_responsible_leader_of_its_own(self, seeded):
        units = OrgUnit.objects.filter(campaign=seeded.campaign, kind=OrgUnitKind.UNIT).select_related(
            "responsible_leader"
        )
        for unit in units:
            assert unit.responsible_leader.rank == Rank.SECTION_CADRE
            assert unit.responsible_leader.unit_id == unit.pk

    def test_leadership_teams_standing_committee_four_county_teams_and_one_per_unit(self, seeded):
        teams = LeadershipTeam.objects.filter(campaign=seeded.campaign)
        assert Counter(teams.values_list("kind", flat=True)) == {
            TeamKind.STANDING_COMMITTEE: 1,
            TeamKind.PARTY_COMMITTEE: 1,
            TeamKind.PEOPLES_CONGRESS: 1,
            TeamKind.GOVERNMENT: 1,
            TeamKind.CPPCC: 1,
            TeamKind.DEPARTMENT: 91,
        }
        standing = teams.get(kind=TeamKind.STANDING_COMMITTEE)
        assert set(standing.members.values_list("rank", flat=True)) == {Rank.STANDING_COMMITTEE}
        assert standing.members.count() == 11
        county = OrgUnit.objects.get(campaign=seeded.campaign, kind=OrgUnitKind.COUNTY_COMMITTEE)
        assert set(teams.exclude(kind=TeamKind.DEPARTMENT).values_list("unit", flat=True)) == {county.pk}
        department_units = list(teams.filter(kind=TeamKind.DEPARTMENT).values_list("unit__kind", flat=True))
        assert department_units == ["unit"] * 91
        assert teams.filter(kind=TeamKind.DEPARTMENT).values("unit").distinct().count() == 91

    def test_every_team_head_is_a_member_of_the_team(self, seeded):
        for team in LeadershipTeam.objects.filter(campaign=seeded.campaign).prefetch_related("members"):
            assert team.head in team.members.all(), team.name
            assert team.members.count() >= 2

    def test_every_county_level_cadre_is_in_charge_of_units_and_every_unit_is_in_someones_charge(self, seeded):
        members = Member.objects.filter(campaign=seeded.campaign)
        county_level = members.filter(rank__in=[Rank.STANDING_COMMITTEE, Rank.COUNTY_LEADER])
        assert not county_level.filter(in_charge_of=None).exists()
        assert not members.filter(rank__in=[Rank.SECTION_CADRE, Rank.ORDINARY]).exclude(in_charge_of=None).exists()
        units = OrgUnit.objects.filter(campaign=seeded.campaign, kind=OrgUnitKind.UNIT)
        assert not units.filter(leaders_in_charge=None).exists()
        assert set(county_level.values_list("in_charge_of__kind", flat=True)) == {OrgUnitKind.UNIT}

    def test_fifteen_county_teams_of_three_supervise_each_unit_exactly_once(self, seeded):
        teams = SupervisoryTeam.objects.filter(campaign=seeded.campaign)
        assert Counter(teams.values_list("level", flat=True)) == {
            SupervisoryLevel.COUNTY: 15,
            SupervisoryLevel.MUNICIPAL: 1,
        }
        supervisors = Supervisor.objects.filter(team__campaign=seeded.campaign)
        assert supervisors.count() == 48
        for team in teams.prefetch_related("supervisors"):
            assert len(team.supervisors.all()) == 3
            assert sum(s.is_leader for s in team.supervisors.all()) == 1
        units = OrgUnit.objects.filter(campaign=seeded.campaign, kind=OrgUnitKind.UNIT)
        per_unit = Counter(units.filter(supervisory_teams__level=SupervisoryLevel.COUNTY).values_list("pk", flat=True))
        assert len(per_unit) == 91
        assert set(per_unit.values()) == {1}

    def test_the_audit_trail_holds_every_seeded_row(self, seeded):
        campaign = seeded.campaign
        assert Member.history.filter(campaign_id=campaign.pk, history_type="+").count() == 2600
        assert OrgUnit.history.filter(campaign_id=campaign.pk, history_type="+").count() == 394
        standing = LeadershipTeam.objects.get(campaign=campaign, kind=TeamKind.STANDING_COMMITTEE)
        assert standing.history.latest().members.count() == 11

    def test_a_second_run_is_refused_and_changes_nothing(self, seeded):
        with pytest.raises(CommandError, match="already exists"):
            seed("--with-demo-users")
        assert Campaign.objects.count() == 1
        assert Member.objects.count() == 2600

    def test_if_empty_does_nothing_on_a_seeded_database(self, seeded):
        output = seed("--if-empty", "--with-demo-users")
        assert "not seeded" in output
        assert Campaign.objects.count() == 1
        assert OrgUnit.objects.count() == 394
        assert User.objects.count() == len(demo.USERNAMES) == 9

    def test_output_lists_totals_elapsed_time_and_the_demo_logins(self, seeded):
        output = seeded.output
        assert "2,600" in output and "287" in output
        assert "Seeded" in output
        for username in demo.USERNAMES:
            assert f" {username} " in output
        assert output.count(demo.DEMO_PASSWORD) >= len(demo.USERNAMES)

    def test_output_is_the_commands_own_lines_and_nothing_logged_besides(self, seeded):
        """Issue 16: no "Task reports.rollup_units[…] succeeded" among the step lines (the
        background tasks the seed sets off run on the spot, in Celery's eager mode)."""
        assert seeded.errors == ""
        assert [f"{r.name}: {r.getMessage()}" for r in seeded.logged if r.name.startswith(("celery", "kombu"))] == []
        lines = [line for line in seeded.output.splitlines() if line.strip()]
        assert not [line for line in lines if line.startswith("Task ") or "succeeded in" in line]
        # The first lines are the steps': "label: figures (1.23 s)".
        assert all(line.endswith(" s)") for line in lines[:5])

    def test_every_demo_login_signs_in_with_the_shared_password(self, seeded, client):
        assert set(User.objects.values_list("username", flat=True)) == set(demo.USERNAMES)
        # One hash serves all nine (hashing is slow on purpose), so one sign-in proves them all.
        assert User.objects.values("password").distinct().count() == 1
        response = client.post(reverse("login"), {"username": "secretary", "password": demo.DEMO_PASSWORD})
        assert response.status_code == 302
        assert response.wsgi_request.user.username == "secretary"

    def test_admin_is_superuser_and_office_staff_use_the_admin_through_their_group(self, seeded):
        admin = fresh_user("admin")
        assert admin.is_superuser and admin.is_staff
        office = fresh_user("office")
        assert office.is_staff and not office.is_superuser
        assert office.groups.filter(name="县先进性教育办").exists()
        assert office.has_perms(["campaign.view_member", "campaign.change_orgunit", "campaign.add_supervisor"])
        assert RoleAssignment.objects.filter(user=office, kind=RoleKind.OFFICE, campaign=seeded.campaign).exists()
        for username in ("supervisor", "municipal", "secretary", "member", "leader", "responsible", "branchsec"):
            assert not fresh_user(username).is_staff

    def test_office_staff_open_the_campaign_admin(self, seeded, login):
        client = login(fresh_user("office"))
        response = client.get(reverse("admin:campaign_member_changelist"), {"q": "县委书记"})
        assert response.status_code == 200
        assert "县委书记" in response.content.decode()
        assert client.get(reverse("admin:auth_user_changelist")).status_code == 403

    def test_admin_office_and_municipal_supervisor_see_the_whole_county(self, seeded):
        everything = set(OrgUnit.objects.values_list("pk", flat=True))
        for username in ("admin", "office", "municipal"):
            assert visible(username, OrgUnit.objects.all()) == everything, username
        assert scope_for(fresh_user("office")).can("campaign.manage")
        assert not scope_for(fresh_user("municipal")).can("campaign.manage")
        municipal = Supervisor.objects.get(user__username="municipal")
        assert municipal.is_leader and municipal.team.level == SupervisoryLevel.MUNICIPAL

    def test_county_supervisor_sees_the_units_of_his_team_and_their_branches(self, seeded):
        supervisor = Supervisor.objects.select_related("team").get(user__username="supervisor")
        assert supervisor.is_leader and supervisor.team.level == SupervisoryLevel.COUNTY
        team_units = list(supervisor.team.units.all())
        expected = {
            pk
            for unit in team_units
            for pk in OrgUnit.objects.subtree_of(unit).values_list("pk", flat=True)  # noqa: PERF401
        }
        assert visible("supervisor", OrgUnit.objects.all()) == expected
        assert visible("supervisor", Member.objects.all()) == set(
            Member.objects.filter(unit__in=team_units).values_list("pk", flat=True)
        )

    def test_secretary_sees_only_his_units_subtree(self, seeded):
        role = RoleAssignment.objects.select_related("unit").get(user__username="secretary")
        assert role.kind == RoleKind.SECRETARY
        unit = role.unit
        assert unit.kind == OrgUnitKind.UNIT
        assert visible("secretary", OrgUnit.objects.all()) == set(
            OrgUnit.objects.subtree_of(unit).values_list("pk", flat=True)
        )
        assert len(visible("secretary", OrgUnit.objects.all())) == 1 + unit.children.count()
        assert visible("secretary", Member.objects.all()) == set(unit.members.values_list("pk", flat=True))
        assert visible("secretary", LeadershipTeam.objects.all()) == set(unit.teams.values_list("pk", flat=True))

    def test_member_sees_only_his_own_records(self, seeded):
        member = Member.objects.select_related("unit", "branch").get(user__username="member")
        assert member.rank == Rank.ORDINARY
        assert visible("member", Member.objects.all()) == {member.pk}
        assert visible("member", OrgUnit.objects.all()) == {int(pk) for pk in member.branch.path.strip("/").split("/")}
        assert visible("member", SupervisoryTeam.objects.all()) == set()

    def test_leader_is_a_standing_committee_member_who_sees_only_his_own_records(self, seeded):
        leader = Member.objects.get(user__username="leader")
        assert leader.rank == Rank.STANDING_COMMITTEE
        assert visible("leader", Member.objects.all()) == {leader.pk}
        assert visible("leader", LeadershipTeam.objects.all()) == set(leader.teams.values_list("pk", flat=True))
        assert set(leader.teams.values_list("kind", flat=True)) == {
            TeamKind.STANDING_COMMITTEE,
            TeamKind.PARTY_COMMITTEE,
        }

    def test_the_demo_logins_fit_together_around_the_secretarys_unit(self, seeded):
        unit = RoleAssignment.objects.get(user__username="secretary").unit
        assert unit.name == "柳溪乡机关"
        assert Member.objects.get(user__username="member").unit == unit
        assert Member.objects.get(user__username="leader").in_charge_of.filter(pk=unit.pk).exists()
        supervisor = Supervisor.objects.get(user__username="supervisor")
        assert supervisor.team.units.filter(pk=unit.pk).exists()
        assert unit.pk in visible("supervisor", OrgUnit.objects.all())
