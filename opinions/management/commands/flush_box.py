"""Record the public box's held submissions of past days: ``manage.py flush_box``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from opinions import public


class Command(BaseCommand):
    help = (
        "Record as opinions the public box's submissions held from the days before today, in shuffled order, "
        "dated by day only. Celery beat runs it every hour, and opening the list of opinions runs it too; "
        "never a submission of today. Safe to run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = public.box_flush()
        self.stdout.write(
            _("%(recorded)d held submission(s) recorded as opinions, %(refused)d left held.")
            % {"recorded": result.recorded, "refused": result.refused}
        )
