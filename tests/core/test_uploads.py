"""A cap on every request body: refused from its Content-Length (413) before anything
reads it, and cut off while it streams when the length is missing or wrong."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.http.multipartparser import MultiPartParser
from django.test import Client, RequestFactory
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse

from core.uploads import CappedUploadHandler, RequestBodyLimitMiddleware, upload_limit
from reviews.models import AnalysisDocument

pytestmark = pytest.mark.django_db

HUGE = str(400 * 1024 * 1024)


class Unreadable(io.BytesIO):
    """A body that fails the test if anything reads it."""

    def read(self, *args, **kwargs):  # pragma: no cover (reaching it is the failure)
        raise AssertionError("the body was read")

    readline = read


def test_an_oversized_content_length_is_answered_413_without_reading_the_body(world) -> None:
    # The CSRF check is enforced, as in production: it reads a POST's fields, so the
    # refusal must come before it.
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["member"], backend="django.contrib.auth.backends.ModelBackend")
    # The test client's payload refuses to be read past its few real bytes.
    response = client.post(
        reverse("reviews:upload"),
        data=b"--x--",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=HUGE,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 413
    assert response["Connection"] == "close"
    assert "The file is too large; the largest accepted is 5.0\xa0MB." in response.content.decode()


def test_the_refusal_is_in_the_users_language(world) -> None:
    client = Client()
    client.force_login(world.users["member"], backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(
        reverse("reviews:upload"),
        data=b"x",
        content_type="application/octet-stream",
        CONTENT_LENGTH=HUGE,
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 413
    assert "文件过大" in response.content.decode()


def test_a_script_is_answered_in_json(world) -> None:
    client = Client()
    client.force_login(world.users["member"], backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(
        reverse("reviews:autosave"),
        data=b"causes=x",
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH=HUGE,
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 413 and response.json()["error"] == "too_large"


def test_every_view_has_the_request_cap_and_a_decorated_one_its_own(rf: RequestFactory, settings) -> None:
    settings.REQUEST_MAX_BYTES = 100_000
    settings.DOCX_UPLOAD_MAX_BYTES = 10_000
    middleware = RequestBodyLimitMiddleware(lambda request: None)

    def plain(request):  # pragma: no cover (never called)
        return None

    @upload_limit("DOCX_UPLOAD_MAX_BYTES")
    def decorated(request):  # pragma: no cover (never called)
        return None

    def call(view, length: int):
        request = rf.post("/x", data=b"", content_type="application/octet-stream")
        request.META["CONTENT_LENGTH"] = str(length)
        request._stream = Unreadable()
        return middleware.process_view(request, view, (), {}), request

    assert call(plain, 100_000)[0] is None
    response, _request = call(plain, 100_001)
    assert response.status_code == 413
    assert call(decorated, 10_000 + 64 * 1024)[0] is None
    response, request = call(decorated, 10_000 + 64 * 1024 + 1)
    assert response.status_code == 413
    assert request.upload_max_bytes == 10_000


class CountingStream(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def test_a_body_is_cut_off_while_it_streams_past_the_cap(rf: RequestFactory) -> None:
    """Whatever its Content-Length says, the parser reads little more than the cap."""
    body = encode_multipart(BOUNDARY, {"before": "1", "file": SimpleUploadedFile("x.docx", b"\0" * (4 << 20))})
    request = rf.generic("POST", "/x", body, content_type=MULTIPART_CONTENT)
    request.upload_max_bytes = 16 * 1024
    stream = CountingStream(body)
    handlers = [CappedUploadHandler(request), MemoryFileUploadHandler(request)]
    post, files = MultiPartParser(request.META, stream, handlers).parse()
    assert request.upload_refused == 16 * 1024
    assert "file" not in files and post["before"] == "1"
    # The parser reads in chunks of 64 KiB: a few of them, not the 4 MB.
    assert stream.bytes_read < 300 * 1024


def test_a_docx_cut_off_while_streaming_is_refused_with_the_docx_message(world, login, settings) -> None:
    settings.DOCX_UPLOAD_MAX_BYTES = 2048
    # Within the Content-Length allowance (the cap and 64 KiB for the form), over the cap.
    upload = SimpleUploadedFile("x.docx", b"PK" + b"\0" * 20_000)
    response = login(world.users["member"]).post(reverse("reviews:upload"), {"file": upload}, follow=True)
    assert "The upload was refused: The file is larger than 1 MB." in response.content.decode()
    assert not AnalysisDocument.objects.filter(member=world.member).exclude(causes="").exists()


def test_the_settings_cap_every_kind(settings) -> None:
    assert settings.FILE_UPLOAD_HANDLERS[0] == "core.uploads.CappedUploadHandler"
    assert settings.DOCX_UPLOAD_MAX_BYTES == 5 * 1024 * 1024
    assert max(settings.UPLOAD_MAX_BYTES, settings.DOCX_UPLOAD_MAX_BYTES) <= settings.REQUEST_MAX_BYTES
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == settings.UPLOAD_MAX_BYTES
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS and settings.DATA_UPLOAD_MAX_NUMBER_FILES
