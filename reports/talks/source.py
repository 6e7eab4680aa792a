"""The ledger source "talks": the talk figures of members and units.

``write_talks`` inserts the rows with SQL (one ``INSERT … SELECT … GROUP BY`` whose
selects, joined with UNION ALL, each write a group of figures, alike on SQLite and
PostgreSQL); a roll-up of some units reads only the members, teams, charges and cards
of those units' members, not the campaign's. ``recount_talks`` counts the
same figures with the ORM through ``talks.selectors``, the talk plan's own definitions,
for the reconciliation. A test checks that the two agree on random worlds.

Filing (``reports.ledger.registry``): a member's rows under his or her current unit; a unit's
rows sum its members' figures, count the cards whose first person is in it, and count
the required pairs whose lower-id member is in it. No zero is written.

Only ids (cast to int) and constants of this module are spelt into the SQL.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from django.utils.translation import gettext_lazy as _

from campaign.models import LEADING_RANKS, Campaign, LeadershipTeam, Member, OrgUnit
from reports.ledger.figures import Figures
from reports.ledger.registry import FigureKey, LedgerSource
from reports.ledger.sql import NULL_ID, ids, insert_head, lit, scope_sql, table
from reports.models import COUNTY_SCOPE, LedgerLevel, member_scope, unit_scope
from talks import selectors
from talks.models import AWAITING_REVIEW, FLAG_AFTER_RETURNS, CardState, Talk


class Dimension(models.TextChoices):
    """The one dimension this source writes."""

    TALKS = "talks", _("Talks")


# Keys of the talks dimension.
# Unit rows (filed under the unit of the card's first person, or of the member):
CARDS = "cards"  # talk cards whose first person is in the unit (the county sums to all cards)
CARDS_REVIEWED = "cards_reviewed"  # marked adequate by the supervisory team
CARDS_AWAITING = "cards_awaiting"  # recorded or revised, awaiting a decision
CARDS_RETURNED = "cards_returned"  # returned, awaiting the recorder's revision
CARDS_FLAGGED = "cards_flagged"  # returned twice or more (flagged to the office)
# Unit and member rows (a member row is about that member, filed under his or her unit):
TALKS_HELD = "talks"  # talks a member took part in (a talk of two members counts for both)
TALKS_WITH_MEMBERS = "talks_members"
TALKS_WITH_PUBLIC = "talks_public"
TALKS_REQUIRED = "talks_required"  # the member's quota (unit: the sum of its members')
MEMBERS_TOTAL = "members_total"  # unit rows only
MEMBERS_MEETING_QUOTA = "members_meeting_quota"  # member rows: 1 when he or she meets it
# A required pair is filed under the unit of its member with the lower id (so the county
# counts it once); a member row counts the required pairs he or she is part of.
REQUIRED_PAIRS = "required_pairs"
REQUIRED_PAIRS_DONE = "required_pairs_done"
TALK_KEYS: tuple[str, ...] = (
    CARDS,
    CARDS_REVIEWED,
    CARDS_AWAITING,
    CARDS_RETURNED,
    CARDS_FLAGGED,
    TALKS_HELD,
    TALKS_WITH_MEMBERS,
    TALKS_WITH_PUBLIC,
    TALKS_REQUIRED,
    MEMBERS_TOTAL,
    MEMBERS_MEETING_QUOTA,
    REQUIRED_PAIRS,
    REQUIRED_PAIRS_DONE,
)


# A member's figures: the column of ``stats`` each key reads (unit rows sum them).
MEMBER_FIGURES: dict[str, str] = {
    TALKS_HELD: "s.wm + s.wp",
    TALKS_WITH_MEMBERS: "s.wm",
    TALKS_WITH_PUBLIC: "s.wp",
    TALKS_REQUIRED: "s.quota",
    MEMBERS_MEETING_QUOTA: "s.meets",
    REQUIRED_PAIRS: "s.pairs",
    REQUIRED_PAIRS_DONE: "s.pairs_done",
}
# Of those, the ones a unit row sums over its members (its pairs are counted apart).
UNIT_SUMS: tuple[str, ...] = (
    TALKS_HELD,
    TALKS_WITH_MEMBERS,
    TALKS_WITH_PUBLIC,
    TALKS_REQUIRED,
    MEMBERS_MEETING_QUOTA,
)
# The cards' figures: the condition a card meets to be counted under each key.
CARD_FIGURES: dict[str, str] = {
    CARDS: "",
    CARDS_REVIEWED: f" AND t.state = {lit(CardState.ADEQUATE)}",
    CARDS_AWAITING: f" AND t.state IN ({', '.join(lit(state) for state in sorted(AWAITING_REVIEW))})",
    CARDS_RETURNED: f" AND t.state = {lit(CardState.RETURNED)}",
    CARDS_FLAGGED: f" AND t.times_returned >= {int(FLAG_AFTER_RETURNS)}",
}


def _through(model: type, field: str) -> str:
    return table(getattr(model, field).through)


def _pairs_ctes(campaign_id: int, unit_ids: Sequence[int] | None) -> str:
    """``pairs(low, high, done)``: every required pair, and whether a card joins it.

    With ``unit_ids`` only the pairs a roll-up of those units reads: those with a
    member of the campaign whose unit is among them (``near``) at either end — the
    member rows count every pair of their member, the unit rows the pairs whose lower-id
    member is theirs. Their teams, charges and cards are found from those members alone,
    so the work follows the units rolled up, not the campaign."""
    campaign = int(campaign_id)
    talk, member, team, unit = table(Talk), table(Member), table(LeadershipTeam), table(OrgUnit)
    seats_table = _through(LeadershipTeam, "members")
    charge_table = _through(Member, "in_charge_of")
    leading = ", ".join(lit(rank) for rank in sorted(LEADING_RANKS))
    low_of = "CASE WHEN {a} < {b} THEN {a} ELSE {b} END"
    high_of = "CASE WHEN {a} < {b} THEN {b} ELSE {a} END"
    charge_low = low_of.format(a="l.id", b="u.responsible_leader_id")
    charge_high = high_of.format(a="l.id", b="u.responsible_leader_id")
    talk_low = low_of.format(a="t.member_id", b="t.other_member_id")
    talk_high = high_of.format(a="t.member_id", b="t.other_member_id")
    near = "(SELECT member_id FROM near)"
    if unit_ids is None:
        restrict, in_teams, seat_pairs, charges = "", "", "", [""]
        talked = (
            f"talked AS (SELECT DISTINCT {talk_low} AS low, {talk_high} AS high FROM {talk} t "
            f"WHERE t.campaign_id = {campaign} AND t.other_member_id IS NOT NULL), "
        )
    else:
        restrict = (
            f"near AS (SELECT m.id AS member_id FROM {member} m "
            f"WHERE m.campaign_id = {campaign} AND m.unit_id IN ({ids(unit_ids)})), "
            # The teams with a seat of theirs: the only ones whose pairs they are in.
            f"near_teams AS (SELECT s.leadershipteam_id AS team_id FROM {seats_table} s WHERE s.member_id IN {near} "
            f"UNION SELECT tm.id FROM {team} tm WHERE tm.head_id IN {near}), "
        )
        in_teams = " AND tm.id IN (SELECT team_id FROM near_teams)"
        seat_pairs = f" WHERE (a.member_id IN {near} OR b.member_id IN {near})"
        # Their charges, from either side: each found by its own index.
        charges = [f" AND l.id IN {near}", f" AND u.responsible_leader_id IN {near}"]
        # Their cards with another member, from either side (UNION: each pair once).
        talked = (
            f"talked AS (SELECT {talk_low} AS low, {talk_high} AS high FROM {talk} t "
            f"WHERE t.campaign_id = {campaign} AND t.member_id IN {near} AND t.other_member_id IS NOT NULL "
            f"UNION SELECT {talk_low}, {talk_high} FROM {talk} t "
            f"WHERE t.campaign_id = {campaign} AND t.other_member_id IN {near}), "
        )
    return (
        restrict
        # Everyone on a leadership team: its members and its head.
        + f"seats AS (SELECT s.leadershipteam_id AS team_id, s.member_id AS member_id FROM {seats_table} s "
        f"JOIN {team} tm ON tm.id = s.leadershipteam_id WHERE tm.campaign_id = {campaign}{in_teams} "
        f"UNION SELECT tm.id, tm.head_id FROM {team} tm "
        f"WHERE tm.campaign_id = {campaign} AND tm.head_id IS NOT NULL{in_teams}), "
        # Two seats of one team; a leading cadre and the responsible leader of a unit in charge.
        f"required AS (SELECT a.member_id AS low, b.member_id AS high FROM seats a "
        f"JOIN seats b ON b.team_id = a.team_id AND a.member_id < b.member_id{seat_pairs}"
        + "".join(
            f" UNION SELECT {charge_low}, {charge_high} FROM {charge_table} i "
            f"JOIN {member} l ON l.id = i.member_id JOIN {unit} u ON u.id = i.orgunit_id "
            f"WHERE l.campaign_id = {campaign} AND l.rank IN ({leading}) "
            f"AND u.responsible_leader_id IS NOT NULL AND u.responsible_leader_id <> l.id{side}"
            for side in charges
        )
        + "), "
        + talked
        + "pairs AS (SELECT r.low AS low, r.high AS high, CASE WHEN d.low IS NULL THEN 0 ELSE 1 END AS done "
        "FROM required r LEFT JOIN talked d ON d.low = r.low AND d.high = r.high)"
    )


def _statement(campaign_id: int, unit_ids: Sequence[int] | None) -> str:
    """Every talk row of the units, in one statement (one plan, one round trip): the
    member rows of their members, the unit rows that sum them, the unit rows of the
    required pairs and of the cards."""
    campaign = int(campaign_id)
    talk, member, campaign_table = table(Talk), table(Member), table(Campaign)
    leading = ", ".join(lit(rank) for rank in sorted(LEADING_RANKS))
    in_units = "" if unit_ids is None else f" AND m.unit_id IN ({ids(unit_ids)})"
    ctes = (
        f"WITH {_pairs_ctes(campaign_id, unit_ids)}, "
        f"members AS (SELECT m.id AS member_id, m.unit_id AS unit_id, "
        f"CASE WHEN m.rank IN ({leading}) THEN c.talk_quota_leader ELSE c.talk_quota_member END AS quota "
        f"FROM {member} m JOIN {campaign_table} c ON c.id = m.campaign_id WHERE m.campaign_id = {campaign}{in_units}), "
        # Each card once for its first person and once more for the other member, if any.
        f"sides AS (SELECT t.member_id AS member_id, CASE WHEN t.other_member_id IS NULL THEN 0 ELSE 1 END AS wm "
        f"FROM {talk} t WHERE t.campaign_id = {campaign} AND t.member_id IN (SELECT member_id FROM members) "
        f"UNION ALL SELECT t.other_member_id, 1 FROM {talk} t WHERE t.campaign_id = {campaign} "
        f"AND t.other_member_id IN (SELECT member_id FROM members)), "
        f"held AS (SELECT member_id, SUM(wm) AS wm, SUM(1 - wm) AS wp FROM sides GROUP BY member_id), "
        f"ends AS (SELECT low AS member_id, done FROM pairs UNION ALL SELECT high, done FROM pairs), "
        f"member_pairs AS (SELECT member_id, COUNT(*) AS n, SUM(done) AS done FROM ends GROUP BY member_id), "
        f"counted AS (SELECT m.member_id AS member_id, m.unit_id AS unit_id, m.quota AS quota, "
        f"COALESCE(h.wm, 0) AS wm, COALESCE(h.wp, 0) AS wp, "
        f"COALESCE(p.n, 0) AS pairs, COALESCE(p.done, 0) AS pairs_done "
        f"FROM members m LEFT JOIN held h ON h.member_id = m.member_id "
        f"LEFT JOIN member_pairs p ON p.member_id = m.member_id), "
        f"stats AS (SELECT c.*, CASE WHEN c.wm + c.wp >= c.quota THEN 1 ELSE 0 END AS meets FROM counted c) "
    )
    talks = lit(Dimension.TALKS)
    member_head = (
        f"SELECT {campaign}, {lit(LedgerLevel.MEMBER)}, {scope_sql('member:', 's.member_id')}, s.unit_id, "
        f"s.member_id, {NULL_ID}, {talks}, "
    )
    unit_head = (
        f"SELECT {campaign}, {lit(LedgerLevel.UNIT)}, {scope_sql('unit:', 's.unit_id')}, s.unit_id, "
        f"{NULL_ID}, {NULL_ID}, {talks}, "
    )
    selects = [
        f"{member_head}{lit(key)}, {column} FROM stats s WHERE {column} > 0" for key, column in MEMBER_FIGURES.items()
    ]
    selects += [
        f"{unit_head}{lit(key)}, SUM({MEMBER_FIGURES[key]}) FROM stats s "
        f"GROUP BY s.unit_id HAVING SUM({MEMBER_FIGURES[key]}) > 0"
        for key in UNIT_SUMS
    ]
    selects.append(f"{unit_head}{lit(MEMBERS_TOTAL)}, COUNT(*) FROM stats s GROUP BY s.unit_id")
    selects += _unit_pairs_selects(campaign_id)
    selects += _cards_selects(campaign_id, unit_ids)
    return ctes + insert_head() + " UNION ALL ".join(selects)


def _cards_selects(campaign_id: int, unit_ids: Sequence[int] | None) -> list[str]:
    """The unit rows of the cards whose first person belongs to the units: selects for
    ``_statement``."""
    campaign = int(campaign_id)
    in_units = "" if unit_ids is None else f" AND m.unit_id IN ({ids(unit_ids)})"
    base = (
        f"FROM {table(Talk)} t JOIN {table(Member)} m ON m.id = t.member_id WHERE t.campaign_id = {campaign}{in_units}"
    )
    head = (
        f"SELECT {campaign}, {lit(LedgerLevel.UNIT)}, {scope_sql('unit:', 'm.unit_id')}, m.unit_id, "
        f"{NULL_ID}, {NULL_ID}, {lit(Dimension.TALKS)}, "
    )
    return [
        f"{head}{lit(key)}, COUNT(*) {base}{condition} GROUP BY m.unit_id" for key, condition in CARD_FIGURES.items()
    ]


def _unit_pairs_selects(campaign_id: int) -> list[str]:
    """The unit rows of the required pairs whose lower-id member is one of ``members``
    (the members of the units): selects for ``_statement``, which has the pairs."""
    campaign = int(campaign_id)
    base = "FROM pairs p JOIN members m ON m.member_id = p.low"
    head = (
        f"SELECT {campaign}, {lit(LedgerLevel.UNIT)}, {scope_sql('unit:', 'm.unit_id')}, m.unit_id, "
        f"{NULL_ID}, {NULL_ID}, {lit(Dimension.TALKS)}, "
    )
    return [
        f"{head}{lit(REQUIRED_PAIRS)}, COUNT(*) {base} GROUP BY m.unit_id",
        f"{head}{lit(REQUIRED_PAIRS_DONE)}, COUNT(*) {base} WHERE p.done = 1 GROUP BY m.unit_id",
    ]


def talk_statements(campaign_id: int, unit_ids: Sequence[int] | None) -> list[str]:
    """The statements that insert the talk rows of ``unit_ids`` (None: of every unit)."""
    if unit_ids is not None and not unit_ids:
        return []
    return [_statement(campaign_id, unit_ids)]


def write_talks(campaign_id: int, unit_ids: Sequence[int] | None) -> None:
    with connection.cursor() as cursor:
        for sql in talk_statements(campaign_id, unit_ids):
            cursor.execute(sql)


def recount_talks(campaign_id: int) -> dict[FigureKey, int]:
    """Every talk figure counted afresh through ``talks.selectors`` (ORM, not the SQL
    of ``write_talks``)."""
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        return {}
    figures: Counter[FigureKey] = Counter()

    def add(unit_id: int, key: str, value: int, *, member_id: int | None = None) -> None:
        if member_id is not None:
            figures[(member_scope(member_id), unit_id, Dimension.TALKS, key)] += value
            return
        figures[(unit_scope(unit_id), unit_id, Dimension.TALKS, key)] += value
        figures[(COUNTY_SCOPE, None, Dimension.TALKS, key)] += value

    pairs = selectors.required_pairs(campaign)
    members = selectors.member_talks(campaign, pairs=pairs)
    for standing in members.values():
        per_member = {
            TALKS_HELD: standing.held,
            TALKS_WITH_MEMBERS: standing.with_members,
            TALKS_WITH_PUBLIC: standing.with_public,
            TALKS_REQUIRED: standing.quota,
            MEMBERS_MEETING_QUOTA: int(standing.meets_quota),
            REQUIRED_PAIRS: standing.pairs,
            REQUIRED_PAIRS_DONE: standing.pairs_done,
        }
        for key, value in per_member.items():
            add(standing.unit_id, key, value, member_id=standing.member_id)
            if key in UNIT_SUMS:
                add(standing.unit_id, key, value)
        add(standing.unit_id, MEMBERS_TOTAL, 1)

    done = selectors.talked_pairs(campaign)
    for low, high in pairs:
        if low not in members:
            continue  # a seat held by someone outside the campaign files nowhere
        add(members[low].unit_id, REQUIRED_PAIRS, 1)
        add(members[low].unit_id, REQUIRED_PAIRS_DONE, int((low, high) in done))

    for unit_id, cards in selectors.card_counts_by_unit(campaign).items():
        add(unit_id, CARDS, cards.cards)
        add(unit_id, CARDS_REVIEWED, cards.reviewed)
        add(unit_id, CARDS_AWAITING, cards.awaiting)
        add(unit_id, CARDS_RETURNED, cards.returned)
        add(unit_id, CARDS_FLAGGED, cards.flagged)
    return {key: value for key, value in figures.items() if value}


def talks_section(campaign: Campaign, figures: Figures) -> dict[str, Any]:
    """Cards recorded (a talk of two members is one card), members at or above their
    quota, required pairs and those done, cards the supervisory teams found adequate."""
    return {
        key: figures.get(Dimension.TALKS, ledger_key)
        for key, ledger_key in (
            ("total", CARDS),
            ("members_meeting_quota", MEMBERS_MEETING_QUOTA),
            ("members_total", MEMBERS_TOTAL),
            ("required_pairs", REQUIRED_PAIRS),
            ("required_pairs_done", REQUIRED_PAIRS_DONE),
            ("cards_reviewed", CARDS_REVIEWED),
        )
    }


SOURCE = LedgerSource(
    name="talks",
    dimensions=Dimension,
    write=write_talks,
    recount=recount_talks,
    sections={"talks": talks_section},
)
