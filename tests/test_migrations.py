"""The migrations build the schema the models describe, on this run's database engine.

The suite's test databases are created from the models directly (``--nomigrations`` in
pyproject.toml: replaying the migrations costs each xdist worker ~40 s of CPU), so the
migrations themselves are run here, once a run: a fresh process migrates a fresh
database of the same engine (a SQLite file, or a PostgreSQL database of its own) and
reads its schema back; it must be the test database's, table by table, column by
column, with the same keys, uniques and indexes. `make migrations-check` adds that no
model change lacks its migration.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from tests.test_settings import BASE_DIR, clean_environment

pytestmark = pytest.mark.django_db


def schema(conn) -> dict[str, dict]:
    """Every table's columns (name, type, nullable) and its constraints and indexes by
    what they are (columns, kind), not by name: a model built directly and one migrated
    field by field may name an index differently."""
    introspection = conn.introspection
    tables: dict[str, dict] = {}
    with conn.cursor() as cursor:
        for table in sorted(introspection.table_names(cursor)):
            if table == "django_migrations":
                continue
            columns = [
                [column.name, introspection.get_field_type(column.type_code, column), bool(column.null_ok)]
                for column in introspection.get_table_description(cursor, table)
            ]
            constraints = sorted(
                json.dumps(
                    [
                        list(found["columns"] or []),
                        bool(found["primary_key"]),
                        bool(found["unique"]),
                        list(found["foreign_key"] or []),
                        bool(found["index"]),
                        bool(found["check"]),
                    ]
                )
                for found in introspection.get_constraints(cursor, table).values()
            )
            tables[table] = {"columns": sorted(columns), "constraints": constraints}
    return tables


def migrate_and_read() -> None:  # pragma: no cover (runs in the process the test starts)
    """Migrate the database of DATABASE_URL from nothing, then print its schema as JSON."""
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection as migrated

    call_command("migrate", verbosity=0)
    print(json.dumps(schema(migrated)))


def migrated_schema(database_url: str) -> dict[str, dict]:
    result = subprocess.run(
        [sys.executable, "-c", "from tests.test_migrations import migrate_and_read; migrate_and_read()"],
        cwd=BASE_DIR,
        env=clean_environment(DATABASE_URL=database_url, SECRET_KEY="migrations-test-" + "x" * 40, DEBUG="1"),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def fresh_database_url(tmp_path: Path):
    """A database of this run's engine with nothing in it, dropped afterwards."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    assert connection.vendor == "postgresql", connection.vendor
    name = f"{connection.settings_dict['NAME']}_migrated"
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    url = urlsplit(os.environ["DATABASE_URL"])
    try:
        yield urlunsplit(url._replace(path=f"/{name}"))
    finally:
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _items(table: dict) -> set[str]:
    return {f"column {column}" for column in table["columns"]} | {f"key {key}" for key in table["constraints"]}


# Django's own quirk, not the project's: its auth migrations give the many-to-many tables
# of users, groups and permissions a bigint id, its models (auth's AutoField) an integer
# one. The same on SQLite (both "integer"); on PostgreSQL bigserial against serial.
DJANGO_AUTH_M2M = {"auth_group_permissions", "auth_user_groups", "auth_user_user_permissions"}


def _without_djangos_quirk(tables: dict[str, dict]) -> dict[str, dict]:
    for name in DJANGO_AUTH_M2M & set(tables):
        for column in tables[name]["columns"]:
            if column[0] == "id" and column[1] == "BigAutoField":
                column[1] = "AutoField"
    return tables


def test_the_migrations_build_the_schema_of_the_models(fresh_database_url: str) -> None:
    migrated = _without_djangos_quirk(migrated_schema(fresh_database_url))
    built = _without_djangos_quirk(schema(connection))
    assert sorted(migrated) == sorted(built), "the migrated database and the models have different tables"
    differing = [table for table in built if migrated[table] != built[table]]
    assert not differing, {
        table: {
            "migrated only": sorted(map(str, _items(migrated[table]) - _items(built[table]))),
            "models only": sorted(map(str, _items(built[table]) - _items(migrated[table]))),
        }
        for table in differing[:5]
    }
    assert len(built) > 50
