"""Every XML that comes in is parsed refusing DTDs: an .xlsx with a DOCTYPE (in any
encoding, in any part) is refused with a message in the import pages and commands,
never expanded and never answered with a 500; openpyxl parses through defusedxml."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from campaign.models import OrgUnit
from core import checks, once
from core.importing import xml_declares_dtd
from tests.campaign.importing import UNIT_HEADERS, messages, run, xlsx

pytestmark = pytest.mark.django_db

UNSAFE = (
    "This workbook contains XML declarations (a DTD or entities) that Excel never writes; it was refused as unsafe."
)
BOMB = '<!DOCTYPE x [<!ENTITY a "单位单位单位单位"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'


def workbook() -> bytes:
    return xlsx({"units": [UNIT_HEADERS, ["X1", "某单位", "unit", "C"]]})


def rewrite(data: bytes, part: str, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            body = source.read(info.filename)
            archive.writestr(info.filename, change(body) if info.filename == part else body)
    return out.getvalue()


def with_doctype(data: bytes, part: str, encoding: str = "utf-8", doctype: str = BOMB) -> bytes:
    def change(body: bytes) -> bytes:
        text = body.decode()
        if text.startswith("<?xml"):
            text = text.split("?>", 1)[1]
        text = text.replace("某单位", "&b;")
        return (f'<?xml version="1.0" encoding="{encoding.upper()}"?>{doctype}{text}').encode(encoding)

    return rewrite(data, part, change)


def test_openpyxl_parses_through_defusedxml() -> None:
    assert openpyxl.DEFUSEDXML is True
    assert checks.openpyxl_uses_defusedxml() == []


def test_start_up_stops_if_openpyxl_would_expand_entities(monkeypatch) -> None:
    monkeypatch.setattr(openpyxl, "DEFUSEDXML", False)
    assert [error.id for error in checks.openpyxl_uses_defusedxml()] == ["core.E001"]


@pytest.mark.parametrize(
    ("xml", "declares"),
    [
        (b'<?xml version="1.0"?><!DOCTYPE x><x/>', True),
        (f'<?xml version="1.0" encoding="UTF-16"?>{BOMB}<x/>'.encode("utf-16"), True),
        (b"<!-- a comment --><!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>", True),
        (b'<?xml version="1.0"?><x><!-- <!DOCTYPE x> --></x>', False),
        ('<?xml version="1.0" encoding="UTF-16"?><x>单位</x>'.encode("utf-16"), False),
        (b"<?xml version='1.0'?>" + b" " * (200 * 1024) + b"<x/>", True),  # a prolog no honest file has
        (b"not xml at all", False),  # left to the reader, which reports it damaged
    ],
)
def test_a_dtd_is_found_in_the_prolog_in_any_encoding(xml: bytes, declares: bool) -> None:
    assert xml_declares_dtd(io.BytesIO(xml)) is declares


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/workbook.xml", "[Content_Types].xml"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_a_workbook_with_a_doctype_is_refused_with_a_message(world, part: str, encoding: str) -> None:
    report = run(world.campaign, with_doctype(workbook(), part, encoding))
    assert messages(report) == [f"org.xlsx: {UNSAFE} Open it in Excel and save it again as .xlsx."]
    assert not OrgUnit.objects.filter(code="X1").exists()


def test_a_bare_doctype_is_refused_too(world) -> None:
    report = run(world.campaign, with_doctype(workbook(), "xl/worksheets/sheet1.xml", doctype="<!DOCTYPE worksheet>"))
    assert UNSAFE in messages(report)[0]


def test_an_external_entity_is_refused_not_answered_500(world) -> None:
    doctype = '<!DOCTYPE x [<!ENTITY b SYSTEM "file:///etc/passwd">]>'
    report = run(world.campaign, with_doctype(workbook(), "xl/worksheets/sheet1.xml", doctype=doctype))
    assert UNSAFE in messages(report)[0]


def test_a_sheet_damaged_past_its_header_row_is_reported_not_answered_500(world) -> None:
    data = rewrite(workbook(), "xl/worksheets/sheet1.xml", lambda body: body.replace(b"</sheetData>", b"</sheetDat>"))
    report = run(world.campaign, data)
    assert messages(report) == [
        "org.xlsx: This file is not a spreadsheet that can be read; upload an .xlsx workbook or a .csv file."
    ]


def test_the_import_page_shows_the_refusal(world, login, settings, tmp_path) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path / "media"
    data = with_doctype(workbook(), "xl/worksheets/sheet1.xml", "utf-16")
    response = login(world.users["office"]).post(
        "/org/import/", {"file": SimpleUploadedFile("org.xlsx", data)}, HTTP_ACCEPT_LANGUAGE="en", follow=True
    )
    assert response.status_code == 200
    assert UNSAFE in response.content.decode()


def test_the_talks_import_page_shows_the_refusal(world, login, settings, tmp_path) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    settings.MEDIA_ROOT = tmp_path / "media"
    data = with_doctype(workbook(), "xl/workbook.xml")
    response = login(world.users["office"]).post(
        reverse("talks:import_page"), {"file": SimpleUploadedFile("cards.xlsx", data)}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert UNSAFE in response.content.decode()


def test_the_import_command_refuses_it_with_the_message(world, tmp_path) -> None:
    path = tmp_path / "org.xlsx"
    path.write_bytes(with_doctype(workbook(), "xl/worksheets/sheet1.xml", "utf-16"))
    stderr = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_org", str(path), "--campaign", "demo", stderr=stderr, stdout=io.StringIO())
    assert UNSAFE in stderr.getvalue()


# --- Damaged zips (found by the import fuzzing of tests/proof/) -------------------------------
# Python's zipfile lets some damage through as errors of its own kinds, not BadZipFile:
# these were answered with a 500.

NOT_A_SPREADSHEET = "This file is not a spreadsheet that can be read; upload an .xlsx workbook or a .csv file."


def damaged_deflate(data: bytes, part: str = "xl/worksheets/sheet1.xml") -> bytes:
    """The part's compressed bytes start with a reserved deflate block type (zlib.error)."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(part)
    head = data[info.header_offset + 28 : info.header_offset + 30]
    start = info.header_offset + 30 + len(info.filename.encode()) + int.from_bytes(head, "little")
    return data[:start] + b"\xff\xff" + data[start + 2 :]


