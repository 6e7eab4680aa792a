"""The public online suggestion box: what it lists, what it stores, and what it forgets.

A submission keeps only what the citizen typed. The receipt code is shown once and
stored as a keyed hash (HMAC with ``settings.RECEIPT_PEPPER``): 16 digits could be
tried one by one against a plain hash taken from a copy of the database, not against a
keyed one. The rate limits count per address in the cache under a keyed hash whose key
changes every day, in windows fixed to the clock; the address itself is never written
anywhere.

Nothing may place a submission in time finer than its day (docs/privacy.md). So the
box request only writes a held row (``BoxSubmission``: a random key, the date, what
was typed) and nothing else: no opinion, no history, no outbox row, no roll-up, no log
line. The day's batch (``box_flush``) records the held submissions of the days *before
today* as opinions, in shuffled order, in one transaction with one announcement, their
history dated at the midnight of their day. Whenever the batch runs (Celery beat every
hour, ``manage.py flush_box``, or the next time someone opens the list of opinions), it
runs after the whole of each day it records: sequential ids and the roll-up's time then
say which day, never when in it.

The cache may be down: the counts then fall back to this process's memory (the
embedded default's behaviour), and the box still saves or refuses with a message.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import hmac
import logging
import math
import random
import re
import secrets
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, models, transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from campaign.models import COUNTY_FOUR_TEAMS, Campaign, LeadershipTeam, Member, Rank, TeamKind
from opinions.models import BoxSubmission, Channel, Opinion, OpinionStatus
from opinions.services import Target, one_announcement, opinion_check, opinion_create

logger = logging.getLogger(__name__)
_T = TypeVar("_T")

try:
    from redis.exceptions import RedisError
except ImportError:  # pragma: no cover - redis is a requirement; locmem needs none
    RedisError = OSError  # type: ignore[misc,assignment]

RECEIPT_DIGITS = 16
OTHER_TARGET = "other"
# Members the public may name: the county's leaders, never an ordinary member.
PUBLIC_RANKS = (Rank.STANDING_COMMITTEE, Rank.COUNTY_LEADER)

_ONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_CODE_SEPARATORS = re.compile(r"[\s\-_.·]+")


def today() -> datetime.date:
    """The local date: the only time a submission is stamped with."""
    return timezone.localdate()


# --- Campaigns whose box is open ------------------------------------------------------


def public_campaigns() -> QuerySet[Campaign]:
    """Active campaigns the office opened to the public: the only ones the box names."""
    return Campaign.objects.filter(is_active=True, is_public=True)


def open_campaigns(*, on: datetime.date | None = None) -> QuerySet[Campaign]:
    """Public campaigns whose dates include ``on``: an opinion must fall inside them."""
    on = on or today()
    return public_campaigns().filter(starts_on__lte=on, ends_on__gte=on).order_by("county", "-starts_on")


def box_campaign(slug: str) -> Campaign | None:
    """The public campaign of this slug, or None; kept a moment in this process
    (``recent``): every POST to the box asks for it."""
    return recent.get(("campaign", slug), lambda: public_campaigns().filter(slug=slug).first())


def campaign_is_open(campaign: Campaign, *, on: datetime.date | None = None) -> bool:
    on = on or today()
    return campaign.is_active and campaign.is_public and campaign.starts_on <= on <= campaign.ends_on


# --- What every POST to the box reads, kept a moment in this process -------------------


class Recent:
    """Rows every submission reads — the campaign by its slug, the targets a citizen may
    choose — kept in this process for ``BOX_REFERENCE_SECONDS`` (30; 0 keeps nothing),
    so that a submission costs the one INSERT that holds it (bench/README.md, "Load").

    Safe to keep: they are public (the box lists them to anyone), the same for every
    citizen, and nothing decides on them alone — the day's batch checks each held
    submission again against the rows as they are then (``box_flush``), and a choice
    not found here is looked up in the database before it is refused. A save or delete
    of a campaign, team, member or unit empties this process's copy at once
    (``opinions.signals``); another process's copy is at most that old."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, object], tuple[float, object]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, object], build: Callable[[], _T]) -> _T:
        now = time.monotonic()
        found = self._items.get(key)
        if found is not None and found[0] > now:
            return found[1]  # type: ignore[return-value]
        value = build()
        seconds = settings.BOX_REFERENCE_SECONDS
        if seconds > 0:
            with self._lock:
                self._items[key] = (now + seconds, value)
        return value

    def clear(self, *args: object, **kwargs: object) -> None:
        with self._lock:
            self._items.clear()


