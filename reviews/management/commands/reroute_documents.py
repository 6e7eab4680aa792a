from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from campaign.models import Campaign
from reviews.services import documents_reroute


class Command(BaseCommand):
    help = "Route every document awaiting a decision again, after a reviewer changed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--campaign", help="campaign code (default: every active campaign)")

    def handle(self, *args: Any, **options: Any) -> None:
        campaigns = Campaign.objects.filter(is_active=True)
        if options["campaign"]:
            campaigns = Campaign.objects.filter(slug=options["campaign"])
            if not campaigns.exists():
                raise CommandError(_("No campaign with the code “%(slug)s”.") % {"slug": options["campaign"]})
        for campaign in campaigns:
            changed = documents_reroute(campaign=campaign)
            self.stdout.write(
                _("%(campaign)s: %(count)d documents re-routed.") % {"campaign": campaign, "count": changed}
            )
