"""The database session store, with the save of every request in one statement.

``SESSION_SAVE_EVERY_REQUEST`` (the idle timeout) saves the session on every page a
logged-in user opens. Django's store wraps that UPDATE in a transaction of its own —
BEGIN, UPDATE, COMMIT: three round trips where one UPDATE, atomic by itself, does the
same (bench/README.md, "Load": a third of what a cached ledger page costs). A new
session, and a save inside a transaction already open, go through Django's own code.
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import UpdateError
from django.db import connections, router


class SessionStore(db.SessionStore):
    def save(self, must_create: bool = False) -> None:
        if must_create or self.session_key is None:
            return super().save(must_create=must_create)
        obj = self.create_model_instance(self._get_session())  # type: ignore[attr-defined]
        using = router.db_for_write(self.model, instance=obj)
        if connections[using].in_atomic_block:
            return super().save(must_create=must_create)
        updated = (
            self.model._default_manager.db_manager(using)
            .filter(session_key=obj.session_key)
            .update(session_data=obj.session_data, expire_date=obj.expire_date)
        )
        if not updated:  # the session was deleted meanwhile (a logout elsewhere): as Django does
            raise UpdateError
        return None
