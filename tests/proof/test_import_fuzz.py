"""Import fuzzing (issue 11 §5, item 2): generated CSV and XLSX files with bad rows at
random positions, wrong types, huge cells, control characters, formulas and broken zips:
0 partial imports, 0 side effects of a dry run, never a 500.

Every spreadsheet import is driven: the organisation's, the opinions' and the talk
cards'. Each file is a run of good rows with, at random places, rows that are bad for
sure (an unknown code, a date that is none, a missing required cell, an unknown choice)
and rows with noise (a number, a date or a boolean where text goes, a huge cell,
control and bidi characters, a formula); some files are then broken as files (cut off,
bytes flipped, not a zip at all, NUL bytes in a CSV).

Through the services: a dry run changes no table (every row of every table compared);
a file with a bad row writes nothing and names every bad row; a file without changes
all or nothing. Through the pages: the upload (the dry run) changes no table but the
upload's own bookkeeping (the session, the opinions' import job), the confirmation
writes all or nothing, and no request answers 500.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from campaign.models import Member
from campaign.services import org_import
from core import once
from opinions.imports import opinions_import
from opinions.models import ImportJob
from talks.imports import talks_import
from tests.conftest import World, property_examples
from tests.form_once import token_in
from tests.talks.factories import analysis_day

pytestmark = pytest.mark.django_db

# What the upload pages keep of an upload: the file's token in the session, the
# opinions' import job (its report) and the used one-time form token (core.once) of the
# upload that starts that job; a login writes the session and axes' records.
BOOKKEEPING = {"django_session", "opinions_importjob", "axes_accesslog", "axes_accessattempt", "core_usedformtoken"}


def fingerprint(skip: frozenset[str] | set[str] = frozenset()) -> dict[str, str]:
    """Every table's rows, as a digest per table."""
    digests: dict[str, str] = {}
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        if model._meta.proxy or table in digests or table in skip:
            continue
        names = [f.attname for f in model._meta.concrete_fields]
        rows = sorted(map(repr, model._base_manager.values_list(*names)))
        digests[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest() + f" ({len(rows)} rows)"
    return digests


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return [table for table in before if before[table] != after.get(table)]


# --- The imports -----------------------------------------------------------------------


@dataclass
class Importer:
    """One import: its headers, a good row and the rows bad for sure, numbered ``i``."""

    name: str
    sheet: str
    headers: list[str]
    good: Callable[[int], list[Any]]
    bad: list[Callable[[int], list[Any]]]
    noisy_columns: list[int]  # text columns where noise goes
    service: Callable[..., Any]
    url: str


def importers(world: World) -> dict[str, Importer]:
    unit = world.unit.code
    member = Member.objects.get(pk=world.member.pk)
    day = analysis_day(world.campaign, 3)
    opinion_day = world.campaign.starts_on + datetime.timedelta(days=10)

    def member_row(i: int, **over: Any) -> list[Any]:
        row = {"number": f"FZ{i}", "name": f"成员{i}", "unit": unit, "branch": "", "rank": "", "position": "科员"}
        row.update(over)
        return [*row.values(), ""]

    def opinion_row(i: int, **over: Any) -> list[Any]:
        row = {
            "text": f"意见第{i}条：会议太多",
            "kind": "意见",
            "ttype": "",
            "code": "",
            "target": "城关镇的路灯管理",
            "channel": "意见箱",
            "date": opinion_day.isoformat(),
            "aspect": "工作作风",
            "source": "老干部",
            "event": "",
            "unit": "",
        }
        row.update(over)
        return list(row.values())

    def talk_row(i: int, **over: Any) -> list[Any]:
        row = {
            "number": member.number,
            "name": "",
            "other": "",
            "outsider": f"群众{i}",
            "role": "退休教师",
            "relation": "居民",
            "kind": "党员与群众",
            "date": day.isoformat(),
            "place": "社区",
            "topics": f"群众关心的事{i}",
        }
        row.update(over)
        return list(row.values())

    return {
        "org": Importer(
            name="org",
            sheet="members",
            headers=["Number", "Name", "Unit code", "Branch code", "Rank", "Position", "Units in charge"],
            good=member_row,
            bad=[
                lambda i: member_row(i, unit=f"NO-SUCH-{i}"),
                lambda i: member_row(i, rank="Pope"),
                lambda i: member_row(i, name=""),
                lambda i: member_row(i, branch=f"NOPE{i}"),
            ],
            noisy_columns=[1, 5],
            service=org_import,
            url=reverse("campaign:org_import"),
        ),
        "opinions": Importer(
            name="opinions",
            sheet="意见建议",
            headers=[
                "意见建议内容",
                "类型",
                "对象类型",
                "对象代码",
                "反映对象",
                "征求渠道",
                "征求时间",
                "所属方面",
                "意见来源",
                "征求活动",
                "记录单位代码",
            ],
            good=opinion_row,
            bad=[
                lambda i: opinion_row(i, text=""),
                lambda i: opinion_row(i, date="第三天下午"),
                lambda i: opinion_row(i, kind="Pope"),
                lambda i: opinion_row(i, ttype="党员", code=f"NO-SUCH-{i}", target=""),
            ],
            noisy_columns=[0, 4],
            service=opinions_import,
            url=reverse("opinions:import_page"),
        ),
        "talks": Importer(
            name="talks",
            sheet="谈心谈话",
            headers=[
                "谈话人编号",
                "谈话人",
                "谈话对象编号",
                "谈话对象",
                "对象身份",
                "与谈话人关系",
                "谈话类型",
                "谈话时间",
                "地点",
                "谈话主题",
            ],
            good=talk_row,
            bad=[
                lambda i: talk_row(i, number=f"NO-SUCH-{i}"),
                lambda i: talk_row(i, date="2026-13-45"),
                lambda i: talk_row(i, kind="Pope"),
                lambda i: talk_row(i, outsider=""),
            ],
            noisy_columns=[8, 9],
            service=talks_import,
            url=reverse("talks:import_page"),
        ),
    }


# --- The files ---------------------------------------------------------------------------

CONTROL = ["\x00", "\x07", "\x1b", "\u202e", "\u200b", "\ufeff", "a", "\r", "\t"]
NOISE: list[Callable[[random.Random], Any]] = [
    lambda r: r.randint(-(10**12), 10**12),  # a number where text goes
    lambda r: r.random() * 1e6,
    lambda r: datetime.datetime(2026, 3, 5, 14, 30),  # noqa: DTZ001 (what Excel holds)
    lambda r: True,
    lambda r: "长" * r.choice([5_000, 40_000]),  # a huge cell
    lambda r: "".join(r.choice(CONTROL) for _ in range(20)),
    lambda r: r.choice(["=1+2", '=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(A1)", "-2+3"]),
    lambda r: "",
]


@dataclass
class Plan:
    importer: str
    extension: str
    rows: int
    bad_at: dict[int, int]  # position → which bad row
    noise_at: dict[int, int]  # position → which noise
    damage: str  # "", "cut", "flip", "garbage", "nul"
    seed: int


plans = st.builds(
    Plan,
    importer=st.sampled_from(["org", "opinions", "talks"]),
    extension=st.sampled_from(["xlsx", "csv"]),
    rows=st.integers(1, 25),
    bad_at=st.dictionaries(st.integers(0, 24), st.integers(0, 3), max_size=3),
    noise_at=st.dictionaries(st.integers(0, 24), st.integers(0, len(NOISE) - 1), max_size=4),
    damage=st.sampled_from(["", "", "", "", "cut", "flip", "garbage", "nul"]),
    seed=st.integers(0, 2**32 - 1),
)


@dataclass
class File:
    data: bytes
    filename: str
    bad_lines: set[int]  # the lines (as Excel numbers them) bad for sure
    broken: bool


def build(plan: Plan, importer: Importer) -> File:
    rand = random.Random(plan.seed)
    rows: list[list[Any]] = [importer.headers]
    bad_lines: set[int] = set()
    for position in range(plan.rows):
        line = len(rows) + 1
        if position in plan.bad_at:
            row = importer.bad[plan.bad_at[position]](position)
            bad_lines.add(line)
        else:
            row = importer.good(position)
        if position in plan.noise_at and position not in plan.bad_at:
            column = rand.choice(importer.noisy_columns)
            row[column] = NOISE[plan.noise_at[position]](rand)
        rows.append(row)
    if plan.extension == "xlsx":
        book = Workbook()
        sheet = book.active
        sheet.title = importer.sheet
        for row in rows:
            # openpyxl refuses some control characters in a cell; a real file cannot hold them either.
            sheet.append([_xlsx_safe(value) for value in row])
        buffer = io.BytesIO()
        book.save(buffer)
        data = buffer.getvalue()
    else:
        text = io.StringIO()
        csv.writer(text).writerows([[_csv_value(v) for v in row] for row in rows])
        data = text.getvalue().encode("utf-8-sig")
    data = damage(data, plan.damage, rand)
    return File(data=data, filename=f"fuzz.{plan.extension}", bad_lines=bad_lines, broken=bool(plan.damage))


def _xlsx_safe(value: Any) -> Any:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _csv_value(value: Any) -> str:
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    return str(value)


def damage(data: bytes, how: str, rand: random.Random) -> bytes:
    if how == "cut":
        return data[: rand.randint(0, max(0, len(data) - 1))]
    if how == "flip":
        out = bytearray(data)
        for _ in range(rand.randint(1, 12)):
            at = rand.randrange(len(out))
            out[at] = rand.randrange(256)
        return bytes(out)
    if how == "garbage":
        return bytes(rand.randrange(256) for _ in range(rand.randint(0, 3000)))
    if how == "nul":
        at = rand.randrange(len(data) + 1)
        return data[:at] + b"\x00" * rand.randint(1, 40) + data[at:]
    return data


# --- Through the services ------------------------------------------------------------------

SERVICE_EXAMPLES = property_examples(400)
PAGE_EXAMPLES = property_examples(120)
_tally: Counter = Counter()
# No "explain" phase: it reruns a failing file minutes long; the shrunk file says enough.
PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink)


@pytest.mark.proof
@given(plan=plans)
@settings(
    max_examples=SERVICE_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    phases=PHASES,
)
def test_services_import_all_or_nothing_and_dry_runs_write_nothing(world: World, plan: Plan) -> None:
    check_services(world, plan, _tally)


def check_services(world: World, plan: Plan, tally: Counter) -> None:
    importer = importers(world)[plan.importer]
    file = build(plan, importer)
    user = world.users["office"]
    with transaction.atomic():
        before = fingerprint()
        dry = importer.service(
            campaign=world.campaign, user=user, source=io.BytesIO(file.data), filename=file.filename, dry_run=True
        )
        assert changed(before, fingerprint()) == [], "a dry run wrote"
        real = importer.service(
            campaign=world.campaign, user=user, source=io.BytesIO(file.data), filename=file.filename, dry_run=False
        )
        after = fingerprint()
        tally["files"] += 1
        tally["broken files"] += file.broken
        tally["files with a bad row"] += bool(file.bad_lines)
        if not real.ok:
            tally["refused"] += 1
            tally["refused as a whole file"] += any(error.row == 0 for error in real.errors)
            assert changed(before, after) == [], f"a refused import wrote: {real.errors[:3]}"
            assert all(error.message for error in real.errors)
            named = {error.row for error in real.errors}
            # A file refused as a whole (row 0: not a spreadsheet) names no row.
            if file.bad_lines and not file.broken and 0 not in named and real.error_count == len(real.errors):
                assert file.bad_lines <= named, f"bad lines {file.bad_lines} not all named: {real.errors}"
        else:
            tally["imported"] += 1
            assert not file.bad_lines or file.broken, f"rows {file.bad_lines} are bad, yet the file imported"
            assert dry.ok, "the dry run refused what the import took"
            assert real.rows == dry.rows
            assert changed(before, after), "an import that succeeded wrote nothing"
        transaction.set_rollback(True)


@pytest.mark.proof
def test_services_figures(figures) -> None:
    """Runs after the property above (same module, in order): its figures."""
    figures(examples=SERVICE_EXAMPLES, **{k.replace(" ", "_"): v for k, v in _tally.items()}, partial_imports=0)


# --- Through the pages -------------------------------------------------------------------

_pages: Counter = Counter()


def _post(client: Client, url: str, file: File) -> Any:
    # The page's one-time token (core.once): the opinions' upload starts a job.
    return client.post(url, {"file": SimpleUploadedFile(file.filename, file.data), once.FIELD: once.issue()})


@pytest.mark.proof
@given(plan=plans)
@settings(
    max_examples=PAGE_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    phases=PHASES,
)
def test_pages_upload_dry_run_and_confirm_never_500(world: World, plan: Plan, tmp_path_factory) -> None:
    from django.conf import settings as django_settings

    importer = importers(world)[plan.importer]
    file = build(plan, importer)
    with transaction.atomic():
        client = Client(raise_request_exception=False)
        client.force_login(world.users["office"], backend="django.contrib.auth.backends.ModelBackend")
        before = fingerprint(BOOKKEEPING)
        answer = _post(client, importer.url, file)
        _pages["uploads"] += 1
        assert answer.status_code < 500, f"{importer.url}: {answer.status_code}"
        assert changed(before, fingerprint(BOOKKEEPING)) == [], "the upload's dry run wrote"
        confirm = _confirmation(client, importer, answer)
        if confirm is not None:
            _pages["confirmations"] += 1
            assert not file.bad_lines or file.broken, "a file with bad rows was offered for confirmation"
            url, data = confirm
            done = client.post(url, data)
            assert done.status_code < 500, f"{url}: {done.status_code}"
            wrote = changed(before, fingerprint(BOOKKEEPING))
            _pages["imported"] += bool(wrote)
            assert wrote, "a confirmed import wrote nothing"
        else:
            _pages["refused"] += 1
            page = client.get(answer["Location"]) if answer.status_code == 302 else answer
            assert page.status_code == 200
            html = page.content.decode()
            named = set(re.findall(r'<td class="num">(\d+)</td><td>[^<]*</td><td class="error">', html))
            whole_file = '<td class="num">—</td>' in html
            if file.bad_lines and not file.broken and not whole_file:
                missing = {str(line) for line in file.bad_lines} - named
                assert not missing, f"bad rows {missing} not named on the page"
            _pages["bad rows named on the page"] += len(named)
        assert django_settings.MEDIA_ROOT  # uploads go to this worker's own folder (tests/conftest.py)
        transaction.set_rollback(True)


def _confirmation(client: Client, importer: Importer, answer: Any) -> tuple[str, dict[str, str]] | None:
    """The confirmation the page offers, if the dry run found every row good."""
    if importer.name == "opinions":
        if answer.status_code != 302:
            return None
        job = ImportJob.objects.order_by("-pk").first()
        assert job is not None
        if job.status != ImportJob.Status.CHECKED or job.error_count:
            return None
        return reverse("opinions:import_confirm", args=[job.pk]), {}
    session_key = {"org": "org_import", "talks": "talks_import"}[importer.name]
    pending = client.session.get(session_key)
    if not pending:
        return None
    # The confirmation form carries the page's one-time token (core.once).
    return importer.url, {"confirm": "1", "token": pending["token"], once.FIELD: token_in(answer.content)}


@pytest.mark.proof
def test_pages_figures(figures) -> None:
    figures(examples=PAGE_EXAMPLES, **_pages, server_errors=0, partial_imports=0)


# --- Through the commands --------------------------------------------------------------------

_commands: Counter = Counter()
COMMANDS = {"org": "import_org", "opinions": "import_opinions", "talks": "import_talks"}


@pytest.mark.proof
@given(plan=plans)
@settings(
    max_examples=PAGE_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    phases=PHASES,
)
def test_commands_exit_1_with_the_rows_or_import_all(world: World, plan: Plan, tmp_path_factory) -> None:
    from django.core.management import CommandError, call_command

    importer = importers(world)[plan.importer]
    file = build(plan, importer)
    path = tmp_path_factory.mktemp("fuzz") / file.filename
    path.write_bytes(file.data)
    with transaction.atomic():
        before = fingerprint()
        for dry_run in (True, False):
            args = [COMMANDS[plan.importer], str(path), "--campaign", world.campaign.slug, "--user", "office"]
            stderr = io.StringIO()
            try:
                call_command(*args, *(["--dry-run"] if dry_run else []), stdout=io.StringIO(), stderr=stderr)
            except CommandError:
                _commands["refused"] += 1
                assert changed(before, fingerprint()) == [], "a refused command wrote"
                assert stderr.getvalue().strip(), "a refusal without the rows"
                said = stderr.getvalue()
                named = {int(n) for n in re.findall(r" row (\d+)[,:]", said)}
                # A file refused as a whole ("fuzz.csv: …", no row) names no row.
                whole_file = any(line.startswith(f"{file.filename}: ") for line in said.splitlines())
                if file.bad_lines and not file.broken and not whole_file:
                    assert file.bad_lines <= named, f"rows {file.bad_lines - named} not named: {said}"
                    _commands["bad rows named"] += len(file.bad_lines)
                break
            if dry_run:
                _commands["dry runs passed"] += 1
                assert changed(before, fingerprint()) == [], "a dry run command wrote"
            else:
                _commands["imported"] += 1
                assert not file.bad_lines or file.broken
                assert changed(before, fingerprint())
        transaction.set_rollback(True)


@pytest.mark.proof
def test_commands_figures(figures) -> None:
    figures(examples=PAGE_EXAMPLES, **{k.replace(" ", "_"): v for k, v in _commands.items()}, partial_imports=0)


# --- A quick run in the default suite -------------------------------------------------------


@given(plan=plans)
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    phases=PHASES,
)
def test_quick_services_import_all_or_nothing(world: World, plan: Plan) -> None:
    """A few files of the fuzzing above in every run of the suite (`make test`)."""
    check_services(world, plan, Counter())
