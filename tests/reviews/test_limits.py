"""The limits of a self-analysis document: a section's length (at the field, in the
service, in the database), the time a diff may take, one history record per draft
however often the editor autosaves, and no DTD in an uploaded .docx in any encoding."""

from __future__ import annotations

import importlib
import io
import random
import re
import zipfile
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.html import strip_tags

from reviews import diff, services
from reviews.docx import read_docx, write_docx
from reviews.forms import DocumentForm
from reviews.models import (
    COMMENT_MAX_CHARS,
    REASON_MAX_CHARS,
    SECTION_FIELDS,
    SECTION_MAX_CHARS,
    AnalysisDocument,
    Decision,
)
from tests.reviews.conftest import ALL_CONFIRMED, sections_of

pytestmark = pytest.mark.django_db

HUGE = "差" * 60_000


# --- A section's length ---------------------------------------------------------------


def test_a_60000_character_section_is_refused_by_the_service_and_nothing_saved(world, write) -> None:
    document = write(world.member, 100)
    before = document.sections()
    with pytest.raises(ValidationError) as caught:
        services.document_save(document=document, user=world.member.user, sections={"causes": HUGE})
    assert caught.value.message_dict["causes"] == [
        f"“Causes” has 60,000 characters; at most {SECTION_MAX_CHARS:,} are allowed."
    ]
    document.refresh_from_db()
    assert document.sections() == before


def test_a_section_of_exactly_the_limit_is_kept(world, write) -> None:
    document = write(world.member, 100)
    text = "差" * SECTION_MAX_CHARS
    document = services.document_save(document=document, user=world.member.user, sections={"direction": text})
    assert AnalysisDocument.objects.get(pk=document.pk).direction == text


