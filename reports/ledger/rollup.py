"""Roll-ups and reconciliation of the three-level ledger.

A roll-up of some units, in one transaction, under the campaign's ledger lock:
1. note the outbox rows waiting for those units (their ids, now);
2. recompute from source, into a temporary staging table, the unit, member and team
   rows filed under those units: every registered source writes its own
   (``reports.ledger.registry``; GROUP BY over the opinions, the feedback lists, the
   talk cards, the documents, …);
3. make the stored rows of those units equal to the staged ones: delete those no
   longer produced, update those whose figure changed, insert the new ones — a row
   that did not change is not written — and recompute the county rows of every
   (dimension, key) whose unit rows changed, each the sum of the unit rows;
4. delete exactly the outbox rows noted in step 1. A change committed meanwhile left a
   row with another id: it stays, and brings its own roll-up.

A source may also keep its figures at a finer grain, in cells (``LedgerCell``: counts
per ledger unit and target; the opinions do), which steps 2 and 3 recompute with the
rest. When everything waiting names the targets it changed (an edit, a merge, a
transition… of a few opinions: ``ChangeOutbox.target``), the roll-up the task runs goes
finer: it recomputes from source only those targets' cells, then sums cells into the
rows of the units, members and teams whose cells changed, and the county rows of what
changed (``_replace_subjects``, ``reports.ledger.targets``). Figures not made of cells
are untouched by such a change.

Every step replaces rows, none adds to a stored count, so running a roll-up twice, or
two of them one after the other, leaves the same figures. The lock (a row per campaign
in ``LedgerState``, locked FOR UPDATE) keeps two roll-ups of one campaign from
interleaving their writes. A full roll-up stages every row of the campaign, the
county's included, and replaces them all alike.

The reconciliation (``reports.ledger.reconcile``) recounts every figure with plain ORM
queries — on purpose not the SQL of the roll-up — and reports each difference.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass

from django.db import connection, transaction
from django.utils import timezone

from campaign.models import Campaign, ChangeOutbox
from reports.ledger import registry, staging, targets
from reports.ledger.sql import inserting_into_staging
from reports.models import LedgerLevel, LedgerState

logger = logging.getLogger(__name__)

# Above this many units a full roll-up of the campaign is cheaper than a long IN list.
FULL_ROLLUP_ABOVE = 200
# Above this many targets, a roll-up of their units rather than of the targets alone.
SUBJECTS_ABOVE = 200
# Outbox rows are deleted in batches of this many ids (SQLite limits a statement's parameters).
_BATCH = 500
# PostgreSQL settings of a roll-up's transaction. A full roll-up of a million opinions
# groups them in memory (tens of MB of hash tables) rather than in sorts spilled to disk
# at the default 4 MB, and is not worth compiling with JIT: its cost estimate is large,
# its statements run once (bench/README.md has the figures). Its commit need not wait
# for the disk: a roll-up lost in a crash is simply done again, since the outbox rows it
# consumed come back with it. And no notice that the staging table exists already.
ROLLUP_SETTINGS = {
    "work_mem": "64MB",
    "jit": "off",
    "synchronous_commit": "off",
    "client_min_messages": "warning",
}


@dataclass(frozen=True)
class RollupResult:
    campaign_id: int
    units: int | None  # None: the whole campaign
    consumed: int  # outbox rows deleted
    skipped: bool = False  # nothing was waiting, or the campaign is gone

    def as_dict(self) -> dict[str, int | bool | None]:
        return asdict(self)


# The roll-up's bookkeeping (lock, outbox, dates) is plain SQL: it runs with every
# roll-up, and through the ORM it took some 9 ms of a 23 ms roll-up by target on the
# development VM, 3 ms now (bench/README.md).


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def lock_ledger(campaign_id: int) -> bool:
    """Take the campaign's ledger lock (inside the caller's transaction); False if the
    campaign is gone."""
    table = _q(LedgerState._meta.db_table)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    sql = f"SELECT 1 FROM {table} WHERE {_q('campaign_id')} = %s{lock}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign_id])
        if cursor.fetchone() is not None:
            return True
        if not Campaign.objects.filter(pk=campaign_id).exists():
            return False
        LedgerState.objects.get_or_create(campaign_id=campaign_id)
        cursor.execute(sql, [campaign_id])
        return True


def _waiting(campaign_id: int, unit_ids: list[int] | None) -> dict[int, str]:
    """The outbox rows a roll-up of these units settles, id → target. Rows without a
    unit (a county-wide change) are settled by every roll-up: each recomputes the county."""
    unit = _q("unit_id")
    sql = f"SELECT id, {_q('target')} FROM {_q(ChangeOutbox._meta.db_table)} WHERE {_q('campaign_id')} = %s"
    if unit_ids is not None:
        units = ", ".join(str(int(pk)) for pk in unit_ids)
        sql += f" AND ({unit} IS NULL" + (f" OR {unit} IN ({units})" if units else "") + ")"
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign_id])
        return dict(cursor.fetchall())


def _settle(campaign_id: int, waiting: Iterable[int], *, full: bool) -> int:
    """Step 4: delete the outbox rows noted in step 1; and note when the ledger was
    brought up to date. Returns how many rows were deleted."""
    ids = sorted(waiting)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    state, outbox = _q(LedgerState._meta.db_table), _q(ChangeOutbox._meta.db_table)
    dates = f"{_q('rolled_up_at')} = %s" + (f", {_q('full_rollup_at')} = %s" if full else "")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {state} SET {dates} WHERE {_q('campaign_id')} = %s", [now, *([now] if full else []), campaign_id]
        )
        for start in range(0, len(ids), _BATCH):
            chunk = ", ".join(str(int(pk)) for pk in ids[start : start + _BATCH])
            cursor.execute(f"DELETE FROM {outbox} WHERE id IN ({chunk})")
    return len(ids)


def _replace(campaign_id: int, unit_ids: list[int] | None) -> None:
    """Steps 2 and 3 of the module's docstring; ``unit_ids`` None: the whole campaign."""
    with connection.cursor() as cursor:
        # Empty: every roll-up empties it before its transaction (or savepoint) ends.
        for sql in staging.staging_create():
            cursor.execute(sql)
        with inserting_into_staging():
            registry.write_all(campaign_id, unit_ids)
        if unit_ids is None:  # the whole campaign
            cursor.execute(staging.staged_county(campaign_id))
            replaced = staging.replaced_rows(campaign_id, None)
        else:
            # Ids rather than a subquery: the condition then finds its rows by index.
            members, teams = staging.members_and_teams(unit_ids)
            replaced = staging.replaced_rows(campaign_id, unit_ids, member_ids=members, team_ids=teams)
        changed: set[tuple[str, str]] = set()
        for sql, params in staging.replace_statements(campaign_id, replaced):
            cursor.execute(sql, params)
            changed.update((dimension, key) for level, dimension, key in cursor.fetchall() if level == LedgerLevel.UNIT)
        if unit_ids is not None:  # a full roll-up staged the county rows with the others
            for sql, params in staging.county_statements(campaign_id, sorted(changed)):
                cursor.execute(sql, params)
        # The cells of those units, staged by their sources with their rows.
        for sql, params in staging.replace_statements(
            campaign_id, targets.replaced_cells(campaign_id, unit_ids), cells=True
        ):
            cursor.execute(sql, params)
        for sql in staging.staging_clear():
            cursor.execute(sql)