recent = Recent()


# --- The public list of targets --------------------------------------------------------


@dataclass(frozen=True)
class TargetGroup:
    label: str
    choices: tuple[tuple[str, str], ...]


class PublicTargets:
    """The teams and leaders a citizen may choose, grouped for a select box, and the
    target each choice stands for.

    The list (two queries, some three hundred rows) is read only when it is shown or
    asked for whole; a POST that names one choice resolves it with one query of its own,
    against exactly the rows the list is made of."""

    def __init__(self, campaign: Campaign) -> None:
        self.campaign = campaign
        self._resolved: dict[str, Target | None] = {}

    @cached_property
    def _list(self) -> tuple[tuple[TargetGroup, ...], dict[str, Target]]:
        return _public_list(self.campaign)

    @property
    def groups(self) -> tuple[TargetGroup, ...]:
        return self._list[0]

    @property
    def by_token(self) -> dict[str, Target]:
        return self._list[1]

    def choices(self) -> list[tuple[str, object]]:
        return [(group.label, list(group.choices)) for group in self.groups if group.choices]

    def resolve(self, token: str) -> Target | None:
        if "_list" in self.__dict__:
            return self.by_token.get(token)
        if token not in self._resolved:
            # The choices as this process read them a moment ago (``recent``); a choice
            # not among them (a leader added since) is looked up alone.
            known = recent.get(("targets", self.campaign.pk), lambda: _public_list(self.campaign)[1])
            self._resolved[token] = known.get(token) or self._fetch(token)
        return self._resolved[token]

    def _fetch(self, token: str) -> Target | None:
        match = _TOKEN.fullmatch(token or "")
        if match is None:
            return None
        kind, pk = match.group(1), int(match.group(2))
        if kind == "team":
            team = _teams(self.campaign).filter(pk=pk).first()
            return Target(team=team) if team is not None else None
        member = _members(self.campaign).filter(pk=pk).first()
        return Target(member=member) if member is not None else None


# A choice's value: "team-<id>" or "member-<id>", the id as the list writes it.
_TOKEN = re.compile(r"(team|member)-([1-9][0-9]{0,18})")