def test_the_editor_shows_the_limit_at_the_field(world, login) -> None:
    data = {**sections_of(100), "causes": HUGE, "action": "save"}
    response = login(world.users["member"]).post(reverse("reviews:my_document"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["causes"] == [
        f"Ensure this value has at most {SECTION_MAX_CHARS} characters (it has 60000)."
    ]
    assert f'maxlength="{SECTION_MAX_CHARS}"' in response.content.decode()
    assert not AnalysisDocument.objects.filter(causes=HUGE).exists()


def test_the_form_holds_every_section_to_the_limit() -> None:
    form = DocumentForm(dict.fromkeys(SECTION_FIELDS, HUGE))
    assert not form.is_valid()
    assert set(SECTION_FIELDS) <= set(form.errors)


def test_autosave_says_which_section_is_too_long(world, login) -> None:
    response = login(world.users["member"]).post(reverse("reviews:autosave"), {"causes": HUGE})
    assert response.status_code == 400
    assert response.json()["message"] == (
        f"Causes: Ensure this value has at most {SECTION_MAX_CHARS} characters (it has 60000)."
    )


def test_a_docx_with_a_60000_character_section_is_refused(world, login, write) -> None:
    document = write(world.member, 100)
    before = document.sections()
    data = write_docx(title="自我剖析", sections={**before, "causes": HUGE})
    response = login(world.users["member"]).post(
        reverse("reviews:upload"), {"file": SimpleUploadedFile("x.docx", data)}, follow=True
    )
    assert "at most 20,000 are allowed" in response.content.decode()
    document.refresh_from_db()
    assert document.sections() == before


def test_the_database_holds_to_the_limit(world, write) -> None:
    document = write(world.member, 100)
    with pytest.raises(IntegrityError), transaction.atomic():
        AnalysisDocument.objects.filter(pk=document.pk).update(causes=HUGE)


def test_reviewer_comments_and_the_reopening_reason_have_limits(world, write, reviewer) -> None:
    document = write(world.member, 3000)
    services.document_submit(document=document, user=world.member.user)
    with pytest.raises(ValidationError) as caught:
        services.document_decide(
            document=document,
            user=reviewer.user,
            version_number=1,
            decision=Decision.RETURN,
            overall_comment="改" * (COMMENT_MAX_CHARS + 1),
            section_comments={"causes": "改" * 2001},
        )
    assert set(caught.value.message_dict) == {"overall_comment", "comment_causes"}
    assert not document.reviews.exists()
    with pytest.raises(ValidationError) as caught:
        services.document_reopen(document=document, reason="因" * (REASON_MAX_CHARS + 1))
    assert "at most 2,000 are allowed" in caught.value.message_dict["reason"][0]


# --- The diff is bounded ----------------------------------------------------------------


class Clock:
    """A clock that moves one millisecond each time it is read: the diff's work is
    counted in reads of it (one per step of Myers' search), whatever the machine."""

    def __init__(self) -> None:
        self.reads = 0

    def time(self) -> float:
        self.reads += 1
        return self.reads / 1000


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    fake = SimpleNamespace(time=clock.time)
    monkeypatch.setattr(diff, "time", fake)
    monkeypatch.setattr(importlib.import_module("diff_match_patch.diff_match_patch"), "time", fake)
    return clock


def _new_text(html: str) -> str:
    """The new version back from the diff's HTML: everything but the deletions."""
    paragraphs = re.findall(r"<p>(.*?)</p>", re.sub(r"<del>.*?</del>", "", html))
    return "\n".join(strip_tags(p).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") for p in paragraphs)


def test_two_maximum_sections_that_differ_everywhere_are_compared_in_bounded_steps(clock: Clock) -> None:
    # The quadratic case: every section at the limit, made of a few characters in a
    # different random order, so that the edit distance is as large as it gets.
    rng = random.Random(11)
    old = {name: "".join(rng.choice("的是了在") for _ in range(SECTION_MAX_CHARS)) for name in SECTION_FIELDS}
    new = {name: "".join(rng.choice("的是了在") for _ in range(SECTION_MAX_CHARS)) for name in SECTION_FIELDS}
    result = diff.diff_versions(old, new)
    # DIFF_SECONDS of steps for the whole comparison, then a few reads per section to
    # find the deadline passed: never a number of steps that grows with the text.
    assert 0 < clock.reads <= diff.DIFF_SECONDS * 1000 + 50 * len(SECTION_FIELDS)
    for section in result:
        assert section.changed
        assert _new_text(section.html) == new[section.name]


def test_a_small_change_in_a_maximum_section_is_found_exactly(clock: Clock) -> None:
    old = ("对照党章要求查找自身在学习和工作中存在的差距。" * 1000)[:SECTION_MAX_CHARS]
    new = old[:9000] + "<新增>" + old[9000:]
    html, changed = diff.diff_text(old, new)
    assert changed and html.count("<ins>") == 1 and "<ins>&lt;新增&gt;</ins>" in html
    assert clock.reads < 100


def test_paragraphs_stay_paragraphs() -> None:
    html, changed = diff.diff_text("甲\n乙\n丙", "甲\n丙\n丁")
    assert changed
    # A deleted paragraph stays as one of its own, struck out; no tag spans two.
    assert _new_text(html) == "甲\n\n丙\n丁"
    assert html.startswith("<p>甲</p>") and "<del>乙</del>" in html and "<ins>丁</ins>" in html


# --- Autosave keeps one draft -------------------------------------------------------------


def test_autosaves_keep_one_history_record_for_the_draft(world, login, reviewer) -> None:
    client = login(world.users["member"])
    client.get(reverse("reviews:my_document"))
    document = AnalysisDocument.objects.get(member=world.member)
    created = document.history.count()
    for i in range(5):
        response = client.post(reverse("reviews:autosave"), {"causes": f"第{i}稿的原因分析。"})
        assert response.status_code == 200
    assert document.history.count() == created + 1
    draft = document.history.first()
    assert draft.causes == "第4稿的原因分析。" and draft.history_user == world.users["member"]
    assert draft.word_count == AnalysisDocument.objects.get(pk=document.pk).word_count

    # Submitted, returned, revised: the submission and the return are records of their
    # own, and the revision's saves share one new record.
    services.document_save(
        document=document, user=world.member.user, sections=sections_of(3000), comparisons=ALL_CONFIRMED
    )
    services.document_submit(document=document, user=world.member.user)
    services.document_decide(
        document=document, user=reviewer.user, version_number=1, decision=Decision.RETURN, overall_comment="再改"
    )
    before = document.history.count()
    for i in range(3):
        client.post(reverse("reviews:autosave"), {"causes": f"修改第{i}稿。"})
    assert document.history.count() == before + 1
    assert document.history.first().causes == "修改第2稿。"
    assert document.versions.count() == 1, "versions are made on submission only"


# --- No DTD in a .docx ------------------------------------------------------------------------


def _docx_with(document_xml: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<x/>")
        archive.writestr("word/document.xml", document_xml)
    return buffer.getvalue()


W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
WITH_ENTITY = (
    '<?xml version="1.0" encoding="UTF-16"?>'
    '<!DOCTYPE w:document [<!ENTITY a "原因原因原因原因"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    f'<w:document xmlns:w="{W}"><w:body>'
    "<w:p><w:r><w:t>原因</w:t></w:r></w:p><w:p><w:r><w:t>&b;</w:t></w:r></w:p>"
    "</w:body></w:document>"
)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8"])
def test_a_docx_with_a_doctype_is_refused_in_any_encoding(encoding: str) -> None:
    xml = WITH_ENTITY.replace("UTF-16", encoding.upper())
    data = xml.encode(encoding)
    if encoding == "utf-16-le":
        data = b"\xff\xfe" + data
    elif encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    with pytest.raises(ValidationError) as caught:
        read_docx(_docx_with(data))
    # Python's parser reads no part that declares UTF-16-LE or -BE: damaged, not a 500.
    expected = "damaged" if encoding in ("utf-16-le", "utf-16-be") else "declarations Word never writes"
    assert expected in caught.value.message_dict["file"][0]


def test_a_utf16_docx_with_a_doctype_is_refused_through_the_page(world, login, write) -> None:
    document = write(world.member, 100)
    before = document.sections()
    upload = SimpleUploadedFile("x.docx", _docx_with(WITH_ENTITY.encode("utf-16")))
    response = login(world.users["member"]).post(reverse("reviews:upload"), {"file": upload}, follow=True)
    assert "declarations Word never writes" in response.content.decode()
    document.refresh_from_db()
    assert document.sections() == before


def test_a_utf16_docx_without_a_doctype_is_read() -> None:
    xml = WITH_ENTITY.split("]>")[0].split("<!DOCTYPE")[0] + WITH_ENTITY.split("]>")[1].replace("&b;", "思想上放松。")
    assert read_docx(_docx_with(xml.encode("utf-16")))["causes"] == "思想上放松。"


def test_a_damaged_docx_is_refused_as_damaged_not_a_500() -> None:
    # Found by the proof suite's fuzzing: zipfile lets a damaged deflate stream
    # (zlib.error) and an unknown zip version (NotImplementedError) through as they are.
    from tests.core.test_xml_safety import damaged_deflate, unknown_zip_version

    data = write_docx(title="t", sections={"causes": "思想上放松。"})
    for damaged in (damaged_deflate(data, "word/document.xml"), unknown_zip_version(data)):
        with pytest.raises(ValidationError) as caught:
            read_docx(damaged)
        assert "not a Word document" in caught.value.message_dict["file"][0] or "damaged" in str(caught.value)
