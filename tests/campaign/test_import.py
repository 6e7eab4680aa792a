"""Importing the organisation from spreadsheets: all or nothing, every bad row named."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.utils import translation

from campaign.models import (
    Campaign,
    ChangeOutbox,
    LeadershipTeam,
    Member,
    OrgUnit,
    OrgUnitKind,
    Rank,
    Supervisor,
    SupervisoryTeam,
    TeamKind,
)
from tests import factories as f
from tests.campaign.importing import (
    MEMBER_HEADERS,
    SUPERVISORY_HEADERS,
    TEAM_HEADERS,
    UNIT_HEADERS,
    csv_bytes,
    messages,
    run,
    xlsx,
)
from tests.form_once import FIELD, fresh, token_in


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def workbook_of_everything() -> bytes:
    return xlsx(
        {
            # Sheets in the "wrong" order: the import follows dependencies, not the file.
            "督导组": [SUPERVISORY_HEADERS, ["县第三督导组", "County", "赵组长", "钱组员、孙组员", "N1"]],
            "领导班子": [TEAM_HEADERS, ["NT1", "新单位领导班子", "Department team", "N1", "P002", "P001, P002"]],
            "党员": [
                MEMBER_HEADERS,
                ["P001", "周一", "N1", "N1B", "Ordinary member", "", ""],
                ["P002", "吴二", "N1", "", "科级干部", "局长", "N1;N1B"],
            ],
            "组织": [
                UNIT_HEADERS,
                ["N1", "新单位", "unit", "C"],
                ["N1B", "新单位支部", "支部", "N1"],
            ],
        }
    )


def member_rows(world, *rows: list) -> bytes:
    return xlsx({"members": [MEMBER_HEADERS, *rows]})


# --- What gets written ---------------------------------------------------------------


def test_workbook_with_four_sheets_imports_everything_in_dependency_order(world):
    report = run(world.campaign, workbook_of_everything(), user=world.users["office"])

    assert messages(report) == []
    assert [(c.kind, c.created) for c in report.counts] == [
        ("units", 2),
        ("members", 2),
        ("teams", 1),
        ("supervisory_teams", 1),
    ]
    unit = OrgUnit.objects.get(campaign=world.campaign, code="N1")
    branch = OrgUnit.objects.get(campaign=world.campaign, code="N1B")
    assert (unit.parent, unit.kind, branch.parent, branch.kind) == (world.county, OrgUnitKind.UNIT, unit, "branch")
    wu = Member.objects.get(campaign=world.campaign, number="P002")
    assert (wu.rank, wu.position, wu.branch) == (Rank.SECTION_CADRE, "局长", None)
    assert set(wu.in_charge_of.all()) == {unit, branch}
    team = LeadershipTeam.objects.get(campaign=world.campaign, code="NT1")
    assert (team.kind, team.head, set(team.members.values_list("number", flat=True))) == (
        TeamKind.DEPARTMENT,
        wu,
        {"P001", "P002"},
    )
    supervision = SupervisoryTeam.objects.get(campaign=world.campaign, name="县第三督导组")
    assert [(s.name, s.is_leader) for s in supervision.supervisors.order_by("-is_leader", "name")] == [
        ("赵组长", True),
        ("孙组员", False),
        ("钱组员", False),
    ]
    assert list(supervision.units.all()) == [unit]


def test_dry_run_reports_counts_and_writes_nothing(world):
    units_before = OrgUnit.objects.count()
    report = run(world.campaign, workbook_of_everything(), dry_run=True)
    assert report.ok and report.dry_run
    assert report.rows == 6
    assert OrgUnit.objects.count() == units_before
    assert not Member.objects.filter(number="P001").exists()
    assert not ChangeOutbox.objects.exists()


def test_a_real_import_asks_for_the_ledgers_of_the_touched_units(world):
    run(world.campaign, workbook_of_everything())
    unit = OrgUnit.objects.get(campaign=world.campaign, code="N1")
    assert unit.pk in set(ChangeOutbox.objects.values_list("unit_id", flat=True))


def test_csv_kind_is_detected_from_its_headers(world):
    data = csv_bytes([UNIT_HEADERS, ["N9", "第九单位", "Unit", "C"]])
    report = run(world.campaign, data, "units.csv")
    assert report.ok, messages(report)
    assert OrgUnit.objects.get(campaign=world.campaign, code="N9").parent == world.county


def test_csv_saved_by_chinese_excel_in_gb18030_with_chinese_headers_imports(world):
    data = csv_bytes(
        [
            ["编号", "姓名", "单位代码", "支部代码", "职级", "职务"],
            ["G1", "郑三", world.unit.code, "", "县级领导干部", "副县长"],
        ],
        encoding="gb18030",
    )
    report = run(world.campaign, data, "党员.csv")
    assert report.ok, messages(report)
    member = Member.objects.get(campaign=world.campaign, number="G1")
    assert (member.name, member.rank, member.position) == ("郑三", Rank.COUNTY_LEADER, "副县长")


def test_a_sheet_with_a_default_name_is_recognised_by_its_headers(world):
    data = xlsx({"Sheet1": [["编号", "姓名", "单位代码"], ["S1", "冯四", world.unit.code]]})
    report = run(world.campaign, data)
    assert report.ok, messages(report)
    assert [(c.kind, c.sheet, c.created) for c in report.counts] == [("members", "Sheet1", 1)]


def test_explicit_kind_picks_that_sheet_of_a_workbook(world):
    data = xlsx({"units": [UNIT_HEADERS, ["N7", "第七单位", "unit", "C"]], "members": [["garbage"]]})
    report = run(world.campaign, data, kind="units")
    assert report.ok, messages(report)
    assert [c.kind for c in report.counts] == ["units"]


def test_numbers_typed_as_numbers_in_excel_are_codes(world):
    report = run(world.campaign, member_rows(world, [1001, "钱七", world.unit.code, None, None, None, None]))
    assert report.ok, messages(report)
    assert Member.objects.get(campaign=world.campaign, number="1001").rank == Rank.ORDINARY


def test_an_existing_number_updates_that_member(world):
    number = world.member.number
    report = run(world.campaign, member_rows(world, [number, "张三改名", world.unit.code, "", "科级干部", "", ""]))
    assert report.ok, messages(report)
    assert [(c.created, c.updated) for c in report.counts] == [(0, 1)]
    world.member.refresh_from_db()
    assert (world.member.name, world.member.rank, world.member.branch) == ("张三改名", Rank.SECTION_CADRE, None)


def test_columns_left_out_of_the_file_keep_their_values(world):
    data = xlsx({"members": [["Number", "Name", "Unit code"], [world.member.number, "新名字", world.unit.code]]})
    report = run(world.campaign, data)
    assert report.ok, messages(report)
    world.member.refresh_from_db()
    assert (world.member.name, world.member.branch) == ("新名字", world.branch)


def test_a_move_in_the_tree_re_roots_the_subtree(world):
    data = xlsx({"units": [UNIT_HEADERS, [world.unit.code, world.unit.name, "unit", world.other_committee.code]]})
    report = run(world.campaign, data)
    assert report.ok, messages(report)
    world.branch.refresh_from_db()
    assert world.branch.is_within(world.other_committee)


def test_supervisory_team_reimport_changes_leader_and_drops_missing_supervisors(world):
    team = SupervisoryTeam.objects.get(name="县第一督导组")
    f.SupervisorFactory(team=team, name="老组员")
    data = xlsx({"督导组": [SUPERVISORY_HEADERS, [team.name, "县级", "新组长", "督导组长", world.unit.code]]})
    report = run(world.campaign, data, user=world.users["office"])
    assert report.ok, messages(report)
    supervisors = {s.name: s for s in team.supervisors.all()}
    assert {name: s.is_leader for name, s in supervisors.items()} == {"新组长": True, "督导组长": False}
    # The former leader keeps his user account: he was demoted, not replaced.
    assert supervisors["督导组长"].user == world.users["supervisor"]
    removed = Supervisor.history.get(name="老组员", history_type="-")
    assert (removed.history_user, removed.history_change_reason) == (world.users["office"], "import org.xlsx")


def test_importing_the_same_rows_again_changes_nothing_and_writes_no_history(world):
    run(world.campaign, workbook_of_everything())
    history_before = OrgUnit.history.count() + Member.history.count() + LeadershipTeam.history.count()
    report = run(world.campaign, workbook_of_everything())
    assert report.ok, messages(report)
    assert [(c.created, c.updated, c.unchanged) for c in report.counts] == [(0, 0, 2), (0, 0, 2), (0, 0, 1), (0, 0, 1)]
    assert OrgUnit.history.count() + Member.history.count() + LeadershipTeam.history.count() == history_before


# --- All or nothing --------------------------------------------------------------------


def test_thousand_rows_with_one_bad_row_write_nothing_and_name_the_row_and_column(world):
    rows = [
        [f"B{i:04d}", f"党员{i}", world.unit.code, world.branch.code, "Ordinary member", "", ""] for i in range(1000)
    ]
    rows[536][2] = "NO-SUCH-UNIT"  # the 537th member: row 538 in Excel, under the header
    members_before = Member.objects.count()

    report = run(world.campaign, xlsx({"党员": [MEMBER_HEADERS, *rows]}))

    assert messages(report) == [
        "党员 row 538, column Unit code: "
        "No organisation has the code NO-SUCH-UNIT in this campaign or earlier in the file."
    ]
    assert (report.errors[0].sheet, report.errors[0].row, report.errors[0].column) == ("党员", 538, "Unit code")
    assert Member.objects.count() == members_before
    assert report.counts == []


def test_a_bad_member_row_also_undoes_the_good_units_sheet(world):
    data = xlsx(
        {
            "units": [UNIT_HEADERS, ["N1", "新单位", "unit", "C"]],
            "members": [MEMBER_HEADERS, ["X1", "", "N1", "", "", "", ""]],
        }
    )
    report = run(world.campaign, data)
    assert messages(report) == ["members row 2, column Name: This cell is required."]
    assert not OrgUnit.objects.filter(code="N1").exists()


def test_every_bad_row_is_reported_not_only_the_first(world):
    data = member_rows(
        world,
        ["Y1", "甲", "NOPE", "", "", "", ""],
        ["Y2", "乙", world.unit.code, "", "", "", ""],
        ["Y3", "丙", world.unit.code, "", "Emperor", "", ""],
    )
    report = run(world.campaign, data)
    assert [(e.row, e.column) for e in report.errors] == [(2, "Unit code"), (4, "Rank")]


# --- Each rule, with its message -----------------------------------------------------


def test_tree_rule_from_the_model_is_reported_on_the_parent_column(world):
    data = xlsx({"units": [UNIT_HEADERS, ["NU", "单位", "unit", world.branch.code], ["NC", "党委", "committee", ""]]})
    assert messages(run(world.campaign, data)) == [
        "units row 2, column Parent code: A Unit cannot sit under a Branch.",
        "units row 3, column Parent code: A Party committee must have a parent organisation.",
    ]


def test_unit_placed_under_its_own_descendant_is_a_cycle(world):
    data = xlsx({"units": [UNIT_HEADERS, [world.committee.code, world.committee.name, "committee", world.unit.code]]})
    assert messages(run(world.campaign, data)) == [
        "units row 2, column Parent code: An organisation cannot be placed under itself or one of its own branches."
    ]


def test_parent_must_exist_or_come_earlier_in_the_file(world):
    data = xlsx({"units": [UNIT_HEADERS, ["KID", "下级", "branch", "LATER"], ["LATER", "上级", "unit", "C"]]})
    assert messages(run(world.campaign, data)) == [
        "units row 2, column Parent code: No organisation has the code LATER in this campaign or earlier in the file."
    ]


def test_unknown_unit_kind_label_lists_the_choices(world):
    data = xlsx({"units": [UNIT_HEADERS, ["Q1", "某单位", "Ministry", "C"]]})
    assert messages(run(world.campaign, data)) == [
        "units row 2, column Kind: Unknown kind “Ministry”; "
        "use one of: County committee, Party committee, Unit, Branch."
    ]


def test_kind_is_accepted_as_value_english_label_or_chinese_label(world):
    data = xlsx(
        {
            "units": [
                UNIT_HEADERS,
                ["K1", "甲", "unit", "C"],
                ["K2", "乙", "Party committee", "C"],
                ["K3", "丙", "党支部", "K1"],
            ]
        }
    )
    assert run(world.campaign, data).ok
    kinds = dict(OrgUnit.objects.filter(code__in=["K1", "K2", "K3"]).values_list("code", "kind"))
    assert kinds == {"K1": "unit", "K2": "committee", "K3": "branch"}


def test_duplicate_member_number_in_the_file_is_an_error_not_an_update(world):
    data = member_rows(
        world,
        ["D1", "第一个", world.unit.code, "", "", "", ""],
        ["D1", "第二个", world.unit.code, "", "", "", ""],
    )
    report = run(world.campaign, data)
    assert messages(report) == ["members row 3, column Number: D1 already appears in row 2 of this sheet."]
    assert not Member.objects.filter(number="D1").exists()


def test_unknown_branch_code(world):
    report = run(world.campaign, member_rows(world, ["E1", "某", world.unit.code, "NO-BRANCH", "", "", ""]))
    assert messages(report) == [
        "members row 2, column Branch code: "
        "No organisation has the code NO-BRANCH in this campaign or earlier in the file."
    ]


def test_branch_not_under_the_unit(world):
    report = run(world.campaign, member_rows(world, ["E2", "某", world.unit.code, world.other_branch.code, "", "", ""]))
    assert messages(report) == [
        "members row 2, column Branch code: The branch 教师支部OUTSIDE is not part of 城关镇政府INSIDE."
    ]


def test_unknown_codes_of_units_in_charge_are_all_named(world):
    report = run(world.campaign, member_rows(world, ["E3", "某", world.unit.code, "", "", "", "ZZ1、C；ZZ2"]))
    assert messages(report) == [
        "members row 2, column Units in charge: "
        "No organisations have the codes ZZ1, ZZ2 in this campaign or earlier in the file."
    ]


def test_unknown_rank_label(world):
    report = run(world.campaign, member_rows(world, ["E4", "某", world.unit.code, "", "General", "", ""]))
    assert messages(report) == [
        "members row 2, column Rank: Unknown rank “General”; use one of: Standing Committee member, "
        "County-level leading cadre, Section-level cadre, Ordinary member."
    ]


def test_empty_required_cells_are_each_named(world):
    report = run(world.campaign, member_rows(world, ["", "", world.unit.code, "", "", "", ""]))
    assert messages(report) == [
        "members row 2, column Number: This cell is required.",
        "members row 2, column Name: This cell is required.",
    ]


def test_team_head_who_is_not_a_member_of_the_team(world):
    data = xlsx(
        {
            "teams": [
                TEAM_HEADERS,
                ["T-NEW", "新班子", "Department team", world.unit.code, world.member.number, world.other_member.number],
            ]
        }
    )
    assert messages(run(world.campaign, data)) == [
        f"teams row 2, column Head number: The head {world.member.number} is not a member of this team; "
        "add the number to “Member numbers”."
    ]


def test_team_member_numbers_must_exist(world):
    data = xlsx({"teams": [TEAM_HEADERS, ["T-NEW", "新班子", "department", world.unit.code, "", "NOBODY"]]})
    assert messages(run(world.campaign, data)) == [
        "teams row 2, column Member numbers: No member has the number NOBODY in this campaign or earlier in the file."
    ]


def test_a_second_standing_committee_is_refused(world):
    f.LeadershipTeamFactory(campaign=world.campaign, unit=world.county, code="SC", kind=TeamKind.STANDING_COMMITTEE)
    data = xlsx({"teams": [TEAM_HEADERS, ["SC2", "又一个常委会", "县委常委会", world.county.code, "", ""]]})
    assert messages(run(world.campaign, data)) == [
        "teams row 2, column Kind: The campaign already has a Standing Committee team (SC)."
    ]


def test_supervisory_team_with_two_leaders(world):
    data = xlsx({"督导组": [SUPERVISORY_HEADERS, ["新督导组", "County", "甲组长、乙组长", "丙", world.unit.code]]})
    assert messages(run(world.campaign, data)) == [
        "督导组 row 2, column Leader: A supervisory team has one leader; list the others under “Members”."
    ]


def test_unknown_supervisory_level(world):
    data = xlsx({"督导组": [SUPERVISORY_HEADERS, ["新督导组", "Provincial", "甲", "", ""]]})
    assert messages(run(world.campaign, data)) == [
        "督导组 row 2, column Level: Unknown level “Provincial”; use one of: Municipal, County."
    ]


def test_unknown_and_missing_columns_are_reported_on_the_header_row(world):
    data = xlsx({"units": [["Code", "Name", "Colour"], ["A", "B", "red"]]})
    assert messages(run(world.campaign, data)) == [
        "units row 1, column Colour: Unknown column “Colour”; the columns of Organisations are: "
        "Code, Name, Kind, Parent code, Responsible leader number.",
        "units row 1, column Kind: The column “Kind” is missing.",
    ]


def test_sheet_that_cannot_be_identified(world):
    data = xlsx({"Sheet1": [["foo", "bar"], ["1", "2"]]})
    report = run(world.campaign, data)
    assert len(report.errors) == 1
    assert report.errors[0].sheet == "Sheet1" and "Cannot tell what this sheet holds" in report.errors[0].message


def test_file_that_is_not_a_spreadsheet(world):
    report = run(world.campaign, b"%PDF-1.4 not a workbook", "org.xlsx")
    assert messages(report) == [
        "org.xlsx: This file is not a spreadsheet that can be read; upload an .xlsx workbook or a .csv file."
    ]


def test_workbook_that_unpacks_into_too_much_is_refused_before_it_is_read(world, settings):
    settings.IMPORT_MAX_UNPACKED_BYTES = 4096
    report = run(world.campaign, workbook_of_everything())
    assert len(report.errors) == 1 and "more than an import may read" in report.errors[0].message
    assert not OrgUnit.objects.filter(code="N1").exists()


def test_binary_file_named_csv_is_refused(world):
    report = run(world.campaign, b"\x00\x01\x02binary", "org.csv")
    assert not report.ok and "not a spreadsheet" in report.errors[0].message


def test_file_with_headers_only_has_nothing_to_import(world):
    report = run(world.campaign, xlsx({"units": [UNIT_HEADERS]}))
    assert messages(report) == ["org.xlsx: The file holds no rows to import."]


def test_files_over_the_row_limit_are_refused(world, settings):
    settings.IMPORT_MAX_ROWS = 2
    rows = [[f"L{i}", "名", "unit", "C"] for i in range(3)]
    report = run(world.campaign, xlsx({"units": [UNIT_HEADERS, *rows]}))
    assert messages(report) == ["org.xlsx: The file has more than 2 rows; split it into smaller files."]
    assert not OrgUnit.objects.filter(code__startswith="L").exists()


# --- Who may import, and the audit trail -------------------------------------------------


@pytest.mark.parametrize("role", ["supervisor", "secretary", "member"])
def test_only_office_and_administrators_may_import(world, role):
    with pytest.raises(PermissionDenied):
        run(world.campaign, workbook_of_everything(), user=world.users[role])


def test_office_of_another_campaign_may_not_import_into_this_one(world):
    stranger = f.UserFactory(username="stranger-office")
    f.RoleAssignmentFactory(user=stranger, campaign=f.CampaignFactory(), kind="office")
    with pytest.raises(PermissionDenied):
        run(world.campaign, workbook_of_everything(), user=stranger)


def test_history_records_the_importing_user_and_the_file(world):
    office = world.users["office"]
    run(world.campaign, workbook_of_everything(), "org-2026.xlsx", user=office)

    unit = OrgUnit.objects.get(campaign=world.campaign, code="N1")
    record = unit.history.get()
    assert (record.history_type, record.history_user, record.history_change_reason) == (
        "+",
        office,
        "import org-2026.xlsx",
    )
    member = Member.objects.get(campaign=world.campaign, number="P002")
    assert {r.history_user for r in member.history.all()} == {office}
    supervision = SupervisoryTeam.objects.get(name="县第三督导组")
    assert {r.history_user for s in supervision.supervisors.all() for r in s.history.all()} == {office}


# --- The command ----------------------------------------------------------------------


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_command_prints_bad_rows_and_exits_1(world, tmp_path):
    path = write(tmp_path, "org.xlsx", member_rows(world, ["C1", "某", "NOPE", "", "", "", ""]))
    stderr = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_org", str(path), "--campaign", "demo", stderr=stderr, stdout=io.StringIO())
    assert raised.value.returncode == 1
    assert stderr.getvalue().splitlines() == [
        "members row 2, column Unit code: No organisation has the code NOPE in this campaign or earlier in the file."
    ]
    assert "1 problem(s) found; nothing was imported." in str(raised.value)
    assert not Member.objects.filter(number="C1").exists()


def test_command_exit_status_is_1_when_run_from_the_shell(world, tmp_path, monkeypatch):
    path = write(tmp_path, "org.xlsx", member_rows(world, ["C1", "", world.unit.code, "", "", "", ""]))
    from django.core.management import ManagementUtility
    from django.db import connections

    # A command run from the shell closes every connection when it ends; here that would
    # close the module's transaction, which holds the world the next tests read.
    monkeypatch.setattr(connections, "close_all", lambda: None)

    stderr = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        import contextlib

        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            ManagementUtility(["manage.py", "import_org", str(path), "--campaign", "demo"]).execute()
    assert exited.value.code == 1
    assert "members row 2, column Name: This cell is required." in stderr.getvalue()


def test_command_dry_run_writes_nothing(world, tmp_path):
    path = write(tmp_path, "org.xlsx", workbook_of_everything())
    stdout = io.StringIO()
    call_command("import_org", str(path), "--campaign", "demo", "--dry-run", stdout=stdout)
    assert "Dry run: every row is valid; nothing was written." in stdout.getvalue()
    assert "Members (党员): 2 new, 0 updated, 0 unchanged" in stdout.getvalue()
    assert not OrgUnit.objects.filter(code="N1").exists()


def test_command_imports_csv_of_a_given_kind_and_records_the_user(world, tmp_path):
    path = write(
        tmp_path, "units.csv", csv_bytes([["代码", "名称", "类型", "上级代码"], ["CSV1", "新单位", "单位", "C"]])
    )
    stdout = io.StringIO()
    call_command("import_org", str(path), "--kind", "units", "--user", "office", stdout=stdout)
    assert "Imported 1 rows into" in stdout.getvalue()
    unit = OrgUnit.objects.get(campaign=world.campaign, code="CSV1")
    assert unit.history.get().history_user == world.users["office"]


def test_command_refuses_a_user_who_may_not_import(world, tmp_path):
    path = write(tmp_path, "org.xlsx", workbook_of_everything())
    with pytest.raises(CommandError, match="may not import"):
        call_command("import_org", str(path), "--campaign", "demo", "--user", "secretary")


def test_command_needs_a_campaign_when_there_are_several(world, tmp_path):
    Campaign.objects.create(slug="second", name="第二批", county="示范县", starts_on="2026-01-01", ends_on="2026-02-01")
    path = write(tmp_path, "org.xlsx", workbook_of_everything())
    with pytest.raises(CommandError, match="--campaign"):
        call_command("import_org", str(path))
    with pytest.raises(CommandError, match="No campaign has the code nope"):
        call_command("import_org", str(path), "--campaign", "nope")


# --- The page ------------------------------------------------------------------------

IMPORT_URL = "/org/import/"


@pytest.fixture
def office(world, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return login(world.users["office"])


def upload(client, data: bytes, name: str = "org.xlsx", **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        IMPORT_URL, {"file": SimpleUploadedFile(name, data), **extra}, HTTP_ACCEPT_LANGUAGE="en", follow=True
    )


def stored_uploads(settings) -> list:
    folder = settings.MEDIA_ROOT / "imports"
    return list(folder.iterdir()) if folder.exists() else []


def test_import_url_is_the_one_the_navigation_links_to():
    from django.urls import reverse

    assert reverse("campaign:org_import") == IMPORT_URL


def test_office_sees_the_upload_form_and_the_format(office):
    response = office.get(IMPORT_URL, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'type="file"' in html and 'enctype="multipart/form-data"' in html
    assert "Units in charge" in html and "分管单位代码" in html
    assert 'href="/org/import/"' in html  # the navigation now offers the page


def test_dry_run_then_confirm_imports_the_same_file(office, world, settings):
    response = upload(office, workbook_of_everything())
    html = response.content.decode()
    assert "every row is valid" in html
    assert "Confirm the import" in html
    assert not OrgUnit.objects.filter(code="N1").exists(), "the dry run writes nothing"
    assert len(stored_uploads(settings)) == 1
    token = office.session["org_import"]["token"]
    assert f'value="{token}"' in html

    response = office.post(
        IMPORT_URL, {"confirm": "1", "token": token, **fresh()}, HTTP_ACCEPT_LANGUAGE="en", follow=True
    )
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == IMPORT_URL
    assert "Imported org.xlsx: Organisations (组织): 2 new, 0 updated, 0 unchanged" in html
    unit = OrgUnit.objects.get(campaign=world.campaign, code="N1")
    assert unit.history.get().history_user == world.users["office"]
    assert stored_uploads(settings) == [], "the kept file is deleted after use"
    assert "org_import" not in office.session


def test_bad_rows_are_shown_as_a_table_and_cannot_be_confirmed(office, world, settings):
    data = member_rows(world, ["W1", "某", "NOPE", "", "", "", ""], ["W2", "某", world.unit.code, "", "Pope", "", ""])
    html = upload(office, data).content.decode()
    assert "org.xlsx: 2 problems; nothing was imported" in html
    assert '<td>members</td><td class="num">2</td><td>Unit code</td>' in html
    assert "Unknown rank “Pope”" in html
    assert "Confirm the import" not in html
    assert stored_uploads(settings) == []
    assert "org_import" not in office.session


def test_a_file_that_is_not_a_spreadsheet_is_refused_with_a_message(office, settings):
    html = upload(office, b"just some text, not a zip", "org.xlsx").content.decode()
    assert "This file is not a spreadsheet that can be read" in html
    assert stored_uploads(settings) == []


def test_other_extensions_are_refused(office):
    html = upload(office, b"MZ\x90\x00", "virus.exe").content.decode()
    assert "Choose an .xlsx or .csv file." in html


def test_files_over_the_upload_limit_are_refused(office, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    data = csv_bytes([UNIT_HEADERS] + [[f"Z{i}", "名" * 20, "unit", "C"] for i in range(100)])
    html = upload(office, data, "units.csv").content.decode()
    assert "the largest accepted is 2.0\xa0KB" in html


def test_an_oversized_upload_is_refused_before_it_is_read(office, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = upload(office, b"a,b\n" * 40_000, "big.csv")
    assert "The file is too large; the largest accepted is 1.0\xa0KB." in response.content.decode()
    assert stored_uploads(settings) == []


def test_a_csv_with_its_kind_chosen(office, world):
    data = csv_bytes([["Code", "Name", "Kind", "Parent code"], ["CS1", "某单位", "unit", "C"]])
    html = upload(office, data, "whatever.csv", kind="units").content.decode()
    assert "Confirm the import" in html


def test_confirm_with_a_token_the_session_does_not_hold_imports_nothing(office, world, settings):
    upload(office, workbook_of_everything())
    response = office.post(
        IMPORT_URL, {"confirm": "1", "token": "../../etc/passwd"}, HTTP_ACCEPT_LANGUAGE="en", follow=True
    )
    assert "That upload is no longer waiting; upload the file again." in response.content.decode()
    assert not OrgUnit.objects.filter(code="N1").exists()
    assert len(stored_uploads(settings)) == 1, "the file still waits for its own page's confirmation"


def test_confirm_twice_imports_once(office, world):
    page = upload(office, workbook_of_everything())
    confirm = {"confirm": "1", "token": office.session["org_import"]["token"], FIELD: token_in(page.content)}
    office.post(IMPORT_URL, confirm)
    response = office.post(IMPORT_URL, confirm, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "This form was already submitted; nothing was saved twice." in response.content.decode()
    assert OrgUnit.objects.filter(code="N1").count() == 1
    # The page's form sent again from another tab's copy of it (another token).
    confirm[FIELD] = fresh()[FIELD]
    response = office.post(IMPORT_URL, confirm, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "That upload is no longer waiting" in response.content.decode()
    assert OrgUnit.objects.filter(code="N1").count() == 1


def test_a_new_upload_replaces_the_one_waiting(office, settings):
    upload(office, workbook_of_everything())
    upload(office, workbook_of_everything(), "second.xlsx")
    assert len(stored_uploads(settings)) == 1
    assert office.session["org_import"]["filename"] == "second.xlsx"


def test_confirm_reports_rows_that_became_bad_since_the_dry_run(office, world):
    branch = f.OrgUnitFactory(campaign=world.campaign, kind=OrgUnitKind.BRANCH, parent=world.unit, code="BR2")
    upload(office, member_rows(world, ["R1", "某", world.unit.code, "BR2", "", "", ""]))
    token = office.session["org_import"]["token"]
    branch.delete()  # someone removes the branch between the two steps
    html = office.post(
        IMPORT_URL, {"confirm": "1", "token": token, **fresh()}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "1 problem; nothing was imported" in html
    assert not Member.objects.filter(number="R1").exists()


def test_admin_may_use_the_page(world, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    assert login(world.users["admin"]).get(IMPORT_URL).status_code == 200


@pytest.mark.parametrize("role", ["supervisor", "secretary", "member"])
def test_other_roles_get_403(world, login, role):
    client = login(world.users[role])
    assert client.get(IMPORT_URL).status_code == 403
    assert upload(client, workbook_of_everything()).status_code == 403
    assert not OrgUnit.objects.filter(code="N1").exists()


def test_anonymous_is_sent_to_log_in(world, client):
    response = client.get(IMPORT_URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- The admin -----------------------------------------------------------------------


def test_admin_imports_a_csv_with_chinese_headers_after_its_dry_run(world, login, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    client = login(world.users["admin"])
    data = csv_bytes([["代码", "名称", "类型", "上级代码"], ["AD1", "后台单位", "单位", "C"]])
    url = "/admin/campaign/orgunit/import/"
    form = client.get(url).context["form"]
    csv_index = next(value for value, label in form.fields["format"].choices if label == "csv")
    response = client.post(
        url, {"import_file": SimpleUploadedFile("units.csv", data), "format": csv_index, "resource": "0"}
    )
    assert response.status_code == 200
    assert not response.context["result"].has_validation_errors()
    assert not OrgUnit.objects.filter(code="AD1").exists(), "the admin's dry run writes nothing"

    confirm = response.context["confirm_form"]
    response = client.post("/admin/campaign/orgunit/process_import/", confirm.initial)
    assert response.status_code == 302
    unit = OrgUnit.objects.get(campaign=world.campaign, code="AD1")
    assert (unit.parent, unit.kind) == (world.county, OrgUnitKind.UNIT)
    assert unit.history.get().history_user == world.users["admin"]


def test_admin_import_shows_bad_rows_and_offers_no_confirmation(world, login, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    client = login(world.users["admin"])
    data = csv_bytes([MEMBER_HEADERS, ["AM1", "某", "NOPE", "", "", "", ""]])
    url = "/admin/campaign/member/import/"
    form = client.get(url).context["form"]
    csv_index = next(value for value, label in form.fields["format"].choices if label == "csv")
    response = client.post(
        url, {"import_file": SimpleUploadedFile("m.csv", data), "format": csv_index, "resource": "0"}
    )
    assert response.context["result"].has_validation_errors()
    assert "No organisation has the code NOPE" in response.content.decode()
    assert "confirm_form" not in response.context or response.context["confirm_form"] is None


def test_admin_export_is_the_same_workbook_as_the_list_page(world, login):
    client = login(world.users["admin"])
    url = "/admin/campaign/member/export/"
    form = client.get(url).context["form"]
    fields = {name: "on" for name, field in form.fields.items() if field.__class__.__name__ == "BooleanField"}
    response = client.post(url, {"format": "0", "resource": "0", **fields}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    from tests.campaign.importing import sheets_of

    rows = sheets_of(response.content)["members"]
    assert rows[0] == tuple(MEMBER_HEADERS)
    assert {row[1] for row in rows[1:]} == {"张三INSIDE", "李四INSIDE", "王五OUTSIDE"}
