"""The abstract models the apps build on (no tables of their own)."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _


class Job(models.Model):
    """A long piece of work (an import, an export) run by a Celery task for one user:
    the file it reads or writes, how far it has got, when it finished. A subclass adds
    who asked (its own wording), its ``Status`` choices and ``status`` field, and names
    in ``RUNNING`` the statuses in which the task still has work to do. The progress
    bar polls it through ``core.jobs.progress_response``; a task claims it with
    ``core.jobs.claim_job``."""

    RUNNING: ClassVar[tuple[str, ...]] = ()
    status: str  # declared here for the type checker; each subclass defines the field

    filename = models.CharField(_("file"), max_length=255)
    # The storage name under MEDIA_ROOT, random; never taken from the client.
    path = models.CharField(max_length=255, editable=False)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.filename

    @property
    def running(self) -> bool:
        return self.status in self.RUNNING

    @property
    def percent(self) -> int:
        return min(100, self.rows_done * 100 // self.rows_total) if self.rows_total else 0
