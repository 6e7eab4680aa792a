"""Stored XSS sweep (issue 11 §5, item 3): a payload in every text field of every model,
every page rendered for every role: 0 unescaped.

The permission matrix's world (tests/matrix.py) with every model's specimens is built;
then every text column a person, an import or a browser can fill (user names, axes'
records of a login, an upload's file name, the history's reason included) gets a payload
of its own. Every GET URL of the matrix is requested as every role, inside and outside
its scope. An HTML page must show no payload's raw markup; a JSON answer is not HTML;
a workbook holds no formula (a payload starting with "=" stays text); a CSV cell does
not start a formula; a Word document holds the payload as text.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field

import openpyxl
import pytest
from django.apps import apps
from django.db import IntegrityError, models, transaction
from django.http import HttpResponse
from django.test import Client

from core.excel import FORMULA_PREFIXES
from tests.matrix import ROLES, SPECIMENS, MatrixWorld, Specimens, row_for
from tests.test_permission_matrix import PATTERNS, _rolled_back, _url

pytestmark = [pytest.mark.proof, pytest.mark.django_db]

# Raw markup that only an unescaped payload puts in a page ("onerror=alert" alone is
# also in the escaped text, so the tag's "<" is part of each marker).
MARKERS = ("<script>xss", "<img src=x onerror", "<xq>")
# Columns that hold no text a person, a file or a browser chooses: keys, hashes, paths
# derived by the application, machine vocabularies.
SKIPPED_APPS = {"contenttypes", "sessions", "reports"}
SKIPPED_MODELS = {"auth.permission", "campaign.changeoutbox"}
SKIPPED_FIELDS = {
    "password",
    "path",
    "receipt_hash",
    "pair",
    "session_hash",
    "language",
    "object_id",
    "change_message",
    "history_type",
}


def payload(n: int, max_length: int | None) -> str:
    """A payload numbered ``n`` (unique, for unique columns); every third starts as a
    formula would."""
    formula = "=2+3" if n % 3 == 0 else ""
    long = f"{formula}<script>xss-{n}</script>\"'><img src=x onerror=alert({n})><xq>{n}"
    if max_length is None or len(long) <= max_length:
        return long
    short = f"{formula}\"'><xq>{n}"
    assert len(short) <= max_length, (n, max_length)
    return short


def text_fields(model: type[models.Model]) -> list[models.Field]:
    if model._meta.app_label in SKIPPED_APPS or model._meta.label_lower in SKIPPED_MODELS:
        return []
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, (models.CharField, models.TextField))
        and not isinstance(f, (models.SlugField, models.EmailField))
        and not f.choices
        and f.name not in SKIPPED_FIELDS
    ]


@dataclass
class Filled:
    rows: int = 0
    cells: int = 0
    columns: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)  # left empty in some row by a constraint


def fill_every_text_field() -> Filled:
    """Every row's text columns, each with its own payload. A row whose constraints
    want a column empty (a talk with a member names no outsider) keeps that one empty:
    its other columns are filled one by one."""
    filled = Filled()
    counter = iter(range(1, 10**9))
    for model in apps.get_models(include_auto_created=True):
        fields = text_fields(model)
        if not fields or model._meta.proxy:
            continue
        for pk in model._base_manager.values_list("pk", flat=True):
            row = model._base_manager.filter(pk=pk)
            values = {f.attname: payload(next(counter), f.max_length) for f in fields}
            try:
                with transaction.atomic():
                    row.update(**values)
                done = list(values)
            except IntegrityError:
                done = []
                for name, value in values.items():
                    try:
                        with transaction.atomic():
                            row.update(**{name: value})
                        done.append(name)
                    except IntegrityError:
                        filled.refused.add(f"{model._meta.db_table}.{name}")
            filled.rows += 1
            filled.cells += len(done)
            filled.columns.update(f"{model._meta.db_table}.{name}" for name in done)
    return filled


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def body_of(response: HttpResponse) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def problems_of(response: HttpResponse, where: str, kinds: Counter) -> list[str]:
    """What in a response lets a payload run: raw markup in HTML, a formula in a
    workbook or a CSV file, markup in a Word document."""
    kind = response.get("Content-Type", "").split(";")[0].strip()
    body = body_of(response)
    kinds[kind or "(none)"] += 1
    found: list[str] = []
    if kind == XLSX:
        book = openpyxl.load_workbook(io.BytesIO(body))
        kinds["workbooks holding a payload as text"] += any(
            "<xq>" in str(cell.value) for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
        )
        return [
            f"{where}: formula in {sheet.title}!{cell.coordinate}: {cell.value!r}"
            for sheet in book.worksheets
            for row in sheet.iter_rows()
            for cell in row
            if cell.data_type == "f"
        ]
    if kind == DOCX:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            text = archive.read("word/document.xml").decode()
        return [f"{where}: {marker} in the document" for marker in MARKERS if marker in text]
    if kind == "text/csv":
        text = body.decode("utf-8-sig")
        for cells in csv.reader(io.StringIO(text)):
            found.extend(f"{where}: CSV formula {c!r}" for c in cells if c.startswith(FORMULA_PREFIXES))
        return found
    if kind == "application/json":
        assert response.get("X-Content-Type-Options") == "nosniff", f"{where}: JSON a browser may sniff as HTML"
        return []
    text = body.decode(errors="replace")
    # The proof that pages do show the payloads, escaped.
    kinds["html showing a payload, escaped"] += "&lt;xq&gt;" in text
    return [
        f"{where}: unescaped {marker!r}: …{text[max(0, match.start() - 80) : match.end() + 40]}…"
        for marker in MARKERS
        for match in re.finditer(re.escape(marker), text)
    ]


def test_no_payload_runs_on_any_page_for_any_role(world, figures) -> None:
    matrix = MatrixWorld(world)
    built, clashing = 0, []
    for label in SPECIMENS:
        # Each builder was written for a world of its own: one that clashes with what
        # another built (a figure rolled up twice) is named, and an existing row ...
        try:
            with transaction.atomic():
                matrix.specimens(label)
            built += 1
        except IntegrityError as error:
            # ... stands in for the specimen then: a row of the model already there.
            matrix._specimens.pop(label, None)
            existing = apps.get_model(label)._base_manager.order_by("pk").first()
            if existing is not None:
                matrix._specimens[label] = Specimens(inside=existing)
                built += 1
            clashing.append(f"{label}: {error}")
    print("\n".join(clashing))  # named, and counted in the figures
    filled = fill_every_text_field()
    assert filled.cells > 200, "the sweep would prove nothing"

    kinds: Counter = Counter()
    statuses: Counter = Counter()
    problems: list[str] = []
    requests = skipped = 0
    for name, pattern in PATTERNS.items():
        row = row_for(name)
        if row is None or row.method != "get":
            continue
        for role in ROLES:
            for side in row.sides:
                if row.model and row.model not in matrix._specimens:
                    skipped += 1
                    continue
                obj = matrix.specimens(row.model).pick(role, side) if row.model else None
                if row.model and obj is None:
                    continue
                url = _url(pattern, row.reverse_args(obj))
                with _rolled_back():
                    client = Client(raise_request_exception=False)
                    user = matrix.users[role]
                    if user is not None:
                        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
                    response = client.get(url, data=dict(row.data))
                    requests += 1
                    statuses[response.status_code] += 1
                    where = f"{name} ({url}) as {role}, {side}"
                    if response.status_code >= 500:
                        problems.append(f"{where}: {response.status_code}")
                        continue
                    problems.extend(problems_of(response, where, kinds))

    figures(
        specimen_models=built,
        clashing_specimens=[line.split(":")[0] for line in clashing],
        skipped_requests=skipped,
        payload_columns=len(filled.columns),
        payload_rows=filled.rows,
        payload_cells=filled.cells,
        kept_empty_in_some_row=sorted(filled.refused),
        requests=requests,
        statuses=dict(sorted(statuses.items())),
        content_types=dict(kinds),
        unescaped_or_500=len(problems),
    )
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems[:60])


def test_the_sweep_sees_what_it_looks_for() -> None:
    # The sweep is trusted only if it would see a payload that ran.
    kinds: Counter = Counter()
    assert problems_of(HttpResponse(f"<p>{payload(7, None)}</p>"), "raw", kinds)
    assert not problems_of(HttpResponse("<p>&lt;xq&gt;7 &lt;script&gt;xss-7</p>"), "escaped", kinds)
    book = openpyxl.Workbook()
    book.active["A1"] = "=2+3"
    data = io.BytesIO()
    book.save(data)
    assert problems_of(HttpResponse(data.getvalue(), content_type=XLSX), "workbook", kinds)
    assert problems_of(HttpResponse("a,=2+3\n", content_type="text/csv"), "csv", kinds)
    assert len(payload(3, 40)) <= 40 and payload(3, None).startswith("=")
