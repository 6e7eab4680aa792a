"""Chaos proof of the ledger: opinions written while the worker dies and Redis forgets.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/canvass_bench \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/2 .venv/bin/python bench/chaos_ledger.py

(or ``make proof-chaos``). Give it a Redis database that no other worker listens on:
the script flushes it. Against the demo county (seeded on first use), as the county
office, it creates CHAOS_OPINIONS opinions (10,000) through ``opinions.services`` in
batches (``opinions_create_batch``, CHAOS_BATCH rows each, 100), and after each batch
edits some of those already written through the same services: aspects set in bulk,
targets reassigned in bulk (which moves opinions between ledger units), statuses moved
in bulk, texts and kinds edited one by one, duplicates merged and unmerged, a few
deleted. Every one of those is a transaction that writes its outbox rows and, once
committed, sends a roll-up message to Redis.

Meanwhile CHAOS_WORKERS (2) real ``celery worker`` processes (solo pool: the roll-up
runs in the process that is killed) take the messages. CHAOS_KILLS (50) times one of
them is killed with SIGKILL (in the middle of a roll-up or not) and CHAOS_FLUSHES (5)
times the Redis database is emptied with FLUSHDB (the queue, the killed workers'
unacknowledged messages, kombu's bindings): at random moments of the writing (a new
worker started after each kill), except that the last batch is written with every
worker killed and Redis flushed after it, so that its roll-ups are lost with nothing
written after them. Then:

1. the queue is let drain (every message taken and finished);
2. the beat's sweep runs, as beat runs it every minute: ``reports.resend_outbox``,
   sending again the roll-up of every change still in the outbox — here without its
   minute's wait (``RESEND_AFTER`` is 0 once the writes have stopped, since nothing
   younger can still be on its way) — and the workers take those in, until the outbox
   is empty;
3. ``reports.ledger.reconcile.ledger_compare`` recounts every figure of the campaign
   from source (plain ORM queries, not the roll-up's SQL) and lists each difference.

It prints the figures and exits 1 if any figure drifted or the outbox did not empty.
Every wait is bounded (CHAOS_TIMEOUT, 2,400 s by default, for the writing; two
minutes for each wait after it). Each run first removes the opinions of the runs
before it and rolls the ledger up in full, so runs start alike.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

OPINIONS = int(os.environ.get("CHAOS_OPINIONS", "10000"))
BATCH = int(os.environ.get("CHAOS_BATCH", "100"))
KILLS = int(os.environ.get("CHAOS_KILLS", "50"))
FLUSHES = int(os.environ.get("CHAOS_FLUSHES", "5"))
WORKER_COUNT = int(os.environ.get("CHAOS_WORKERS", "2"))
TIMEOUT = float(os.environ.get("CHAOS_TIMEOUT", "2400"))
SEED = int(os.environ.get("CHAOS_SEED", str(int(time.time()))))
MARK = "（压力测试）"  # ends the text of every opinion this script writes

WORKERS: list[subprocess.Popen] = []


class Chaos(threading.Thread):
    """Kills a worker or flushes Redis at each scheduled point of the writing's progress
    (a fraction of the batches written), a random fraction of a second after it."""

    def __init__(self, rng: random.Random, redis_client, say) -> None:
        super().__init__(daemon=True)
        # The last batch is written with every worker killed and Redis flushed after it
        # (``last_batch``): those kills and that flush are not scheduled here.
        self.final_kills = min(WORKER_COUNT, KILLS) if FLUSHES else 0
        points = [(rng.uniform(0.01, 0.95), "kill") for _n in range(KILLS - self.final_kills)]
        points += [(rng.uniform(0.05, 0.95), "flush") for _n in range(FLUSHES - (1 if FLUSHES else 0))]
        self.schedule = sorted(points)
        self.rng = rng
        self.redis = redis_client
        self.say = say
        self.progress = 0.0
        self.kills = 0
        self.flushes = 0
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def run(self) -> None:
        for point, what in self.schedule:
            while self.progress < point:
                if self.stop.wait(0.05):
                    return
            time.sleep(self.rng.uniform(0, 0.4))
            if what == "kill":
                self.kill()
            else:
                self.redis.flushdb()
                self.flushes += 1
                self.say(f"Redis flushed ({self.flushes}/{FLUSHES}) at {point:.0%} of the writing")

    def kill(self) -> None:
        with self.lock:
            alive = [w for w in WORKERS if w.poll() is None]
            if not alive:
                return
            victim = self.rng.choice(alive)
            # A roll-up holds the ledger lock's row for its transaction: a worker killed
            # while one runs is killed mid-roll-up.
            os.kill(victim.pid, signal.SIGKILL)
            victim.wait()
            WORKERS.remove(victim)
            self.kills += 1
            start_worker()

    def last_batch(self) -> Iterator[None]:
        """Every worker killed, the last batch written meanwhile, Redis flushed: the
        roll-up messages of that batch are lost with nothing written after them, and only
        the sweep can bring them in. Then the workers start again."""
        with self.lock:
            for victim in list(WORKERS):
                os.kill(victim.pid, signal.SIGKILL)
                victim.wait()
                WORKERS.remove(victim)
                self.kills += 1
        yield
        self.redis.flushdb()
        self.flushes += 1
        self.say(f"Redis flushed ({self.flushes}/{FLUSHES}) after the last batch, written with no worker running")
        for _n in range(WORKER_COUNT):
            start_worker()


def main() -> None:
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker.startswith("redis://"):
        sys.exit("Set CELERY_BROKER_URL to a Redis database of its own, e.g. redis://127.0.0.1:6379/9")
    common.setup()
    import redis
    from django.db import connection

    from campaign.models import ChangeOutbox, LeadershipTeam, Member, OrgUnit
    from opinions import services
    from opinions.models import Aspect, Channel, Opinion, OpinionKind, OpinionStatus
    from reports import tasks
    from reports.ledger import reconcile, rollup

    rng = random.Random(SEED)
    redis_client = redis.Redis.from_url(broker)
    campaign = common.demo_campaign()
    office = common.office_user(campaign)
    started = time.monotonic()

    def say(text: str) -> None:
        print(f"{time.monotonic() - started:7.1f} s  {text}", flush=True)

    # --- A clean start: no opinion of an earlier run, the ledger equal to its recount ---
    redis_client.flushdb()
    history = Opinion.history.model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {history} WHERE id IN (SELECT id FROM opinions_opinion WHERE text LIKE %s)", [f"%{MARK}"]
        )
        cursor.execute("DELETE FROM opinions_opinion WHERE text LIKE %s", [f"%{MARK}"])
        removed = cursor.rowcount
    ChangeOutbox.objects.filter(campaign=campaign).delete()
    rollup.ledger_rollup_full(campaign_id=campaign.pk)
    common.vacuum_analyze("opinions_opinion", history, "reports_ledgerrow", "reports_ledgercell")
    before = reconcile.ledger_compare(campaign_id=campaign.pk)
    say(f"start: {removed:,} opinions of earlier runs removed, ledger rolled up in full, drift {len(before)}")
    if before:
        sys.exit("The ledger differs from its recount before the chaos begins: " + "; ".join(map(str, before[:5])))

    targets = [services.Target(member=m) for m in Member.objects.filter(campaign=campaign).select_related("unit")]
    teams = LeadershipTeam.objects.filter(campaign=campaign).select_related("unit")
    targets += [services.Target(team=t) for t in teams]
    units = list(OrgUnit.objects.filter(campaign=campaign, parent__isnull=False))
    targets += [services.Target(unit=u) for u in rng.sample(units, min(40, len(units)))]
    channels = [c for c in Channel.values if c != Channel.SUGGESTION_BOX]
    step = campaign.stages.get(kind="analysis").steps.get(kind="solicit")
    days = (step.ends_on - step.starts_on).days + 1
    mine: list[int] = []  # ids of this run's opinions still on record
    counts = dict.fromkeys(("created", "aspect", "reassigned", "status", "edited", "merged", "unmerged", "deleted"), 0)

    def pick(n: int) -> list[Opinion]:
        ids = rng.sample(mine, min(n, len(mine)))
        return list(Opinion.objects.filter(pk__in=ids).order_by("pk"))

    for _n in range(WORKER_COUNT):
        start_worker()
    chaos = Chaos(rng, redis_client, say)
    chaos.start()
    say(f"{WORKER_COUNT} workers started; writing {OPINIONS:,} opinions in batches of {BATCH} (seed {SEED})")

    # --- The writing, with the chaos running alongside -----------------------------------
    rounds = (OPINIONS + BATCH - 1) // BATCH
    write_start = time.monotonic()

    def write_round(round_number: int) -> None:
        if time.monotonic() - started > TIMEOUT:
            sys.exit(f"Timed out after {round_number} of {rounds} batches.")
        size = min(BATCH, OPINIONS - round_number * BATCH)
        rows = [
            services.OpinionRow(
                kind=rng.choice(OpinionKind.values),
                text=f"{rng.choice(common.FILL_TEXTS)}{MARK}",
                target=rng.choice(targets),
                aspect=rng.choice(["", *Aspect.values]),
            )
            for _n in range(size)
        ]
        created = services.opinions_create_batch(
            actor=office,
            campaign=campaign,
            rows=rows,
            channel=rng.choice(channels),
            received_on=step.starts_on + datetime.timedelta(days=rng.randrange(days)),
        )
        mine.extend(opinion.pk for opinion in created)
        counts["created"] += len(created)

        counts["aspect"] += services.opinions_bulk_set_aspect(
            actor=office, opinions=pick(BATCH // 4), aspect=rng.choice(Aspect.values)
        )
        counts["reassigned"] += services.opinions_bulk_reassign(
            actor=office, opinions=pick(BATCH // 8), target=rng.choice(targets)
        )
        status = rng.choice([OpinionStatus.RECORDED, OpinionStatus.SORTED, OpinionStatus.FED_BACK])
        nexts = [s for s in OpinionStatus.values if services.can_transition(status, s)]
        sample = rng.sample(mine, min(4 * BATCH, len(mine)))
        movable = list(Opinion.objects.filter(pk__in=sample, status=status)[: BATCH // 4])
        if movable:
            counts["status"] += services.opinions_bulk_transition(actor=office, opinions=movable, to=rng.choice(nexts))
        for opinion in pick(BATCH // 20):
            services.opinion_update(
                actor=office,
                opinion=opinion,
                text=f"{rng.choice(common.FILL_TEXTS)}（修改）{MARK}",
                kind=rng.choice(OpinionKind.values),
            )
            counts["edited"] += 1
        if round_number % 3 == 0 and len(mine) > 10:
            keep, *duplicates = pick(3)
            if keep.merged_into_id is None:
                counts["merged"] += services.opinion_merge(actor=office, keep=keep, duplicates=duplicates)
        if round_number % 4 == 1:
            merged = Opinion.objects.filter(pk__in=mine, merged_into__isnull=False).first()
            if merged is not None:
                services.opinion_unmerge(actor=office, opinion=merged)
                counts["unmerged"] += 1
        if round_number % 5 == 2:
            for opinion in pick(2):
                services.opinion_delete(actor=office, opinion=opinion)
                mine.remove(opinion.pk)
                counts["deleted"] += 1
        chaos.progress = (round_number + 1) / rounds
        if (round_number + 1) % max(1, rounds // 10) == 0:
            say(
                f"{counts['created']:,} created; kills {chaos.kills}, flushes {chaos.flushes}; "
                f"outbox {ChangeOutbox.objects.filter(campaign=campaign).count():,}, "
                f"queue {redis_client.llen('celery')}"
            )

    for round_number in range(rounds):
        last = contextlib.nullcontext()
        if round_number == rounds - 1 and chaos.final_kills:
            chaos.progress = 0.999  # the scheduled kills and flushes, all before the last batch
            chaos.join(timeout=30)
            last = contextlib.contextmanager(chaos.last_batch)()
        with last:
            write_round(round_number)
    write_seconds = time.monotonic() - write_start
    say(f"writing done in {write_seconds:.0f} s: {counts}; kills {chaos.kills}, flushes {chaos.flushes}")

    # --- 1. The queue drains -----------------------------------------------------------
    def outbox() -> int:
        return ChangeOutbox.objects.filter(campaign=campaign).count()

    drained = wait_for(lambda: redis_client.llen("celery") == 0, "the queue to drain")
    time.sleep(3)  # the last message taken finishes its roll-up
    left_at_drain = outbox()
    say(f"queue drained ({drained:.0f} s); outbox rows left by lost or killed roll-ups: {left_at_drain:,}")
    lost_to_flush = redis_client.llen("ae.undeliver")

    # --- 2. The beat's sweep -------------------------------------------------------------
    tasks.RESEND_AFTER = datetime.timedelta(0)
    sweeps = 0
    deadline = time.monotonic() + 120
    while (outbox() or not sweeps) and time.monotonic() < deadline:
        sent = tasks.resend_outbox()
        sweeps += 1
        wait_for(lambda: redis_client.llen("celery") == 0, "the sweep's messages to be taken")
        wait_for(lambda: outbox() == 0, "the outbox to empty", timeout=20, fail=False)
        say(f"sweep {sweeps}: roll-ups of {sent} campaign(s) sent again; outbox now {outbox():,}")
    left = outbox()
    while WORKERS:
        stop_worker(WORKERS[0])

    # --- 3. Reconcile ----------------------------------------------------------------------
    compare_start = time.monotonic()
    drifts = reconcile.ledger_compare(campaign_id=campaign.pk)
    compare_seconds = time.monotonic() - compare_start
    for drift in drifts[:20]:
        say(f"DRIFT {drift}")
    total = time.monotonic() - started
    redis_client.flushdb()  # the killed workers' unacknowledged messages: no one listens here
    print()
    print(
        common.table(
            ["figure", "value"],
            [
                [f"opinions created (in batches of {BATCH})", counts["created"]],
                ["edits: aspect set in bulk", counts["aspect"]],
                ["edits: reassigned in bulk", counts["reassigned"]],
                ["edits: status moved in bulk", counts["status"]],
                ["edits: text and kind, one by one", counts["edited"]],
                ["merged / unmerged / deleted", f"{counts['merged']} / {counts['unmerged']} / {counts['deleted']}"],
                ["opinions of this run on record", len(mine)],
                ["opinions in the campaign", common.opinion_count(campaign)],
                ["workers killed with SIGKILL", chaos.kills],
                ["Redis flushed (FLUSHDB)", chaos.flushes],
                ["messages sent to no queue after a flush", lost_to_flush],
                ["outbox rows left when the queue drained", left_at_drain],
                ["sweeps (reports.resend_outbox)", sweeps],
                ["outbox rows left after the sweeps", left],
                ["figures compared (rows and cells)", len(reconcile.ledger_stored(campaign_id=campaign.pk))],
                ["drift (figures differing from the recount)", len(drifts)],
                ["seconds: writing / compare / in all", f"{write_seconds:.0f} / {compare_seconds:.1f} / {total:.0f}"],
                ["seed (CHAOS_SEED)", SEED],
            ],
        )
    )
    ok = not drifts and not left and chaos.kills == KILLS and chaos.flushes == FLUSHES
    print()
    print("Goal: 0 drift after the queue drains and the sweep runs — " + ("met." if ok else "NOT met."))
    if not ok:
        sys.exit(1)


def start_worker() -> subprocess.Popen:
    """A worker process of its own (solo pool: the roll-up runs in the process killed)."""
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
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "ERROR",
            "-n",
            f"chaos{time.time_ns()}@%h",
        ],
        cwd=common.ROOT,
        # The VM runs as root: Celery's warning about it, once per worker, would bury the output.
        env={**os.environ, "PYTHONWARNINGS": "ignore:You're running the worker with superuser"},
        stdout=subprocess.DEVNULL,
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
    if worker in WORKERS:
        WORKERS.remove(worker)


def wait_for(condition, what: str, *, timeout: float = 120, fail: bool = True) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if condition():
            return time.monotonic() - start
        time.sleep(0.2)
    if fail:
        sys.exit(f"Timed out waiting for {what}.")
    return timeout


if __name__ == "__main__":
    try:
        main()
    finally:
        while WORKERS:
            stop_worker(WORKERS[0])
