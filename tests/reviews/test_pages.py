"""The pages as their users see them: the editor and its autosave, the .docx upload and
download, the diff, the reviewer's queue (the progress by unit: tests/reviews/test_progress.py)."""

from __future__ import annotations

import datetime
import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import once
from reviews import services
from reviews.docx import read_docx, write_docx
from reviews.models import AnalysisDocument, Decision, DocumentState, Review
from reviews.selectors import documents_summary
from tests import factories as f
from tests.reviews.conftest import ALL_CONFIRMED, sections_of

CHECKS = {"problems_accurate": True, "causes_accurate": True, "direction_accurate": True}


def _form_data(total: int, *, confirm: bool = True, action: str = "save") -> dict[str, str]:
    data = dict(sections_of(total))
    if confirm:
        data.update(dict.fromkeys(ALL_CONFIRMED, "on"))
    data["action"] = action
    data[once.FIELD] = once.issue()  # the editor's one-time token (core.once)
    return data


# --- Editor and autosave -----------------------------------------------------------


def test_member_sees_an_empty_editor_with_the_minimum(world, login) -> None:
    response = login(world.users["member"]).get(reverse("reviews:my_document"))
    assert response.status_code == 200
    assert "3000" in response.content.decode()
    assert AnalysisDocument.objects.filter(member=world.member, state=DocumentState.DRAFT).exists()


def test_the_editor_links_to_the_review_queue_only_for_a_reviewer(world, login, reviewer) -> None:
    """An ordinary member reviews nobody's document: no link to an empty queue (the menu
    offers none either); the unit's responsible leader, writing his own, has it."""
    queue = reverse("reviews:queue")
    assert queue not in login(world.users["member"]).get(reverse("reviews:my_document")).content.decode()
    assert queue in login(reviewer.user).get(reverse("reviews:my_document")).content.decode()


@pytest.mark.parametrize(
    ("accept", "shown", "not_shown"),
    [("en", "ideals and beliefs, sense of purpose", "理想信念"), ("zh-CN", "理想信念、宗旨意识", "ideals and beliefs")],
)
def test_the_upload_help_names_the_headings_in_the_pages_language(world, login, accept, shown, not_shown) -> None:
    """Both languages' headings are read; the page names those of its own language
    (the English page listed the Chinese ones)."""
    page = login(world.users["member"]).get(reverse("reviews:my_document"), HTTP_ACCEPT_LANGUAGE=accept)
    help_text = page.content.decode().split("Upload a Word document" if accept == "en" else "上传 Word 文档")[1]
    assert shown in help_text and not_shown not in help_text


def test_submitting_below_minimum_shows_the_missing_words_and_keeps_the_draft(world, login) -> None:
    client = login(world.users["member"])
    response = client.post(reverse("reviews:my_document"), _form_data(2500, action="submit"))
    assert response.status_code == 200
    assert "500 words are missing" in response.content.decode()
    document = AnalysisDocument.objects.get(member=world.member)
    assert (document.state, document.word_count) == (DocumentState.DRAFT, 2500)


def test_submitting_from_the_editor_goes_to_the_document_page(world, login, reviewer) -> None:
    response = login(world.users["member"]).post(reverse("reviews:my_document"), _form_data(3000, action="submit"))
    document = AnalysisDocument.objects.get(member=world.member)
    assert response.status_code == 302 and response["Location"] == reverse(
        "reviews:document_detail", args=[document.pk]
    )
    assert document.state == DocumentState.SUBMITTED and document.reviewer_member == reviewer


def test_autosave_keeps_the_draft_and_answers_json(world, login) -> None:
    client = login(world.users["member"])
    response = client.post(reverse("reviews:autosave"), {"causes": "自动保存的原因分析。", "compared_theory": "on"})
    assert response.status_code == 200
    assert response.json()["word_count"] == 9
    document = AnalysisDocument.objects.get(member=world.member)
    assert document.causes == "自动保存的原因分析。" and document.compared_theory


def test_invisible_characters_in_a_section_are_not_stored(world, login) -> None:
    client = login(world.users["member"])
    response = client.post(reverse("reviews:autosave"), {"causes": "原因\x01分析\u202e。\r\n第二段"})
    assert response.status_code == 200
    assert AnalysisDocument.objects.get(member=world.member).causes == "原因分析。\n第二段"
    client.post(reverse("reviews:my_document"), {"problems_ideals": "\u2066理想\x0b信念\u2069", "action": "save"})
    assert AnalysisDocument.objects.get(member=world.member).problems_ideals == "理想信念"


def test_autosave_after_the_session_ended_answers_403_json(db, client) -> None:
    response = client.post(reverse("reviews:autosave"), {"causes": "不会丢失"})
    assert response.status_code == 403
    assert response.json()["error"] == "session_expired"
    assert not AnalysisDocument.objects.exists()


