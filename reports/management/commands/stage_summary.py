from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from campaign.models import ChangeOutbox
from reports.ledger.summary import stage_summary
from reports.management.commands._campaigns import add_campaign_option, one_campaign


class Command(BaseCommand):
    help = "Print the campaign's stage summary figures, read from the ledgers."

    def add_arguments(self, parser: CommandParser) -> None:
        add_campaign_option(parser, "The campaign (default: the newest active one).")
        parser.add_argument("--json", action="store_true", dest="as_json", help="Print the figures as JSON.")

    def handle(self, *args: Any, campaign: str | None, as_json: bool, **options: Any) -> None:
        chosen = one_campaign(campaign)
        waiting = ChangeOutbox.objects.filter(campaign=chosen).count()
        if waiting:
            # The figures are what the ledger holds; say so when it is behind.
            self.stderr.write(
                _("%(count)d change(s) are still waiting for a roll-up (manage.py rollup_ledgers).")
                % {"count": waiting}
            )
        summary = stage_summary(chosen)
        if as_json:
            self.stdout.write(_dumps(summary))
            return
        for name, figures in summary.items():
            self.stdout.write(f"{name}:")
            for line in _lines(figures, indent=1):
                self.stdout.write(line)


def _dumps(summary: dict[str, Any]) -> str:
    return json.dumps(summary, ensure_ascii=False, indent=2)


def _lines(figures: dict[str, Any], *, indent: int) -> list[str]:
    lines = []
    for key, value in figures.items():
        if isinstance(value, dict):
            lines.append("  " * indent + f"{key}:")
            lines.extend(_lines(value, indent=indent + 1))
        else:
            lines.append("  " * indent + f"{key}: {value}")
    return lines
