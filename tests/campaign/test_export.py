"""Exports of the organisation: the import's own format, so that they import back unchanged."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from campaign.models import Campaign, Member, OrgUnit, Rank
from campaign.resources import export_campaign, export_xlsx
from tests import factories as f
from tests.campaign.importing import messages, run, sheets_of


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def rich_world(world):
    """The shared world with the cells that are easy to get wrong: lists, blanks, text
    a spreadsheet would run as a formula, and a supervisory team with several members."""
    world.member.in_charge_of.add(world.unit, world.branch)
    world.member.position = '=HYPERLINK("http://evil.example","点我")'
    world.member.save()
    f.MemberFactory(campaign=world.campaign, unit=world.unit, name="-负号开头", number="007", rank=Rank.COUNTY_LEADER)
    team = world.campaign.supervisory_teams.get(name="县第一督导组")
    f.SupervisorFactory(team=team, name="组员乙")
    f.SupervisorFactory(team=team, name="组员甲")
    return world


def fresh_campaign() -> Campaign:
    return f.CampaignFactory(slug="copy", name="副本")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_whole_campaign_round_trips_exactly(rich_world, language):
    with translation.override(language):
        exported = export_campaign(rich_world.campaign)
        copy = fresh_campaign()
        report = run(copy, exported, "export.xlsx")
        assert messages(report) == []
        assert sheets_of(export_campaign(copy)) == sheets_of(exported)


def test_export_imported_back_into_its_own_campaign_changes_nothing(rich_world):
    with translation.override("en"):
        report = run(rich_world.campaign, export_campaign(rich_world.campaign))
    assert report.ok, messages(report)
    assert all(c.created == 0 and c.updated == 0 for c in report.counts)
    assert sum(c.unchanged for c in report.counts) == report.rows > 0


def test_headers_sheet_names_and_labels_follow_the_language(rich_world):
    with translation.override("zh-hans"):
        chinese = sheets_of(export_campaign(rich_world.campaign))
    with translation.override("en"):
        english = sheets_of(export_campaign(rich_world.campaign))
    assert list(chinese) == ["组织", "党员", "领导班子", "督导组"]
    assert list(english) == ["units", "members", "teams", "supervisory_teams"]
    assert chinese["党员"][0] == ("编号", "姓名", "单位代码", "支部代码", "职级", "职务", "分管单位代码")
    assert english["members"][0] == (
        "Number",
        "Name",
        "Unit code",
        "Branch code",
        "Rank",
        "Position",
        "Units in charge",
    )
    leader_row = next(row for row in english["members"] if row[0] == "007")
    assert leader_row[4] == "County-level leading cadre"
    supervision = next(row for row in english["supervisory_teams"] if row[0] == "县第一督导组")
    assert supervision[1:4] == ("County", "督导组长", "组员乙, 组员甲")


def test_text_that_looks_like_a_formula_is_stored_as_text_and_round_trips(rich_world):
    with translation.override("en"):
        data = export_xlsx("members", Member.objects.filter(campaign=rich_world.campaign))
    sheet = load_workbook(io.BytesIO(data))["members"]
    formula_cells = [cell for row in sheet.iter_rows() for cell in row if str(cell.value or "").startswith(("=", "-"))]
    assert {cell.value for cell in formula_cells} == {'=HYPERLINK("http://evil.example","点我")', "-负号开头"}
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in formula_cells)

    copy = fresh_campaign()
    with translation.override("en"):
        run(copy, export_xlsx("units", OrgUnit.objects.filter(campaign=rich_world.campaign)))
        report = run(copy, data)
    assert report.ok, messages(report)
    assert Member.objects.get(campaign=copy, number=rich_world.member.number).position == (
        '=HYPERLINK("http://evil.example","点我")'
    )


def test_units_export_lists_parents_before_children(rich_world):
    with translation.override("en"):
        rows = sheets_of(export_xlsx("units", OrgUnit.objects.filter(campaign=rich_world.campaign).order_by("-code")))
    codes = [row[0] for row in rows["units"][1:]]
    parents = [row[3] for row in rows["units"][1:]]
    assert all(parent is None or codes.index(parent) < i for i, parent in enumerate(parents))


# --- The list pages' export --------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "sheet", "header"),
    [
        ("campaign:unit_export", "组织", "代码"),
        ("campaign:member_export", "党员", "编号"),
        ("campaign:team_export", "领导班子", "代码"),
        ("campaign:supervisory_team_export", "督导组", "名称"),
    ],
)
def test_list_page_export_is_chinese_under_chinese(rich_world, login, url, sheet, header):
    response = login(rich_world.users["office"]).get(reverse(url), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    sheets = sheets_of(b"".join(response.streaming_content) if response.streaming else response.content)
    assert list(sheets) == [sheet]
    assert sheets[sheet][0][0] == header


def test_list_page_export_of_what_is_shown_imports_back_unchanged(rich_world, login):
    client = login(rich_world.users["office"])
    response = client.get(reverse("campaign:member_export"), {"q": "INSIDE"}, HTTP_ACCEPT_LANGUAGE="en")
    rows = sheets_of(response.content)["members"]
    assert {row[1] for row in rows[1:]} == {"张三INSIDE", "李四INSIDE"}
    with translation.override("zh-hans"):
        report = run(rich_world.campaign, response.content, "members.xlsx")
    assert report.ok, messages(report)
    assert [(c.kind, c.unchanged, c.updated) for c in report.counts] == [("members", 2, 0)]


def test_secretary_exports_only_his_own_subtree(rich_world, login):
    response = login(rich_world.users["secretary"]).get(reverse("campaign:member_export"), HTTP_ACCEPT_LANGUAGE="en")
    names = [row[1] for row in sheets_of(response.content)["members"][1:]]
    assert names and all("OUTSIDE" not in name for name in names)


# --- The command -------------------------------------------------------------------


def test_export_org_writes_four_sheets_that_import_org_reads_back(rich_world, tmp_path):
    out = tmp_path / "org.xlsx"
    with translation.override("zh-hans"):
        call_command("export_org", "--campaign", "demo", str(out), stdout=io.StringIO())
    assert list(sheets_of(out.read_bytes())) == ["组织", "党员", "领导班子", "督导组"]
    fresh_campaign()
    stdout = io.StringIO()
    with translation.override("en"):
        call_command("import_org", str(out), "--campaign", "copy", stdout=stdout)
    copy = Campaign.objects.get(slug="copy")
    assert copy.members.count() == rich_world.campaign.members.count()
    with translation.override("zh-hans"):
        assert sheets_of(export_campaign(copy)) == sheets_of(out.read_bytes())
