"""What every benchmark in bench/ needs: Django set up against PostgreSQL, the demo
county seeded, and a table printed at the end.

Run a benchmark from the project's root, e.g.
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/canvass_bench .venv/bin/python bench/bench_import.py``.
The database is created if it does not exist, migrated, and seeded with the demo
county (``seed_demo``) once; later runs reuse it.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


def setup(*, migrate: bool = True) -> None:
    """Django against the PostgreSQL database of DATABASE_URL (created if missing)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Benchmarks run on PostgreSQL: set DATABASE_URL=postgres://user@host:port/canvass_bench")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Production settings (DEBUG off), with a throwaway key: nothing here is served.
    os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(48))
    _create_database(url)
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def _create_database(url: str) -> None:
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    connection = psycopg2.connect(
        dbname="postgres",
        user=parts.username or "postgres",
        password=parts.password,
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
    )
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        connection.close()


def demo_campaign() -> Any:
    """The demo county, seeded on first use (about a minute)."""
    from django.core.management import call_command

    from campaign.models import Campaign

    campaign = Campaign.objects.filter(slug="demo").first()
    if campaign is None:
        print("Seeding the demo county (seed_demo)…", flush=True)
        call_command("seed_demo", verbosity=0)
        campaign = Campaign.objects.get(slug="demo")
    return campaign


