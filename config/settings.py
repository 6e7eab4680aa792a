"""Canvass settings: one module, every value from the environment.

Unset variables fall back to the embedded run (SQLite, Celery eager, the dev server).
A value that cannot be read stops start-up with a message naming the variable.
"""

import ipaddress
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use 1/0, true/false, yes/no or on/off.")


def envint(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}.")
    return value


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# --- Core -------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/#debug
DEBUG = envbool("DEBUG", False)
# Under pytest (which sets PYTEST_VERSION), with DEBUG on, or for a command that only
# reads the code (manage.py sets CANVASS_KEYLESS_COMMAND for makemigrations and the
# like), a fixed development key is acceptable; anywhere else a missing key is a
# mistake that must stop start-up.
_DEV_KEY = "django-insecure-canvass-development-key-never-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or os.environ.get("PYTEST_VERSION") or os.environ.get("CANVASS_KEYLESS_COMMAND"):
        SECRET_KEY = _DEV_KEY
    else:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (or run with DEBUG=1 for development).")

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")
for _origin in CSRF_TRUSTED_ORIGINS:
    if not _origin.startswith(("http://", "https://")):
        raise ImproperlyConfigured(f"CSRF_TRUSTED_ORIGINS entry {_origin!r} must start with http:// or https://.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "core.axes_app.AxesConfig",  # django-axes, its admin section translated
    "csp",
    "import_export",
    "simple_history",
    "core",
    "campaign",
    "notifications",
    "opinions",
    "talks",
    "reviews",
    "meetings",
    "lookback",
    "rectification",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The public box never reads or saves a session (see the module).
    "opinions.public_middleware.PublicBoxWithoutSession",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before anything reads the body (the CSRF check reads a POST's fields): refuses an
    # oversized one from its Content-Length, in the user's language.
    "core.uploads.RequestBodyLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A session past its absolute lifetime ends; a password the office reset must be
    # changed before any other page.
    "campaign.account_middleware.AccountRules",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Axes last, as its documentation asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "campaign.context_processors.navigation",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/#databases
_DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
# Read outside the try below, so that a bad CONN_MAX_AGE is not blamed on DATABASE_URL.
_CONN_MAX_AGE = envint("CONN_MAX_AGE", 0)
try:
    DATABASES = {"default": dj_database_url.parse(_DATABASE_URL, conn_max_age=_CONN_MAX_AGE)}
except Exception as exc:  # dj-database-url raises several types for a bad URL
    raise ImproperlyConfigured(f"DATABASE_URL could not be read: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # Wait up to 20 s for another writer rather than fail at once.
            "timeout": 20,
            # Take the write lock when a transaction begins. A transaction that began
            # reading and then writes cannot wait for the lock (SQLite would deadlock),
            # so it fails with "database is locked" at once, whatever the timeout: most
            # of a burst of concurrent public-box submissions did. Begun IMMEDIATE, it
            # queues for the lock within the timeout instead.
            "transaction_mode": "IMMEDIATE",
            # WAL: readers no longer block the writer nor the writer the readers (pages
            # keep loading during an import). synchronous=NORMAL is safe with WAL (a
            # power cut may lose the last commits, never corrupt the file) and spares a
            # disk flush per commit. Both are no-ops on the in-memory test database.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # `make test-fast` keeps the SQLite test database in this file between runs
    # (pytest --reuse-db); otherwise tests use a database in memory.
    if os.environ.get("CANVASS_TEST_DB_FILE"):
        DATABASES["default"]["TEST"] = {"NAME": os.environ["CANVASS_TEST_DB_FILE"]}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Celery -----------------------------------------------------------------
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
if CELERY_BROKER_URL and not CELERY_BROKER_URL.startswith(("redis://", "rediss://", "memory://")):
    # Only the scheme is echoed: the rest of a URL may hold a password.
    raise ImproperlyConfigured(
        f"CELERY_BROKER_URL must be a redis:// URL, not {CELERY_BROKER_URL.partition(':')[0]!r}://…"
    )
# No broker: run every task in-process, at once, so the embedded run needs no services.
# Under pytest too, even with a broker set (CI's full-stack run), or a test's task would
# wait in Redis for a worker that is not there; tests/test_celery_worker.py switches its
# own test to the broker and a real worker.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL or bool(os.environ.get("PYTEST_VERSION"))
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
if CELERY_RESULT_BACKEND and not CELERY_RESULT_BACKEND.startswith(("redis://", "rediss://")):
    raise ImproperlyConfigured(
        f"CELERY_RESULT_BACKEND must be a redis:// URL, not {CELERY_RESULT_BACKEND.partition(':')[0]!r}://…"
    )
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
CELERY_BEAT_SCHEDULE: dict = {
    # Roll-ups whose message was lost (no broker at the time, a worker killed) are sent again.
    "ledgers-resend-outbox": {"task": "reports.resend_outbox", "schedule": crontab(minute="*")},
    # The public box's batch: records the submissions of the days before today (a no-op
    # after the day's first run; hourly so that a missed run is made up within the hour).
    "box-flush": {"task": "opinions.flush_box", "schedule": crontab(minute=7)},
    # Every night: recount every ledger figure from source, record and repair any drift.
    "ledgers-reconcile": {"task": "reports.reconcile_all", "schedule": crontab(hour=2, minute=30)},
    # Imports and exports whose worker died are sent again (or failed) well within a
    # minute, not when the broker's visibility timeout (an hour) hands their message on.
    "jobs-sweep-stale": {"task": "core.sweep_stale_jobs", "schedule": 20.0},
    # Meetings whose state missed a change of the gate (a lost message) are put in step.
    "meetings-follow-gates": {"task": "meetings.follow_all_gates", "schedule": crontab(minute=17)},
    # Every night: the public's ratings of teams enter the ledger once the rating closed.
    "appraisal-public-closed": {"task": "meetings.appraisal_public_closed", "schedule": crontab(hour=0, minute=20)},
    # Every night: log-in records (address, browser) older than the campaigns' retention
    # setting are deleted (docs/privacy.md).
    "accounts-purge-login-records": {"task": "campaign.purge_login_records", "schedule": crontab(hour=3, minute=10)},
    # Every night: forget the used one-time form tokens too old to be sent again.
    "form-tokens-purge": {"task": "core.purge_form_tokens", "schedule": crontab(hour=3, minute=20)},
    # Every day just after midnight: flag the problems past their due date (rectification).
    "problems-flag-overdue": {"task": "rectification.flag_overdue", "schedule": crontab(hour=0, minute=5)},
    # Every day: remedial orders past their deadline with no redo reported are flagged
    # to the office (lookback/tasks.py).
    "lookback-flag-overdue-orders": {"task": "lookback.flag_overdue_orders", "schedule": crontab(hour=0, minute=40)},
}
# A running job's task writes a heartbeat several times in this many seconds; a job
# whose heartbeat is older has lost its worker (core.jobs.jobs_sweep_stale).
JOB_STALE_SECONDS = envint("JOB_STALE_SECONDS", 40, minimum=10)
# Without a broker (the embedded default), a job (an export) runs in a thread of the web
# process rather than inside the request that asked for it (core.jobs.job_start); off
# under pytest, where tests start the thread themselves.
JOBS_IN_THREAD = CELERY_TASK_ALWAYS_EAGER and envbool("JOBS_IN_THREAD", not os.environ.get("PYTEST_VERSION"))
# A form that creates records carries a one-time token (core.once) that is refused after
# this many days; used tokens are kept as long, so that no form is ever stored twice.
FORM_TOKEN_DAYS = envint("FORM_TOKEN_DAYS", 7, minimum=1)

# --- Cache ------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/#caches
# The cache holds short-lived counters only (the public box's rate limits and its
# one-time form tokens). CACHE_URL is "locmem://" (the default: each process counts on
# its own, fine for one web process) or a Redis URL in the style of CELERY_BROKER_URL,
# e.g. redis://127.0.0.1:6379/1, so that several web processes or nodes share the
# counts. Give it a database of its own: clearing the cache flushes that database, and
# must never flush the broker's queue.
CACHE_URL = os.environ.get("CACHE_URL", "").strip() or "locmem://"
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "canvass",
        }
    }
elif CACHE_URL == "locmem://":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "canvass"}}
else:
    # The value is not echoed: a URL may carry a password.
    raise ImproperlyConfigured(
        f"CACHE_URL must be locmem:// or a redis:// URL, not a {CACHE_URL.partition(':')[0]!r} URL."
    )

