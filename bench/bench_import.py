"""Benchmark: importing opinions from CSV and XLSX.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/canvass_bench .venv/bin/python bench/bench_import.py

Against the seeded demo county, generates 100,000 opinion rows in the import format
(targets by type and code, events by title, Chinese headers and labels) and imports
them, each run committed and then removed again:

- through Canvass's import (``opinions.imports.opinions_import``) from CSV and from XLSX;
- through a plain django-import-export ``ModelResource`` of Opinion with default
  settings, fed the same rows already resolved to ids (it derives nothing and checks no
  scope, so it does less); it imports row by row, so it runs on a sample and its rate
  is extrapolated (said so in the table);
- through PostgreSQL's COPY of the same resolved rows into the opinion table (no
  history, no validation; the database's foreign-key checks run at commit): the limit.

Then peak memory (maximum resident set size of a fresh process) of a CSV import of
100,000 and of 1,000,000 rows, each in a subprocess whose transaction is rolled back.
The ledger roll-up that follows an import's commit is not timed (its receivers are
disconnected here); ``bench_rollup`` measures it.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import common

GOAL_RATE = 10_000
GOAL_FACTOR = 5
GOAL_MEMORY = 2.0

PHRASES = (
    "会议太多，文山会海现象仍然存在",
    "深入基层调研不够，对群众反映的问题回应不及时",
    "办事效率有待提高，部分窗口服务态度生硬",
    "希望加大对困难群众的帮扶力度",
    "建议进一步规范公务接待，厉行节约",
    "学习不够深入，理论联系实际不够",
    "对分管领域的矛盾纠纷调处不够主动",
    "建议多听取老干部和群众代表的意见",
    "工作作风不够扎实，有时满足于一般化",
    "廉洁自律方面要继续严格要求",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows imported by each path (default 100,000)")
    parser.add_argument("--sample", type=int, default=5_000, help="rows for the django-import-export default path")
    parser.add_argument("--memory-rows", type=int, default=1_000_000, help="the large file of the memory comparison")
    parser.add_argument("--skip-memory", action="store_true", help="leave out the memory comparison")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # internal: a memory measurement in a fresh process
    args = parser.parse_args()
    if args.child:
        child(Path(args.child))
        return
    common.setup()
    # The roll-up after each commit is another benchmark's business.
    common.quiet_ledger_receivers()
    campaign = common.demo_campaign()
    user = common.office_user(campaign)

    folder = Path(tempfile.mkdtemp(prefix="canvass-bench-import-"))
    print(f"Generating {args.rows:,} rows in {folder} …", flush=True)
    rows = Rows(campaign, seed=2026)
    csv_path = folder / "opinions.csv"
    xlsx_path = folder / "opinions.xlsx"
    resolved = rows.write_csv(csv_path, args.rows)
    rows.write_xlsx(xlsx_path, args.rows)

    results: list[tuple[str, int, float, str]] = []
    seconds = run_ours(campaign, user, csv_path)
    results.append(("Canvass import, CSV", args.rows, seconds, ""))
    seconds = run_ours(campaign, user, xlsx_path)
    results.append(("Canvass import, XLSX", args.rows, seconds, ""))
    sample = min(args.sample, args.rows)
    seconds = run_default(resolved[:sample])
    results.append(("django-import-export ModelResource, defaults", sample, seconds, "sample, extrapolated"))
    seconds = run_copy(resolved)
    results.append(("PostgreSQL COPY (no history, no validation)", args.rows, seconds, "the limit"))

    default_rate = sample / results[2][2]
    lines = []
    for name, count, secs, note in results:
        rate = count / secs
        lines.append(
            [
                name,
                f"{count:,}",
                f"{secs:.2f}",
                f"{rate:,.0f}",
                f"{rate / default_rate:.1f}×",
                f"{args.rows / rate:.1f}" + (" (est.)" if count != args.rows else ""),
                note,
            ]
        )
    print()
    today = datetime.datetime.now(tz=datetime.UTC).date().isoformat()
    print(f"Importing opinions into the demo county on PostgreSQL ({today})")
    print(common.table(["path", "rows", "seconds", "rows/s", "vs default", f"s per {args.rows:,}", "note"], lines))
    csv_rate = args.rows / results[0][2]
    print()
    print(
        f"Goal ≥ {GOAL_RATE:,} rows/s from CSV: {'met' if csv_rate >= GOAL_RATE else 'NOT met'} ({csv_rate:,.0f}); "
        f"goal ≥ {GOAL_FACTOR}× the default path: "
        f"{'met' if csv_rate >= GOAL_FACTOR * default_rate else 'NOT met'} ({csv_rate / default_rate:.1f}×)"
    )

    if not args.skip_memory:
        memory(rows, folder, args.rows, args.memory_rows)
    shutil.rmtree(folder, ignore_errors=True)


# --- The rows ------------------------------------------------------------------------


class Rows:
    """Random opinion rows of the demo county, in the import format and resolved to ids."""

    HEADERS = [
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
    ]

    def __init__(self, campaign: Any, seed: int) -> None:
        from campaign.models import LeadershipTeam, Member, OrgUnit, OrgUnitKind
        from opinions.models import Aspect, Channel, OpinionKind, SolicitationEvent, SourceGroup
        from opinions.resources import (
            ASPECT_WIDGET,
            CHANNEL_WIDGET,
            KIND_WIDGET,
            SOURCE_GROUP_WIDGET,
            TARGET_TYPE_WIDGET,
            EventNames,
            TargetType,
        )
        from opinions.services import Target, derive

        self.campaign = campaign
        self.rng = random.Random(seed)
        teams = list(LeadershipTeam.objects.filter(campaign=campaign).select_related("unit"))
        members = list(Member.objects.filter(campaign=campaign).select_related("unit"))
        units = list(OrgUnit.objects.filter(campaign=campaign, kind=OrgUnitKind.UNIT))
        events = list(SolicitationEvent.objects.filter(campaign=campaign))
        names = EventNames((e.pk, e.unit_id, e.title, e.held_on) for e in events)
        self.events_by_unit: dict[int, list[Any]] = {}
        for event in events:
            self.events_by_unit.setdefault(event.unit_id, []).append(event)
        self.names = names
        self.units = units
        # (type label, code, name, team id, member id, unit id, category, ledger unit id)
        self.targets: list[tuple[Any, ...]] = []
        label = TARGET_TYPE_WIDGET.label
        for team in teams:
            category, unit = derive(Target(team=team))
            self.targets.append((label(TargetType.TEAM), team.code, team.name, team.pk, None, None, category, unit.pk))
        for member in members:
            category, unit = derive(Target(member=member))
            self.targets += [
                (label(TargetType.MEMBER), member.number, member.name, None, member.pk, None, category, unit.pk)
            ]
        for unit in units:
            category, ledger = derive(Target(unit=unit))
            self.targets.append(
                (label(TargetType.UNIT), unit.code, unit.name, None, None, unit.pk, category, ledger.pk)
            )
        self.kinds = [(KIND_WIDGET.label(v), v) for v in OpinionKind.values]
        self.channels = [(CHANNEL_WIDGET.label(v), v) for v in Channel.values]
        self.aspects = [(ASPECT_WIDGET.label(v), v) for v in Aspect.values]
        self.groups = [(SOURCE_GROUP_WIDGET.label(v), v) for v in SourceGroup.values]
        self.days = (campaign.ends_on - campaign.starts_on).days

    def generate(self, count: int) -> Any:
        """(row in the import format, the same row resolved to ids), ``count`` times."""
        rng = self.rng
        campaign = self.campaign
        for _n in range(count):
            text = "；".join(rng.sample(PHRASES, rng.randint(1, 3))) + f"（{rng.randint(1, 999_999)}）"
            kind_label, kind = rng.choice(self.kinds)
            type_label, code, _name, team_id, member_id, unit_id, category, ledger_id = rng.choice(self.targets)
            aspect_label, aspect = rng.choice(self.aspects)
            group_label, group = rng.choice(self.groups)
            recording = rng.choice(self.units)
            unit_events = self.events_by_unit.get(recording.pk)
            event = rng.choice(unit_events) if unit_events and rng.random() < 0.4 else None
            if event is not None:
                channel_label, channel = "", event.channel
                day = event.held_on
                reference = self.names.reference(event, recording.pk)
            else:
                channel_label, channel = rng.choice(self.channels)
                day = campaign.starts_on + datetime.timedelta(days=rng.randint(0, self.days))
                reference = ""
            row = [
                text,
                kind_label,
                type_label,
                code,
                "",
                channel_label,
                day.isoformat(),
                aspect_label,
                group_label,
                reference,
                recording.code,
            ]
            resolved = (
                campaign.pk,
                kind,
                text,
                channel,
                event.pk if event is not None else None,
                group,
                aspect,
                team_id,
                member_id,
                unit_id,
                "",
                category,
                ledger_id,
                day,
                recording.pk,
            )
            yield row, resolved

    def write_csv(self, path: Path, count: int) -> list[tuple[Any, ...]]:
        """The CSV file; returns the resolved rows (kept for the baselines)."""
        resolved = []
        with path.open("w", encoding="utf-8-sig", newline="") as target:
            writer = csv.writer(target)
            writer.writerow(self.HEADERS)
            for row, ids in self.generate(count):
                writer.writerow(row)
                resolved.append(ids)
        return resolved

    def write_csv_only(self, path: Path, count: int) -> None:
        with path.open("w", encoding="utf-8-sig", newline="") as target:
            writer = csv.writer(target)
            writer.writerow(self.HEADERS)
            writer.writerows(row for row, _ids in self.generate(count))

    def write_xlsx(self, path: Path, count: int) -> None:
        from openpyxl import Workbook

        # The same rows as the CSV file: the same seed, drawn again.
        rows = Rows(self.campaign, seed=2026)
        book = Workbook(write_only=True)
        sheet = book.create_sheet("意见建议")
        sheet.append(self.HEADERS)
        for row, _ids in rows.generate(count):
            sheet.append(row)
        book.save(path)


RESOLVED_COLUMNS = (
    "campaign_id",
    "kind",
    "text",
    "channel",
    "event_id",
    "source_group",
    "aspect",
    "target_team_id",
    "target_member_id",
    "target_unit_id",
    "target_text",
    "category",
    "ledger_unit_id",
    "received_on",
    "recording_unit_id",
)


# --- The paths -----------------------------------------------------------------------


class Cleanup:
    """Removes what a timed run added, so that every run starts from the same tables."""

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection
        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(id), 0) FROM opinions_opinion")
            self.opinion = cursor.fetchone()[0]
            cursor.execute("SELECT coalesce(max(history_id), 0) FROM opinions_historicalopinion")
            self.history = cursor.fetchone()[0]
            cursor.execute("SELECT coalesce(max(id), 0) FROM campaign_changeoutbox")
            self.outbox = cursor.fetchone()[0]

    def __call__(self) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute("DELETE FROM opinions_historicalopinion WHERE history_id > %s", [self.history])
            cursor.execute("DELETE FROM opinions_opinion WHERE id > %s", [self.opinion])
            cursor.execute("DELETE FROM campaign_changeoutbox WHERE id > %s", [self.outbox])
            # Every run starts from tables as the previous one found them.
            cursor.execute("VACUUM ANALYZE opinions_opinion")
            cursor.execute("VACUUM ANALYZE opinions_historicalopinion")


def run_ours(campaign: Any, user: Any, path: Path) -> float:
    from opinions.imports import opinions_import

    cleanup = Cleanup()
    with path.open("rb") as source, common.timer() as took:
        report = opinions_import(
            campaign=campaign, user=user, source=source, filename=path.name, dry_run=False, max_unpacked=1 << 40
        )
    if not report.ok:
        sys.exit("The generated file did not import:\n" + "\n".join(str(e) for e in report.errors[:20]))
    cleanup()
    print(f"  Canvass import, {path.suffix[1:].upper()}: {report.rows:,} rows in {took['seconds']:.2f} s", flush=True)
    return took["seconds"]


def run_default(resolved: list[tuple[Any, ...]]) -> float:
    """A plain ModelResource of Opinion, default settings: what an app gets from
    django-import-export out of the box (row by row, instance loader, history by signal)."""
    import tablib
    from import_export import resources

    from opinions.models import Opinion

    class PlainOpinionResource(resources.ModelResource):
        class Meta:
            model = Opinion

    headers = [name.removesuffix("_id") for name in RESOLVED_COLUMNS]
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(headers)
    for row in resolved:
        writer.writerow(["" if value is None else value for value in row])
    cleanup = Cleanup()
    with common.timer() as took:
        dataset = tablib.Dataset().load(text.getvalue(), format="csv")
        result = PlainOpinionResource().import_data(dataset, dry_run=False)
    if result.has_errors() or result.has_validation_errors():
        first = next(iter(result.invalid_rows), None) or next(iter(result.row_errors()), None)
        sys.exit(f"The default resource refused the rows: {first}")
    cleanup()
    print(f"  django-import-export default: {len(resolved):,} rows in {took['seconds']:.2f} s", flush=True)
    return took["seconds"]


def run_copy(resolved: list[tuple[Any, ...]]) -> float:
    """COPY of the resolved rows into the opinion table: what PostgreSQL itself can take."""
    from django.db import connection, transaction

    columns = (*RESOLVED_COLUMNS, "status", "submitter_name", "submitter_contact", "receipt_hash")
    cleanup = Cleanup()
    with common.timer() as took, transaction.atomic():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in resolved:
            writer.writerow([r"\N" if value is None else value for value in row] + ["recorded", "", "", ""])
        buffer.seek(0)
        with connection.cursor() as cursor:
            cursor.copy_expert(
                f"COPY opinions_opinion ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer
            )
    cleanup()
    print(f"  PostgreSQL COPY: {len(resolved):,} rows in {took['seconds']:.2f} s", flush=True)
    return took["seconds"]


# --- Memory ----------------------------------------------------------------------------


def memory(rows: Rows, folder: Path, small: int, large: int) -> None:
    print(f"\nPeak memory of a CSV import in a fresh process ({small:,} and {large:,} rows) …", flush=True)
    results = []
    for count in (small, large):
        path = folder / f"memory-{count}.csv"
        Rows(rows.campaign, seed=7).write_csv_only(path, count)
        outcome = subprocess.run(
            [sys.executable, __file__, "--child", str(path)], capture_output=True, text=True, check=False
        )
        if outcome.returncode != 0:
            sys.exit(f"The memory run failed:\n{outcome.stderr[-3000:]}")
        measured = json.loads(outcome.stdout.strip().splitlines()[-1])
        results.append((count, measured))
        path.unlink()
    lines = [
        [
            f"{count:,} rows",
            f"{m['seconds']:.1f}",
            f"{count / m['seconds']:,.0f}",
            f"{m['before_kb'] / 1024:.0f}",
            f"{m['peak_kb'] / 1024:.0f}",
            f"{(m['peak_kb'] - m['before_kb']) / 1024:.0f}",
        ]
        for count, m in results
    ]
    print(common.table(["CSV import", "seconds", "rows/s", "MB before", "MB peak", "MB added"], lines))
    (_c1, first), (_c2, second) = results
    ratio = second["peak_kb"] / first["peak_kb"]
    print(
        f"\nGoal: peak memory for {large:,} rows within {GOAL_MEMORY:g}× that for {small:,}: "
        f"{'met' if ratio <= GOAL_MEMORY else 'NOT met'} ({ratio:.2f}×)"
    )


def child(path: Path) -> None:
    """Import a file in this fresh process, roll it back, and print the peak memory."""
    common.setup(migrate=False)
    from django.db import transaction

    from campaign.models import Campaign
    from opinions.imports import opinions_import

    common.quiet_ledger_receivers()
    campaign = Campaign.objects.get(slug="demo")
    user = common.office_user(campaign)
    before = peak_rss_kb()
    with common.timer() as took, transaction.atomic():
        with path.open("rb") as source:
            report = opinions_import(campaign=campaign, user=user, source=source, filename=path.name, dry_run=False)
        transaction.set_rollback(True)
    if not report.ok:
        sys.exit("\n".join(str(e) for e in report.errors[:20]))
    peak = peak_rss_kb()
    print(json.dumps({"rows": report.rows, "seconds": took["seconds"], "before_kb": before, "peak_kb": peak}))


def peak_rss_kb() -> int:
    """The process's peak resident set size. Linux's VmHWM starts afresh at exec; the
    maximum of getrusage() would carry over the size of the parent that forked it."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


if __name__ == "__main__":
    main()
