"""A cap on every request body, enforced before and while it is read.

Django caps the fields of a form (``DATA_UPLOAD_MAX_MEMORY_SIZE``) but not its files: a
400 MB "Word document" was written to a temporary file in full before any view could
look at its size. Two checks close that:

- ``RequestBodyLimitMiddleware`` refuses a request whose Content-Length exceeds the cap
  of the view it is for (``@upload_limit``) or ``REQUEST_MAX_BYTES``, with 413 and a
  page in the user's language, before anything reads the body: it sits before the CSRF
  check, which reads a POST's fields.
- ``CappedUploadHandler``, first of ``FILE_UPLOAD_HANDLERS``, counts the file bytes as
  they stream in and stops reading the body once they exceed the same cap, so that a
  body whose Content-Length is missing or wrong is never read further either. The view
  learns of it from ``upload_refusal(request)``.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

# What a form's other fields and the multipart framing add to a file: a body this much
# larger than the file cap is refused from its Content-Length alone.
FORM_OVERHEAD_BYTES = 64 * 1024

View = TypeVar("View", bound=Callable[..., Any])

# What reading an uploaded zip package (.xlsx, .docx) raises when the file is damaged:
# Python's zipfile lets the decompressor's error (zlib.error), a directory that names
# an unknown zip version or method (NotImplementedError), an encrypted part
# (RuntimeError) and a cut-off header (struct.error) through as they are, besides its
# own BadZipFile. Each is the file's fault, to be answered with a message, never a 500.
DAMAGED_ZIP: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zlib.error,
    NotImplementedError,
    RuntimeError,
    struct.error,
    OSError,
    EOFError,
    ValueError,
)


def upload_limit(setting: str) -> Callable[[View], View]:
    """Give a view the upload cap in ``settings.<setting>`` (bytes of file) instead of
    ``REQUEST_MAX_BYTES``. The attribute survives the decorators that use functools.wraps."""

    def decorate(view: View) -> View:
        view.upload_limit_setting = setting  # type: ignore[attr-defined]
        return view

    return decorate


def too_large_message(limit: int) -> str:
    return _("The file is too large; the largest accepted is %(limit)s.") % {"limit": filesizeformat(limit)}


def _content_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


class RequestBodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        setting = getattr(view_func, "upload_limit_setting", None)
        if setting is not None:
            limit = getattr(settings, setting)
            body_limit = min(limit + FORM_OVERHEAD_BYTES, settings.REQUEST_MAX_BYTES)
        else:
            limit = body_limit = settings.REQUEST_MAX_BYTES
        # Read by CappedUploadHandler when (and if) the body is parsed.
        request.upload_max_bytes = limit  # type: ignore[attr-defined]
        if _content_length(request) > body_limit:
            return refuse(request, limit)
        return None


def refuse(request: HttpRequest, limit: int) -> HttpResponse:
    """413, as JSON for a script (the editor's autosave), else as a page."""
    message = too_large_message(limit)
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"error": "too_large", "message": message}, status=413)
    response = TemplateResponse(request, "too_large.html", {"message": message, "back": request.path}, status=413)
    # The body was not read: the connection cannot carry another request.
    response["Connection"] = "close"
    return response


class CappedUploadHandler(FileUploadHandler):
    """Counts the bytes of every file of the request and stops reading the body (its
    rest is never read) once they exceed the cap; passes every chunk on unchanged."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.received = 0
        self.limit = settings.REQUEST_MAX_BYTES

    def handle_raw_input(self, input_data: Any, META: Any, content_length: int, boundary: Any, encoding: Any = None):
        self.limit = getattr(self.request, "upload_max_bytes", settings.REQUEST_MAX_BYTES)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            if self.request is not None:
                self.request.upload_refused = self.limit  # type: ignore[attr-defined]  # read by the view
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def upload_refusal(request: HttpRequest) -> str | None:
    """The message for a request whose upload was cut off while streaming, else None.
    Reads the body (through the capped handlers) if nothing has yet."""
    request.POST  # noqa: B018 (parses the body, files included)
    limit = getattr(request, "upload_refused", None)
    return too_large_message(limit) if limit is not None else None
