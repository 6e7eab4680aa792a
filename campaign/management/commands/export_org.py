"""Export a campaign's organisation: ``manage.py export_org --campaign SLUG OUT.xlsx``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from campaign.models import Campaign
from campaign.resources import export_campaign


class Command(BaseCommand):
    help = (
        "Write a campaign's organisations, members, leadership teams and supervisory teams to one .xlsx "
        "workbook, a sheet each, in the format import_org reads."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--campaign", required=True, help="The campaign's code (slug).")
        parser.add_argument("out", type=Path, help="The .xlsx file to write.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            campaign = Campaign.objects.get(slug=options["campaign"])
        except Campaign.DoesNotExist:
            raise CommandError(_("No campaign has the code %(slug)s.") % {"slug": options["campaign"]}) from None
        out: Path = options["out"]
        if out.suffix.lower() != ".xlsx":
            raise CommandError(_("The output file must end in .xlsx."))
        out.write_bytes(export_campaign(campaign))
        self.stdout.write(_("Wrote %(path)s.") % {"path": out})
