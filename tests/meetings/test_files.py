"""Meeting records and paper tallies in and out as files: the imports (dry run, all or
nothing, every row through the services, the message naming row and column), the
export → import round trip, and the office-layout exports (workbook cells, the Word
document read back by python-docx)."""

from __future__ import annotations

import io

import docx
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from campaign.models import ChangeOutbox, ImportedFile, ImportKind, Member
from core import once
from meetings import exports, imports, selectors, services
from meetings.appraisal import exports as appraisal_exports
from meetings.appraisal import imports as tally_imports
from meetings.appraisal import services as appraisal_services
from meetings.appraisal.models import PaperSheet, SheetState
from meetings.models import Attendance, Criticism, MeetingState, SelfCriticism
from rectification.models import Problem
from tests.form_once import token_in
from tests.meetings.factories import MeetingFactory, TeamMeetingFactory, low_quotas, settle, talk


def xlsx(sheets: dict[str, list[list]]) -> io.BytesIO:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for line in sheet.iter_rows():
            for cell in line:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # typed as text, as an office's file would
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def rows_of(content: bytes) -> dict[str, list[list[str]]]:
    book = load_workbook(io.BytesIO(content))
    return {
        sheet.title: [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        for sheet in book.worksheets
    }


@pytest.fixture
def people(world):
    low_quotas(world.campaign)
    return world.member, Member.objects.get(campaign=world.campaign, name="李四INSIDE")


@pytest.fixture
def meeting(world, people):
    meeting = MeetingFactory(branch=world.branch)
    settle(people)
    talk(*people)
    services.meetings_follow_gate(campaign_id=meeting.campaign_id)
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.READY
    return meeting


def record_file(meeting, people, *, absent_reason: str = "", critic=None, content="工作作风不够扎实") -> io.BytesIO:
    zhang, li = people
    code, day = meeting.branch.code, meeting.planned_on.isoformat()
    critic = critic or li
    return xlsx(
        {
            "出席情况": [
                ["班子或支部编号", "计划日期", "召开日期", "党员编号", "姓名", "出席情况", "缺席原因"],
                [code, day, day, zhang.number, zhang.name, "出席", ""],
                [code, day, day, li.number, li.name, "缺席" if absent_reason else "出席", absent_reason],
            ],
            "自我批评": [
                ["班子或支部编号", "计划日期", "党员编号", "姓名", "自我批评摘要", "涉及方面"],
                [code, day, zhang.number, zhang.name, "理论学习抓得不紧", "理想信念、工作作风"],
            ],
            "相互批评": [
                [
                    "班子或支部编号",
                    "计划日期",
                    "批评人编号",
                    "批评人",
                    "被批评人编号",
                    "被批评人",
                    "方面",
                    "批评意见",
                    "列入整改",
                ],
                [code, day, zhang.number, zhang.name, zhang.number, zhang.name, "理想信念", "学习不够系统", ""],
                [code, day, critic.number, critic.name, zhang.number, zhang.name, "工作作风", content, "是"],
            ],
        }
    )


def run(world, source, *, user="office", dry_run=False, filename="会议记录.xlsx"):
    return imports.meeting_records_import(
        campaign=world.campaign, user=world.users[user], source=source, filename=filename, dry_run=dry_run
    )


def written(meeting) -> tuple:
    return (
        Attendance.objects.filter(meeting=meeting).count(),
        SelfCriticism.objects.filter(meeting=meeting).count(),
        Criticism.objects.filter(meeting=meeting).count(),
        Problem.objects.count(),
    )


# --- Importing meeting records -----------------------------------------------------------------


def test_a_dry_run_checks_every_row_and_writes_nothing(world, people, meeting):
    outbox, history = ChangeOutbox.objects.count(), meeting.history.count()
    report = run(world, record_file(meeting, people), dry_run=True)
    assert report.ok, [str(e) for e in report.errors]
    assert [c.created for c in report.counts] == [2, 1, 2]
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.READY
    assert written(meeting) == (0, 0, 0, 0)
    assert (ChangeOutbox.objects.count(), meeting.history.count()) == (outbox, history)


def test_the_import_records_the_meeting_through_the_services(world, people, meeting):
    zhang, li = people
    report = run(world, record_file(meeting, people), user="secretary")
    assert report.ok, [str(e) for e in report.errors]
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.HELD and meeting.held_on == meeting.planned_on
    assert written(meeting) == (2, 1, 2, 1)
    self_criticism = SelfCriticism.objects.get(meeting=meeting)
    assert sorted(self_criticism.aspects) == ["ideals", "work"]
    marked = Criticism.objects.get(meeting=meeting, from_member=li)
    assert marked.problem is not None and marked.problem.member == zhang
    # History names the importer, as for a record typed in.
    assert {h.history_user for h in marked.history.all()} == {world.users["secretary"]}


def test_english_headers_and_values_import_too(world, people, meeting):
    zhang, li = people
    code, day = meeting.branch.code, meeting.planned_on.isoformat()
    source = xlsx(
        {
            "attendance": [
                ["Team or branch code", "Planned date", "Member number", "Present", "Reason for absence"],
                [code, day, zhang.number, "present", ""],
                [code, day, li.number, "absent", "On sick leave"],
            ]
        }
    )
    report = run(world, source)
    assert report.ok, [str(e) for e in report.errors]
    assert Attendance.objects.get(meeting=meeting, member=li).absence_reason == "On sick leave"


def test_a_bad_row_anywhere_imports_nothing_and_names_row_and_column(world, people, meeting):
    zhang, li = people
    # 李四 is absent, yet a criticism from him is in the third row of the criticisms.
    report = run(world, record_file(meeting, people, absent_reason="出差"))
    assert not report.ok
    assert [(e.sheet, e.row, e.column) for e in report.errors] == [("相互批评", 3, "批评人编号")]
    assert "李四INSIDE" in report.errors[0].message
    assert "相互批评 row 3, column 批评人编号" in str(report.errors[0])
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.READY
    assert written(meeting) == (0, 0, 0, 0)


def test_unknown_numbers_and_values_are_reported_per_cell(world, people, meeting):
    zhang, _li = people
    code, day = meeting.branch.code, meeting.planned_on.isoformat()
    source = xlsx(
        {
            "出席情况": [
                ["班子或支部编号", "计划日期", "党员编号", "出席情况", "缺席原因"],
                [code, day, "NO-SUCH", "出席", ""],
                [code, "明天", zhang.number, "也许", ""],
                ["ZZZ", day, zhang.number, "缺席", ""],
            ]
        }
    )
    report = run(world, source)
    found = {(e.row, e.column) for e in report.errors}
    assert {(2, "党员编号"), (3, "计划日期"), (3, "出席情况"), (4, "班子或支部编号"), (4, "缺席原因")} <= found
    assert written(meeting) == (0, 0, 0, 0)


def test_a_team_meeting_is_named_by_its_team_code_and_the_gate_still_applies(world, people):
    team = world.member.teams.get()
    planned = TeamMeetingFactory(team=team)
    assert planned.state == MeetingState.PLANNED  # nothing of the three no-convenings is done
    source = xlsx(
        {
            "出席情况": [
                ["班子或支部编号", "计划日期", "党员编号", "出席情况"],
                *[[team.code, planned.planned_on.isoformat(), m.number, "出席"] for m in people],
            ]
        }
    )
    report = run(world, source)
    assert [(e.row, e.column) for e in report.errors] == [(2, "班子或支部编号")]
    assert "three no-convenings" in report.errors[0].message
    assert not Attendance.objects.filter(meeting=planned).exists()


def test_a_meeting_outside_the_importers_reach_is_not_found(world, people):
    other = MeetingFactory(branch=world.other_branch)
    source = xlsx(
        {
            "出席情况": [
                ["班子或支部编号", "计划日期", "党员编号", "出席情况"],
                [other.branch.code, other.planned_on.isoformat(), world.other_member.number, "出席"],
            ]
        }
    )
    report = run(world, source, user="secretary")
    assert [(e.row, e.column) for e in report.errors] == [(2, "班子或支部编号")]
    assert not Attendance.objects.exists()


def test_export_then_import_gives_the_same_records(world, people, meeting, chinese):
    source = record_file(meeting, people, content='=HYPERLINK("http://x") 作风')
    assert run(world, source).ok
    before = written(meeting)
    exported = imports.record_workbook([meeting])
    sheets = rows_of(exported)
    source.seek(0)
    original = rows_of(source.getvalue())
    for name in ("出席情况", "自我批评", "相互批评"):
        assert sorted(sheets[name][1:]) == sorted(original[name][1:]), name
    # The would-be formula went out as text, and comes back as the same criticism.
    cell = load_workbook(io.BytesIO(exported))["相互批评"]["H3"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
    report = run(world, io.BytesIO(exported), filename="export.xlsx")
    assert report.ok, [str(e) for e in report.errors]
    assert [c.created for c in report.counts] == [0, 0, 0]
    assert [c.unchanged for c in report.counts] == [2, 1, 2]
    assert written(meeting) == before


def test_the_attendance_of_a_held_meeting_is_settled(world, people, meeting):
    assert run(world, record_file(meeting, people)).ok
    report = run(world, record_file(meeting, people, absent_reason="出差"))
    assert (report.errors[0].sheet, report.errors[0].row, report.errors[0].column) == ("出席情况", 3, "出席情况")
    source = record_file(meeting, people)
    book = load_workbook(source)
    book["出席情况"]["C2"] = "2026-01-02"
    changed = io.BytesIO()
    book.save(changed)
    changed.seek(0)
    report = run(world, changed)
    assert [(e.row, e.column) for e in report.errors] == [(2, "召开日期")]


def test_the_command_imports_all_or_nothing(world, people, meeting, tmp_path):
    path = tmp_path / "records.xlsx"
    path.write_bytes(record_file(meeting, people, absent_reason="出差").getvalue())
    with pytest.raises(CommandError):
        call_command("import_meeting_records", str(path), "--campaign", "demo", "--user", "office")
    assert written(meeting) == (0, 0, 0, 0)
    path.write_bytes(record_file(meeting, people).getvalue())
    call_command("import_meeting_records", str(path), "--campaign", "demo", "--user", "office", stdout=io.StringIO())
    assert written(meeting) == (2, 1, 2, 1)


def test_the_import_page_checks_then_confirms(client, world, people, meeting):
    client.force_login(world.users["secretary"])
    url = reverse("meetings:records_import")
    upload = record_file(meeting, people)
    upload.name = "会议记录.xlsx"
    response = client.post(url, {"file": upload})
    assert response.status_code == 200 and response.context["report"].ok
    assert written(meeting) == (0, 0, 0, 0)
    data = {"confirm": "1", "token": response.context["token"], once.FIELD: token_in(response.content)}
    response = client.post(url, data)
    assert response.status_code == 302
    assert written(meeting) == (2, 1, 2, 1)


# --- The meeting record in the office's layout -------------------------------------------------


@pytest.fixture
def recorded(world, people, meeting):
    assert run(world, record_file(meeting, people, content="=SUM(A1) 批评作风漂浮")).ok
    # A text stored before input was cleaned, with a control character no workbook holds.
    Criticism.objects.filter(meeting=meeting, content="=SUM(A1) 批评作风漂浮").update(
        content="=SUM(A1)\x01 批评作风漂浮"
    )
    meeting.refresh_from_db()
    return meeting


@pytest.fixture
def chinese():
    with translation.override("zh-hans"):
        yield


def test_the_record_workbook_has_its_sections(world, recorded, chinese):
    page = selectors.meeting_page(world.users["office"], recorded)
    book = load_workbook(io.BytesIO(_save(exports.record_workbook(page))))
    assert book.sheetnames == ["会议概况", "出席情况", "自我批评", "相互批评", "整改问题"]
    summary = book["会议概况"]
    assert summary["A1"].value == "机关支部INSIDE专题组织生活会记录"
    assert summary["A2"].value == "项目"
    facts = {row[0]: row[1] for row in summary.iter_rows(min_row=3, values_only=True)}
    assert facts["实到人数"] == "2" and facts["召开日期"] == recorded.planned_on.isoformat()
    mutual = book["相互批评"]
    assert [c.value for c in mutual[2]] == ["序号", "批评人", "被批评人", "方面", "批评意见", "列入整改"]
    assert mutual["E3"].value == "=SUM(A1) 批评作风漂浮"  # the control character dropped
    assert mutual["E3"].data_type == "s" and mutual["E3"].quotePrefix
    assert mutual["F3"].value == "是"
    assert book["整改问题"]["D3"].value == "=SUM(A1) 批评作风漂浮"
    assert book["自我批评"]["D3"].value == "理论学习抓得不紧"
    assert book["自我批评"]["E3"].value == "1. 学习不够系统"


def test_the_record_document_reads_back(world, recorded, chinese):
    page = selectors.meeting_page(world.users["office"], recorded)
    document = docx.Document(io.BytesIO(exports.record_docx(page)))
    section = document.sections[0]
    assert (round(section.page_width.cm), round(section.page_height.cm)) == (21, 30)
    headings = [p.text for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings[:2] == ["机关支部INSIDE专题组织生活会记录", "会议概况"]
    assert "相互批评" in headings and "整改问题" in headings
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert "=SUM(A1) 批评作风漂浮" in cells and "1. 学习不够系统" in cells and "理论学习抓得不紧" in cells


def test_the_record_downloads(client, world, recorded):
    page = selectors.meeting_page(world.users["office"], recorded)
    with translation.override("en"):
        assert exports.title(page) == "机关支部INSIDE: record of the special organisational life meeting"
    client.force_login(world.users["member"])
    response = client.get(reverse("meetings:record_docx", args=[recorded.pk]))
    assert response.status_code == 200 and response["Content-Type"].endswith("document")
    response = client.get(reverse("meetings:record_xlsx", args=[recorded.pk]))
    assert response.status_code == 200
    assert client.get(reverse("meetings:record_data", args=[recorded.pk])).status_code == 403


def test_the_four_files_write_and_read_back(world, recorded, chinese, tmp_path):
    """The meeting record and the tally sheet, each as a workbook and a Word file, written
    where a person can convert and look at them (MEETFILES_RENDER, else a temporary
    folder) and read back by openpyxl and python-docx."""
    import os

    target = os.environ.get("MEETFILES_RENDER") or str(tmp_path)
    page = selectors.meeting_page(world.users["office"], recorded)
    window = appraisal_services.window_open(user=world.users["secretary"], campaign=world.campaign, branch=world.branch)
    zhang, li = Member.objects.filter(branch=world.branch).order_by("name")
    assert tally(world, tally_file(world, (zhang, li))).ok
    sheet = PaperSheet.objects.get(window=window)
    files = {
        "record.xlsx": _save(exports.record_workbook(page)),
        "record.docx": exports.record_docx(page),
        "tally.xlsx": _save(appraisal_exports.tally_workbook(sheet)),
        "tally.docx": appraisal_exports.tally_docx(sheet),
    }
    for name, content in files.items():
        with open(os.path.join(target, name), "wb") as out:
            out.write(content)
        if name.endswith(".xlsx"):
            assert load_workbook(io.BytesIO(content)).worksheets, name
        else:
            text = "\n".join(p.text for p in docx.Document(io.BytesIO(content)).paragraphs)
            cells = "\n".join(
                c.text for t in docx.Document(io.BytesIO(content)).tables for r in t.rows for c in r.cells
            )
            assert text.strip() and cells.strip(), name
    record_cells = "\n".join(
        c.text for t in docx.Document(io.BytesIO(files["record.docx"])).tables for r in t.rows for c in r.cells
    )
    assert "批评作风漂浮" in record_cells


def _save(book) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- Paper tallies -------------------------------------------------------------------------


@pytest.fixture
def window(world):
    return appraisal_services.window_open(user=world.users["secretary"], campaign=world.campaign, branch=world.branch)


def tally_file(world, people, *, excellent=1, present=2) -> io.BytesIO:
    zhang, li = people
    code = world.branch.code
    team = world.member.teams.get()
    return xlsx(
        {
            "计票-党员": [
                ["支部编号", "实到人数", "党员编号", "姓名", "优秀", "合格", "基本合格", "不合格", "合计"],
                [code, present, zhang.number, zhang.name, excellent, 1, None, None, None],
                [code, None, li.number, li.name, 0, 1, 1, 0, 2],
            ],
            "计票-班子": [
                ["支部编号", "班子编号", "领导班子", "满意", "基本满意", "不满意"],
                [code, team.code, team.name, 2, 0, 0],
            ],
        }
    )


def tally(world, source, *, user="secretary", dry_run=False):
    return tally_imports.paper_tallies_import(
        campaign=world.campaign, user=world.users[user], source=source, filename="计票.xlsx", dry_run=dry_run
    )


def test_a_tally_dry_run_writes_nothing(world, people, window):
    report = tally(world, tally_file(world, people), dry_run=True)
    assert report.ok, [str(e) for e in report.errors]
    assert not PaperSheet.objects.exists()


def test_the_importer_enters_the_tally_and_a_second_teller_confirms_it(world, people, window):
    zhang, li = people
    assert tally(world, tally_file(world, people)).ok
    sheet = PaperSheet.objects.get(window=window)
    assert (sheet.present, sheet.state, sheet.entered_by) == (2, SheetState.ENTERED, world.users["secretary"])
    counts = {c.member_id: (c.excellent, c.qualified, c.basic, c.unqualified) for c in sheet.member_counts.all()}
    assert counts == {zhang.pk: (1, 1, 0, 0), li.pk: (0, 1, 1, 0)}
    assert sheet.team_counts.get().satisfied == 2
    with pytest.raises(ValidationError):
        appraisal_services.sheet_confirm(user=world.users["secretary"], sheet=sheet)
    appraisal_services.sheet_confirm(user=world.users["office"], sheet=sheet)
    report = tally(world, tally_file(world, people))
    assert not report.ok and "confirmed" in report.errors[0].message


def test_a_count_above_the_members_present_imports_nothing(world, people, window):
    report = tally(world, tally_file(world, people, excellent=2))
    assert not report.ok
    assert [(e.sheet, e.row) for e in report.errors] == [("计票-党员", 2)]
    assert "exceed" in report.errors[0].message
    assert not PaperSheet.objects.exists()
    report = tally(world, tally_file(world, people, present="两"))
    assert [(e.row, e.column) for e in report.errors] == [(2, "实到人数")]


def test_a_tally_exported_in_the_import_format_imports_back_the_same(world, people, window, chinese):
    assert tally(world, tally_file(world, people)).ok
    sheet = PaperSheet.objects.get(window=window)
    before = sorted(sheet.member_counts.values_list("member_id", "excellent", "qualified", "basic", "unqualified"))
    teams = sorted(sheet.team_counts.values_list("team_id", "satisfied", "basic", "dissatisfied"))
    exported = tally_imports.tally_data_workbook(sheet)
    assert list(rows_of(exported)) == ["计票-党员", "计票-班子"]
    sheet.member_counts.all().delete()
    sheet.team_counts.all().delete()
    assert tally(world, io.BytesIO(exported)).ok
    sheet.refresh_from_db()
    assert sheet.present == 2
    assert (
        sorted(sheet.member_counts.values_list("member_id", "excellent", "qualified", "basic", "unqualified")) == before
    )
    assert sorted(sheet.team_counts.values_list("team_id", "satisfied", "basic", "dissatisfied")) == teams


def test_the_tally_sheet_in_the_offices_layout(world, people, window):
    zhang, _li = people
    assert tally(world, tally_file(world, people)).ok
    sheet = PaperSheet.objects.get(window=window)
    translation.activate("zh-hans")
    book = load_workbook(io.BytesIO(_save(appraisal_exports.tally_workbook(sheet))))
    members = book["党员计票"]
    assert members["A1"].value == "机关支部INSIDE民主评议党员计票表"
    assert [c.value for c in members[2]] == ["序号", "姓名", "党员编号", "优秀", "合格", "基本合格", "不合格", "合计"]
    rows = {row[1]: row for row in members.iter_rows(min_row=3, values_only=True)}
    assert rows[zhang.name][3:] == (1, 1, 0, 0, 2)
    assert rows["实到人数"][2] == "2"
    document = docx.Document(io.BytesIO(appraisal_exports.tally_docx(sheet)))
    cells = [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]
    assert [zhang.name, zhang.number, "1", "1", "0", "0", "2"] in [row[1:] for row in cells]
    assert any("城关镇领导班子INSIDE" in row for row in cells)
    translation.deactivate()


def test_the_tally_downloads_for_the_tellers(client, world, people, window):
    assert tally(world, tally_file(world, people)).ok
    client.force_login(world.users["secretary"])
    assert client.get(reverse("appraisal:tally_docx", args=[window.pk])).status_code == 200
    assert client.get(reverse("appraisal:tally_xlsx", args=[window.pk])).status_code == 200
    client.force_login(world.users["supervisor"])
    assert client.get(reverse("appraisal:tally_xlsx", args=[window.pk])).status_code == 403


# --- The same file again (campaign.import_records) ----------------------------------------------


def test_meeting_records_imported_twice_are_named_and_double_nothing(world, people, meeting):
    assert run(world, record_file(meeting, people)).ok
    check = run(world, record_file(meeting, people), dry_run=True)
    assert any("already imported" in message for message in check.repeats)
    # What is on record is recognised and left alone: nothing to confirm.
    again = run(world, record_file(meeting, people))
    assert again.ok and not again.again_needed
    assert written(meeting) == (2, 1, 2, 1)


def test_paper_tallies_imported_twice_are_named_by_the_dry_run(world, people, window):
    assert tally(world, tally_file(world, people)).ok
    check = tally(world, tally_file(world, people), dry_run=True)
    assert any("already imported" in message for message in check.repeats)
    refused = tally(world, tally_file(world, people))
    assert not refused.ok and PaperSheet.objects.filter(window=window).count() == 1


def test_the_import_page_shows_the_repeat_and_imports_only_with_the_box_ticked(client, world, people, window):
    assert tally(world, tally_file(world, people)).ok
    client.force_login(world.users["secretary"])
    url = reverse("appraisal:paper_import")

    def check():
        upload = tally_file(world, people)
        upload.name = "计票.xlsx"
        response = client.post(url, {"file": upload})
        assert response.status_code == 200 and response.context["report"].ok
        return response

    response = check()
    page = response.content.decode()
    assert "already imported" in page and 'name="again"' in page
    data = {"confirm": "1", "token": response.context["token"], once.FIELD: token_in(response.content)}
    refused = client.post(url, data)
    assert refused.status_code == 200 and not refused.context["report"].ok
    response = check()
    data = {"confirm": "1", "again": "1", "token": response.context["token"], once.FIELD: token_in(response.content)}
    assert client.post(url, data).status_code == 302
    assert ImportedFile.objects.filter(campaign=world.campaign, kind=ImportKind.PAPER_TALLIES).count() == 2