def _team_order() -> Case:
    # The Standing Committee first, then the four county teams, then departments.
    return Case(
        When(kind=TeamKind.STANDING_COMMITTEE, then=Value(0)),
        When(kind__in=list(COUNTY_FOUR_TEAMS), then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


def _teams(campaign: Campaign) -> QuerySet[LeadershipTeam]:
    return LeadershipTeam.objects.filter(campaign=campaign).select_related("unit")


def _members(campaign: Campaign) -> QuerySet[Member]:
    return Member.objects.filter(campaign=campaign, rank__in=PUBLIC_RANKS).select_related("unit")


def public_targets(*, campaign: Campaign) -> PublicTargets:
    """Every leadership team of the campaign, its Standing Committee members and its
    county-level leading cadres; two queries whatever their number, when listed."""
    return PublicTargets(campaign)


def _public_list(campaign: Campaign) -> tuple[tuple[TargetGroup, ...], dict[str, Target]]:
    teams = _teams(campaign).annotate(order=_team_order()).order_by("order", "unit__path", "name")
    members = _members(campaign).order_by("unit__path", "name")
    county_teams: list[tuple[str, str]] = []
    department_teams: list[tuple[str, str]] = []
    standing: list[tuple[str, str]] = []
    leaders: list[tuple[str, str]] = []
    by_token: dict[str, Target] = {}
    for team in teams:
        token = f"team-{team.pk}"
        by_token[token] = Target(team=team)
        (department_teams if team.kind == TeamKind.DEPARTMENT else county_teams).append((token, team.name))
    for member in members:
        token = f"member-{member.pk}"
        by_token[token] = Target(member=member)
        label = f"{member.name} · {member.position or member.unit.name}"
        (standing if member.rank == Rank.STANDING_COMMITTEE else leaders).append((token, label))
    groups = (
        TargetGroup(str(_("The county's leadership teams")), tuple(county_teams)),
        TargetGroup(str(_("Department leadership teams")), tuple(department_teams)),
        TargetGroup(str(_("Standing Committee members")), tuple(standing)),
        TargetGroup(str(_("County-level leading cadres")), tuple(leaders)),
    )
    return groups, by_token


# --- Receipt codes ------------------------------------------------------------------------


def receipt_code_new() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(RECEIPT_DIGITS))


def receipt_code_display(code: str) -> str:
    """Groups of four, easier to copy by hand: 0123 4567 8901 2345."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def receipt_code_normalise(raw: str) -> str | None:
    """The 16 digits of a code as typed (spaces, dashes, full-width digits allowed),
    or None if it is not 16 digits."""
    digits = _CODE_SEPARATORS.sub("", unicodedata.normalize("NFKC", raw or ""))
    if len(digits) != RECEIPT_DIGITS or not re.fullmatch(r"[0-9]+", digits):
        return None
    return digits


def receipt_hash(code: str) -> str:
    return hmac.new(settings.RECEIPT_PEPPER.encode(), f"canvass-receipt:{code}".encode(), hashlib.sha256).hexdigest()


class PublicStatus(models.TextChoices):
    """The words a submitter sees: the office's six statuses map onto the last four;
    "received" is a submission held for the day's batch."""

    RECEIVED = "received", pgettext_lazy("public status", "Received")
    RECORDED = "recorded", _("Recorded")
    FED_BACK = "fed_back", _("Fed back")
    IN_RECTIFICATION = "rectifying", _("In rectification")
    CLOSED = "closed", _("Closed")

    @property
    def explanation(self) -> str:
        return str(_STATUS_EXPLANATIONS[self])


_STATUS_EXPLANATIONS = {
    PublicStatus.RECEIVED: _(
        "Your opinion has been received. It is recorded together with the day's other opinions after the day ends."
    ),
    PublicStatus.RECORDED: _(
        "Your opinion has been recorded. The county office will pass it on to the person or team it concerns."
    ),
    PublicStatus.FED_BACK: _(
        "Your opinion has been passed on, in the office's words, to the person or team it concerns."
    ),
    PublicStatus.IN_RECTIFICATION: _("What you raised is being put right."),
    PublicStatus.CLOSED: _("The matter you raised is closed."),
}


PUBLIC_STATUS: dict[str, PublicStatus] = {
    OpinionStatus.RECORDED: PublicStatus.RECORDED,
    OpinionStatus.SORTED: PublicStatus.RECORDED,
    OpinionStatus.FED_BACK: PublicStatus.FED_BACK,
    OpinionStatus.ACKNOWLEDGED: PublicStatus.FED_BACK,
    OpinionStatus.IN_RECTIFICATION: PublicStatus.IN_RECTIFICATION,
    OpinionStatus.CLOSED: PublicStatus.CLOSED,
}


def receipt_status(*, code: str) -> PublicStatus | None:
    """The public status word of the opinion with this receipt code, or None for a code
    that is malformed or unknown (the caller says the same for both). An opinion merged
    into another follows the one it was merged into; a submission still held for the
    day's batch is "received"."""
    digits = receipt_code_normalise(code)
    if digits is None:
        return None
    digest = receipt_hash(digits)
    opinion = (
        Opinion.objects.filter(receipt_hash=digest)
        .select_related("merged_into")
        .only("status", "merged_into__status")
        .first()
    )
    if opinion is None:
        if BoxSubmission.objects.filter(receipt_hash=digest).exists():
            return PublicStatus.RECEIVED
        return None
    current = opinion.merged_into or opinion
    return PUBLIC_STATUS[current.status]


# The rectification stage tells, for an opinion's id, the measure its unit published
# once the problem the opinion is in was solved (``rectification.selectors``); this app
# does not import that stage, which registers its lookup at start-up.
_SOLUTION_LOOKUPS: list[Callable[[int], str | None]] = []


def register_solution_lookup(lookup: Callable[[int], str | None]) -> None:
    if lookup not in _SOLUTION_LOOKUPS:
        _SOLUTION_LOOKUPS.append(lookup)


def receipt_solution(*, code: str) -> str | None:
    """The measure published for the solved problem this receipt's opinion (or the one
    it was merged into) is in, or None: the measure's words alone, nothing about the
    opinion, its submitter or a date."""
    digits = receipt_code_normalise(code)
    if digits is None:
        return None
    opinion = Opinion.objects.filter(receipt_hash=receipt_hash(digits)).only("pk", "merged_into_id").first()
    if opinion is None:
        return None
    current = opinion.merged_into_id or opinion.pk
    for lookup in _SOLUTION_LOOKUPS:
        measure = lookup(current)
        if measure:
            return measure
    return None


# --- The cache, and what happens when it is down -----------------------------------------

# The errors of a cache that cannot be reached (Django's Redis backend raises redis-py's).
CACHE_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError)

