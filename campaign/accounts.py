"""Accounts: the office's password reset, the forced change that follows it, the
absolute lifetime of a session, and how long log-in records are kept.

Log-in records are django-axes' rows: ``AccessLog`` (each log-in: username, address,
browser, time, log-out time), ``AccessFailureLog`` (each failed log-in) and
``AccessAttempt`` (the failure counters behind the lock-out). They name an account, not
a campaign, so one retention period applies to all of them (``login_record_days``).
"""

from __future__ import annotations

import datetime
import logging
import secrets
from dataclasses import dataclass
from importlib import import_module

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign import language
from campaign.models import Campaign, ForcedPasswordChange, Member, RoleAssignment, Supervisor
from campaign.scoping import AnyUser, scope_for

log = logging.getLogger(__name__)

# --- Log-in records ------------------------------------------------------------------

DEFAULT_LOGIN_RECORD_DAYS: int = Campaign._meta.get_field("login_record_days").default


def login_record_days() -> int:
    """Days log-in records are kept: the longest setting among active campaigns.

    A record belongs to an account, and one account may work in several campaigns, so
    the records cannot be split by campaign; the longest period keeps every campaign's
    records as long as that campaign said it needs them. A finished (inactive) campaign
    prolongs nothing. With no active campaign, the default (90 days)."""
    longest = Campaign.objects.filter(is_active=True).aggregate(days=Max("login_record_days"))["days"]
    return longest or DEFAULT_LOGIN_RECORD_DAYS


@dataclass(frozen=True)
class PurgeReport:
    days: int
    logins: int
    failures: int
    attempts: int


def login_records_purge(*, now: datetime.datetime | None = None) -> PurgeReport:
    """Delete the log-in records older than ``login_record_days()``. Idempotent: a second
    run the same day finds nothing more to delete."""
    days = login_record_days()
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    with transaction.atomic():
        logins, _counts = AccessLog.objects.filter(attempt_time__lt=cutoff).delete()
        failures, _counts = AccessFailureLog.objects.filter(attempt_time__lt=cutoff).delete()
        attempts, _counts = AccessAttempt.objects.filter(attempt_time__lt=cutoff).delete()
    # Ended sessions too (Django leaves their rows behind): they hold no address, but
    # each names its user and, by its expiry, when he or she was last active.
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    report = PurgeReport(days=days, logins=logins, failures=failures, attempts=attempts)
    log.info(
        "Log-in records older than %d days deleted: %d log-ins, %d failures, %d failure counters.",
        days,
        logins,
        failures,
        attempts,
    )
    return report


# --- The office's password reset ---------------------------------------------------------

# No 0/O, 1/l/I: read aloud or off a screen without a mistake.
_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def temporary_password() -> str:
    """Three groups of four characters (about 70 bits), e.g. ``k7Qm-x2Pd-9aTz``."""
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(3))


def may_reset_password(by: AnyUser, member: Member) -> bool:
    """Whether ``by`` may reset the password of ``member``'s account: the administrator
    always; the office staff of the member's campaign for an account that reaches no
    further than the campaigns they run. A staff account (it may hold admin
    permissions of its own) and one with a role in a campaign the office does not run
    are the administrator's: a temporary password is a way into the account."""
    scope = scope_for(by)
    user = member.user
    if user is None:
        return False
    if scope.is_admin:
        return True
    if not scope.manages(member.campaign_id):
        return False
    if user.is_superuser or user.is_staff:
        return False
    campaigns = set(RoleAssignment.objects.filter(user=user).values_list("campaign_id", flat=True))
    campaigns |= set(Supervisor.objects.filter(user=user).values_list("team__campaign_id", flat=True))
    return all(scope.manages(campaign_id) for campaign_id in campaigns)


@transaction.atomic
def member_password_reset(*, member: Member, by: AnyUser, password: str = "") -> str:
    """Give the member's account a new password (``password``, or a temporary one made
    here) that must be changed at the next log-in, and return it to be shown once.

    The account's sessions end (Django checks every session against the password), its
    lock-out is lifted, and the reset is recorded with who made it."""
    if not may_reset_password(by, member):
        raise PermissionDenied
    user = member.user
    if user is None:
        raise ValidationError(_("%(name)s has no user account.") % {"name": member.name})
    password = password or temporary_password()
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from None
    user.set_password(password)
    user.save(update_fields=["password"])
    ForcedPasswordChange.objects.update_or_create(user=user, defaults={"reset_by": by, "reset_at": timezone.now()})
    axes_reset(username=user.get_username())
    return password


def must_change_password(user: AnyUser | None) -> bool:
    if user is None or not user.is_authenticated or user.pk is None:
        return False
    return ForcedPasswordChange.objects.filter(user_id=user.pk).exists()


def password_changed(*, user: User) -> None:
    """The user chose a password of his or her own: nothing more is forced."""
    for row in ForcedPasswordChange.objects.filter(user=user):
        row.delete()  # one by one, so that the history records each deletion


# --- Session lifetime ------------------------------------------------------------------

# Where a session keeps the time (Unix seconds) of its log-in.
LOGIN_AT = "_canvass_login_at"
# Where a session keeps whether its user must change the password before anything else.
MUST_CHANGE = "_canvass_must_change_password"


def session_started(session: SessionBase, *, user: AnyUser) -> None:
    """At log-in: the clock of the absolute lifetime starts, and the forced change is
    noted (so that pages need no query to know it)."""
    session[LOGIN_AT] = int(timezone.now().timestamp())
    language.remember(session, user=user)
    if must_change_password(user):
        session[MUST_CHANGE] = True
    else:
        session.pop(MUST_CHANGE, None)


def session_outlived(session: SessionBase) -> bool:
    """Whether the session is older than SESSION_ABSOLUTE_SECONDS since its log-in,
    however active. A session from before this rule starts its clock now."""
    started = session.get(LOGIN_AT)
    now = int(timezone.now().timestamp())
    if not isinstance(started, int):
        session[LOGIN_AT] = now
        return False
    return now - started >= settings.SESSION_ABSOLUTE_SECONDS