# The public box's receipt codes are stored only as an HMAC keyed with this pepper
# (falling back to SECRET_KEY), so a copy of the database alone cannot be searched for
# a code. Set it to keep receipts valid across a SECRET_KEY rotation.
RECEIPT_PEPPER = os.environ.get("RECEIPT_PEPPER", "") or SECRET_KEY
# How long each process keeps the box's public campaigns and targets (opinions/public.py,
# ``recent``): a change made elsewhere reaches another process's box at most this late;
# the day's batch checks every submission again. 0 keeps nothing.
BOX_REFERENCE_SECONDS = envint("BOX_REFERENCE_SECONDS", 30, minimum=0)

# --- Authentication ---------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "campaign:home"
LOGOUT_REDIRECT_URL = "login"

# Sessions end after SESSION_IDLE_SECONDS without a request (default two hours).
SESSION_COOKIE_AGE = envint("SESSION_IDLE_SECONDS", 2 * 60 * 60, minimum=60)
SESSION_SAVE_EVERY_REQUEST = True
# ...but a session whose data did not change is written again only when its stored expiry
# lags by more than this (capped at a twentieth of the idle limit): it then ends at most
# this long before SESSION_IDLE_SECONDS without a request, never after (core/sessions.py).
SESSION_RENEW_SECONDS = 60
# However active, a session ends this many seconds after its log-in (default 12 hours):
# a session left open on a shared office computer does not live for ever
# (campaign.account_middleware).
SESSION_ABSOLUTE_SECONDS = envint("SESSION_ABSOLUTE_SECONDS", 12 * 60 * 60, minimum=60)
# Django's database store, saving in one UPDATE rather than BEGIN, UPDATE, COMMIT.
SESSION_ENGINE = "core.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# django-axes: lock a username from one address after AXES_FAILURE_LIMIT failures.
# The address is REMOTE_ADDR, or the hop TRUSTED_PROXY_COUNT from the right of
# X-Forwarded-For behind that many proxies: a forged header neither unlocks an
# attacker nor, since the lock is on username *and* address, locks out anyone else.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = envint("AXES_COOLOFF_MINUTES", 30, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "campaign.net.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)
# The addresses (or networks, e.g. 10.0.0.0/24) of the proxy that connects to the app.
# X-Forwarded-For is read only on a request whose REMOTE_ADDR is one of them: were the
# app reachable directly too, anyone could write the header and choose the address
# that the lock-out and the box's rate limits count. Unset, every request's header is
# read (check --deploy warns: canvass.W001).
TRUSTED_PROXY_ADDRESSES = envlist("TRUSTED_PROXY_ADDRESSES", "")
for _proxy in TRUSTED_PROXY_ADDRESSES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXY_ADDRESSES entry {_proxy!r} is not an IP address or network."
        ) from None

