"""Background jobs (``core.models.Job``): claiming one, its heartbeat, what becomes of
one whose worker died, and its progress as the progress bar reads it.

Any job with ``status``, ``get_status_display()``, ``running``, ``rows_done``,
``rows_total`` and ``percent`` can be polled by ``static/js/progress.js`` through a view
that returns ``progress_response(job, url)``.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import logging
import threading
from collections.abc import Iterator
from typing import Any

from celery import current_app
from django.apps import apps
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import F, Q, QuerySet
from django.http import JsonResponse
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _

from core.models import Job

logger = logging.getLogger(__name__)

# A job whose worker died is sent again this many times, then failed.
RESTARTS = 1


def claim_job(namespace: int, job_id: int) -> bool:
    """Whether this run of a job's task may work on it: on PostgreSQL an advisory lock
    (in ``namespace``, one per kind of job) held until the end of the transaction, so
    that a second delivery of the task waits its turn; elsewhere (SQLite, one writer
    at a time) always."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [namespace, job_id])
        return bool(cursor.fetchone()[0])


def heartbeat_interval() -> float:
    """Seconds between two heartbeats: several within JOB_STALE_SECONDS, so that a
    late one or two do not make a living job look dead."""
    return max(1.0, settings.JOB_STALE_SECONDS / 6)


def stale_before() -> datetime.datetime:
    """A running job whose last heartbeat is older than this has lost its worker."""
    return timezone.now() - datetime.timedelta(seconds=settings.JOB_STALE_SECONDS)


def alive(jobs: QuerySet[Any]) -> QuerySet[Any]:
    """The jobs not known to have lost their worker: waiting for a task (no heartbeat
    yet) or with a recent heartbeat. Asking again for the same work joins one of these;
    a stale job is left to ``jobs_sweep_stale``."""
    return jobs.filter(Q(heartbeat_at__isnull=True) | Q(heartbeat_at__gte=stale_before()))


