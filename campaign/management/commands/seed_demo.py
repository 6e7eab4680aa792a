"""``manage.py seed_demo``: build the demo county (某县) on an empty database."""

from __future__ import annotations

import contextlib
import logging
import unicodedata
from collections.abc import Iterator
from time import perf_counter

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models
from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from campaign import demo
from campaign.models import (
    Campaign,
    LeadershipTeam,
    Member,
    OrgUnit,
    OrgUnitKind,
    Rank,
    Supervisor,
    SupervisoryLevel,
    SupervisoryTeam,
    TeamKind,
)


def _width(text: str) -> int:
    """Columns a string takes in a terminal: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(_width(row[i]) for row in [headers, *rows]) for i in range(len(headers))]
    lines = [
        "  ".join(_pad(cell, width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [headers, ["-" * width for width in widths], *rows]
    ]
    return "\n".join(lines)


# What the seed's own work would log besides its step lines: each background task run
# on the spot (Celery's eager mode: "Task reports.rollup_units[…] succeeded in 0.01s"),
# and the broker's connection saying it fell back to localhost. An error still shows.
QUIET_LOGGERS = ("celery", "kombu")


@contextlib.contextmanager
def quiet_loggers(names: tuple[str, ...] = QUIET_LOGGERS, level: int = logging.ERROR) -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(max(level, logger.getEffectiveLevel()))
    try:
        yield
    finally:
        for logger, was in zip(loggers, levels, strict=True):
            logger.setLevel(was)


class Command(BaseCommand):
    help = (
        "Build the demo county: a first-batch campaign with 15 party committees, 91 units, 287 branches, "
        "its leadership teams, members and supervisory teams; with demo logins when DEBUG is on "
        "(CANVASS_DEMO_USERS) or with --with-demo-users."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (and succeed) when the database already holds a campaign; `make run` uses this.",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help=(
                "Empty the whole database first (manage.py flush), then seed with today's dates; "
                "refused when it holds a campaign other than the demo's. `make demo` uses this."
            ),
        )
        parser.add_argument(
            "--with-demo-users",
            action="store_true",
            help=f"Create the demo logins (password {demo.DEMO_PASSWORD!r}) even when DEBUG is off.",
        )

    def handle(self, *args: object, **options: object) -> None:
        # Its output is its own step lines and totals, nothing logged on the way.
        with quiet_loggers():
            self._handle(*args, **options)  # type: ignore[arg-type]

    def _handle(
        self,
        *args: object,
        if_empty: bool = False,
        reset: bool = False,
        with_demo_users: bool = False,
        **options: object,
    ) -> None:
        if reset:
            self._reset()
        elif if_empty and Campaign.objects.exists():
            self.stdout.write(_("The database already holds a campaign; the demo county was not seeded."))
            return
        if Campaign.objects.filter(slug=demo.SLUG).exists():
            raise CommandError(
                _(
                    "A campaign with the code “%(slug)s” already exists; nothing was seeded. "
                    "Run with --if-empty to skip quietly, or delete that campaign first."
                )
                % {"slug": demo.SLUG}
            )
        with_logins = with_demo_users or settings.CANVASS_DEMO_USERS
        started = perf_counter()
        try:
            county = demo.demo_county_create(slug=demo.SLUG, with_logins=with_logins, on_step=self._report_step)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        elapsed = perf_counter() - started

        self.stdout.write("")
        self.stdout.write(self._totals(county.campaign))
        if county.logins:
            self.stdout.write("")
            self.stdout.write(_("Demo logins (password for all: %(password)s)") % {"password": demo.DEMO_PASSWORD})
            self.stdout.write(
                format_table(
                    [_("role"), _("username"), _("password"), _("what they see")],
                    [[login.role, login.username, demo.DEMO_PASSWORD, login.sees] for login in county.logins],
                )
            )
        elif not with_logins:
            self.stdout.write(_("No demo logins were created (DEBUG is off); pass --with-demo-users to add them."))
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(
                _("Seeded “%(name)s” in %(seconds).1f s.") % {"name": county.campaign.name, "seconds": elapsed}
            )
        )

    def _reset(self) -> None:
        """Empty the database for a fresh demo: only a database that holds nothing but the
        demo (a `make run` checkout's), never one with a county of its own."""
        others = list(Campaign.objects.exclude(slug=demo.SLUG).values_list("name", flat=True)[:5])
        if others:
            raise CommandError(
                _(
                    "--reset empties the whole database, and this one holds other campaigns than the demo's "
                    "(%(names)s); nothing was deleted."
                )
                % {"names": "、".join(others)}
            )
        self.stdout.write(_("Emptying the database (every row: the demo county, its logins, the sessions)…"))
        started = perf_counter()
        call_command("flush", interactive=False, verbosity=0)
        self.stdout.write(_("Emptied in %(seconds).1f s.") % {"seconds": perf_counter() - started})

    def _report_step(self, label: str, totals: demo.Totals, seconds: float) -> None:
        built = ", ".join(f"{count:,} {name}" for name, count in totals.items())
        self.stdout.write(f"{label}: {built} ({seconds:.2f} s)")

    def _totals(self, campaign: Campaign) -> str:
        """Counted back from the database, so what is printed is what is there."""
        rows: list[list[str]] = []

        def add(label: str, queryset: QuerySet, by: str, choices: type[models.TextChoices]) -> None:
            counts = dict(queryset.order_by().values_list(by).annotate(n=Count("pk")))
            rows.append([label, f"{sum(counts.values()):,}"])
            rows.extend(
                [f"  {choice.label}", f"{counts[choice.value]:,}"] for choice in choices if counts.get(choice.value)
            )

        add(_("organisations"), OrgUnit.objects.filter(campaign=campaign), "kind", OrgUnitKind)
        add(_("members"), Member.objects.filter(campaign=campaign), "rank", Rank)
        add(_("leadership teams"), LeadershipTeam.objects.filter(campaign=campaign), "kind", TeamKind)
        add(_("supervisory teams"), SupervisoryTeam.objects.filter(campaign=campaign), "level", SupervisoryLevel)
        rows.append([_("supervisors"), f"{Supervisor.objects.filter(team__campaign=campaign).count():,}"])
        return format_table([_("Totals"), ""], rows)