def test_autosave_refuses_a_submitted_document_with_a_message(world, login, write, reviewer) -> None:
    document = write(world.member, 3000)
    services.document_submit(document=document, user=world.member.user)
    response = login(world.users["member"]).post(reverse("reviews:autosave"), {"causes": "改"})
    assert response.status_code == 409
    assert "cannot be changed" in response.json()["message"]


# --- .docx --------------------------------------------------------------------------


def test_docx_download_and_upload_round_trip(world, login, write) -> None:
    document = write(world.member, 3000)
    client = login(world.users["member"])
    response = client.get(reverse("reviews:document_docx", args=[document.pk]))
    assert response.status_code == 200
    assert read_docx(response.content) == document.sections()

    changed = {**document.sections(), "causes": "上传的原因分析。"}
    upload = SimpleUploadedFile("mine.docx", write_docx(title="自我剖析", sections=changed))
    response = client.post(reverse("reviews:upload"), {"file": upload}, follow=True)
    assert "filled from the Word document" in response.content.decode()
    document.refresh_from_db()
    assert document.causes == "上传的原因分析。"


def _zip(parts: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


BAD_UPLOADS = {
    "plain text named .docx": (b"just some text", "not a Word document"),
    "a zip without word/document.xml": (_zip({"[Content_Types].xml": b"<x/>", "a.txt": b"x"}), "not a Word document"),
    "a zip bomb": (
        _zip({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<" + b"a" * (30 * 1024 * 1024) + b"/>"}),
        "refused as unsafe",
    ),
    "an entity bomb": (
        _zip(
            {
                "[Content_Types].xml": b"<x/>",
                "word/document.xml": b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
            }
        ),
        "declarations Word never writes",
    ),
    "damaged XML": (_zip({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<w:document"}), "damaged"),
    "no section headings": (
        _zip(
            {
                "[Content_Types].xml": b"<x/>",
                "word/document.xml": b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                b"<w:body><w:p><w:r><w:t>\xe5\x8f\xaa\xe6\x9c\x89\xe6\xad\xa3\xe6\x96\x87\xe3\x80\x82</w:t></w:r></w:p></w:body></w:document>",
            }
        ),
        "No section headings",
    ),
}


@pytest.mark.parametrize("case", list(BAD_UPLOADS))
def test_bad_uploads_are_refused_with_a_message_and_nothing_written(world, login, write, case) -> None:
    document = write(world.member, 100)
    before = document.sections()
    data, message = BAD_UPLOADS[case]
    response = login(world.users["member"]).post(
        reverse("reviews:upload"), {"file": SimpleUploadedFile("x.docx", data)}, follow=True
    )
    assert message in response.content.decode()
    document.refresh_from_db()
    assert document.sections() == before


def test_an_upload_not_named_docx_is_refused(world, login) -> None:
    response = login(world.users["member"]).post(
        reverse("reviews:upload"), {"file": SimpleUploadedFile("x.doc", b"old word")}, follow=True
    )
    assert "Choose a .docx file" in response.content.decode()


def test_a_too_large_upload_is_refused(world, login, settings) -> None:
    big = b"PK" + b"\0" * (settings.DOCX_UPLOAD_MAX_BYTES + 10)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None
    response = login(world.users["member"]).post(
        reverse("reviews:upload"), {"file": SimpleUploadedFile("x.docx", big)}, follow=True
    )
    assert "larger than 5 MB" in response.content.decode()


# --- Decision, diff, queue ----------------------------------------------------------


@pytest.fixture
def revised(world, write, reviewer) -> AnalysisDocument:
    """Submitted, returned with comments, revised and resubmitted."""
    member = world.member
    document = write(member, 3000)
    services.document_submit(document=document, user=member.user)
    services.document_decide(
        document=document, user=reviewer.user, version_number=1, decision=Decision.RETURN, overall_comment="请加深"
    )
    services.document_save(
        document=document,
        user=member.user,
        sections={"causes": document.causes.replace("差距", "<差距>", 1) + "新增的根源分析。"},
    )
    services.document_submit(document=document, user=member.user)
    document.refresh_from_db()
    return document


def test_the_diff_marks_insertions_and_deletions_and_escapes_text(world, login, revised, reviewer) -> None:
    for user in (reviewer.user, world.users["member"]):
        response = login(user).get(reverse("reviews:document_diff", args=[revised.pk]), {"a": 1, "b": 2})
        html = response.content.decode()
        assert re.search(r"<ins>[^<]*新增的根源分析[^<]*</ins>", html)
        assert "<ins>&lt;</ins>差距<ins>&gt;</ins>" in html
        assert "<差距>" not in html


def test_reviewer_returns_with_comments_through_the_page(world, login, write, reviewer) -> None:
    document = write(world.member, 3000)
    services.document_submit(document=document, user=world.member.user)
    client = login(reviewer.user)
    page = client.get(reverse("reviews:document_detail", args=[document.pk])).content.decode()
    assert "Your decision on version 1" in page
    response = client.post(
        reverse("reviews:decide", args=[document.pk]),
        {"version": 1, "decision": "return", "comment_causes": "原因要从思想上找", "overall_comment": "再改改"},
        follow=True,
    )
    assert "原因要从思想上找" in response.content.decode()
    document.refresh_from_db()
    assert document.state == DocumentState.RETURNED
    editor = login(world.users["member"]).get(reverse("reviews:my_document")).content.decode()
    assert "原因要从思想上找" in editor and "再改改" in editor


def test_stale_decision_from_the_page_is_refused_with_a_message(world, login, revised, reviewer) -> None:
    response = login(reviewer.user).post(
        reverse("reviews:decide", args=[revised.pk]), {"version": 1, "decision": "approve", **CHECKS}, follow=True
    )
    assert "has since submitted version 2" in response.content.decode()
    assert revised.reviews.count() == 1


def test_queue_lists_oldest_first_with_the_waiting_time(world, login, reviewer, write) -> None:
    authors = [
        f.MemberFactory(campaign=world.campaign, unit=world.unit, user=f.UserFactory(), name=f"作者{i}")
        for i in range(3)
    ]
    for hours, member in zip((5, 74, 20), authors, strict=True):
        document = write(member, 3000)
        services.document_submit(document=document, user=member.user)
        AnalysisDocument.objects.filter(pk=document.pk).update(
            submitted_at=timezone.now() - datetime.timedelta(hours=hours)
        )
    html = login(reviewer.user).get(reverse("reviews:queue")).content.decode()
    assert html.index("作者1") < html.index("作者2") < html.index("作者0")
    # Waits in whole days, as on the talk cards' queue (74 hours: 3 days).
    assert "Waiting (days)" in html and '<td class="num">3</td>' in html and "74.0" not in html


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def test_the_queue_runs_a_bounded_number_of_queries(world, login, reviewer, write) -> None:
    def add(n: int) -> None:
        for _i in range(n):
            member = f.MemberFactory(campaign=world.campaign, unit=world.unit, user=f.UserFactory())
            services.document_submit(document=write(member, 3000), user=member.user)

    add(2)
    small_queue = _queries(login(reviewer.user), reverse("reviews:queue"))
    add(8)
    assert _queries(login(reviewer.user), reverse("reviews:queue")) == small_queue


def test_the_old_progress_address_leads_to_the_ledger_page(world, login) -> None:
    response = login(world.users["office"]).get(reverse("reviews:progress"), {"q": "城关", "page": "2"})
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:documents_progress") + "?q=%E5%9F%8E%E5%85%B3&page=2"


def test_documents_summary_for_the_stage_report(world, revised, reviewer) -> None:
    services.document_decide(
        document=revised, user=reviewer.user, version_number=2, decision=Decision.APPROVE, **CHECKS
    )
    summary = documents_summary(world.campaign)
    assert summary == {
        "members_total": world.campaign.members.count(),
        "submitted": 1,
        "approved": 1,
        "returned_at_least_once": 1,
        "leaders_min_words": 5000,
        "members_min_words": 3000,
    }


def test_office_reopens_an_approved_document_with_a_reason(world, login, revised, reviewer) -> None:
    services.document_decide(
        document=revised, user=reviewer.user, version_number=2, decision=Decision.APPROVE, **CHECKS
    )
    response = login(world.users["office"]).post(
        reverse("reviews:reopen", args=[revised.pk]), {"reason": "需补充会上意见"}, follow=True
    )
    assert "was reopened" in response.content.decode()
    revised.refresh_from_db()
    assert revised.state == DocumentState.RETURNED
    assert Review.objects.filter(document=revised).count() == 2


def _section_row(page: str, name: str) -> str:
    start = page.index(f'id="section-{name}"')
    end = page.find('class="section-row', start + 1)
    return page[start : end if end != -1 else page.index("</section>", start)]


def test_each_sections_comment_is_beside_the_section_for_reviewer_and_author(world, login, write, reviewer) -> None:
    """Issue 16, 10: no scrolling 3,000 px between a section and its comment box."""
    document = write(world.member, 3000)
    services.document_submit(document=document, user=world.member.user)
    client = login(reviewer.user)
    page = client.get(reverse("reviews:document_detail", args=[document.pk])).content.decode()
    causes = _section_row(page, "causes")
    # The reviewer's box for "causes" sits in the causes' row, tied to the decision's form.
    assert 'name="comment_causes"' in causes and 'form="decision-form"' in causes
    assert 'name="comment_causes"' not in _section_row(page, "problems_ideals")
    assert 'id="decision-form"' in page and page.index('id="document-text"') < page.index('id="decision-form"')
    client.post(
        reverse("reviews:decide", args=[document.pk]),
        {"version": 1, "decision": "return", "comment_causes": "原因要从思想上找"},
    )
    # The author reads the comment beside the section it is about, and only there.
    author = login(world.users["member"]).get(reverse("reviews:document_detail", args=[document.pk])).content.decode()
    assert "原因要从思想上找" in _section_row(author, "causes")
    assert "原因要从思想上找" not in _section_row(author, "problems_ideals")
    assert 'name="comment_causes"' not in author
