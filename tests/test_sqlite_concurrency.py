"""The embedded default (SQLite in a file) takes a burst of concurrent public-box
submissions without one "database is locked".

The test database of the suite is SQLite in memory (or PostgreSQL), neither of which
is what an office runs; so a fresh process reads config/settings.py as the embedded
run does (DATABASE_URL pointing at a file), builds the tables in that file (from the
models, as the suite's test databases are: tests/test_migrations.py shows the
migrations build the same schema), and sends the box's
form from eight threads at once, each thread a client with its own connection, through
the whole request: rate limit, form, opinion with its history and outbox row, and the
ledger roll-up that Celery runs in-process after each commit.
"""

from __future__ import annotations

import datetime
import json
import secrets
import sys
import threading
import traceback
from pathlib import Path

from tests.test_settings import BASE_DIR, run

WRITERS = 8
EACH = 15


def test_eight_concurrent_box_writers_on_sqlite_never_fail(tmp_path: Path) -> None:
    result = run(
        ["-c", "from tests.test_sqlite_concurrency import burst; burst()"],
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="testserver",
        STATIC_MANIFEST="0",
        LANGUAGE_CODE="en",
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["journal_mode"] == "wal"
    assert outcome["failures"] == [], f"{len(outcome['failures'])} of {WRITERS * EACH} submissions failed"
    assert outcome["held"] == WRITERS * EACH
    assert outcome["stored"] == WRITERS * EACH


def burst() -> None:  # pragma: no cover (runs in the process the test starts)
    """Build the file database's tables, open a campaign, and let WRITERS threads submit
    EACH opinions each at the same time; print what happened as JSON."""
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.conf import settings

    # The tables straight from the models (replaying the migrations costs ~40 s of CPU).
    settings.MIGRATION_MODULES = {app.label: None for app in django.apps.apps.get_app_configs()}
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from campaign.models import LeadershipTeam
    from opinions import public
    from opinions.models import BoxSubmission, Opinion, OpinionKind
    from tests.conftest import build_world

    call_command("migrate", run_syncdb=True, verbosity=0)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = build_world()
    campaign = world.campaign
    today = timezone.localdate()
    campaign.starts_on = today - datetime.timedelta(days=40)
    campaign.ends_on = today + datetime.timedelta(days=40)
    campaign.save()
    # The unit's leadership team, listed by the box; its roll-up reaches all three ledger levels.
    target = f"team-{LeadershipTeam.objects.get(campaign=campaign, unit=world.unit).pk}"
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        journal_mode = cursor.fetchone()[0]
    connection.close()

    url = reverse("public:write", args=[campaign.slug])
    start = threading.Barrier(WRITERS)
    failures: list[str] = []

    def writer(number: int) -> None:
        client = Client()
        try:
            start.wait()
            for n in range(EACH):
                data = {
                    "target": target,
                    "target_text": "",
                    "kind": OpinionKind.SUGGESTION,
                    "aspect": "work",
                    "text": f"第{number}个窗口的第{n}条建议。",
                    "name": "",
                    "contact": "",
                    "website": "",
                    "once": public.form_once_new(),
                }
                # A different address each time: the box's rate limit is not the point here.
                address = f"10.0.{number}.{n + 1}"
                try:
                    response = client.post(url, data, REMOTE_ADDR=address)
                except Exception:
                    failures.append(traceback.format_exc(limit=1).strip().splitlines()[-1])
                    continue
                if response.status_code != 200 or b'id="receipt-code"' not in response.content:
                    failures.append(f"HTTP {response.status_code} without a receipt")
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # The box holds its submissions until the day's batch records them (opinions.public).
    held = BoxSubmission.objects.filter(campaign=campaign).count()
    public.box_flush(before=today + datetime.timedelta(days=1))
    stored = Opinion.objects.filter(campaign=campaign).count()
    print(json.dumps({"journal_mode": journal_mode, "failures": failures, "held": held, "stored": stored}))