# --- Security ---------------------------------------------------------------
# HTTPS=1 when served over TLS: redirects, secure cookies and HSTS follow from it.
HTTPS = envbool("HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
# The preload directive only declares consent; nothing is listed until someone submits
# the domain at hstspreload.org. SECURE_HSTS_PRELOAD=0 withholds it.
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", HTTPS)
if envint("TRUSTED_PROXY_COUNT", 0):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = True
# The CSRF cookie ends with the browser session: no year-long marker on a public computer.
CSRF_COOKIE_AGE = None
SILENCED_SYSTEM_CHECKS: list[str] = []
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The opinions' covering index (INCLUDE) speeds the PostgreSQL roll-up; SQLite
    # keeps it as a plain index, which is all the embedded default needs.
    SILENCED_SYSTEM_CHECKS.append("models.W040")
# django-csp 4: only our own scripts and styles; no inline script anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# One number format in both languages: 11,047 (config/formats/zh_Hans: commas in threes).
# Figures are written with humanize's ``intcomma`` where they are shown, never with
# USE_THOUSAND_SEPARATOR, which would put commas in ids inside links and form values.
FORMAT_MODULE_PATH = ["config.formats"]
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(f"LANGUAGE_CODE={LANGUAGE_CODE!r} must be one of {', '.join(dict(LANGUAGES))}.")
LOCALE_PATHS = [BASE_DIR / "locale"]
# A page's language is the account's setting (campaign/language.py), else the one chosen
# with the switch, else LANGUAGE_CODE; never the browser's Accept-Language. True lets the
# browser's choose where nothing else did (the test suite picks languages that way).
LANGUAGE_FOLLOWS_BROWSER = envbool("LANGUAGE_FOLLOWS_BROWSER", False)
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
try:
    import zoneinfo

    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"TIME_ZONE={TIME_ZONE!r} is not a known time zone.") from None
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if envbool("STATIC_MANIFEST", not DEBUG and not os.environ.get("PYTEST_VERSION"))
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = BASE_DIR / "media"