# This process's own counts, used while the shared cache cannot be reached: the limits
# then hold per process, as they do in the embedded default, rather than not at all.
_LOCAL_CACHE = LocMemCache("canvass-box-fallback", {"TIMEOUT": None, "OPTIONS": {"MAX_ENTRIES": 10_000}})


def _with_cache(operation: Callable[[BaseCache], _T]) -> _T:
    """Run ``operation`` on the shared cache, or on this process's memory if the shared
    cache cannot be reached. Nothing is logged here: a line written during a box request
    would date a submission (the hourly batch says when the cache is unreachable)."""
    try:
        return operation(cache)
    except CACHE_ERRORS:
        return operation(_LOCAL_CACHE)


def cache_reachable() -> bool:
    try:
        cache.get("box:health")
    except CACHE_ERRORS:
        return False
    return True


# --- One submission per form ----------------------------------------------------------

# A form token lives at least as long as a citizen may take to write; a resent form
# within that time is recognised and not recorded twice.
ONCE_SECONDS = 6 * 60 * 60


def form_once_new() -> str:
    return secrets.token_urlsafe(16)


def form_once_valid(token: str) -> bool:
    return bool(_ONCE.match(token or ""))


def _once_key(token: str) -> str:
    return "box:once:" + hashlib.sha256(token.encode()).hexdigest()


def _once_timeout() -> int:
    """Seconds until ONCE_SECONDS past the coming midnight: every token used on one day
    expires at the same moment, so that its time to live tells the day, not the time."""
    tomorrow = today() + datetime.timedelta(days=1)
    return math.ceil(_midnight(tomorrow).timestamp() + ONCE_SECONDS - time.time())


class AlreadySent(Exception):
    """This form was sent before (a reload of the page that answered it)."""


# --- Submitting ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    kind: str
    text: str
    target: Target
    target_text: str = ""
    aspect: str = ""
    name: str = ""
    contact: str = ""


