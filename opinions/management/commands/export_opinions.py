"""Export a campaign's events and opinions in the import format: ``manage.py export_opinions OUT``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from campaign.import_command import campaign_from_option
from opinions.resources import EVENTS, KINDS, OPINIONS, campaign_querysets, export_csv, export_xlsx


class Command(BaseCommand):
    help = (
        "Write a campaign's solicitation events and opinions in the format import_opinions reads: an .xlsx "
        "workbook with a sheet of each (or of one, with --what), or a .csv file of one kind (opinions unless "
        "--what events). Written row by row; text a spreadsheet would run as a formula is neutralised."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", type=Path, help="The .xlsx or .csv file to write.")
        parser.add_argument("--campaign", help="The campaign's code (slug); optional when there is only one campaign.")
        parser.add_argument("--what", choices=KINDS, help="Only events, or only opinions.")

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path = options["out"]
        extension = out.suffix.lower().lstrip(".")
        if extension not in ("xlsx", "csv"):
            raise CommandError(_("Name an .xlsx or .csv file to write."))
        campaign = campaign_from_option(options["campaign"])
        what = options["what"] or (OPINIONS if extension == "csv" else None)
        parts = [(kind, queryset) for kind, queryset in campaign_querysets(campaign) if what in (None, kind)]
        if extension == "csv":
            with out.open("w", encoding="utf-8-sig", newline="") as target:
                export_csv(parts[0][0], parts[0][1], target)
        else:
            with out.open("wb") as target:
                export_xlsx(parts, target)
        counts = {kind: queryset.count() for kind, queryset in parts}
        self.stdout.write(
            self.style.SUCCESS(
                _("Wrote %(events)s events and %(opinions)s opinions of %(campaign)s to %(out)s.")
                % {
                    "events": intcomma(counts.get(EVENTS, 0)),
                    "opinions": intcomma(counts.get(OPINIONS, 0)),
                    "campaign": campaign,
                    "out": out,
                }
            )
        )
