from __future__ import annotations

import sys
from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from reports.ledger import reconcile, rollup
from reports.management.commands._campaigns import add_campaign_option, campaigns


class Command(BaseCommand):
    help = (
        "Compare every ledger figure with a direct recount from source and print each difference. "
        "Exit status 1 if any is found. Changes still waiting in the outbox are taken in first "
        "(they are late, not drift) unless --no-drain is given; --fix records and repairs what is found."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_campaign_option(parser, "Only this campaign (default: every campaign).")
        parser.add_argument("--fix", action="store_true", help="Record each drift and recompute the ledger.")
        parser.add_argument(
            "--no-drain", action="store_true", help="Do not take in the changes waiting in the outbox first."
        )

    def handle(self, *args: Any, campaign: str | None, fix: bool, no_drain: bool, **options: Any) -> None:
        found = 0
        for each in campaigns(campaign):
            if not no_drain:
                rollup.ledger_drain_outbox(campaign_id=each.pk)
            drifts = reconcile.ledger_reconcile(campaign_id=each.pk, repair=fix, record=fix)
            for drift in drifts:
                self.stdout.write(f"{each.slug}: {drift}")
            found += len(drifts)
            if drifts and fix:
                self.stdout.write(_("%(campaign)s: repaired.") % {"campaign": each.slug})
        if found:
            self.stderr.write(_("%(count)s figure(s) differ from a direct recount.") % {"count": intcomma(found)})
            sys.exit(1)
        self.stdout.write(_("No drift: every ledger figure equals a direct recount."))
