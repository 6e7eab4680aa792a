"""Every export the app offers, written with a would-be formula at the start of every
free-text column it shows: no cell of any workbook is a formula, and no text cell
starts with a formula character unless neutralised (Excel's quote prefix, or the
office layout's leading apostrophe); no CSV cell starts with one unquoted.

The payloads go into the database after the records are made, by field, so that a
new free-text field of a record already exported is poisoned too (``FREE_TEXT``)."""

from __future__ import annotations

import csv
import io
import itertools
import zipfile
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree as ET

import openpyxl
import pytest
from django.core.management import call_command
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.urls import resolve, reverse

from campaign.models import Campaign, LeadershipTeam, Member, OrgUnit, Supervisor, SupervisoryTeam
from opinions import feedback
from opinions.models import Aspect, FeedbackItem, Opinion, ReleaseBatch, SolicitationEvent
from opinions.services import Target
from reports.ledger import rollup as ledger_services
from reports.models import ExportJob
from reviews import services as review_services
from reviews.models import SECTION_FIELDS, AnalysisDocument, Review
from talks.models import Talk, TalkReview
from tests import factories as f
from tests.opinions.factories import OpinionFactory, SolicitationEventFactory
from tests.reports.helpers import add_opinion, build_ledgers
from tests.talks.factories import PublicTalkFactory, TalkFactory, TalkReviewFactory, analysis_day

# What a spreadsheet would run, written out here rather than taken from the guard
# under test.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "|", "%", "＝", "＋", "－", "＠")
PAYLOADS = ("=1+1", "+cmd", "-2", "@SUM(A1)", "|calc", "%x", "\tX", "\r=1", "＝1+1")

# Every free-text field a record shows, by model (codes, names and texts; not keys,
# paths or hashes, which the app derives and never shows).
FREE_TEXT = {
    Campaign: ["name", "county"],
    OrgUnit: ["code", "name"],
    Member: ["number", "name", "position"],
    LeadershipTeam: ["code", "name"],
    SupervisoryTeam: ["name"],
    Supervisor: ["name", "position"],
    SolicitationEvent: ["title", "place"],
    Opinion: ["text", "target_text", "submitter_name", "submitter_contact"],
    FeedbackItem: ["text"],
    ReleaseBatch: ["note"],
    Talk: [
        "outsider_name",
        "outsider_role",
        "place",
        "topics",
        "member_problems",
        "other_problems",
        "agreed",
        "recorder_name",
    ],
    TalkReview: ["comment", "reviewer_name"],
    AnalysisDocument: [*SECTION_FIELDS, "reopened_reason"],
    Review: ["overall_comment", "reviewer_name"],
}


def poison() -> None:
    """Put a payload before every free-text value that is not empty (an empty one may
    mean something, as a card's outsider): each field its own payload, in turn."""
    payloads = itertools.cycle(PAYLOADS)
    for model, fields in FREE_TEXT.items():
        for name in fields:
            rows = model._default_manager.filter(**{f"{name}__gt": ""})
            rows.update(**{name: Concat(Value(next(payloads)), F(name))})


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def poisoned(world):
    """Something in every export: opinions about every kind of target, an event, a
    released feedback list, talk cards (one public) reviewed, a document reviewed."""
    ledgers = build_ledgers(world)
    campaign = world.campaign
    office = world.users["office"]
    event = SolicitationEventFactory(campaign=campaign, unit=world.unit, place="礼堂")
    for target in ledgers.targets():
        add_opinion(campaign, target, text="意见")
    Opinion.objects.update(event=event, submitter_name="某人", submitter_contact="138")
    about = [OpinionFactory(campaign=campaign, target_member=world.member) for _ in range(3)]
    the_list = feedback.feedback_list_get_or_create(actor=office, campaign=campaign, target=Target(member=world.member))
    feedback.feedback_item_create(
        actor=office, feedback_list=the_list, text="综合意见", aspect=Aspect.WORK_STYLE, opinions=about
    )
    feedback.feedback_lists_release(
        actor=office, campaign=campaign, lists=[the_list], released_on=analysis_day(campaign)
    )
    ReleaseBatch.objects.update(note="批次说明")

    colleague = ledgers.colleague
    day = analysis_day(campaign, 1)
    card = TalkFactory(member=world.member, other_member=colleague, talked_on=day, place="会议室", recorder_name="书记")
    PublicTalkFactory(member=colleague, talked_on=day, outsider_name="刘", outsider_role="教师", place="村")
    TalkReviewFactory(talk=card, comment="审核意见", reviewer_name="督导员")

    reviewer = f.MemberFactory(campaign=campaign, unit=world.unit, name="负责人", user=f.UserFactory(username="lead"))
    world.unit.responsible_leader = reviewer
    world.unit.save()
    document = review_services.document_get_or_create(member=world.member)
    review_services.document_save(
        document=document,
        user=world.member.user,
        sections=dict.fromkeys(SECTION_FIELDS, "对照党章查找差距。" * 80),
        comparisons=dict.fromkeys(review_services.COMPARISONS, True),
    )
    version = review_services.document_submit(document=document, user=world.member.user)
    review_services.document_decide(
        document=document,
        user=reviewer.user,
        version_number=version.number,
        decision="return",
        overall_comment="请修改",
    )
    ledger_services.ledger_rollup_full(campaign_id=campaign.pk)
    poison()
    return ledgers