@contextlib.contextmanager
def _nobody_in_history() -> Iterator[None]:
    """Hide any request from simple-history while the batch writes: whoever's page load
    ran it must not become the history's author."""
    context = HistoricalRecords.context
    request = getattr(context, "request", None)
    if request is not None:
        del context.request
    try:
        yield
    finally:
        if request is not None:
            context.request = request


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _hold(held: BoxSubmission) -> bool:
    """Insert the held row, unless its receipt hash is taken already (by an opinion
    recorded or a submission held): False then, and nothing is written. One statement,
    the check and the write in one round trip."""
    fields = BoxSubmission._meta.concrete_fields
    values = [field.get_db_prep_save(field.pre_save(held, True), connection) for field in fields]
    quote = connection.ops.quote_name
    table, recorded, digest = quote(BoxSubmission._meta.db_table), quote(Opinion._meta.db_table), quote("receipt_hash")
    sql = (
        f"INSERT INTO {table} ({', '.join(quote(field.column) for field in fields)}) "
        f"SELECT {', '.join(['%s'] * len(fields))} "
        f"WHERE NOT EXISTS (SELECT 1 FROM {recorded} WHERE {digest} = %s) "
        f"AND NOT EXISTS (SELECT 1 FROM {table} WHERE {digest} = %s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, held.receipt_hash, held.receipt_hash])
        return cursor.rowcount == 1


def public_opinion_submit(*, campaign: Campaign, submission: Submission, once: str) -> str:
    """Hold a citizen's opinion for the day's batch; return its receipt code, which is
    stored only as a hash. Raises AlreadySent for a form sent before, ValidationError
    for bad input (nothing is written then).

    One row is written and nothing else: no opinion, history, outbox row, task or log
    line, any of which would carry the time of the request."""
    key = _once_key(once)
    if not _with_cache(lambda c: c.add(key, 1, timeout=_once_timeout())):
        raise AlreadySent
    day = today()
    target = submission.target
    target_text = submission.target_text if target.obj is None else ""
    try:
        # The opinion's own checks, now, so that the batch records what was accepted.
        opinion_check(
            campaign=campaign,
            kind=submission.kind,
            text=submission.text,
            channel=Channel.ONLINE,
            received_on=day,
            target=target,
            target_text=target_text,
            aspect=submission.aspect,
            submitter_name=submission.name,
            submitter_contact=submission.contact,
        )
        while True:  # a clash is a one in 10^16 event per stored code; never twice
            code = receipt_code_new()
            held = BoxSubmission(
                campaign=campaign,
                received_on=day,
                kind=submission.kind,
                text=submission.text.strip(),
                aspect=submission.aspect,
                target_team=target.team,
                target_member=target.member,
                target_text=target_text,
                submitter_name=submission.name,
                submitter_contact=submission.contact,
                receipt_hash=receipt_hash(code),
            )
            if _hold(held):
                break
    except BaseException:
        _with_cache(lambda c: c.delete(key))  # nothing was held: the same form may be sent again
        raise
    return code


# --- The day's batch -----------------------------------------------------------------------


@dataclass(frozen=True)
class FlushResult:
    recorded: int
    # Held submissions the opinion's checks now refuse (the campaign's dates changed
    # since, say): they stay held, and each batch says how many.
    refused: int


def box_flush_due(*, before: datetime.date | None = None) -> bool:
    """Whether submissions of a day before ``before`` (today) wait for the batch."""
    return BoxSubmission.objects.filter(received_on__lt=before or today()).exists()


def box_flush_if_due() -> None:
    """The batch, where no Celery beat runs it (the embedded default: the office's
    opinion list calls this): past days only, so that when it runs says nothing about
    any submission. Another batch running at the same moment wins; what it leaves is
    recorded by the next call."""
    if not box_flush_due():
        return
    try:
        box_flush()
    except (DatabaseError, transaction.TransactionManagementError):
        logger.warning("Public box: the batch met another one; it runs again on the next page load.")


def box_flush(*, before: datetime.date | None = None) -> FlushResult:
    """Record as opinions the held submissions of the days before ``before`` (today),
    in shuffled order, in one transaction with one announcement per campaign, each
    opinion's history dated at the midnight of its day and by nobody. Never a
    submission of today: however often and whenever it runs, the batch comes after the
    whole of every day it records. Safe to run twice at once: a row another batch is
    recording is skipped (PostgreSQL), or the second batch fails and records nothing."""
    before = before or today()
    with transaction.atomic(), _nobody_in_history(), one_announcement():
        held = list(
            BoxSubmission.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(received_on__lt=before)
            .select_related("campaign", "target_team__unit", "target_member__unit")
        )
        random.SystemRandom().shuffle(held)
        ready: list[BoxSubmission] = []
        for item in held:
            try:
                opinion_check(
                    campaign=item.campaign,
                    kind=item.kind,
                    text=item.text,
                    channel=Channel.ONLINE,
                    received_on=item.received_on,
                    target=Target(team=item.target_team, member=item.target_member),
                    target_text=item.target_text,
                    aspect=item.aspect,
                    submitter_name=item.submitter_name,
                    submitter_contact=item.submitter_contact,
                )
            except ValidationError:
                continue
            ready.append(item)
        deleted, _by_model = BoxSubmission.objects.filter(pk__in=[item.pk for item in ready]).delete()
        if deleted != len(ready):  # another batch took some: let it record them all
            raise transaction.TransactionManagementError("Another box batch is recording these submissions.")
        for item in ready:
            opinion_create(
                actor=None,
                campaign=item.campaign,
                kind=item.kind,
                text=item.text,
                channel=Channel.ONLINE,
                received_on=item.received_on,
                history_date=_midnight(item.received_on),
                target=Target(team=item.target_team, member=item.target_member),
                target_text=item.target_text,
                aspect=item.aspect,
                submitter_name=item.submitter_name,
                submitter_contact=item.submitter_contact,
                receipt_hash=item.receipt_hash,
            )
    return FlushResult(recorded=len(ready), refused=len(held) - len(ready))


# --- Rate limits -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Limit:
    bucket: str
    count: int
    seconds: int


SUBMIT_LIMIT = Limit("submit", 5, 10 * 60)
RECEIPT_LIMIT = Limit("receipt", 10, 10 * 60)


def _daily_salt(day: datetime.date) -> bytes:
    # Derived from SECRET_KEY, so that nobody without it can turn a hash back into an
    # address (there are only 2^32 IPv4 addresses to try); a new salt every day, so
    # that no hash links one day's visits to the next.
    return hmac.new(
        settings.SECRET_KEY.encode(), f"canvass-box-salt:{day.isoformat()}".encode(), hashlib.sha256
    ).digest()


def address_fingerprint(address: str, *, on: datetime.date | None = None) -> str:
    return hmac.new(_daily_salt(on or today()), address.encode(), hashlib.sha256).hexdigest()[:32]


def rate_limit_allow(*, address: str, limit: Limit, on: datetime.date | None = None) -> bool:
    """Count one request from ``address`` and say whether it is within ``limit``. The
    count lives in the cache under the address's daily fingerprint, in a window fixed
    to the clock (every ``limit.seconds`` from midnight UTC), and expires at the
    window's end: its time to live says which window, not when the first request came.
    With the cache down the count is this process's own."""
    now = time.time()
    window = int(now // limit.seconds)
    key = f"box:rate:{limit.bucket}:{window}:{address_fingerprint(address, on=on)}"
    # Whole seconds, rounded up: Redis keeps whole seconds, and 0 would mean "expire now".
    timeout = math.ceil((window + 1) * limit.seconds - now)

    def count(backend: BaseCache) -> int:
        backend.add(key, 0, timeout=timeout)
        try:
            return backend.incr(key)
        except ValueError:  # expired between add and incr: a new window begins
            backend.add(key, 1, timeout=timeout)
            return 1

    return _with_cache(count) <= limit.count