# --- Request bodies and uploads ---------------------------------------------
# Every body has a cap, by kind; core.uploads enforces them (the proxy in front must cap
# bodies too: README, "Behind a reverse proxy").
# A spreadsheet to import, and the fields of any form (Django counts the non-file part
# of a body against DATA_UPLOAD_MAX_MEMORY_SIZE; the import pages take it as their cap).
UPLOAD_MAX_BYTES = envint("UPLOAD_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES
# A Word document uploaded into the self-analysis editor.
DOCX_UPLOAD_MAX_BYTES = envint("DOCX_UPLOAD_MAX_BYTES", 5 * 1024 * 1024, minimum=1024)
# Any request at all: a larger Content-Length is answered 413 before the body is read,
# and a body streamed without one is cut off here. The default leaves room for the
# largest upload and its form around it.
REQUEST_MAX_BYTES = envint(
    "REQUEST_MAX_BYTES", max(UPLOAD_MAX_BYTES, DOCX_UPLOAD_MAX_BYTES) + 1024 * 1024, minimum=1024
)
# Files up to this size are held in memory while a request is read; larger ones go to a
# temporary file (never beyond the caps above).
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_HANDLERS = [
    # First, so that it counts every byte before the others store it.
    "core.uploads.CappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# The largest form, the opinions' batch entry, posts about 910 fields (150 rows of six).
DATA_UPLOAD_MAX_NUMBER_FIELDS = envint("DATA_UPLOAD_MAX_NUMBER_FIELDS", 1000, minimum=100)
# Every upload form takes one file.
DATA_UPLOAD_MAX_NUMBER_FILES = 10

# --- Import/export ----------------------------------------------------------
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
IMPORT_MAX_ROWS = envint("IMPORT_MAX_ROWS", 200_000, minimum=1)
# A workbook unpacking into more than this is refused before it is opened (a zip bomb).
IMPORT_MAX_UNPACKED_BYTES = envint("IMPORT_MAX_UNPACKED_BYTES", 512 * 1024 * 1024, minimum=1024)
# An import started in the browser with more rows than this runs as a Celery task.
IMPORT_TASK_ROWS = envint("IMPORT_TASK_ROWS", 2000, minimum=0)

# --- Logging ----------------------------------------------------------------
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").strip().upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"LOG_LEVEL={LOG_LEVEL!r} must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_public_box": {"()": "opinions.public_middleware.PublicBoxRequestsNotLogged"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Request lines are not logged: the public box must leave no trace of who wrote.
        "django.server": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # Nor the warnings about its pages (a refused flood, a CSRF failure): each one
        # would date a submission (docs/privacy.md).
        "django.request": {"filters": ["no_public_box"]},
        "django.security.csrf": {"filters": ["no_public_box"]},
    },
}

CANVASS_DEMO_USERS = envbool("CANVASS_DEMO_USERS", DEBUG)
