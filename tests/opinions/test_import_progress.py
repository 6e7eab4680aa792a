"""An import's progress is seen by other requests while it runs (PostgreSQL: the job
writes its progress on a connection of its own). Committed for real, so kept apart from
tests/opinions/test_import.py, whose tests share one `world` built once for the module
(tests/conftest.py builds a module's world per test when it holds a transactional test)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from opinions import imports
from opinions.models import ImportJob, Opinion
from tests.campaign.importing import csv_bytes
from tests.opinions.test_import import ZH, row


@pytest.mark.django_db(transaction=True)
def test_progress_is_seen_by_other_requests_while_the_import_runs(world, targets, settings, tmp_path, monkeypatch):
    from django.db import DEFAULT_DB_ALIAS, connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("SQLite writes one connection at a time: there the job runs in the request")
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(imports, "CHUNK_ROWS", 2)
    monkeypatch.setattr(imports._ProgressWriter, "INTERVAL", 0)
    data = csv_bytes([ZH, *[row(ttype="党员", code=targets.ordinary_member.number)] * 6])
    job = imports.import_job_create(
        campaign=world.campaign,
        user=world.users["office"],
        upload=SimpleUploadedFile("opinions.csv", data),
        extension="csv",
    )
    seen = []
    other = connections.create_connection(DEFAULT_DB_ALIAS)  # another request's view of the job
    report = imports._ProgressWriter.__call__

    def watched(self, done, total):
        report(self, done, total)
        with other.cursor() as cursor:
            cursor.execute("SELECT rows_done, rows_total FROM opinions_importjob WHERE id = %s", [job.pk])
            seen.append(cursor.fetchone())

    monkeypatch.setattr(imports._ProgressWriter, "__call__", watched)
    try:
        imports.import_job_run(job_id=job.pk)
        assert seen == [(2, 6), (4, 6), (6, 6)]
        assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.CHECKED
        seen.clear()
        imports.import_job_confirm(job=job, user=world.users["office"])
        imports.import_job_run(job_id=job.pk)
        # Written while the import's own transaction was still open, before its rows were.
        assert seen == [(2, 6), (4, 6), (6, 6)]
        assert Opinion.objects.count() == 6
    finally:
        other.close()