def _replace_subjects(campaign_id: int, subjects: targets.Subjects) -> None:
    """A roll-up of the cells of some targets and the rows they feed (the module's docstring). On
    PostgreSQL each step is one statement that counts, compares and writes; SQLite
    stages the counts in the staging tables first."""
    inline = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if not inline:
            for sql in staging.staging_create():
                cursor.execute(sql)
        replaced = targets.replaced_cells(campaign_id, None, subjects)
        if inline:
            steps = staging.replace_statements(
                campaign_id, replaced, cells=True, staged=(registry.cells_select(campaign_id, subjects), [])
            )
        else:
            with inserting_into_staging():
                cursor.execute(targets.stage_cells(registry.cells_select(campaign_id, subjects)))
            steps = staging.replace_statements(campaign_id, replaced, cells=True)
        # The cells that changed name the rows to redo: of their units, members and
        # teams, along their (dimension, key) pairs.
        units: set[int | None] = set()
        members: set[int] = set()
        teams: set[int] = set()
        figures: set[tuple[str, str]] = set()
        for sql, params in steps:
            cursor.execute(sql, params)
            for unit, member, team, dimension, key in cursor.fetchall():
                units.add(unit)
                figures.add((dimension, key))
                if member is not None:
                    members.add(member)
                if team is not None:
                    teams.add(team)
        if figures:
            touched = targets.Touched(frozenset(units), frozenset(members), frozenset(teams), tuple(sorted(figures)))
            replaced, replaced_params = targets.replaced_cell_rows(campaign_id, touched, registry.cell_dimensions())
            if inline:  # the county rows of the touched pairs in the same statement
                cursor.execute(
                    *staging.replace_statements(
                        campaign_id,
                        replaced,
                        params=replaced_params,
                        staged=targets.rows_from_cells(campaign_id, touched),
                        then=staging.county_after_staged(campaign_id, touched),
                    )[0]
                )
            else:
                with inserting_into_staging():
                    cursor.execute(*targets.stage_rows_from_cells(campaign_id, touched))
                changed: set[tuple[str, str]] = set()
                for sql, params in staging.replace_statements(campaign_id, replaced, params=replaced_params):
                    cursor.execute(sql, params)
                    changed.update((dim, key) for level, dim, key in cursor.fetchall() if level == LedgerLevel.UNIT)
                for sql, params in staging.county_statements(campaign_id, sorted(changed)):
                    cursor.execute(sql, params)
        if not inline:
            for sql in staging.staging_clear():
                cursor.execute(sql)


