"""Benchmark: the ledger roll-up of 1,000,000 opinions.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/canvass_bench2 .venv/bin/python bench/bench_rollup.py

Against the seeded demo county, filled up to 1,000,000 opinions (``common.fill_opinions``:
one INSERT … SELECT generate_series over the county's targets, derived category and
ledger unit), it times, in the same run:

- the full roll-up (``reports.ledger.rollup.ledger_rollup_full``): every ledger row of the
  campaign deleted and recomputed from source — the median of a few runs;
- a naive loop that counts per target with the ORM: for every member, team and
  ledger unit, its total and its count by category, kind, channel, aspect and status
  (six queries a target; counting only, nothing written). It takes too long to run
  whole, so it runs on a random sample of targets and is extrapolated to all of them;
- one raw GROUP BY over the same opinions at the finest grain every ledger figure
  follows from (ledger unit, member, team, category, kind, channel, aspect, status),
  written into a temporary table — the limit: one pass over the table, one write; at
  PostgreSQL's settings, and again at the roll-up's own (``ROLLUP_SETTINGS``), for
  comparison;
- an incremental roll-up after one change: one opinion's text and aspect edited
  through ``opinions.services.opinion_update`` (which announces its ledger unit and its
  target), then the roll-up the task runs for it (``ledger_rollup_units(…,
  only_pending=True)``: by target, from the opinions' cells); and, for comparison, a
  roll-up of that whole unit from source (what any change to the unit that names no
  target brings).

The tables are vacuumed and analysed first (autovacuum is off on the development VM).

Goals: full roll-up within 2× of the raw GROUP BY; incremental ≤ 1/100 of the full.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from typing import Any

import common

GOAL_FULL_VS_LIMIT = 2.0
GOAL_INCREMENTAL_SHARE = 1 / 100
DIMENSIONS = ("category", "kind", "channel", "aspect", "status")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--opinions", type=int, default=1_000_000, help="opinions in the table (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of the full roll-up and the GROUP BY")
    parser.add_argument("--sample", type=int, default=150, help="targets the naive loop counts (then extrapolated)")
    args = parser.parse_args()

    common.setup()
    common.quiet_ledger_receivers()
    campaign = common.demo_campaign()
    with common.timer() as took:
        added = common.fill_opinions(campaign, args.opinions)
    total = common.opinion_count(campaign)
    if added:
        print(f"Generated {added:,} opinions in {took['seconds']:.1f} s.", flush=True)
    print(f"The demo campaign holds {total:,} opinions.", flush=True)
    common.vacuum_analyze()

    full = timed_runs(lambda: full_rollup(campaign), args.runs)
    limit = timed_runs(lambda: raw_group_by(campaign), args.runs)
    limit_tuned = timed_runs(lambda: raw_group_by(campaign, tuned=True), args.runs)
    naive, targets, sampled = naive_loop(campaign, args.sample)
    edit, incremental, whole_unit, unit_name, unit_opinions = incremental_rollup(campaign, max(args.runs, 9))
    figures, cells = ledger_figures(campaign)

    rows = [
        ["raw GROUP BY (the limit)", f"{limit:.2f}", "1.00×", "one pass, finest grain, into a temp table"],
        [
            "raw GROUP BY, the roll-up's settings",
            f"{limit_tuned:.2f}",
            f"{limit_tuned / limit:.2f}×",
            "work_mem 64 MB, JIT off",
        ],
        [
            "full roll-up (ledger_rollup_full)",
            f"{full:.2f}",
            f"{full / limit:.2f}×",
            f"{figures:,} ledger rows, {cells:,} cells; {full / limit_tuned:.2f}× the GROUP BY at its settings",
        ],
        [
            "naive ORM loop per target",
            f"{naive:.1f}",
            f"{naive / limit:.1f}×",
            f"extrapolated from {sampled} of {targets:,} targets",
        ],
        [
            "incremental roll-up after one edit",
            f"{incremental:.4f}",
            f"{incremental / limit:.4f}×",
            f"by target, as the task runs it; the edit itself {edit:.3f} s",
        ],
        [
            "roll-up of that one unit from source",
            f"{whole_unit:.4f}",
            f"{whole_unit / limit:.4f}×",
            f"{unit_name}: {unit_opinions:,} opinions, every source",
        ],
    ]
    print()
    print(f"Ledger roll-up of {total:,} opinions (PostgreSQL; median of {args.runs} runs)")
    print(common.table(["path", "seconds", "vs GROUP BY", "note"], rows))
    print()
    full_ok = full <= GOAL_FULL_VS_LIMIT * limit
    incremental_ok = incremental <= GOAL_INCREMENTAL_SHARE * full
    print(
        f"Goal: full roll-up within {GOAL_FULL_VS_LIMIT:g}× of the raw GROUP BY: "
        f"{full / limit:.2f}× — {'met' if full_ok else 'NOT met'}."
    )
    print(
        f"Goal: incremental roll-up ≤ 1/{round(1 / GOAL_INCREMENTAL_SHARE)} of the full one: "
        f"1/{full / incremental:.0f} — {'met' if incremental_ok else 'NOT met'}."
    )
    print(f"The naive loop is {naive / full:.0f}× the full roll-up.")


def timed_runs(function: Any, runs: int) -> float:
    return statistics.median(function() for _n in range(runs))


def full_rollup(campaign: Any) -> float:
    from reports.ledger.rollup import ledger_rollup_full

    start = time.perf_counter()
    ledger_rollup_full(campaign_id=campaign.pk)  # its own transaction, committed
    return time.perf_counter() - start


def raw_group_by(campaign: Any, *, tuned: bool = False) -> float:
    from django.db import connection, transaction

    from reports.ledger.rollup import ROLLUP_SETTINGS

    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if tuned:
            for name in ("work_mem", "jit"):
                cursor.execute("SELECT set_config(%s, %s, true)", [name, ROLLUP_SETTINGS[name]])
        cursor.execute(
            "CREATE TEMP TABLE bench_limit ON COMMIT DROP AS "
            "SELECT ledger_unit_id, target_member_id, target_team_id, category, kind, channel, aspect, status, "
            "COUNT(*) AS n FROM opinions_opinion WHERE campaign_id = %s AND merged_into_id IS NULL "
            "GROUP BY ledger_unit_id, target_member_id, target_team_id, category, kind, channel, aspect, status",
            [campaign.pk],
        )
    return time.perf_counter() - start


def naive_loop(campaign: Any, sample: int) -> tuple[float, int, int]:
    """Seconds for every target, extrapolated from a sample; the number of targets; the sample size."""
    from django.db.models import Count

    from opinions.models import Opinion

    opinions = Opinion.objects.filter(campaign=campaign, merged_into__isnull=True).order_by()
    targets = [("target_member", pk) for pk in set(opinions.values_list("target_member", flat=True)) if pk]
    targets += [("target_team", pk) for pk in set(opinions.values_list("target_team", flat=True)) if pk]
    targets += [("ledger_unit", pk) for pk in set(opinions.values_list("ledger_unit", flat=True)) if pk]
    chosen = random.Random(2026).sample(sorted(targets), min(sample, len(targets)))
    start = time.perf_counter()
    for field, pk in chosen:
        mine = opinions.filter(**{field: pk})
        figures = {"total": mine.count()}
        for dimension in DIMENSIONS:
            figures[dimension] = dict(mine.values_list(dimension).annotate(n=Count("pk")))
    took = time.perf_counter() - start
    return took * len(targets) / len(chosen), len(targets), len(chosen)


def incremental_rollup(campaign: Any, runs: int) -> tuple[float, float, float, str, int]:
    """The median time of an edit, of the roll-up the task runs after it, and of a
    roll-up of the whole unit; the unit's name and its number of opinions. The unit is
    one of median size among the units. Each edit changes the opinion's text and its
    aspect, so that the roll-up has figures to change: the member's cells, and the
    unit's, the member's and the county's rows of two aspects."""
    from django.db import transaction
    from django.db.models import Count

    from campaign.models import ChangeOutbox, OrgUnit
    from opinions.models import Aspect, Opinion
    from opinions.services import opinion_update
    from reports.ledger.rollup import ledger_drain_outbox, ledger_rollup_units

    sizes = dict(
        Opinion.objects.filter(campaign=campaign, target_member__isnull=False)
        .order_by()
        .values_list("ledger_unit")
        .annotate(n=Count("pk"))
    )
    unit_id = sorted(sizes, key=lambda pk: (sizes[pk], pk))[len(sizes) // 2]
    unit = OrgUnit.objects.get(pk=unit_id)
    unit_opinions = Opinion.objects.filter(campaign=campaign, ledger_unit=unit).count()
    opinion = Opinion.objects.filter(campaign=campaign, ledger_unit=unit, target_member__isnull=False).first()
    ledger_drain_outbox(campaign_id=campaign.pk)  # start with nothing waiting
    ledger_rollup_units(campaign_id=campaign.pk, unit_ids=[unit_id])  # warm up
    edits, rollups, units = [], [], []
    for n in range(runs):
        start = time.perf_counter()
        with transaction.atomic():
            opinion = opinion_update(
                actor=None,
                opinion=opinion,
                text=f"{opinion.text.split('（')[0]}（核实{n + 1}）",
                aspect=Aspect.INTEGRITY if opinion.aspect != Aspect.INTEGRITY else Aspect.WORK_STYLE,
            )
        edits.append(time.perf_counter() - start)
        waiting = list(ChangeOutbox.objects.filter(campaign=campaign).values_list("unit_id", "target"))
        if waiting != [(unit_id, f"member:{opinion.target_member_id}")]:
            raise RuntimeError(f"The edit should announce its unit and its member; the outbox holds {waiting}.")
        start = time.perf_counter()
        ledger_rollup_units(campaign_id=campaign.pk, unit_ids=[unit_id], only_pending=True)
        rollups.append(time.perf_counter() - start)
        if ChangeOutbox.objects.filter(campaign=campaign).exists():
            raise RuntimeError("The roll-up left the edit's outbox row behind.")
        start = time.perf_counter()
        ledger_rollup_units(campaign_id=campaign.pk, unit_ids=[unit_id])
        units.append(time.perf_counter() - start)
    return statistics.median(edits), statistics.median(rollups), statistics.median(units), unit.name, unit_opinions


def ledger_figures(campaign: Any) -> tuple[int, int]:
    from reports.models import LedgerCell, LedgerRow

    return LedgerRow.objects.filter(campaign=campaign).count(), LedgerCell.objects.filter(campaign=campaign).count()


if __name__ == "__main__":
    main()
