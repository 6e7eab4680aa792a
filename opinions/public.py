"""The public online suggestion box: what it lists, what it stores, and what it forgets.

A submission keeps only what the citizen typed. The receipt code is shown once and
stored as a keyed hash (HMAC with ``settings.RECEIPT_PEPPER``): 16 digits could be
tried one by one against a plain hash taken from a copy of the database, not against a
keyed one. The rate limits count per address in the cache under a keyed hash whose key
changes every day, and every count expires within minutes; the address itself is never
written anywhere. Opinions from the box carry the date only, and their history the
midnight of that date.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from campaign.models import COUNTY_FOUR_TEAMS, Campaign, LeadershipTeam, Member, Rank, TeamKind
from opinions.models import Channel, Opinion, OpinionStatus
from opinions.services import Target, opinion_create

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


def open_campaigns(*, on: datetime.date | None = None) -> QuerySet[Campaign]:
    """Active campaigns whose dates include ``on``: an opinion must fall inside them."""
    on = on or today()
    return Campaign.objects.filter(is_active=True, starts_on__lte=on, ends_on__gte=on).order_by("county", "-starts_on")


def campaign_is_open(campaign: Campaign, *, on: datetime.date | None = None) -> bool:
    on = on or today()
    return campaign.is_active and campaign.starts_on <= on <= campaign.ends_on


# --- The public list of targets --------------------------------------------------------


@dataclass(frozen=True)
class TargetGroup:
    label: str
    choices: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class PublicTargets:
    """The teams and leaders a citizen may choose, grouped for a select box, and the
    target each choice stands for (looked up from the same two queries)."""

    groups: tuple[TargetGroup, ...]
    by_token: dict[str, Target]

    def choices(self) -> list[tuple[str, object]]:
        return [(group.label, list(group.choices)) for group in self.groups if group.choices]

    def resolve(self, token: str) -> Target | None:
        return self.by_token.get(token)


def _team_order() -> Case:
    # The Standing Committee first, then the four county teams, then departments.
    return Case(
        When(kind=TeamKind.STANDING_COMMITTEE, then=Value(0)),
        When(kind__in=list(COUNTY_FOUR_TEAMS), then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


def public_targets(*, campaign: Campaign) -> PublicTargets:
    """Every leadership team of the campaign, its Standing Committee members and its
    county-level leading cadres; two queries whatever their number."""
    teams = (
        LeadershipTeam.objects.filter(campaign=campaign)
        .annotate(order=_team_order())
        .select_related("unit")
        .order_by("order", "unit__path", "name")
    )
    members = (
        Member.objects.filter(campaign=campaign, rank__in=PUBLIC_RANKS)
        .select_related("unit")
        .order_by("unit__path", "name")
    )
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
    return PublicTargets(groups=groups, by_token=by_token)


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
    """The four words a submitter sees; the office's six statuses map onto them."""

    RECORDED = "recorded", _("Recorded")
    FED_BACK = "fed_back", _("Fed back")
    IN_RECTIFICATION = "rectifying", _("In rectification")
    CLOSED = "closed", _("Closed")

    @property
    def explanation(self) -> str:
        return str(_STATUS_EXPLANATIONS[self])


_STATUS_EXPLANATIONS = {
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
    into another follows the one it was merged into."""
    digits = receipt_code_normalise(code)
    if digits is None:
        return None
    opinion = (
        Opinion.objects.filter(receipt_hash=receipt_hash(digits))
        .select_related("merged_into")
        .only("status", "merged_into__status")
        .first()
    )
    if opinion is None:
        return None
    current = opinion.merged_into or opinion
    return PUBLIC_STATUS[current.status]


# --- One submission per form ----------------------------------------------------------

# A form token lives as long as a citizen may take to write; a resent form within that
# time is recognised and not recorded twice.
ONCE_SECONDS = 6 * 60 * 60


def form_once_new() -> str:
    return secrets.token_urlsafe(16)


def form_once_valid(token: str) -> bool:
    return bool(_ONCE.match(token or ""))


def _once_key(token: str) -> str:
    return "box:once:" + hashlib.sha256(token.encode()).hexdigest()


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
    """Hide the request from simple-history while the box writes: a citizen who also
    has an account and is logged in must not become the history's author."""
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


def _fresh_receipt() -> tuple[str, str]:
    while True:  # a clash is a one in 10^16 event per stored code; never twice
        code = receipt_code_new()
        digest = receipt_hash(code)
        if not Opinion.objects.filter(receipt_hash=digest).exists():
            return code, digest


def public_opinion_submit(*, campaign: Campaign, submission: Submission, once: str) -> str:
    """Record a citizen's opinion; return its receipt code, which is stored only as a
    hash. Raises AlreadySent for a form sent before, ValidationError for bad input
    (nothing is written then)."""
    key = _once_key(once)
    if not cache.add(key, 1, timeout=ONCE_SECONDS):
        raise AlreadySent
    day = today()
    code, digest = _fresh_receipt()
    try:
        with _nobody_in_history():
            opinion_create(
                actor=None,
                campaign=campaign,
                kind=submission.kind,
                text=submission.text,
                channel=Channel.ONLINE,
                received_on=day,
                history_date=_midnight(day),
                target=submission.target,
                target_text=submission.target_text if submission.target.obj is None else "",
                aspect=submission.aspect,
                submitter_name=submission.name,
                submitter_contact=submission.contact,
                receipt_hash=digest,
            )
    except BaseException:
        cache.delete(key)  # nothing was recorded: the same form may be sent again
        raise
    return code


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
    count lives in the cache under the address's daily fingerprint and expires
    ``limit.seconds`` after the first request of the window."""
    key = f"box:rate:{limit.bucket}:{address_fingerprint(address, on=on)}"
    cache.add(key, 0, timeout=limit.seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: a new window begins
        cache.add(key, 1, timeout=limit.seconds)
        count = 1
    return count <= limit.count