@contextmanager
def timer() -> Iterator[dict[str, float]]:
    result: dict[str, float] = {}
    start = time.perf_counter()
    try:
        yield result
    finally:
        result["seconds"] = time.perf_counter() - start


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain text table: the first column left-aligned, the others right-aligned."""
    cells = [[str(c) for c in headers]] + [[f"{c:,}" if isinstance(c, int) else str(c) for c in row] for row in rows]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        out = []
        for i, cell in enumerate(row):
            pad = " " * (widths[i] - _width(cell))
            out.append(cell + pad if i == 0 else pad + cell)
        return "  ".join(out).rstrip()

    return "\n".join([line(cells[0]), line(["-" * w for w in widths]), *(line(r) for r in cells[1:])])


# --- Many opinions (bench_rollup, bench_ledger_pages) ---------------------------------

# Texts of the generated opinions: the demo's kind of wording (opinions.demo).
FILL_TEXTS = (
    "深入基层调研不够，对群众反映的困难了解不全面。",
    "形式主义还不同程度存在，有的工作重布置、轻落实。",
    "建议领导干部每月至少下乡调研一次，多听群众呼声。",
    "公务接待标准偏高，有时存在铺张浪费现象。",
    "建议简化办事程序，推行一站式服务。",
    "执行民主集中制不够严格，有的重大事项沟通酝酿不充分。",
    "思想解放不够，习惯于按老办法、老经验办事。",
    "建议加强廉政教育，筑牢拒腐防变的思想防线。",
)


def office_user(campaign: Any) -> Any:
    """An office user of the demo county (the demo makes none without DEBUG)."""
    from django.contrib.auth import get_user_model

    from campaign.models import RoleAssignment, RoleKind

    user, _created = get_user_model().objects.get_or_create(username="bench-office")
    RoleAssignment.objects.get_or_create(user=user, campaign=campaign, kind=RoleKind.OFFICE)
    return user


def quiet_ledger_receivers() -> None:
    """Stop the eager roll-up after each commit: a benchmark runs its roll-ups itself."""
    from campaign.events import records_changed

    records_changed.receivers = []
    records_changed.sender_receivers_cache.clear()


def _seeded_last_id(campaign: Any) -> int:
    """The highest id of the demo's own opinions: their creation is in the history, that
    of the generated ones (written straight into the table) is not."""
    from opinions.models import Opinion

    created = Opinion.history.filter(campaign_id=campaign.pk, history_type="+")
    last = created.order_by("-id").values_list("id", flat=True).first()
    return int(last or 0)


def opinion_count(campaign: Any) -> int:
    from opinions.models import Opinion

    return Opinion.objects.filter(campaign=campaign).count()


def fill_opinions(campaign: Any, total: int) -> int:
    """Add generated opinions until the campaign holds ``total``; returns how many were
    added. One ``INSERT … SELECT generate_series`` against the seeded county's targets
    (every member and leadership team, and the units named as a whole), each target's
    category and ledger unit derived by ``opinions.services.derive()``; kind, channel,
    aspect, source group, status and date vary with the row number. No history rows:
    this is bulk test data, not a record anyone entered."""
    from django.db import connection, transaction

    from campaign.models import LeadershipTeam, Member, OrgUnit
    from opinions.models import Aspect, Channel, Opinion, OpinionKind, OpinionStatus, SourceGroup
    from opinions.services import Target, derive

    missing = total - opinion_count(campaign)
    if missing <= 0:
        return 0
    targets = [Target(team=team) for team in LeadershipTeam.objects.filter(campaign=campaign).select_related("unit")]
    targets += [Target(member=member) for member in Member.objects.filter(campaign=campaign).select_related("unit")]
    named = Opinion.objects.filter(campaign=campaign, target_unit__isnull=False).values("target_unit")
    targets += [Target(unit=unit) for unit in OrgUnit.objects.filter(pk__in=named)]
    rows = []
    for index, target in enumerate(targets):
        category, unit = derive(target)
        rows.append(
            (
                index,
                target.team.pk if target.team else None,
                target.member.pk if target.member else None,
                target.unit.pk if target.unit else None,
                category,
                unit.pk,
            )
        )

    def array(values: Sequence[str]) -> str:
        return "ARRAY[" + ", ".join("'" + value.replace("'", "''") + "'" for value in values) + "]"

    step = campaign.stages.get(kind="analysis").steps.get(kind="solicit")
    days = (step.ends_on - step.starts_on).days + 1
    # Statuses weighted as after feedback: mostly acknowledged or fed back.
    statuses = [OpinionStatus.ACKNOWLEDGED] * 6 + [OpinionStatus.FED_BACK] * 2
    statuses += [OpinionStatus.SORTED, OpinionStatus.RECORDED]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_targets (idx int PRIMARY KEY, team_id bigint, member_id bigint, "
            "unit_id bigint, category varchar(40), ledger_unit_id bigint) ON COMMIT DROP"
        )
        cursor.executemany("INSERT INTO bench_targets VALUES (%s, %s, %s, %s, %s, %s)", rows)
        # Multiplying by primes spreads consecutive rows over targets and dimensions alike.
        cursor.execute(
            f"""
            INSERT INTO opinions_opinion (
                campaign_id, kind, text, channel, event_id, source_group, aspect,
                target_team_id, target_member_id, target_unit_id, target_text, category, ledger_unit_id,
                received_on, recording_unit_id, status, merged_into_id,
                submitter_name, submitter_contact, receipt_hash)
            SELECT %(campaign)s,
                   ({array(OpinionKind.values)})[1 + (g * 3) %% {len(OpinionKind.values)}],
                   ({array(FILL_TEXTS)})[1 + (g * 5) %% {len(FILL_TEXTS)}],
                   ({array(Channel.values)})[1 + (g * 7) %% {len(Channel.values)}],
                   NULL,
                   ({array(SourceGroup.values)})[1 + (g * 11) %% {len(SourceGroup.values)}],
                   ({array(Aspect.values)})[1 + (g * 13) %% {len(Aspect.values)}],
                   t.team_id, t.member_id, t.unit_id, '', t.category, t.ledger_unit_id,
                   %(first)s::date + ((g * 17) %% {days})::int,
                   NULL,
                   ({array(statuses)})[1 + (g * 19) %% {len(statuses)}],
                   NULL, '', '', ''
            FROM generate_series(1::bigint, %(missing)s::bigint) AS g
            JOIN bench_targets t ON t.idx = (g * 7919) %% {len(rows)}
            """,
            {"campaign": campaign.pk, "first": step.starts_on, "missing": missing},
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE opinions_opinion")
    return missing


def vacuum_analyze(*tables: str) -> None:
    """VACUUM ANALYZE these tables (every table if none is named), as autovacuum would
    have done by now: the development VM runs PostgreSQL with autovacuum off, and left
    so, a table just filled or churned keeps no statistics and no visibility map (which
    index-only scans need), and a table rewritten over and over keeps its dead rows."""
    from django.db import connection

    with connection.cursor() as cursor:
        if not tables:
            cursor.execute("VACUUM ANALYZE")
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(table)}")


def remove_filled_opinions(campaign: Any) -> int:
    """Remove the generated opinions, leaving the demo's own (11,047). In SQL: through
    the ORM each would be fetched and given a deletion in its history."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM opinions_opinion WHERE campaign_id = %s AND id > %s",
            [campaign.pk, _seeded_last_id(campaign)],
        )
        removed = cursor.rowcount
        cursor.execute("ANALYZE opinions_opinion")
    return removed


def median_seconds(function: Any, *, times: int, warm_up: int = 1) -> float:
    """The median wall time of ``times`` calls, after ``warm_up`` untimed ones."""
    import statistics

    for _n in range(warm_up):
        function()
    took = []
    for _n in range(times):
        start = time.perf_counter()
        function()
        took.append(time.perf_counter() - start)
    return statistics.median(took)
