"""The public's rating of the leadership teams: anonymous, as the suggestion box is.

The pages live under the box's prefix (/box/), so the box's middleware keeps their
requests out of the session store and out of the request log. A rating is one row
(``TeamMark`` without a ballot: a random key, the team, the rating, the day) and
nothing else. The rate limit counts per address in the cache under a keyed hash whose
key changes every day, in windows fixed to the clock; the address itself is never
written anywhere. (The same scheme as ``opinions.public``, kept here because a stage
app may import another only through its services and selectors.)
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import math
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.utils import timezone

try:
    from redis.exceptions import RedisError
except ImportError:  # pragma: no cover - redis is a requirement; locmem needs none
    RedisError = OSError  # type: ignore[misc,assignment]

CACHE_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError)
_LOCAL_CACHE = LocMemCache("canvass-rating-fallback", {"TIMEOUT": None, "OPTIONS": {"MAX_ENTRIES": 10_000}})
_ONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# A form token is recognised for this long past the coming midnight (see _once_timeout).
ONCE_SECONDS = 6 * 60 * 60

_T = TypeVar("_T")


@dataclass(frozen=True)
class Limit:
    bucket: str
    count: int
    seconds: int


RATE_LIMIT = Limit("rate-team", 10, 10 * 60)


def _with_cache(operation: Callable[[BaseCache], _T]) -> _T:
    # Nothing is logged when the cache is down: a line would date a rating.
    try:
        return operation(cache)
    except CACHE_ERRORS:
        return operation(_LOCAL_CACHE)


def _daily_salt(day: datetime.date) -> bytes:
    return hmac.new(
        settings.SECRET_KEY.encode(), f"canvass-rating-salt:{day.isoformat()}".encode(), hashlib.sha256
    ).digest()


def rate_limit_allow(*, address: str, limit: Limit = RATE_LIMIT) -> bool:
    """Count one rating from ``address`` and say whether it is within ``limit``."""
    now = time.time()
    window = int(now // limit.seconds)
    fingerprint = hmac.new(_daily_salt(timezone.localdate()), address.encode(), hashlib.sha256).hexdigest()[:32]
    key = f"rating:rate:{limit.bucket}:{window}:{fingerprint}"
    timeout = math.ceil((window + 1) * limit.seconds - now)

    def count(backend: BaseCache) -> int:
        backend.add(key, 0, timeout=timeout)
        try:
            return backend.incr(key)
        except ValueError:  # expired between add and incr
            backend.add(key, 1, timeout=timeout)
            return 1

    return _with_cache(count) <= limit.count


def form_once_new() -> str:
    return secrets.token_urlsafe(16)


def form_once_valid(token: str) -> bool:
    return bool(_ONCE.match(token or ""))


def _once_timeout() -> int:
    """Until ONCE_SECONDS past the coming midnight: every token of one day expires at the
    same moment, so its time to live tells the day, not the time."""
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    midnight = timezone.make_aware(datetime.datetime.combine(tomorrow, datetime.time.min))
    return math.ceil(midnight.timestamp() + ONCE_SECONDS - time.time())


def form_once_claim(token: str) -> bool:
    """True the first time a form token is sent, False for a form sent again."""
    key = "rating:once:" + hashlib.sha256(token.encode()).hexdigest()
    return bool(_with_cache(lambda c: c.add(key, 1, timeout=_once_timeout())))


def form_once_release(token: str) -> None:
    """Nothing was stored: the same form may be sent again."""
    key = "rating:once:" + hashlib.sha256(token.encode()).hexdigest()
    _with_cache(lambda c: c.delete(key))
