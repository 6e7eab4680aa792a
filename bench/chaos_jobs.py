"""Chaos proof: a Celery worker killed with SIGKILL in the middle of an export job.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/canvass_bench \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/2 .venv/bin/python bench/chaos_jobs.py

Give it a Redis database that no other worker listens on: the script's workers take
every message of the default queue there. It asks for the demo county's general ledger
of opinions (11,047 rows) and, in two rounds:

1. starts a worker process, lets it begin the export, kills it with SIGKILL, and
   shows that the job stays "running" with a heartbeat that no longer moves; that
   asking again for the same export gives a new job once the heartbeat is stale; that
   the sweep (``core.sweep_stale_jobs``, which beat runs every 20 s; run here every
   2 s) sends the job again; and that a new worker then finishes it;
2. kills the worker again on the job sent again, and shows that the sweep then fails
   it with its message instead of sending it a third time.

JOB_STALE_SECONDS is 10 here (at least 10; 40 by default). About 75 s in all, plus
the demo county's seeding on the first run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["JOB_STALE_SECONDS"] = os.environ.get("JOB_STALE_SECONDS", "10")

import common  # noqa: E402

SWEEP_EVERY = 2.0
WORKERS: list[subprocess.Popen] = []


def main() -> None:
    if not os.environ.get("CELERY_BROKER_URL", "").startswith("redis://"):
        sys.exit("Set CELERY_BROKER_URL to a Redis database of its own, e.g. redis://127.0.0.1:6379/2")
    common.setup()
    from django.contrib.auth import get_user_model

    from campaign.models import RoleAssignment, RoleKind
    from core import jobs
    from reports import export_jobs, tasks
    from reports.models import ExportJob

    campaign = common.demo_campaign()
    user, _ = get_user_model().objects.get_or_create(username="chaos-office")
    RoleAssignment.objects.get_or_create(user=user, campaign=campaign, kind=RoleKind.OFFICE)
    ExportJob.objects.filter(user=user).delete()
    started = time.monotonic()

    def say(text: str) -> None:
        print(f"{time.monotonic() - started:6.1f} s  {text}", flush=True)

    def ask() -> ExportJob:
        return export_jobs.export_job_create(user=user, campaign=campaign, unit=None, language="en")

    def state(job: ExportJob) -> str:
        job.refresh_from_db()
        beat = job.heartbeat_at.strftime("%H:%M:%S.%f")[:-3] if job.heartbeat_at else "-"
        return f"status={job.status} heartbeat={beat} restarts={job.restarts} rows={job.rows_done}/{job.rows_total}"

    def kill_once_running(worker: subprocess.Popen, job: ExportJob) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.status == ExportJob.Status.RUNNING and job.heartbeat_at:
                os.kill(worker.pid, signal.SIGKILL)
                worker.wait()
                say(f"worker {worker.pid} killed with SIGKILL: {state(job)}")
                return
            if not job.running:
                sys.exit(f"The job ended before the worker could be killed ({state(job)}); run again.")
            time.sleep(0.02)
        sys.exit("No worker started the job within two minutes.")

    def sweep_until(job: ExportJob, what: str) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            swept = jobs.jobs_sweep_stale()
            if swept[what]:
                say(f"sweep: {swept} → {state(job)}")
                return
            time.sleep(SWEEP_EVERY)
        sys.exit(f"The sweep did not find the job stale: {state(job)}")

    # --- Round 1: killed, sent again, finished by another worker ---------------------------
    job = ask()
    say(f"export {job.pk} asked for: {state(job)}")
    worker = start_worker()
    tasks.run_export_job.delay(job.pk)
    kill_once_running(worker, job)
    time.sleep(3 * jobs.heartbeat_interval())
    say(f"{3 * jobs.heartbeat_interval():.0f} s later, no worker: {state(job)} (the heartbeat stopped)")
    assert ask() == job, "asking again while the heartbeat is fresh joins the job"
    sweep_until(job, "restarted")
    assert job.status == ExportJob.Status.RUNNING and job.heartbeat_at is None and job.restarts == 1
    worker = start_worker()
    say(f"a new worker {worker.pid} started")
    wait_for(lambda: not state(job).startswith("status=running"), "the job sent again to finish")
    say(f"finished: {state(job)}")
    assert job.status == ExportJob.Status.DONE and job.rows_done == job.rows_total > 0
    stop_worker(worker)

    # --- Round 2: killed twice, then failed with a message -----------------------------
    ExportJob.objects.filter(pk=job.pk).delete()
    job = ask()
    say(f"export {job.pk} asked for: {state(job)}")
    worker = start_worker()
    tasks.run_export_job.delay(job.pk)
    kill_once_running(worker, job)
    wait_for(lambda: job.heartbeat_at < jobs.stale_before(), "the heartbeat to go stale", poll=job.refresh_from_db)
    fresh = ask()
    say(f"asked again once stale: a new job {fresh.pk} (not the dead {job.pk})")
    assert fresh != job
    fresh.delete()
    sweep_until(job, "restarted")
    worker = start_worker()
    kill_once_running(worker, job)
    sweep_until(job, "failed")
    assert job.status == ExportJob.Status.FAILED and job.restarts == 1
    say("the job sent again died too: failed, and no longer shown as running")
    # What a beat or a late redelivery of the killed workers' messages does now: nothing.
    assert jobs.jobs_sweep_stale() == {"restarted": 0, "failed": 0}
    ExportJob.objects.filter(user=user).delete()
    say("done")


def start_worker() -> subprocess.Popen:
    """A worker process of its own (solo pool: the task runs in the process killed)."""
    name = f"chaos{time.time_ns()}@%h"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "--quiet",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "-l",
            "WARNING",
            "-n",
            name,
        ],
        cwd=common.ROOT,
        env=os.environ.copy(),
    )
    WORKERS.append(worker)
    return worker


def stop_worker(worker: subprocess.Popen) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def wait_for(condition, what: str, *, poll=None, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if poll:
            poll()
        if condition():
            return
        time.sleep(0.2)
    sys.exit(f"Timed out waiting for {what}.")


if __name__ == "__main__":
    try:
        main()
    finally:
        for started in WORKERS:
            if started.poll() is None:
                stop_worker(started)
