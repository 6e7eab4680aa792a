"""Benchmark: importing the organisation (``import_org``) and talk cards (``import_talks``) on SQLite.

    .venv/bin/python bench/bench_import_org_talks.py [--members 3000] [--talks 10000]

Builds a county in a fresh SQLite database (a temporary file: the embedded default's
database, where the goal is set), writes an organisation workbook (units, members,
leadership teams, supervisory teams) and a workbook of talk cards, and imports each
through two paths in the same run, every run inside a transaction that is rolled back:

- the current path (``campaign.services.org_import``, ``talks.imports.talks_import``):
  lookups per chunk, rows and history rows written by ``core.bulk_write``;
- the same with the bulk writes of the previous session (``bulk_create_with_history``),
  to show what ``core.bulk_write`` gains;
- the path before it, kept here to measure against: the organisation row by row
  through django-import-export's ``import_data`` (``org_import_rowwise`` below, the
  code ``org_import`` ran before), and the talk cards with ``check_card``'s queries
  row by row (no ``CardLookups``). Both run on a sample and their rate is extrapolated.

The ledger roll-up after a commit is not timed (nothing commits here). Goal: ≥ 2,000
rows/s for each import on SQLite.
"""

from __future__ import annotations

import argparse
import datetime
import io
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GOAL = 2_000


