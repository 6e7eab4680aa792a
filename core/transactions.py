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
from typing import TypeVar

from django.db import DEFAULT_DB_ALIAS, transaction

C = TypeVar("C", bound=Callable[[], object])


def collect(kind: type[C], add: Callable[[C], object], *, using: str = DEFAULT_DB_ALIAS) -> C:
    connection = transaction.get_connection(using)
    here = set(connection.savepoint_ids)
    if connection.in_atomic_block:
        for savepoints, callback, _robust in connection.run_on_commit:
            if isinstance(callback, kind) and set(savepoints) == here:
                add(callback)
                return callback
    collection = kind()
    add(collection)
    transaction.on_commit(collection, using=using, robust=True)
    return collection
