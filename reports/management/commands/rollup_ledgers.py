from __future__ import annotations

from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from reports.ledger import rollup
from reports.management.commands._campaigns import add_campaign_option, campaigns


class Command(BaseCommand):
    help = (
        "Bring the ledgers up to date. By default, roll up every unit with a change waiting in the outbox; "
        "with --full, recompute every ledger figure of the campaign(s) from source. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_campaign_option(parser, "Only this campaign (default: every campaign).")
        parser.add_argument("--full", action="store_true", help="Recompute everything, not only what changed.")

    def handle(self, *args: Any, campaign: str | None, full: bool, **options: Any) -> None:
        chosen = campaigns(campaign)
        if full:
            for each in chosen:
                result = rollup.ledger_rollup_full(campaign_id=each.pk)
                self.stdout.write(
                    _("%(campaign)s: every figure recomputed (%(count)s waiting change(s) taken in).")
                    % {"campaign": each.slug, "count": intcomma(result.consumed)}
                )
            return
        slugs = {each.pk: each.slug for each in chosen}
        results = rollup.ledger_drain_outbox(campaign_id=chosen[0].pk if campaign else None)
        for result in results:
            self.stdout.write(
                _("%(campaign)s: %(units)s organisation(s) rolled up, %(count)s waiting change(s) taken in.")
                % {
                    "campaign": slugs.get(result.campaign_id, result.campaign_id),
                    "units": intcomma(result.units or 0),
                    "count": intcomma(result.consumed),
                }
            )
        if not results:
            self.stdout.write(_("Nothing was waiting: the ledgers are up to date."))
