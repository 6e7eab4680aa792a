"""What every spreadsheet import command shares: ``manage.py import_<what> FILE``.

An import command names a file, the campaign (optional when there is only one), a dry
run and the user recorded in the history; it runs its app's import service and prints
the report: every bad row on stderr and exit status 1 (nothing written), or the count
of each sheet and what was (or, on a dry run, would be) written. A subclass names its
service in ``importer``, adds its own arguments in ``add_import_arguments`` and what
they (and the command line) pass on to the service in ``import_options``.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib.auth import get_user_model
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from campaign.models import Campaign
from core.importing import ImportReport

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# For a service that streams: an operator on the command line may choose a file of any size.
ANY_SIZE: dict[str, Any] = {"max_rows": None, "max_unpacked": 1 << 40}


class ImportCommand(BaseCommand):
    # The app's import service:
    # (campaign=, user=, source=, filename=, dry_run=, **import_options) → ImportReport.
    importer: ClassVar[Callable[..., ImportReport]]
    user_help: ClassVar[str] = "Username recorded in the history as the importer."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The .xlsx or .csv file.")
        parser.add_argument("--campaign", help="The campaign's code (slug); optional when there is only one campaign.")
        self.add_import_arguments(parser)
        parser.add_argument(
            "--sheet",
            help="Read only this sheet of the workbook (by its name), when it has several; ignored for a .csv file.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Check every row and write nothing.")
        parser.add_argument(
            "--again",
            action="store_true",
            help="Import the file even if it (or some of its rows) was imported into the campaign before; "
            "without it, the command asks (or, when no one can answer, refuses).",
        )
        parser.add_argument("--no-input", action="store_true", help="Ask nothing: refuse what needs confirmation.")
        parser.add_argument("--user", help=self.user_help)

    def add_import_arguments(self, parser: CommandParser) -> None:
        """The command's own arguments (hook)."""

    def import_options(self, options: dict[str, Any]) -> dict[str, Any]:
        """What the service is given besides the file, the campaign, the user and the
        dry run (hook)."""
        return {}

    def handle(self, *args: Any, **options: Any) -> None:
        with quiet_celery():
            self.import_file(options)

    def import_file(self, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        campaign = campaign_from_option(options["campaign"])
        user = user_from_option(options["user"])
        again = options["again"]
        report = self.run_import(path, campaign, user, options, again=again)
        if self.needs_confirmation(report, again) and self.confirmed(report, options):
            report = self.run_import(path, campaign, user, options, again=True)
        self.write_report(report, campaign)

    def run_import(
        self, path: Path, campaign: Campaign, user: Any, options: dict[str, Any], *, again: bool
    ) -> ImportReport:
        with path.open("rb") as source:
            try:
                return type(self).importer(
                    campaign=campaign,
                    user=user,
                    source=source,
                    filename=path.name,
                    dry_run=options["dry_run"],
                    again=again,
                    sheet=options.get("sheet") or None,
                    **self.import_options(options),
                )
            except PermissionDenied:
                raise CommandError(
                    _("%(user)s may not import into %(campaign)s.") % {"user": user, "campaign": campaign}
                ) from None

    @staticmethod
    def needs_confirmation(report: ImportReport, again: bool) -> bool:
        """Refused only because the file (or its rows) was imported before."""
        return report.again_needed and not report.dry_run and not again

    def confirmed(self, report: ImportReport, options: dict[str, Any]) -> bool:
        """Ask whoever runs the command, if someone can answer."""
        if options.get("no_input") or not sys.stdin.isatty():
            return False
        for message in report.repeats:
            self.stdout.write(self.style.WARNING(message))
        answer = input(_("Import it again? [y/N] "))
        return answer.strip().casefold() in {"y", "yes", "是", "j"}

    def write_report(self, report: ImportReport, campaign: Campaign) -> None:
        if report.ok:
            for message in report.repeats:
                self.stdout.write(self.style.WARNING(message))
        elif self.needs_confirmation(report, again=False):
            self.stderr.write(_("Run the command again with --again to import the file all the same."))
        if not report.ok:
            for error in report.errors:
                self.stderr.write(str(error))
            if report.error_count > len(report.errors):
                self.stderr.write(_("… and %(n)s more.") % {"n": intcomma(report.error_count - len(report.errors))})
            raise CommandError(
                _("%(n)s problem(s) found; nothing was imported.") % {"n": intcomma(report.error_count)}, returncode=1
            )
        for count in report.counts:
            self.stdout.write(str(count))
        if report.dry_run:
            self.stdout.write(_("Dry run: every row is valid; nothing was written."))
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Imported %(n)s rows into %(campaign)s.") % {"n": intcomma(report.rows), "campaign": campaign}
                )
            )


# The loggers of Celery and its messaging library: in eager mode (no broker) the roll-up
# an import enqueues runs in the command's own process, and their lines ("Task …
# succeeded", "No hostname was supplied") would mix into what the command prints.
CELERY_LOGGERS = ("celery", "kombu", "amqp")


@contextlib.contextmanager
def quiet_celery() -> Iterator[None]:
    """Only Celery's errors while the command runs; its levels as they were afterwards."""
    loggers = [logging.getLogger(name) for name in CELERY_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(max(logger.getEffectiveLevel(), logging.ERROR))
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def campaign_from_option(slug: str | None) -> Campaign:
    """The campaign a ``--campaign CODE`` option names, or the only one there is."""
    if slug:
        try:
            return Campaign.objects.get(slug=slug)
        except Campaign.DoesNotExist:
            raise CommandError(_("No campaign has the code %(slug)s.") % {"slug": slug}) from None
    campaigns = list(Campaign.objects.all()[:2])
    if len(campaigns) != 1:
        raise CommandError(_("Name the campaign with --campaign CODE."))
    return campaigns[0]


def user_from_option(username: str | None) -> User | None:
    """The user a ``--user USERNAME`` option names, or None."""
    if not username:
        return None
    try:
        return get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist:
        raise CommandError(_("No user is called %(username)s.") % {"username": username}) from None
