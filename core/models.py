"""The abstract models the apps build on, and the used one-time form tokens."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Job(models.Model):
    """A long piece of work (an import, an export) run by a Celery task for one user:
    the file it reads or writes, how far it has got, when it finished. A subclass adds
    who asked (its own wording), its ``Status`` choices and ``status`` field, and names
    in ``RUNNING`` the statuses in which the task still has work to do, a ``FAILED``
    status, and in ``TASK`` the Celery task that runs it. The progress bar polls it
    through ``core.jobs.progress_response``; a task claims it with
    ``core.jobs.claim_job`` and shows it is alive with ``core.jobs.job_heartbeat``."""

    RUNNING: ClassVar[tuple[str, ...]] = ()
    status: str  # declared here for the type checker; each subclass defines the field
    # The name of the Celery task that runs a job given its id: sent again for a job
    # whose worker died (core.jobs.jobs_sweep_stale).
    TASK: ClassVar[str] = ""

    filename = models.CharField(_("file"), max_length=255)
    # The storage name under MEDIA_ROOT, random; never taken from the client.
    path = models.CharField(max_length=255, editable=False)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # The task's last sign of life, written every few seconds while it runs; empty
    # until a task starts on the job. A running job whose heartbeat has stopped lost its
    # worker (killed, out of memory) and is sent again or failed (core.jobs).
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)
    # How many times the job was sent again after its worker died.
    restarts = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.filename

    def failure(self, message: str) -> dict[str, Any]:
        """The fields that end the job as failed, for ``message``'s reason. A subclass
        that can show the reason adds where it keeps it."""
        return {"status": self.Status.FAILED, "finished_at": timezone.now()}  # type: ignore[attr-defined]

    @property
    def running(self) -> bool:
        return self.status in self.RUNNING

    @property
    def percent(self) -> int:
        return min(100, self.rows_done * 100 // self.rows_total) if self.rows_total else 0


class UsedFormToken(models.Model):
    """A one-time form token that was sent (``core.once``): the form's rows were stored
    in the same transaction, and the unique token refuses a second send. No user and no
    time finer than the day: the row tells nothing about who sent what, or when."""

    token = models.CharField(max_length=64, unique=True)
    used_on = models.DateField(db_index=True)
    # Where the send led (the record it created), for a second send to go to.
    led_to = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return self.token
