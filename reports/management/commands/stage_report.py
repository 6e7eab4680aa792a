from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from campaign.models import ChangeOutbox, Stage
from reports.management.commands._campaigns import add_campaign_option, one_campaign
from reports.summary_report import docx, report


class Command(BaseCommand):
    help = (
        "Write the stage summary report (阶段工作总结) of a campaign's stage as a Word document, its "
        "figures read from the ledgers; --verify recounts every figure from source and exits 1 naming "
        "each one that differs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_campaign_option(parser, "The campaign (default: the newest active one).")
        parser.add_argument(
            "--stage",
            metavar="SLUG",
            default=None,
            help="learning, analysis or rectification (default: the current stage).",
        )
        parser.add_argument("--out", metavar="FILE.docx", required=True, help="Where to write the report.")
        parser.add_argument(
            "--verify", action="store_true", help="Recount every figure from source; exit 1 on a difference."
        )

    def handle(
        self, *args: Any, campaign: str | None, stage: str | None, out: str, verify: bool, **options: Any
    ) -> None:
        chosen = one_campaign(campaign)
        stages = Stage.objects.filter(campaign=chosen)
        found = stages.filter(kind=stage).first() if stage else stages.filter(is_current=True).first()
        if found is None:
            known = ", ".join(stages.order_by("order").values_list("kind", flat=True)) or "—"
            raise CommandError(_("No such stage (the campaign's stages: %(known)s).") % {"known": known})
        waiting = ChangeOutbox.objects.filter(campaign=chosen).count()
        if waiting:
            self.stderr.write(
                _("%(count)d change(s) are still waiting for a roll-up (manage.py rollup_ledgers).")
                % {"count": waiting}
            )
        built = report.build(chosen, found, verify=verify)
        Path(out).write_bytes(docx.report_docx(built))
        self.stdout.write(_("Wrote %(path)s.") % {"path": out})
        if not verify:
            return
        for fig in built.differences:
            self.stderr.write(
                _("%(figure)s: the ledger holds %(stored)s, a recount from the records finds %(recounted)s.")
                % {"figure": fig.fig.name, "stored": intcomma(fig.value), "recounted": intcomma(fig.recounted)}
            )
        if built.differences:
            sys.exit(1)
        self.stdout.write(_("Every figure agrees with a recount from the records."))
