"""A ballot is never tied to its voter (issue 12, item 5, "Done when"): cast through the
page as a member, then every column of every row of every table that changed is searched
for the voter, and the voting record for the ballot. Nothing but the voting record (and
the voter's own session) names the voter; nothing there names the ballot; the ballot
tables carry no time finer than the day; nothing else was written — no history, no
outbox row, no log line."""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection, models
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaign.models import LeadershipTeam, Member, OrgUnitKind
from meetings.appraisal import public, services
from meetings.appraisal.models import AppraisalSettings, Ballot, MemberMark, TeamMark, VoterRecord
from tests import factories as f
from tests.conftest import World

# Identifiers of the voter no other row of the test world carries.
VOTER_MEMBER_PK = 987_654_321
VOTER_USER_PK = 876_543_219
VOTER_NAME = "投票人CANARY"
VOTER_NUMBER = "VOTER-CANARY-42"
VOTER_USERNAME = "voter-canary"
VOTER_MARKS = (str(VOTER_MEMBER_PK), str(VOTER_USER_PK), VOTER_NAME, VOTER_NUMBER, VOTER_USERNAME)

BALLOT_TABLES = {Ballot._meta.db_table, MemberMark._meta.db_table, TeamMark._meta.db_table}
RECORD_TABLE = VoterRecord._meta.db_table
SESSION_TABLE = Session._meta.db_table


def _text(value: object) -> str:
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).decode("latin-1")
    if isinstance(value, uuid.UUID):
        return value.hex + " " + str(value)
    return str(value)


def snapshot() -> dict[tuple[str, str], dict[str, str]]:
    """Every row of every model's table (history, many-to-many, sessions decoded, axes,
    the outbox), keyed by table and primary key: column → text."""
    tables = set(connection.introspection.table_names())
    rows: dict[tuple[str, str], dict[str, str]] = {}
    seen: set[str] = set()
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        if model._meta.proxy or table in seen or table not in tables:
            continue
        seen.add(table)
        fields = model._meta.concrete_fields
        for values in model._base_manager.values_list(*(field.attname for field in fields)):
            row = {field.column: _text(value) for field, value in zip(fields, values, strict=True)}
            rows[(table, row[model._meta.pk.column])] = row
    for session in Session.objects.all():
        rows[(SESSION_TABLE, session.session_key)]["decoded"] = str(session.get_decoded())
    return rows


def changed(before: dict, after: dict) -> Iterator[tuple[str, dict[str, str]]]:
    for key, row in after.items():
        if before.get(key) != row:
            yield key[0], row


@pytest.fixture
def branch(world: World):
    team = LeadershipTeam.objects.get(campaign=world.campaign, unit=world.unit)
    branch = f.OrgUnitFactory(campaign=world.campaign, parent=world.unit, kind=OrgUnitKind.BRANCH, name="评议支部")
    user = get_user_model().objects.create(pk=VOTER_USER_PK, username=VOTER_USERNAME)
    voter = Member.objects.create(
        pk=VOTER_MEMBER_PK,
        campaign=world.campaign,
        unit=world.unit,
        branch=branch,
        number=VOTER_NUMBER,
        name=VOTER_NAME,
        user=user,
    )
    others = f.bulk_members(world.campaign, [{"unit": world.unit, "branch": branch} for _ in range(4)])
    window = services.window_open(user=world.users["secretary"], campaign=world.campaign, branch=branch)
    return user, voter, others, team, window


