"""Collect per transaction, run once on commit.

Work that many writes of one transaction each ask for (recount these units, re-route
this campaign) is gathered into one collection per transaction and run once, after
the commit: ``collect(Kind, add)`` finds this transaction's ``Kind()`` (or makes one
and queues it with ``transaction.on_commit``) and calls ``add(collection)`` on it.

The collection is shared by the writes of one atomic block, not with blocks nested in
it: a rolled-back savepoint drops its callbacks, and so takes its share along, and a
block run under ``captureOnCommitCallbacks`` sees its own collection. Outside a
transaction the collection runs at once, filled first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from django.db import DEFAULT_DB_ALIAS, transaction


class Collection(Protocol):
    """A kind of collection: made with no arguments, run by calling it."""

    def __call__(self) -> object: ...


C = TypeVar("C", bound=Collection)


class _Queued:
    """A collection waiting for its commit; it is not added to once it has run (a
    test's ``captureOnCommitCallbacks(execute=True)`` runs callbacks it leaves queued)."""

    def __init__(self, collection: Callable[[], object]) -> None:
        self.collection = collection
        self.done = False

    def __call__(self) -> None:
        self.done = True
        self.collection()


def collect(
    kind: type[C], add: Callable[[C], object], *, using: str = DEFAULT_DB_ALIAS, per_savepoint: bool = True
) -> C:
    """Add to this transaction's collection of ``kind``; ``per_savepoint=False`` shares
    one collection across the savepoints of the transaction (for work that a rolled-back
    savepoint need not take back, such as re-routing, which reads the state it finds)."""
    connection = transaction.get_connection(using)
    here = set(connection.savepoint_ids)
    if connection.in_atomic_block:
        # Only the latest collection of this kind is added to: one queued before a test's
        # ``captureOnCommitCallbacks`` began is not taken over by the writes inside it.
        latest = next(
            (
                (savepoints, callback, callback.collection)
                for savepoints, callback, _robust in reversed(connection.run_on_commit)
                if isinstance(callback, _Queued) and isinstance(callback.collection, kind)
            ),
            None,
        )
        if latest is not None:
            savepoints, callback, collection = latest
            if not callback.done and (not per_savepoint or set(savepoints) == here):
                add(collection)
                return collection
    collection = kind()
    add(collection)
    transaction.on_commit(_Queued(collection), using=using, robust=True)
    return collection
