"""The ``--campaign SLUG`` option the ledger commands share."""

from __future__ import annotations

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from campaign.models import Campaign


def add_campaign_option(parser: CommandParser, help_text: str) -> None:
    parser.add_argument("--campaign", metavar="SLUG", default=None, help=help_text)


def campaign_by_slug(slug: str) -> Campaign:
    campaign = Campaign.objects.filter(slug=slug).first()
    if campaign is None:
        known = ", ".join(Campaign.objects.order_by("slug").values_list("slug", flat=True)) or "—"
        raise CommandError(
            _("No campaign has the code %(slug)s (known codes: %(known)s).") % {"slug": slug, "known": known}
        )
    return campaign


def campaigns(slug: str | None) -> list[Campaign]:
    """The campaign named, or every campaign."""
    if slug:
        return [campaign_by_slug(slug)]
    return list(Campaign.objects.order_by("pk"))


def one_campaign(slug: str | None) -> Campaign:
    """The campaign named, or else the newest active one."""
    if slug:
        return campaign_by_slug(slug)
    campaign = Campaign.objects.order_by("-is_active", "-starts_on", "-pk").first()
    if campaign is None:
        raise CommandError(_("There is no campaign yet."))
    return campaign