# --- What a file may hold ------------------------------------------------------------


def check_xlsx(content: bytes) -> int:
    """Every cell of every sheet is safe; the number of neutralised texts."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    neutralised = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula: {cell.value!r}"
                value = cell.value
                if not isinstance(value, str):
                    continue
                if value.startswith(FORMULA_PREFIXES):
                    assert cell.quotePrefix, f"{sheet.title}!{cell.coordinate} would run: {value!r}"
                    neutralised += 1
                elif value[:1] == "'" and value[1:].startswith(FORMULA_PREFIXES):
                    neutralised += 1
    return neutralised


def check_csv(content: bytes) -> int:
    text = content.decode("utf-8-sig")
    neutralised = 0
    for row in csv.reader(io.StringIO(text)):
        for value in row:
            assert not value.startswith(FORMULA_PREFIXES), f"CSV cell would run: {value!r}"
            neutralised += value[:1] == "'" and value[1:].startswith(FORMULA_PREFIXES)
    return neutralised


def body(response) -> bytes:
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- Every export -------------------------------------------------------------------

# (URL name, arguments: which record's pk, query) for every download a page offers.
PAGES = [
    ("campaign:unit_export", None, ""),
    ("campaign:member_export", None, ""),
    ("campaign:team_export", None, ""),
    ("campaign:supervisory_team_export", None, ""),
    ("opinions:opinion_export", None, ""),
    ("opinions:event_export", None, ""),
    ("opinions:feedback_export", None, ""),
    ("opinions:feedback_targets_export", None, ""),
    ("opinions:feedback_sheet", "list", ""),
    ("opinions:import_export", None, ""),
    ("opinions:import_export", None, "?format=csv&what=opinions"),
    ("opinions:import_export", None, "?format=csv&what=events"),
    ("talks:plan_export", None, ""),
    ("talks:import_export", None, ""),
    ("talks:import_export", None, "?format=csv"),
    ("talks:register_export", "unit", ""),
    ("reports:summary_export", None, ""),
    ("reports:unit_ledger_export", "unit", ""),
    ("reports:talks_county_export", None, ""),
    ("reports:talks_unit_export", "unit", ""),
    ("reports:talks_member_export", "member", ""),
    ("reports:talks_review_export", None, ""),
    ("reports:documents_progress_export", None, ""),
    ("reports:documents_unit_export", "unit", ""),
]


@pytest.mark.parametrize(("name", "record", "query"), PAGES, ids=[f"{n}{q}" for n, _r, q in PAGES])
def test_a_page_export_runs_no_formula(poisoned, login, name, record, query):
    world = poisoned.world
    pk = {"unit": world.unit.pk, "member": world.member.pk, "list": FeedbackItem.objects.get().feedback_list_id}
    url = reverse(name, args=[pk[record]] if record else []) + query
    response = login(world.users["admin"]).get(url)
    content = body(response)
    neutralised = check_csv(content) if "format=csv" in query else check_xlsx(content)
    assert neutralised, "no payload reached the export: is it still exported with the poisoned records?"


def test_the_general_ledger_job_runs_no_formula(poisoned, login, django_capture_on_commit_callbacks):
    client = login(poisoned.world.users["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:opinion_ledger_export"))
    job = ExportJob.objects.get(pk=resolve(urlsplit(response["Location"]).path).kwargs["pk"])
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    assert check_xlsx(body(client.get(reverse("reports:export_job_download", args=[job.pk]))))


@pytest.mark.parametrize(
    ("command", "arguments", "out"),
    [
        ("export_org", ["--campaign", "demo"], "org.xlsx"),
        ("export_opinions", [], "opinions.xlsx"),
        ("export_opinions", ["--what", "opinions"], "opinions.csv"),
        ("export_opinions", ["--what", "events"], "events.csv"),
    ],
)
def test_a_command_export_runs_no_formula(poisoned, tmp_path, command, arguments, out):
    path = tmp_path / out
    call_command(command, str(path), *arguments)
    content = path.read_bytes()
    assert check_csv(content) if out.endswith(".csv") else check_xlsx(content)


# --- Text stored with invisible characters --------------------------------------------

# What a row may hold when it was stored before input was cleaned (core.text), or written
# around the forms: a control character, which openpyxl refuses (the whole download
# failed) and no XML may hold, and the right-to-left override, which disguises text.
INVISIBLE = ("\x01", "\u202e")


@pytest.fixture
def hidden(poisoned):
    """The poisoned records with the invisible characters before every free text, so
    that what is left once they are stripped is a would-be formula still to neutralise."""
    prefix = "".join(INVISIBLE)
    for model, fields in FREE_TEXT.items():
        for name in fields:
            rows = model._default_manager.filter(**{f"{name}__gt": ""})
            rows.update(**{name: Concat(Value(prefix), F(name))})
    assert Opinion.objects.filter(text__startswith=prefix).exists()
    return poisoned


def check_visible(texts) -> None:
    for text in texts:
        assert not any(character in text for character in INVISIBLE), f"exported as stored: {text!r}"


def xlsx_texts(content: bytes):
    book = openpyxl.load_workbook(io.BytesIO(content))
    for sheet in book.worksheets:
        yield sheet.title
        for row in sheet.iter_rows():
            yield from (cell.value for cell in row if isinstance(cell.value, str))


@pytest.mark.parametrize(("name", "record", "query"), PAGES, ids=[f"{n}{q}" for n, _r, q in PAGES])
def test_a_page_export_strips_invisible_characters_already_stored(hidden, login, name, record, query):
    world = hidden.world
    pk = {"unit": world.unit.pk, "member": world.member.pk, "list": FeedbackItem.objects.get().feedback_list_id}
    url = reverse(name, args=[pk[record]] if record else []) + query
    response = login(world.users["admin"]).get(url)
    content = body(response)
    check_visible([unquote(response.get("Content-Disposition", ""))])
    if "format=csv" in query:
        assert check_csv(content)
        check_visible([content.decode("utf-8-sig")])
    else:
        assert check_xlsx(content)
        check_visible(xlsx_texts(content))


def test_the_general_ledger_job_strips_invisible_characters_already_stored(
    hidden, login, django_capture_on_commit_callbacks
):
    client = login(hidden.world.users["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:opinion_ledger_export"))
    job = ExportJob.objects.get(pk=resolve(urlsplit(response["Location"]).path).kwargs["pk"])
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    content = body(client.get(reverse("reports:export_job_download", args=[job.pk])))
    assert check_xlsx(content)
    check_visible(xlsx_texts(content))


@pytest.mark.parametrize(
    ("command", "arguments", "out"),
    [
        ("export_org", ["--campaign", "demo"], "org.xlsx"),
        ("export_opinions", [], "opinions.xlsx"),
        ("export_opinions", ["--what", "opinions"], "opinions.csv"),
    ],
)
def test_a_command_export_strips_invisible_characters_already_stored(hidden, tmp_path, command, arguments, out):
    path = tmp_path / out
    call_command(command, str(path), *arguments)
    content = path.read_bytes()
    if out.endswith(".csv"):
        check_visible([content.decode("utf-8-sig")])
    else:
        check_visible(xlsx_texts(content))


def test_the_document_download_strips_invisible_characters_already_stored(hidden, login):
    world = hidden.world
    document = AnalysisDocument.objects.get(member=world.member)
    response = login(world.users["admin"]).get(reverse("reviews:document_docx", args=[document.pk]))
    check_visible([unquote(response["Content-Disposition"])])
    with zipfile.ZipFile(io.BytesIO(body(response))) as archive:
        root = ET.fromstring(archive.read("word/document.xml"))  # XML that Word opens
    check_visible(root.itertext())
    assert any("对照党章查找差距" in text for text in root.itertext())
