"""Each unit's talk register (谈心谈话登记表) in the office's layout, the page that lists
the units, and the cards in the import format: scoped, formulas neutralised, a bounded
number of queries whatever the number of cards."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation

from campaign.models import Member
from talks.exports import register_counts, register_workbook
from talks.models import CardState, Relation, Talk, TalkKind
from talks.resources import KIND_WIDGET, RELATION_WIDGET, STATE_WIDGET
from tests import factories as f
from tests.talks.factories import PublicTalkFactory, TalkFactory, analysis_day, bulk_talks


def _rows(response) -> list[tuple]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    [sheet] = book.worksheets
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def _book_rows(book) -> list[tuple]:
    buffer = io.BytesIO()
    book.save(buffer)
    loaded = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()), read_only=True)
    [sheet] = loaded.worksheets
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def cards(world):
    """Cards of the inside unit, one across the two units, one of the outside unit only."""
    day = analysis_day(world.campaign, 2)
    colleague = Member.objects.get(campaign=world.campaign, name="李四INSIDE")
    other = f.MemberFactory(campaign=world.campaign, unit=world.other_unit, name="赵七OUTSIDE")
    inside = TalkFactory(
        member=world.member,
        other_member=colleague,
        kind=TalkKind.TEAM,
        talked_on=day,
        topics="=1+2",
        member_problems="学习不够",
        other_problems="",
        agreed="每周交流",
        recorder_name="王书记",
        state=CardState.ADEQUATE,
    )
    public = PublicTalkFactory(
        member=colleague,
        talked_on=day + datetime.timedelta(days=1),
        outsider_name="刘大爷",
        outsider_role="退休教师",
        outsider_relation=Relation.RESIDENT,
        topics="村里的路",
        state=CardState.RETURNED,
        times_returned=1,
    )
    across = TalkFactory(member=world.other_member, other_member=world.member, talked_on=day, topics="跨单位")
    outside = TalkFactory(member=world.other_member, other_member=other, talked_on=day, topics="外单位OUTSIDE")
    return {"inside": inside, "public": public, "across": across, "outside": outside}


def test_the_register_in_the_office_layout(world, cards):
    with translation.override("zh-hans"):
        rows = _book_rows(register_workbook(world.unit, Talk.objects.all()))
        # Choice labels: the catalogue's, else the office's wording.
        adequate, returned = STATE_WIDGET.label(CardState.ADEQUATE), STATE_WIDGET.label(CardState.RETURNED)
        kinds = [KIND_WIDGET.label(kind) for kind in TalkKind.values]
        resident = RELATION_WIDGET.label(Relation.RESIDENT)
    title, headers, *body, foot = rows
    assert title[0] == "城关镇政府INSIDE谈心谈话登记表"
    assert headers == ("序号", "谈话人", "谈话对象", "谈话类型", "时间", "地点", "主要内容", "记录人", "督导组审核")
    # The cards on which either person belongs to the unit, by date; not the outside unit's own.
    assert [row[0] for row in body] == [1, 2, 3]
    topics = [row[6].split("\n")[0] for row in body]
    assert topics == ["=1+2", "跨单位", "村里的路"]
    first = body[0]
    assert first[1:4] == ("张三INSIDE", "李四INSIDE", kinds[0])
    assert first[4].date() == cards["inside"].talked_on
    assert first[6] == "=1+2\n谈话人提出：学习不够\n达成共识：每周交流"  # a text with the quote prefix
    assert first[7:] == ("王书记", adequate)
    public = body[2]
    assert public[2] == f"刘大爷（退休教师，{resident}）"
    assert public[8] == f"{returned}（退回1次）"
    assert foot[0] == "合计" and foot[1] == "共3次"
    assert foot[6] == "；".join(f"{label}{n}次" for label, n in zip(kinds, (1, 0, 1, 1), strict=True))
    assert foot[8] == f"{adequate}1次"


def test_the_register_in_english(world, cards):
    with translation.override("en"):
        rows = _book_rows(register_workbook(world.other_unit, Talk.objects.all()))
    title, headers, *body, foot = rows
    assert title[0] == "第一中学OUTSIDE: register of heart-to-heart talks"
    assert headers[:3] == ("No.", "Initiator", "Counterpart")
    assert [row[6].split("\n")[0] for row in body] == ["跨单位", "外单位OUTSIDE"]
    assert body[0][6].split("\n")[1:] == [
        "The initiator raised: 学习不够深入",
        "The counterpart raised: 联系群众不够",
        "Agreed: 互相监督，限期改进",
    ]
    assert body[0][3] == "Member with member"
    assert foot[1] == "2 talks"


def test_register_counts_count_each_card_once_for_every_unit_above_either_person(world, cards):
    counts = register_counts(Talk.objects.all())
    assert counts[world.unit.pk] == 3
    assert counts[world.other_unit.pk] == 2
    assert counts[world.committee.pk] == 3
    assert counts[world.county.pk] == 4  # the card across both units once


def test_a_secretary_downloads_his_units_register_and_not_anothers(world, cards, login):
    client = login(world.users["secretary"])
    response = client.get(reverse("talks:register_export", args=[world.unit.pk]))
    assert response.status_code == 200
    rows = _rows(response)
    assert rows[0][0].startswith("城关镇政府INSIDE")
    assert len(rows) == 2 + 3 + 1
    assert client.get(reverse("talks:register_export", args=[world.other_unit.pk])).status_code == 404


def test_a_member_may_not_download_registers(world, cards, login):
    client = login(world.users["member"])
    assert client.get(reverse("talks:register_export", args=[world.unit.pk])).status_code == 403
    assert client.get(reverse("talks:register")).status_code == 403
    assert client.get(reverse("talks:import_export")).status_code == 403


def test_the_register_page_lists_the_units_in_reach_with_their_cards(world, cards, login):
    client = login(world.users["secretary"])
    text = client.get(reverse("talks:register")).content.decode()
    assert "城关镇政府INSIDE" in text and "机关支部INSIDE" in text
    assert "OUTSIDE" not in text
    assert reverse("talks:register_export", args=[world.unit.pk]) in text


def test_the_import_format_export_holds_the_cards_in_reach(world, cards, login):
    client = login(world.users["secretary"])
    rows = _rows(client.get(reverse("talks:import_export")))
    topics = {row[9] for row in rows[1:]}
    assert topics == {"=1+2", "村里的路", "跨单位"}
    response = client.get(reverse("talks:import_export"), {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    assert "'=1+2" in text and "外单位OUTSIDE" not in text


def _many_cards(world, n: int, start: int) -> None:
    members = f.bulk_members(world.campaign, [{"unit": world.unit} for _ in range(n + 1)])
    day = analysis_day(world.campaign, 1)
    bulk_talks(
        world.campaign,
        [
            {"member": members[i], "other_member": members[i + 1], "talked_on": day, "topics": f"主题{i}"}
            if i % 2
            else {
                "member": members[i],
                "outsider_name": f"群众{start + i}",
                "outsider_relation": Relation.RESIDENT,
                "talked_on": day,
                "topics": f"主题{i}",
            }
            for i in range(n)
        ],
    )


@pytest.mark.parametrize("url_name", ["talks:register_export", "talks:import_export", "talks:register"])
def test_exports_run_a_bounded_number_of_queries(world, login, django_assert_max_num_queries, url_name):
    client = login(world.users["secretary"])
    url = reverse(url_name, args=[world.unit.pk]) if url_name == "talks:register_export" else reverse(url_name)
    _many_cards(world, 5, 0)
    with django_assert_max_num_queries(12) as few:
        assert client.get(url).status_code == 200
    _many_cards(world, 120, 1000)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
        assert response.status_code == 200
    if url_name == "talks:register_export":
        assert len(_rows(response)) == 2 + 125 + 1
