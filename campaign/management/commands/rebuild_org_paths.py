from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from campaign import maintenance
from campaign.models import Campaign


class Command(BaseCommand):
    help = (
        "Recompute the organisation tree's paths and depths of a campaign from the parent links "
        "(after a bulk load or a manual database fix). Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--campaign", required=True, metavar="SLUG", help="The campaign's code.")

    def handle(self, *args: object, campaign: str, **options: object) -> None:
        found = Campaign.objects.filter(slug=campaign).values_list("pk", "name").first()
        if found is None:
            known = ", ".join(Campaign.objects.order_by("slug").values_list("slug", flat=True)) or "—"
            raise CommandError(
                _("No campaign has the code %(slug)s (known codes: %(known)s).") % {"slug": campaign, "known": known}
            )
        pk, name = found
        try:
            fixed = maintenance.org_paths_rebuild(campaign_id=pk)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(
            _("%(campaign)s: %(count)d organisation(s) had a wrong path or depth and were fixed.")
            % {"campaign": name, "count": fixed}
        )
