"""Benchmark: the ledger pages with 11,047 and with 1,000,000 opinions.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/canvass_bench2 .venv/bin/python bench/bench_ledger_pages.py

The general ledger, a unit's sub-ledger and a member's list (``reports.urls``),
rendered through Django's test client as an office user of the demo county: first
with the demo's own 11,047 opinions (the generated ones removed), then with the table
filled up to 1,000,000 (``common.fill_opinions``), the ledgers rolled up in full each
time. For each page: the number of queries (which must not change) and the median time
of a number of requests. The pages read ledger rows, never the opinions, so the large
case should cost what the small one does.

Goal: the same number of queries, and each page's median within 1.5× of the 11,047 case.
``tests/opinions/test_demo.py`` asserts the equal query counts in the test suite.
"""

from __future__ import annotations

import argparse
import logging
import os
import warnings
from typing import Any

import common

GOAL = 1.5
SMALL = 11_047


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--opinions", type=int, default=1_000_000, help="opinions in the large case (default 1,000,000)"
    )
    parser.add_argument("--requests", type=int, default=20, help="timed requests of each page (default 20)")
    args = parser.parse_args()

    # Plain static storage, as in the tests: no collectstatic manifest to build first.
    os.environ.setdefault("STATIC_MANIFEST", "0")
    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collected files, none needed
    common.setup()
    common.quiet_ledger_receivers()
    logging.getLogger("axes").setLevel(logging.WARNING)  # one line per sign-in otherwise
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host, as in the test suite
    from reports.ledger.rollup import ledger_rollup_full

    campaign = common.demo_campaign()
    client = logged_in_client(campaign)
    pages = page_urls(campaign)

    removed = common.remove_filled_opinions(campaign)
    if removed:
        print(f"Removed {removed:,} generated opinions.", flush=True)
    if common.opinion_count(campaign) != SMALL:
        raise SystemExit(f"The demo campaign should hold {SMALL:,} opinions of its own.")
    ledger_rollup_full(campaign_id=campaign.pk)
    small = measure(client, pages, args.requests)

    with common.timer() as took:
        common.fill_opinions(campaign, args.opinions)
        ledger_rollup_full(campaign_id=campaign.pk)
    total = common.opinion_count(campaign)
    print(f"Filled to {total:,} opinions and rolled up in {took['seconds']:.1f} s.", flush=True)
    large = measure(client, pages, args.requests)

    rows = []
    met = True
    for name, url in pages.items():
        (small_queries, small_ms), (large_queries, large_ms) = small[name], large[name]
        ratio = large_ms / small_ms
        met = met and small_queries == large_queries and ratio <= GOAL
        rows.append([name, url, small_queries, large_queries, f"{small_ms:.1f}", f"{large_ms:.1f}", f"{ratio:.2f}×"])
    print()
    print(f"Ledger pages, office user, median of {args.requests} requests (PostgreSQL)")
    print(
        common.table(
            ["page", "URL", f"queries {SMALL:,}", f"queries {total:,}", "ms 11,047", f"ms {total:,}", "ratio"], rows
        )
    )
    print()
    print(
        f"Goal: the same number of queries, and each page within {GOAL:g}× of the {SMALL:,} case — "
        f"{'met' if met else 'NOT met'}."
    )


def logged_in_client(campaign: Any) -> Any:
    from django.test import Client

    client = Client()
    client.force_login(common.office_user(campaign))
    return client


def page_urls(campaign: Any) -> dict[str, str]:
    """The general ledger; the sub-ledger of the unit with the most members; the list of
    its first section-level cadre."""
    from django.db.models import Count
    from django.urls import reverse

    from campaign.models import Member, OrgUnit, OrgUnitKind, Rank

    unit = (
        OrgUnit.objects.filter(campaign=campaign, kind=OrgUnitKind.UNIT)
        .annotate(n=Count("members"))
        .order_by("-n", "code")
        .first()
    )
    member = Member.objects.filter(unit=unit, rank=Rank.SECTION_CADRE).order_by("number").first()
    return {
        "general ledger": reverse("reports:general_ledger"),
        f"sub-ledger ({unit.name})": reverse("reports:unit_ledger", args=[unit.pk]),
        f"member's list ({member.name})": reverse("reports:member_ledger", args=[member.pk]),
    }


def measure(client: Any, pages: dict[str, str], requests: int) -> dict[str, tuple[int, float]]:
    """Each page's number of queries and median milliseconds."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    results = {}
    for name, url in pages.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}.")

        def get(url: str = url) -> None:
            client.get(url)

        # Timed without capturing: the debug cursor costs time of its own.
        results[name] = (len(queries), 1000 * common.median_seconds(get, times=requests, warm_up=2))
    return results


if __name__ == "__main__":
    main()
