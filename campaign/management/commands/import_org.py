"""Import the organisation from a spreadsheet: ``manage.py import_org FILE``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from campaign.models import Campaign
from campaign.resources import KINDS
from campaign.services import org_import


class Command(BaseCommand):
    help = (
        "Import organisations, members, leadership teams and supervisory teams from an .xlsx workbook "
        "(a sheet per kind) or a .csv file (one kind). All or nothing: any bad row is printed as "
        "'sheet row N, column X: reason', nothing is written and the exit status is 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The .xlsx or .csv file.")
        parser.add_argument("--campaign", help="The campaign's code (slug); optional when there is only one campaign.")
        parser.add_argument("--kind", choices=KINDS, help="What a CSV file (or single sheet) holds, if not detected.")
        parser.add_argument("--dry-run", action="store_true", help="Check every row and write nothing.")
        parser.add_argument("--user", help="Username recorded in the history as the importer.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        campaign = self._campaign(options["campaign"])
        user = self._user(options["user"])
        with path.open("rb") as source:
            try:
                report = org_import(
                    campaign=campaign,
                    user=user,
                    source=source,
                    filename=path.name,
                    kind=options["kind"],
                    dry_run=options["dry_run"],
                )
            except PermissionDenied:
                raise CommandError(
                    _("%(user)s may not import into %(campaign)s.") % {"user": user, "campaign": campaign}
                ) from None
        if not report.ok:
            for error in report.errors:
                self.stderr.write(str(error))
            if report.error_count > len(report.errors):
                self.stderr.write(_("… and %(n)d more.") % {"n": report.error_count - len(report.errors)})
            raise CommandError(
                _("%(n)d problem(s) found; nothing was imported.") % {"n": report.error_count}, returncode=1
            )
        for count in report.counts:
            self.stdout.write(str(count))
        if report.dry_run:
            self.stdout.write(_("Dry run: every row is valid; nothing was written."))
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Imported %(n)d rows into %(campaign)s.") % {"n": report.rows, "campaign": campaign}
                )
            )

    def _campaign(self, slug: str | None) -> Campaign:
        if slug:
            try:
                return Campaign.objects.get(slug=slug)
            except Campaign.DoesNotExist:
                raise CommandError(_("No campaign has the code %(slug)s.") % {"slug": slug}) from None
        campaigns = list(Campaign.objects.all()[:2])
        if len(campaigns) != 1:
            raise CommandError(_("Name the campaign with --campaign CODE."))
        return campaigns[0]

    def _user(self, username: str | None) -> Any:
        if not username:
            return None
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(_("No user is called %(username)s.") % {"username": username}) from None