def test_nothing_written_ties_a_ballot_to_its_voter(branch, client, caplog) -> None:
    user, _voter, others, team, window = branch
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(reverse("appraisal:vote")).status_code == 200
    caplog.set_level(logging.DEBUG)
    before = snapshot()
    caplog.clear()  # the login's lines, before the vote
    data = {
        f"member_{m.pk}": r for m, r in zip(others, ("excellent", "qualified", "basic", "unqualified"), strict=True)
    }
    data[f"team_{team.pk}"] = "satisfied"
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("appraisal:vote"), data)
    assert response.status_code == 302
    after = snapshot()

    rows = list(changed(before, after))
    tables = {table for table, _row in rows}
    # The vote wrote its record, its ballot and marks, and perhaps the voter's session (its
    # expiry is renewed at most once a minute, core/sessions.py): nothing else.
    assert tables - {SESSION_TABLE} == {RECORD_TABLE, *BALLOT_TABLES}, tables
    assert len([1 for table, _ in rows if table == Ballot._meta.db_table]) == 1

    ballot_ids = {row[Ballot._meta.pk.column] for table, row in rows if table in BALLOT_TABLES}
    found = []
    for table, row in rows:
        for column, text in row.items():
            if table in BALLOT_TABLES:
                found += [f"voter {mark!r} in {table}.{column}" for mark in VOTER_MARKS if mark in text]
            else:  # the voting record and the session: no ballot
                found += [f"ballot in {table}.{column}" for ballot in ballot_ids if ballot in text]
    assert not found, "\n".join(found)

    # The scan sees what it looks for: the voting record does name the voter.
    record = next(row for table, row in rows if table == RECORD_TABLE)
    assert set(record) == {"id", "window_id", "member_id"}
    assert record["member_id"] == str(VOTER_MEMBER_PK)

    # A mark names no ballot: kept together, the marks of one ballot would name its voter
    # (the one member of the branch it does not rate).
    columns = {table: set(row) for table, row in rows}
    assert columns[MemberMark._meta.db_table] == {"id", "window_id", "member_id", "rating"}
    assert columns[TeamMark._meta.db_table] == {"id", "campaign_id", "window_id", "team_id", "rating", "cast_on"}
    assert columns[Ballot._meta.db_table] == {"id", "window_id", "cast_on"}
    # Only the ballot row has a day (that a ballot was cast): the marks have none.
    team_mark = next(row for table, row in rows if table == TeamMark._meta.db_table)
    assert team_mark["cast_on"] == "None"

    # No time finer than the day on a ballot; every key a random uuid4.
    for model in (Ballot, MemberMark, TeamMark, VoterRecord):
        kinds = {type(field) for field in model._meta.concrete_fields}
        assert models.DateTimeField not in kinds and models.TimeField not in kinds
        assert isinstance(model._meta.pk, models.UUIDField)
        assert all(pk.version == 4 for pk in model.objects.values_list("pk", flat=True))
    # Not a line logged while voting (the SQL, logged at DEBUG, aside).
    assert not [r for r in caplog.records if r.name != "django.db.backends"]
    # The statements that wrote the ballot name no voter either.
    ballot_sql = [q["sql"] for q in queries.captured_queries if any(t in q["sql"] for t in BALLOT_TABLES)]
    assert ballot_sql and not [sql for sql in ballot_sql if str(VOTER_MEMBER_PK) in sql or str(VOTER_USER_PK) in sql]


def test_a_closed_window_keeps_no_trace_of_the_order_ballots_came_in(branch, world: World) -> None:
    _user, voter, others, team, window = branch
    others_users = get_user_model().objects.bulk_create(
        [get_user_model()(username=f"voter-{i}", password="!") for i in range(4)]
    )
    for member, user in zip(others, others_users, strict=True):
        member.user = user
        member.save(update_fields=["user"])
        services.ballot_cast(
            user=user, window=window, member_ratings={voter.pk: "qualified"}, team_ratings={team.pk: "basic"}
        )
    first = set(Ballot.objects.values_list("pk", flat=True))
    services.window_close(user=world.users["secretary"], window=window)
    # Fresh keys, the same marks: what was cast is counted, and nothing orders the rows
    # against the voting records (whose order of insertion the database may keep).
    assert not first & set(Ballot.objects.values_list("pk", flat=True))
    assert MemberMark.objects.filter(member=voter, rating="qualified").count() == 4
    assert TeamMark.objects.filter(team=team, rating="basic", window=window).count() == 4
    assert VoterRecord.objects.filter(window=window).count() == 4


def test_a_public_rating_keeps_nothing_of_the_citizen(world: World, caplog) -> None:
    cache.clear()
    today = timezone.localdate()
    AppraisalSettings.objects.create(
        campaign=world.campaign, public_opens_on=today, public_closes_on=today + datetime.timedelta(days=1)
    )
    team = LeadershipTeam.objects.get(campaign=world.campaign, unit=world.unit)
    canaries = ("198.51.100.99", "CanaryAgent-rating-7")
    before = snapshot()
    caplog.set_level(logging.DEBUG)
    answer = Client().post(
        reverse("appraisal_public:rate", args=[world.campaign.slug]),
        {"team": str(team.pk), "rating": "dissatisfied", "website": "", "once": public.form_once_new()},
        REMOTE_ADDR=canaries[0],
        HTTP_USER_AGENT=canaries[1],
    )
    assert 'id="thanks"' in answer.content.decode()
    rows = list(changed(before, snapshot()))
    assert [table for table, _row in rows] == [TeamMark._meta.db_table]
    assert set(rows[0][1]) == {"id", "campaign_id", "window_id", "team_id", "rating", "cast_on"}
    assert rows[0][1]["window_id"] == "None" and rows[0][1]["cast_on"] == str(today)
    logged = [r.getMessage() for r in caplog.records if r.name != "django.db.backends"]
    assert not [c for c in canaries for line in logged if c in line] and not logged
    cache.clear()