@contextlib.contextmanager
def job_heartbeat(model: type[Job], job_id: int) -> Iterator[None]:
    """While the block runs (a task working on the job), keep the job's
    ``heartbeat_at`` fresh: straight away, then on PostgreSQL every
    ``heartbeat_interval()`` from a thread, on a connection of its own so that the beats
    are seen while the task's own transaction is still open. The thread beats as long as
    the process lives, however long a step of the work takes without reporting progress
    (a workbook being saved, an import's commit); a worker killed with SIGKILL stops
    beating, which is how ``jobs_sweep_stale`` tells it from a slow one.

    On SQLite a second connection cannot write while the task's transaction holds the
    write lock, so there is only the first beat; there the sweep cannot take a running
    job for dead either, since its own writes wait for that lock."""
    # ``status`` is a field of each concrete job model, which the stubs cannot see here.
    running = model._default_manager.filter(pk=job_id, status__in=model.RUNNING)  # type: ignore[misc]
    running.update(heartbeat_at=timezone.now())
    if connection.vendor != "postgresql":
        yield
        return
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(heartbeat_interval()):
                try:
                    running.update(heartbeat_at=timezone.now())
                except DatabaseError:
                    # A missed beat only makes the job look older; the next may pass.
                    logger.warning("Heartbeat of %s %s failed", model.__name__, job_id, exc_info=True)
        finally:
            connections.close_all()  # this thread's connection

    thread = threading.Thread(target=beat, name=f"heartbeat-{model._meta.label_lower}-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def job_models() -> list[type[Job]]:
    return [model for model in apps.get_models() if issubclass(model, Job)]


def jobs_sweep_stale() -> dict[str, int]:
    """Every running job whose heartbeat stopped (its worker was killed: the broker
    would hand its message to another worker only after its visibility timeout, an
    hour) is sent to its task again, up to ``RESTARTS`` times; after that (a job that
    kills its worker each time, running out of memory say) it is failed with a message.
    Each change is made only if the job is still as it was read, so a job that finished
    or beat meanwhile is left alone. Returns how many were restarted and failed."""
    restarted = failed = 0
    for model in job_models():
        # ``status`` is a field of each concrete job model, which the stubs cannot see here.
        stale = model._default_manager.filter(status__in=model.RUNNING, heartbeat_at__lt=stale_before())  # type: ignore[misc]
        for job in stale:
            unchanged = model._default_manager.filter(pk=job.pk, status=job.status, heartbeat_at=job.heartbeat_at)  # type: ignore[misc]
            if job.restarts < RESTARTS:
                # No heartbeat until the task starts again: a job waiting in the queue is not stale.
                if unchanged.update(heartbeat_at=None, restarts=F("restarts") + 1):
                    logger.warning("%s %s lost its worker; sent again", model.__name__, job.pk)
                    transaction.on_commit(functools.partial(_send, model.TASK, job.pk))
                    restarted += 1
            elif unchanged.update(**job.failure(_("The job stopped unexpectedly; please try again."))):
                logger.warning("%s %s lost its worker again; failed", model.__name__, job.pk)
                with contextlib.suppress(OSError):
                    default_storage.delete(job.path)
                failed += 1
    return {"restarted": restarted, "failed": failed}


def _send(task_name: str, job_id: int) -> None:
    autodiscover_modules("tasks")  # registers the apps' tasks, wherever this runs
    current_app.tasks[task_name].delay(job_id)


# Jobs running in a thread of this process (``job_start`` on the embedded default), by
# (task name, job id): a second start of the same job while it runs is a no-op.
_in_thread: set[tuple[str, int]] = set()
_in_thread_lock = threading.Lock()


def job_start(task: Any, job_id: int) -> threading.Thread | None:
    """Start a job's Celery task. With a broker, the task is sent to a worker. On the
    embedded default (no broker, ``JOBS_IN_THREAD``) Celery would run it eagerly inside
    the request that asked, which then waits for the whole job (47 s for a county's
    general ledger): the task runs in a thread of this process instead, so the job's
    page shows at once and follows its progress. The same job already running in a
    thread is not started twice. Call it on commit. Returns the thread, if any (the
    tests wait for it)."""
    if not settings.JOBS_IN_THREAD:
        task.delay(job_id)
        return None
    key = (task.name, job_id)
    with _in_thread_lock:
        if key in _in_thread:
            return None
        _in_thread.add(key)
    thread = threading.Thread(
        target=_run_in_thread, args=(task, job_id, key), name=f"job-{task.name}-{job_id}", daemon=True
    )
    thread.start()
    return thread


def job_running_in_thread(task: Any, job_id: int) -> bool:
    with _in_thread_lock:
        return (task.name, job_id) in _in_thread


def _run_in_thread(task: Any, job_id: int, key: tuple[str, int]) -> None:
    try:
        task(job_id)  # calling a Celery task runs it here, in this thread
    except Exception:
        # The task fails its job itself; this only keeps a surprise out of the server's thread.
        logger.exception("Job %s %s failed in its thread", task.name, job_id)
    finally:
        with _in_thread_lock:
            _in_thread.discard(key)
        connections.close_all()  # this thread's connection


@contextlib.contextmanager
def reading_snapshot() -> Iterator[bool]:
    """A consistent view of the database for a long read (an export). On PostgreSQL a
    transaction (``transaction.atomic``): yields True, and what is written inside commits
    with it. On SQLite the project begins transactions IMMEDIATE, taking the write lock
    (settings.py): held for a whole export, it would make every other write wait and
    fail after 20 s. There, outside another transaction, a deferred read transaction
    (WAL: a snapshot that blocks no writer) is opened by hand, and it yields False: the
    caller writes its result after the block, since a write inside could fail should
    another have committed meanwhile. Inside a transaction already (the tests) it
    yields True."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        with transaction.atomic():
            yield True
        return
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN DEFERRED")
    try:
        yield False
    finally:
        with connection.cursor() as cursor:
            cursor.execute("COMMIT")


def import_job_confirm(*, job: Any, user: Any, again: bool = False) -> Any:
    """The user read an import job's dry run and asks for the import (``again``: even
    though the check found the file, or some of its rows, imported before). A
    conditional status change: of two sends, only one finds the job waiting. For the
    import jobs of every app (their ``Status`` has ``CHECKED`` and ``IMPORTING``)."""
    if job.user_id != user.pk:
        raise PermissionDenied
    if job.repeats and not again:
        raise ValidationError(_("This file was imported before: tick the box to import it again."))
    model = type(job)
    updated = model.objects.filter(pk=job.pk, status=model.Status.CHECKED).update(
        again=again,
        # A new run of the task: the check's heartbeat and restarts do not count against it.
        status=model.Status.IMPORTING,
        rows_done=0,
        finished_at=None,
        heartbeat_at=None,
        restarts=0,
    )
    if not updated:
        raise ValidationError(_("This import is not waiting for confirmation."))
    job.refresh_from_db()
    return job


def progress_response(job: Any, url: str) -> JsonResponse:
    return JsonResponse(
        {
            "status": job.status,
            "label": job.get_status_display(),
            "running": job.running,
            "rows_done": job.rows_done,
            "rows_total": job.rows_total,
            "percent": job.percent,
            "text": _("%(done)s of about %(total)s rows")
            % {"done": intcomma(job.rows_done), "total": intcomma(job.rows_total)},
            "url": url,
        }
    )
