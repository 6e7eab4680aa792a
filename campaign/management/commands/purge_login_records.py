from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from campaign import accounts


class Command(BaseCommand):
    help = (
        "Delete log-in records (address, browser) older than the campaigns' retention setting. "
        "Celery beat runs it nightly; without beat (the embedded run) run it from cron. Safe to run again."
    )

    def handle(self, *args: object, **options: object) -> None:
        report = accounts.login_records_purge()
        self.stdout.write(
            _(
                "Log-in records older than %(days)d days deleted: %(logins)d log-ins, %(failures)d failed log-ins, "
                "%(attempts)d lock-out counters."
            )
            % {"days": report.days, "logins": report.logins, "failures": report.failures, "attempts": report.attempts}
        )
