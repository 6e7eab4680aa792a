"""Every URL, as every role, against an object inside and one outside the role's scope.

The rows live in ``tests/matrix.py``; a URL without a row fails here.
"""

from __future__ import annotations

import copy
import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import openpyxl
import pytest
from django.db import transaction
from django.http import HttpResponse
from django.urls import reverse

from tests.matrix import (
    FORBIDDEN_MARKERS,
    OUTSIDE_SIDE,
    ROLES,
    MatrixWorld,
    Pattern,
    Row,
    Target,
    row_for,
    rows_without_url,
    url_patterns,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

PATTERNS: dict[str, Pattern] = {pattern.name: pattern for pattern in url_patterns()}


def _row_or_none(name: str) -> Row | None:
    try:
        return row_for(name)
    except LookupError:
        return None  # test_every_url_pattern_has_a_row names it


# One test per URL, a subtest per role and side: the world is built once per URL, and
# each failure still names its URL, role and side.
URL_NAMES = [name for name in PATTERNS if _row_or_none(name) is not None]


def test_every_url_pattern_has_a_row() -> None:
    missing = []
    for pattern in PATTERNS.values():
        try:
            row = row_for(pattern.name)
        except LookupError as error:
            missing.append(f"{pattern.name} (/{pattern.route}): {error}")
            continue
        if row is None:
            missing.append(f"{pattern.name} (/{pattern.route}): add a row to tests/matrix.py")
    assert not missing, "URL patterns without a row in the permission matrix:\n" + "\n".join(missing)


def test_every_row_stands_for_a_url() -> None:
    # A row whose URL is gone (or not written yet) is checked by nothing: say so.
    assert rows_without_url(set(PATTERNS)) == []


@pytest.fixture(autouse=True)
def fast_passwords(settings) -> None:
    # The world's users are made with passwords; the real hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def _module_matrix(_module_world) -> MatrixWorld:
    """The matrix's world (the module's `world`, the campaign elsewhere, the office's
    admin permissions), built once for the module inside its transaction
    (tests/conftest.py); each URL's test runs in a savepoint inside it."""
    assert _module_world is not None, "the permission matrix holds no transactional test"
    return MatrixWorld(_module_world)


@pytest.fixture
def matrix_world(_module_matrix: MatrixWorld, db) -> MatrixWorld:
    # The specimens a URL needs are built in its test's savepoint, so none are kept.
    matrix = copy.copy(_module_matrix)
    matrix.reset_specimens()
    return matrix


@pytest.mark.parametrize("url_name", URL_NAMES)
def test_permission_matrix(matrix_world: MatrixWorld, login, subtests, url_name: str) -> None:
    row = row_for(url_name)
    assert row is not None
    if row.model is not None:
        matrix_world.specimens(row.model)  # built once, outside the per-request savepoints
    for role in ROLES:
        for side in row.sides:
            with subtests.test(msg=f"{url_name} as {role}, {side}"), _rolled_back():
                _check(matrix_world, login, url_name, row, role, side)


@contextmanager
def _rolled_back() -> Iterator[None]:
    """Each request in a savepoint of its own: what one writes (a session, a language)
    or breaks cannot leak into the next."""
    with transaction.atomic():
        savepoint = transaction.savepoint()
        try:
            yield
        finally:
            transaction.savepoint_rollback(savepoint)


def _check(matrix_world: MatrixWorld, login, url_name: str, row: Row, role: str, side: str) -> None:
    obj = None
    if row.model is not None:
        obj = matrix_world.specimens(row.model).pick(role, side)
        assert obj is not None, f"{row.model} has no {side} specimen for {role}"
    target = row.reverse_args(obj)
    url = _url(PATTERNS[url_name], target)
    client = login(matrix_world.users[role])
    send = client.post if row.method == "post" else client.get
    response = send(url, data=dict(row.data))

    where = f"{url_name} ({url}) as {role}, {side}"
    expected = row.expect(role, side)
    assert response.status_code == expected.status, f"{where}: expected {expected}, got {response.status_code}"
    if expected.location:
        wanted = _reverse(expected.location, target) if expected.with_target else reverse(expected.location)
        got = urlsplit(response["Location"]).path
        assert got == wanted, f"{where}: redirected to {response['Location']}, expected {wanted}"
    if response.status_code != 200:
        return
    if row.xlsx:
        text = _workbook_text(response, where)
    elif row.docx:
        text = _docx_text(response, where)
    else:
        text = response.content.decode()
    for marker in FORBIDDEN_MARKERS[role]:
        assert marker not in text, f"{where}: shows {marker} data: {_around(text, marker)}"
    if row.shows and side != OUTSIDE_SIDE:
        assert row.shows in text, f"{where}: does not show {row.shows}"


def _reverse(name: str, target: Target) -> str:
    if isinstance(target, dict):
        return reverse(name, kwargs=target)
    return reverse(name, args=target)


def _url(pattern: Pattern, target: Target) -> str:
    if not pattern.unnamed:
        return _reverse(pattern.name, target)
    # An unnamed pattern cannot be reversed: fill its route by hand.
    assert isinstance(target, dict), f"{pattern.name}: give an unnamed pattern keyword arguments"
    route = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(target[m.group(1)]), pattern.route)
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(target[m.group(1)]), route)
    return "/" + route.replace("^", "").replace("$", "")


def _docx_text(response: HttpResponse, where: str) -> str:
    assert response["Content-Type"] == DOCX, f"{where}: not a Word document ({response['Content-Type']})"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return archive.read("word/document.xml").decode()


def _workbook_text(response: HttpResponse, where: str) -> str:
    assert response["Content-Type"] == XLSX, f"{where}: not a workbook ({response['Content-Type']})"
    # A large export streams from a file (FileResponse) rather than from memory.
    body = b"".join(response.streaming_content) if response.streaming else response.content
    book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    cells = [
        str(value)
        for sheet in book.worksheets
        for values in sheet.iter_rows(values_only=True)
        for value in values
        if value is not None
    ]
    return "\n".join(cells)


def _around(text: str, marker: str, width: int = 120) -> str:
    at = text.index(marker)
    return text[max(0, at - width) : at + width]
