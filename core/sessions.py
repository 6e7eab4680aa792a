"""The database session store: the idle timeout renewed at most once a minute, and in
one statement.

``SESSION_SAVE_EVERY_REQUEST`` (the idle timeout) asks for the session to be saved on
every page a logged-in user opens, only to move its expiry a few seconds on. Here a
session whose data did not change is written again only when its stored expiry lags the
new one by more than ``SESSION_RENEW_SECONDS`` (``renew_seconds()``: a minute, or a
twentieth of the idle limit if that is shorter). The session therefore ends at most that
long *before* ``SESSION_COOKIE_AGE`` has passed without a request — never after — and a
busy user's pages skip the write (bench/README.md, "Load": a round trip of the eight a
cached ledger page cost). A session whose data changed is saved as before.

It is read in a statement written out rather than built by the ORM on every request
(the same statement, a ninth of the CPU). When it is written, it is written in one
UPDATE: Django's store wraps the UPDATE in a transaction of its own — BEGIN, UPDATE,
COMMIT: three round trips where one UPDATE, atomic by itself, does the same. A new
session, and a save inside a transaction already open, go through Django's own code.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import UpdateError
from django.db import connections, models, router
from django.utils import timezone


def renew_seconds() -> int:
    """How far the stored expiry may lag before an unchanged session is written again."""
    configured = getattr(settings, "SESSION_RENEW_SECONDS", 60)
    return max(0, min(int(configured), settings.SESSION_COOKIE_AGE // 20))


class SessionStore(db.SessionStore):
    # The expiry of the row as loaded (None: not loaded, or not found).
    _stored_expiry: datetime.datetime | None = None

    def _get_session_from_db(self) -> Any:
        found = self._read()
        if found is None:
            self._session_key = None  # as Django's: no such session, or it has expired
        self._stored_expiry = found.expire_date if found is not None else None
        return found

    def _read(self) -> Any:
        """Django's ``objects.get(session_key=…, expire_date__gt=now)``, written out: the
        ORM's ``get`` took about 0.7 ms of CPU on every signed-in request, this 0.08 ms
        with its round trip (bench/README.md, "Load")."""
        model = self.model
        using = router.db_for_read(model)
        connection = connections[using]
        quote = connection.ops.quote_name
        key, data, expiry = (model._meta.get_field(name) for name in ("session_key", "session_data", "expire_date"))
        assert isinstance(key, models.Field) and isinstance(data, models.Field)
        assert isinstance(expiry, models.DateTimeField)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote(data.column)}, {quote(expiry.column)} FROM {quote(model._meta.db_table)} "
                f"WHERE {quote(key.column)} = %s AND {quote(expiry.column)} > %s",
                [self.session_key, connection.ops.adapt_datetimefield_value(timezone.now())],
            )
            row = cursor.fetchone()
        if row is None:
            return None
        expire_date = row[1]
        column = expiry.get_col(model._meta.db_table)
        for convert in connection.ops.get_db_converters(column) + column.get_db_converters(connection):
            expire_date = convert(expire_date, column, connection)
        found = model(session_key=self.session_key or "", session_data=row[0], expire_date=expire_date)
        found._state.adding, found._state.db = False, using
        return found

    def _renewal_due(self) -> bool:
        if self.modified or self._stored_expiry is None:
            return True
        lag = self.get_expiry_date() - self._stored_expiry
        return lag > datetime.timedelta(seconds=renew_seconds())

    def save(self, must_create: bool = False) -> None:
        if must_create or self.session_key is None:
            return super().save(must_create=must_create)
        if not self._renewal_due():
            return None  # the same data, an expiry less than renew_seconds() behind
        obj = self.create_model_instance(self._get_session())  # type: ignore[attr-defined]
        using = router.db_for_write(self.model, instance=obj)
        if connections[using].in_atomic_block:
            super().save(must_create=must_create)
        else:
            updated = (
                self.model._default_manager.db_manager(using)
                .filter(session_key=obj.session_key)
                .update(session_data=obj.session_data, expire_date=obj.expire_date)
            )
            if not updated:  # the session was deleted meanwhile (a logout elsewhere): as Django does
                raise UpdateError
        self._stored_expiry = obj.expire_date
        return None