@contextmanager
def _tuned() -> Iterator[None]:
    """ROLLUP_SETTINGS for the rest of the roll-up's transaction (``set_config(…, true)``:
    SET LOCAL). Inside a larger transaction (a savepoint), the settings found before are
    put back at the end of the block, so that the rest of that transaction runs as it
    would have."""
    if connection.vendor != "postgresql":
        yield
        return
    names = list(ROLLUP_SETTINGS)
    nested = bool(connection.savepoint_ids)  # an enclosing atomic block: ours is a savepoint
    with connection.cursor() as cursor:
        if nested:
            cursor.execute("SELECT " + ", ".join("current_setting(%s)" for _name in names), names)
            before = cursor.fetchone()
        cursor.execute(
            "SELECT " + ", ".join("set_config(%s, %s, true)" for _name in names),
            [value for name in names for value in (name, ROLLUP_SETTINGS[name])],
        )
    yield
    # Not reached when the block raised: its transaction (or savepoint) is rolled back,
    # and the settings with it.
    if nested:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT " + ", ".join("set_config(%s, %s, true)" for _name in names),
                [value for name, old in zip(names, before, strict=True) for value in (name, old)],
            )


@transaction.atomic
def ledger_rollup_units(
    *, campaign_id: int, unit_ids: Iterable[int | None], only_pending: bool = False
) -> RollupResult:
    """Recompute the ledger rows of some units (None among them: the opinions with no
    target yet, which every roll-up recomputes anyway) and the county rows.

    ``only_pending``: do nothing when no outbox row waits for these units, because an
    earlier roll-up already took in every committed change to them. A burst of changes
    then costs one roll-up, however many messages it sent. And when every row waiting
    names its targets, recompute only theirs (the module's docstring)."""
    if not lock_ledger(campaign_id):
        return RollupResult(campaign_id=campaign_id, units=0, consumed=0, skipped=True)
    units = sorted({int(unit) for unit in unit_ids if unit is not None})
    waiting = _waiting(campaign_id, units)
    # Checked before the switch to a full roll-up: a message about many units whose
    # changes an earlier roll-up already took in must not redo the whole ledger.
    if only_pending and not waiting:
        return RollupResult(campaign_id=campaign_id, units=len(units), consumed=0, skipped=True)
    # Only a source with cells can roll up by target.
    subjects = targets.Subjects.parse(waiting.values()) if only_pending and registry.cell_sources() else None
    if subjects is not None and len(subjects) <= SUBJECTS_ABOVE:
        with _tuned():
            _replace_subjects(campaign_id, subjects)
            consumed = _settle(campaign_id, waiting, full=False)
        return RollupResult(campaign_id=campaign_id, units=len(units), consumed=consumed)
    # By unit: with the units the named members and teams belong to now, where their
    # rows are filed (an opinion announced under its ledger unit, about someone who
    # has moved since).
    named = targets.Subjects.parse(waiting.values(), strict=False)
    units = sorted(set(units) | (named.current_units() if named else set()))
    if len(units) > FULL_ROLLUP_ABOVE:
        return _rollup_full(campaign_id)
    with _tuned():
        _replace(campaign_id, units)
        consumed = _settle(campaign_id, waiting, full=False)
    return RollupResult(campaign_id=campaign_id, units=len(units), consumed=consumed)


def _rollup_full(campaign_id: int) -> RollupResult:
    waiting = _waiting(campaign_id, None)
    with _tuned():
        _replace(campaign_id, None)
        consumed = _settle(campaign_id, waiting, full=True)
    return RollupResult(campaign_id=campaign_id, units=None, consumed=consumed)


@transaction.atomic
def ledger_rollup_full(*, campaign_id: int) -> RollupResult:
    """Recompute every ledger row of a campaign from source."""
    if not lock_ledger(campaign_id):
        return RollupResult(campaign_id=campaign_id, units=None, consumed=0, skipped=True)
    return _rollup_full(campaign_id)


def ledger_drain_outbox(*, campaign_id: int | None = None) -> list[RollupResult]:
    """Roll up every unit with a change waiting in the outbox, one campaign at a time."""
    rows = ChangeOutbox.objects.all()
    if campaign_id is not None:
        rows = rows.filter(campaign_id=campaign_id)
    return [
        ledger_rollup_units(campaign_id=campaign, unit_ids=units, only_pending=True)
        for campaign, units in _group_by_campaign(rows.values_list("campaign_id", "unit_id").distinct()).items()
    ]


def stale_outbox(*, older_than: datetime.timedelta) -> dict[int, list[int | None]]:
    """The units, by campaign, of outbox rows older than ``older_than``: changes whose
    roll-up was never sent, lost with a worker, or failed."""
    rows = ChangeOutbox.objects.filter(created_at__lt=timezone.now() - older_than)
    return _group_by_campaign(rows.values_list("campaign_id", "unit_id").distinct())


def _group_by_campaign(pairs: Iterable[tuple[int, int | None]]) -> dict[int, list[int | None]]:
    grouped: dict[int, set[int | None]] = defaultdict(set)
    for campaign_id, unit_id in pairs:
        grouped[campaign_id].add(unit_id)
    return {
        campaign_id: sorted(u for u in units if u is not None) + ([None] if None in units else [])
        for campaign_id, units in sorted(grouped.items())
    }