def unknown_zip_version(data: bytes) -> bytes:
    """The first entry of the directory needs zip version 25.5 to extract (NotImplementedError)."""
    at = data.index(b"PK\x01\x02") + 6
    return data[:at] + b"\xff" + data[at + 1 :]


@pytest.mark.parametrize("damage", [damaged_deflate, unknown_zip_version])
def test_a_damaged_zip_is_not_a_spreadsheet_not_a_500(world, damage) -> None:
    report = run(world.campaign, damage(workbook()))
    assert messages(report) == [f"org.xlsx: {NOT_A_SPREADSHEET}"]
    assert not OrgUnit.objects.filter(code="X1").exists()


@pytest.mark.parametrize("url", ["campaign:org_import", "talks:import_page", "opinions:import_page"])
@pytest.mark.parametrize("damage", [damaged_deflate, unknown_zip_version])
def test_every_import_page_answers_a_damaged_zip_with_the_message(world, login, settings, tmp_path, url, damage):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    settings.MEDIA_ROOT = tmp_path / "media"
    client = login(world.users["office"])
    client.raise_request_exception = False
    upload = SimpleUploadedFile("damaged.xlsx", damage(workbook()))
    # The opinions' upload starts a job: it carries the page's one-time token (core.once).
    data = {"file": upload, once.FIELD: once.issue()}
    response = client.post(reverse(url), data, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert response.status_code == 200
    assert NOT_A_SPREADSHEET in response.content.decode()