def setup() -> None:
    folder = Path(tempfile.mkdtemp(prefix="canvass-bench-org-talks-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(48))
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    print(f"Migrating a fresh SQLite database in {folder} …", flush=True)
    call_command("migrate", verbosity=0)


class Rollback(Exception):
    pass


def timed(function: Any) -> tuple[float, Any]:
    """Run ``function`` in a transaction rolled back afterwards; its seconds and result."""
    from django.db import transaction

    result: Any = None
    start = time.perf_counter()
    try:
        with transaction.atomic():
            result = function()
            seconds = time.perf_counter() - start
            raise Rollback
    except Rollback:
        pass
    return seconds, result


# --- The county -----------------------------------------------------------------------


def county(members: int) -> tuple[Any, dict[str, list[list[Any]]]]:
    """A campaign with its stages, and the rows of an organisation workbook of about
    ``members`` members: 10 party committees, a unit per 15 members, two branches a
    unit, a department team per unit, a supervisory team per 6 units."""
    from campaign.models import Campaign, Stage, StageKind

    today = datetime.datetime.now(tz=datetime.UTC).date()
    campaign = Campaign.objects.create(
        slug="bench", name="bench", county="bench", starts_on=today - datetime.timedelta(days=30), ends_on=today
    )
    for order, kind in enumerate(StageKind.values, start=1):
        Stage.objects.create(
            campaign=campaign,
            kind=kind,
            order=order,
            starts_on=campaign.starts_on,
            ends_on=campaign.ends_on,
            is_current=kind == StageKind.ANALYSIS,
        )
    units = [["代码", "名称", "类型", "上级代码", "负责人编号"], ["C", "县委", "县委", "", ""]]
    people = [["编号", "姓名", "单位代码", "支部代码", "职级", "职务", "分管单位代码"]]
    teams = [["代码", "名称", "类型", "单位代码", "负责人编号", "成员编号"]]
    supervision = [["名称", "级别", "组长", "组员", "督导单位代码"]]
    unit_count = max(1, members // 15)
    number = 0
    unit_codes = []
    units += [[f"P{c:02d}", f"党委{c}", "党委", "C", ""] for c in range(10)]
    for u in range(unit_count):
        code = f"U{u:04d}"
        unit_codes.append(code)
        units.append([code, f"单位{u}", "单位", f"P{u % 10:02d}", ""])
        branches = [f"{code}B1", f"{code}B2"]
        units += [[b, f"{code}支部{b[-1]}", "支部", code, ""] for b in branches]
        seats = []
        for i in range(15):
            number += 1
            rank = "科级干部" if i < 3 else "普通党员"
            charge = unit_codes[(u + 1) % len(unit_codes)] if i == 0 and u else ""
            people.append([f"M{number:06d}", f"党员{number}", code, branches[i % 2], rank, "", charge])
            if i < 4:
                seats.append(f"M{number:06d}")
        teams.append([f"T{code}", f"{code}领导班子", "部门领导班子", code, seats[0], "、".join(seats)])
        units[-3][4] = seats[0]  # the unit's responsible leader
    supervision += [
        [f"督导组{s}", "县级", f"组长{s}", f"组员{s}甲、组员{s}乙", "、".join(unit_codes[s : s + 6])]
        for s in range(0, unit_count, 6)
    ]
    return campaign, {"组织": units, "党员": people, "领导班子": teams, "督导组": supervision}


def workbook(sheets: dict[str, list[list[Any]]]) -> bytes:
    """A workbook as Excel and WPS save one: texts in the shared strings, each sheet's
    size recorded. (openpyxl's write-only mode writes neither: every text inline, and
    no size, so that a reader parses each sheet twice; no office program does that.)"""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def sample_of(sheets: dict[str, list[list[Any]]], members: int) -> dict[str, list[list[Any]]]:
    """The first units (with their parents) and their members, teams and supervision."""
    units = sheets["组织"][: 12 + max(1, members // 15) * 3]
    codes = {row[0] for row in units[1:]}
    people = [sheets["党员"][0]] + [r for r in sheets["党员"][1:] if r[2] in codes][:members]
    numbers = {row[0] for row in people[1:]}
    units = [units[0]] + [[*r[:4], r[4] if r[4] in numbers else ""] for r in units[1:]]
    people = [people[0]] + [[*r[:6], r[6] if r[6] in codes else ""] for r in people[1:]]
    teams = [sheets["领导班子"][0]] + [r for r in sheets["领导班子"][1:] if r[3] in codes]
    supervision = [sheets["督导组"][0]] + [
        [*r[:4], "、".join(c for c in r[4].split("、") if c in codes)] for r in sheets["督导组"][1:2]
    ]
    return {"组织": units, "党员": people, "领导班子": teams, "督导组": supervision}


def rows_of(sheets: dict[str, list[list[Any]]]) -> int:
    return sum(len(rows) - 1 for rows in sheets.values())


# --- The organisation: the path before, row by row through django-import-export ---------


def org_import_rowwise(*, campaign: Any, source: Any, filename: str) -> Any:
    """``org_import`` as it was: every row through the resource's ``import_data``."""
    import tablib

    from campaign.resources import KINDS, LINE, RESOURCES, Directory, OrgReader
    from campaign.services import KindCount, _chunks, _collect
    from core.importing import ImportReport, check_tables

    report = ImportReport(filename=filename, dry_run=False)
    with OrgReader(source, filename) as reader:
        tables = reader.tables()
        check_tables(tables, report, filename=filename, kind=None, format=reader.format)
        directory = Directory(campaign)
        for table in sorted(tables, key=lambda t: KINDS.index(t.kind or "")):
            resource = RESOURCES[table.kind](campaign=campaign, user=None, reason="bench", directory=directory)
            count = KindCount(kind=table.kind, sheet=table.sheet)
            keys = [key for key in table.keys if key]
            for chunk in _chunks(table.rows, 500):
                dataset = tablib.Dataset(headers=[*keys, LINE])
                for line, row in chunk:
                    dataset.append([*(row.get(key, "") for key in keys), line])
                result = resource.import_data(dataset, dry_run=False, use_transactions=True, raise_errors=False)
                _collect(result, [line for line, _row in chunk], resource, table, report, count)
            directory.forget_units()
            report.counts.append(count)
    return report


def bench_org(campaign: Any, sheets: dict[str, list[list[Any]]], sample: int) -> list[tuple[str, int, float, str]]:
    from campaign.services import org_import

    data = workbook(sheets)
    small = workbook(sample_of(sheets, sample))
    total, sampled = rows_of(sheets), rows_of(sample_of(sheets, sample))
    print(f"Organisation: {total:,} rows ({sampled:,} for the path before) …", flush=True)

    def ours() -> Any:
        report = org_import(campaign=campaign, user=None, source=io.BytesIO(data), filename="org.xlsx", dry_run=False)
        assert report.ok, [str(e) for e in report.errors[:5]]
        return report

    def before() -> Any:
        report = org_import_rowwise(campaign=campaign, source=io.BytesIO(small), filename="org.xlsx")
        assert report.ok, [str(e) for e in report.errors[:5]]
        return report

    seconds_before, _ = timed(before)
    with bulk_writes_of_before():
        seconds_bulk, _ = timed(ours)
    seconds_ours, _ = timed(ours)
    return [
        ("import_org, the path before (row by row)", sampled, seconds_before, "sample, extrapolated"),
        ("import_org, with bulk_create_with_history", total, seconds_bulk, "the writes of 7 Dec."),
        ("import_org, now", total, seconds_ours, ""),
    ]


# --- The bulk writes of the previous session, for comparison ------------------------


def bulk_create_shim(model: Any, objs: list[Any], *, user: Any, reason: str, when: Any, prepare: Any = None) -> Any:
    """``core.bulk_write.insert_with_history`` as the imports wrote before it:
    ``bulk_create_with_history`` (a tree's paths then set by ``bulk_update``)."""
    from simple_history.utils import bulk_create_with_history

    account = user if getattr(user, "is_authenticated", False) else None
    created = bulk_create_with_history(
        objs, model, batch_size=500, default_user=account, default_change_reason=reason, default_date=when
    )
    if prepare is not None:
        prepare(created)
        model.objects.bulk_update(created, ["path", "depth"])
    return created


class bulk_writes_of_before:
    """Within it, the imports write as they did before ``core.bulk_write``."""

    def __enter__(self) -> None:
        from campaign import org_bulk
        from talks import imports

        self.saved = (org_bulk.insert_with_history, imports.insert_with_history)
        org_bulk.insert_with_history = bulk_create_shim
        imports.insert_with_history = bulk_create_shim

    def __exit__(self, *exc: Any) -> None:
        from campaign import org_bulk
        from talks import imports

        org_bulk.insert_with_history, imports.insert_with_history = self.saved


# --- Talk cards -------------------------------------------------------------------------


def talk_rows(campaign: Any, count: int) -> list[list[Any]]:
    """Member-with-member talks on distinct pairs and days, and talks with the public."""
    import random

    from campaign.models import Member

    rng = random.Random(2026)
    stage = campaign.stages.get(kind="analysis")
    days = (stage.ends_on - stage.starts_on).days + 1
    numbers = list(Member.objects.filter(campaign=campaign).order_by("number").values_list("number", flat=True))
    rows: list[list[Any]] = [
        ["谈话人编号", "谈话对象编号", "谈话对象", "与谈话人关系", "谈话类型", "谈话时间", "谈话主题"]
    ]
    seen = set()
    while len(rows) <= count:
        first = rng.choice(numbers)
        day = (stage.starts_on + datetime.timedelta(days=rng.randrange(days))).isoformat()
        if rng.random() < 0.3:
            key = (first, "群众", day)
            row = [first, "", f"群众{rng.randrange(10_000)}", "居民", "党员与群众", day, "听取意见"]
        else:
            other = rng.choice(numbers)
            if other == first:
                continue
            key = (min(first, other), max(first, other), day)
            row = [first, other, "", "", "党员之间", day, "交流思想"]
        if key in seen:
            continue
        seen.add(key)
        rows.append(row)
    return rows


def bench_talks(campaign: Any, count: int, sample: int) -> list[tuple[str, int, float, str]]:
    from talks import imports

    rows = talk_rows(campaign, count)
    data = workbook({"谈心谈话": rows})
    small = workbook({"谈心谈话": rows[: sample + 1]})
    print(f"Talk cards: {count:,} rows ({sample:,} for the path before) …", flush=True)

    def run(content: bytes) -> Any:
        report = imports.talks_import(
            campaign=campaign, user=None, source=io.BytesIO(content), filename="talks.xlsx", dry_run=False
        )
        assert report.ok, [str(e) for e in report.errors[:5]]
        return report

    # The path before: check_card reads the stage, the teams, the charges and the cards
    # on record row by row.
    original = imports._Run.lookups
    imports._Run.lookups = lambda self, parsed: None  # type: ignore[method-assign]
    try:
        seconds_before, _ = timed(lambda: run(small))
    finally:
        imports._Run.lookups = original  # type: ignore[method-assign]
    with bulk_writes_of_before():
        seconds_bulk, _ = timed(lambda: run(data))
    seconds_ours, _ = timed(lambda: run(data))
    return [
        ("import_talks, the path before (queries per row)", sample, seconds_before, "sample, extrapolated"),
        ("import_talks, with bulk_create_with_history", count, seconds_bulk, "the writes of 7 Dec."),
        ("import_talks, now", count, seconds_ours, ""),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=3_000, help="members of the organisation (default 3,000)")
    parser.add_argument("--talks", type=int, default=10_000, help="talk cards imported (default 10,000)")
    parser.add_argument("--sample", type=int, default=300, help="members or cards for the path before")
    args = parser.parse_args()
    setup()
    import common

    from campaign.services import org_import

    common.quiet_ledger_receivers()
    campaign, sheets = county(args.members)
    results = bench_org(campaign, sheets, args.sample)
    # The talk cards need the organisation: imported once more, and kept.
    report = org_import(
        campaign=campaign, user=None, source=io.BytesIO(workbook(sheets)), filename="org.xlsx", dry_run=False
    )
    assert report.ok
    results += bench_talks(campaign, args.talks, args.sample)
    lines = []
    rates = {}
    for name, rows, seconds, note in results:
        rate = rows / seconds
        rates[name] = rate
        lines.append([name, f"{rows:,}", f"{seconds:.2f}", f"{rate:,.0f}", note])
    print()
    today = datetime.datetime.now(tz=datetime.UTC).date().isoformat()
    print(f"Importing the organisation and talk cards on SQLite ({today})")
    print(common.table(["path", "rows", "seconds", "rows/s", "note"], lines))
    print()
    for what in ("import_org", "import_talks"):
        now = rates[f"{what}, now"]
        before = next(rate for name, rate in rates.items() if name.startswith(what) and "before" in name)
        print(
            f"{what}: {now:,.0f} rows/s, {now / before:.0f}× the path before ({before:,.0f} rows/s); "
            f"goal ≥ {GOAL:,} rows/s {'met' if now >= GOAL else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
