"""config/settings.py reads everything from the environment and refuses a bad value.

Settings are read once per process, and this test process already has its own. Most
cases only ask what config/settings.py makes of an environment, so they evaluate the
file afresh in this process under exactly the environment a new process would get
(``load_settings``): milliseconds instead of an interpreter start each. A new process
is started only where the process is the point: manage.py refusing or agreeing to
start, the commands that need no key, ``check --deploy``, and one case run both ways
to show that the in-process reading agrees with a real start-up.
"""

from __future__ import annotations

import os
import runpy
import secrets
import subprocess
import sys
import traceback
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import pytest
from django.conf import global_settings

BASE_DIR = Path(__file__).resolve().parent.parent
SETTINGS_FILE = BASE_DIR / "config" / "settings.py"
SETUP = "import django; django.setup()"
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "canvass.example.org",
    "HTTPS": "1",
    "CSRF_TRUSTED_ORIGINS": "https://canvass.example.org",
}


def clean_environment(**env: str) -> dict[str, str]:
    """Only PATH, HOME, DJANGO_SETTINGS_MODULE and ``env``: no PYTEST_VERSION, no
    DATABASE_URL or CELERY_BROKER_URL leaking in from CI."""
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
    clean["DJANGO_SETTINGS_MODULE"] = "config.settings"
    clean.update(env)
    return clean


def run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    """Run Python in the project with a clean environment (see ``clean_environment``)."""
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=clean_environment(**env), capture_output=True, text=True, timeout=120
    )


def refusal(result: subprocess.CompletedProcess) -> str:
    """The last line of the traceback: the message an operator reads."""
    assert result.returncode != 0, "start-up should have stopped"
    return result.stderr.strip().splitlines()[-1]


def load_settings(**env: str) -> SimpleNamespace:
    """config/settings.py evaluated afresh in this process with os.environ holding exactly
    what ``run`` gives a new process, restored afterwards. Read like
    django.conf.settings: the file's upper-case names over Django's defaults.

    Running the file has no lasting effect here: it only imports modules this process
    has already imported and builds plain values (the logging dict is applied by
    django.setup(), which is not called); runpy puts its module into sys.modules only
    while it runs."""
    with mock.patch.dict(os.environ, clean_environment(**env), clear=True):
        module = runpy.run_path(str(SETTINGS_FILE), run_name="settings_probe")
    values = {name: value for name, value in vars(global_settings).items() if name.isupper()}
    values.update((name, value) for name, value in module.items() if name.isupper())
    return SimpleNamespace(**values)


def refused(**env: str) -> str:
    """What ``refusal`` would read from a new process that stops while reading the
    settings: the last line of the traceback of the exception config/settings.py raises."""
    try:
        load_settings(**env)
    except Exception as exc:  # whatever stops start-up, not only ImproperlyConfigured
        return "".join(traceback.format_exception_only(exc)).strip().splitlines()[-1]
    pytest.fail("start-up should have stopped")


def setting(*names: str, **env: str) -> str:
    """The values of the named settings (expressions allowed), space-separated, as
    ``print`` in a new process would show them."""
    settings = load_settings(**env)
    # The names are the tests' own expressions, e.g. "DATABASES['default']['ENGINE']".
    return " ".join(str(eval(f"settings.{name}", {"settings": settings})) for name in names)


def setting_at_start_up(*names: str, **env: str) -> str:
    """``setting`` read the slow way: a new process that sets Django up and prints them."""
    values = ", ".join(f"settings.{name}" for name in names)
    result = run(["-c", f"{SETUP}; from django.conf import settings; print({values})"], **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEBUG", "maybe"),
        ("CONN_MAX_AGE", "abc"),
        ("DATABASE_URL", "nonsense://"),
        ("DATABASE_URL", "postgres://u@h:notaport/db"),
        ("CELERY_BROKER_URL", "amqp://x"),
        ("CELERY_RESULT_BACKEND", "rpc://"),
        ("CACHE_URL", "memcached://127.0.0.1:11211"),
        ("TIME_ZONE", "Mars/Base"),
        ("LANGUAGE_CODE", "fr"),
        ("CSRF_TRUSTED_ORIGINS", "example.com"),
        ("HTTPS", "2"),
        ("SESSION_IDLE_SECONDS", "5"),
        ("AXES_FAILURE_LIMIT", "0"),
        ("TRUSTED_PROXY_COUNT", "one"),
        ("TRUSTED_PROXY_ADDRESSES", "10.0.0.2,proxy.internal"),
        ("SESSION_ABSOLUTE_SECONDS", "30"),
        ("SECURE_HSTS_SECONDS", "-1"),
        ("STATIC_MANIFEST", "perhaps"),
        ("LOG_LEVEL", "LOUD"),
    ],
)
def test_bad_value_stops_start_up_naming_the_variable(name, value):
    # DEBUG=1 so that a missing SECRET_KEY is not what stops it.
    env = {"DEBUG": "1", name: value}
    message = refused(**env)
    assert message.startswith("django.core.exceptions.ImproperlyConfigured:")
    assert name in message
    if name == "CONN_MAX_AGE":
        assert "DATABASE_URL" not in message, "the database URL was fine"


def test_reading_the_settings_in_this_process_agrees_with_a_new_process():
    """The other cases read config/settings.py in this process (``refused``, ``setting``);
    here a real start-up must say the same. The values read depend on PYTEST_VERSION,
    which this process has and the clean environment has not."""
    bad = {"DEBUG": "1", "DATABASE_URL": "postgres://u@h:notaport/db"}
    good = {**PRODUCTION, "CELERY_BROKER_URL": "redis://cache.internal:6379/0"}
    names = (
        "DEBUG",
        "SECRET_KEY == " + repr(PRODUCTION["SECRET_KEY"]),
        "CELERY_TASK_ALWAYS_EAGER",
        "STORAGES['staticfiles']['BACKEND']",
        "DATABASES['default']['ENGINE']",
        "SECURE_HSTS_SECONDS",
        "ALLOWED_HOSTS",
        "LOGGING['root']['level']",
    )
    environment = dict(os.environ)
    read_here = setting(*names, **good)
    assert refused(**bad) == refusal(run(["-c", SETUP], **bad))
    assert dict(os.environ) == environment, "the environment of this process is restored"
    assert read_here == setting_at_start_up(*names, **good)
    assert read_here.startswith("False True False whitenoise."), "read without this process's PYTEST_VERSION"


def test_a_refused_broker_url_does_not_echo_its_password():
    message = refused(DEBUG="1", CELERY_BROKER_URL="amqp://canvass:hunter2-secret@mq:5672//")
    assert "CELERY_BROKER_URL" in message
    assert "hunter2" not in message


def test_missing_secret_key_stops_start_up_outside_pytest_with_debug_off():
    message = refusal(run(["manage.py", "check"]))
    assert "ImproperlyConfigured" in message
    assert "SECRET_KEY must be set" in message


@pytest.mark.parametrize("command", [["check"], ["migrate", "--check"], ["runserver", "--help"]])
def test_commands_that_run_the_app_still_need_the_key(command):
    assert "SECRET_KEY must be set" in refusal(run(["manage.py", *command]))


def test_commands_that_only_read_the_code_run_without_a_key():
    # As a checker or CI calls it: no DEBUG, no SECRET_KEY. One process each: manage.py
    # lets a command go without the key by its name, before the settings are read.
    result = run(["manage.py", "makemigrations", "--check", "--dry-run"])
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout
    assert run(["manage.py", "compile_catalogs", "--check"]).returncode == 0


def test_missing_secret_key_is_allowed_for_development():
    assert run(["manage.py", "check"], DEBUG="1").returncode == 0
    assert run(["manage.py", "check"], PYTEST_VERSION="9").returncode == 0


def test_embedded_default_is_sqlite_with_eager_celery():
    out = setting("DATABASES['default']['ENGINE']", "CELERY_TASK_ALWAYS_EAGER", DEBUG="1")
    assert out == "django.db.backends.sqlite3 True"


def test_full_stack_reads_database_and_broker_urls():
    out = setting(
        "DATABASES['default']['NAME']",
        "DATABASES['default']['CONN_MAX_AGE']",
        "CELERY_TASK_ALWAYS_EAGER",
        DEBUG="1",
        DATABASE_URL="postgres://canvass:secret@db.internal:5432/canvass",
        CONN_MAX_AGE="60",
        CELERY_BROKER_URL="redis://cache.internal:6379/0",
    )
    assert out == "canvass 60 False"


def test_tests_run_tasks_eagerly_even_with_a_broker():
    assert (
        setting("CELERY_TASK_ALWAYS_EAGER", PYTEST_VERSION="9", CELERY_BROKER_URL="redis://127.0.0.1:6379/5") == "True"
    )


def test_session_idle_seconds_sets_the_session_lifetime():
    assert setting("SESSION_COOKIE_AGE", DEBUG="1", SESSION_IDLE_SECONDS="900") == "900"
    assert setting("SESSION_SAVE_EVERY_REQUEST", DEBUG="1") == "True", "idle time, not time since log-in"


def test_session_absolute_seconds_caps_a_session_whatever_its_activity():
    assert setting("SESSION_ABSOLUTE_SECONDS", DEBUG="1") == str(12 * 60 * 60)
    assert setting("SESSION_ABSOLUTE_SECONDS", DEBUG="1", SESSION_ABSOLUTE_SECONDS="28800") == "28800"


def test_manifest_storage_follows_debug():
    storage = "STORAGES['staticfiles']['BACKEND']"
    assert setting(storage, **PRODUCTION) == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert setting(storage, DEBUG="1") == "django.contrib.staticfiles.storage.StaticFilesStorage"
    assert (
        setting(storage, **PRODUCTION, STATIC_MANIFEST="0") == "django.contrib.staticfiles.storage.StaticFilesStorage"
    )


def test_check_deploy_with_production_values_reports_no_issue():
    """Runs without collectstatic: the manifest is only needed to render pages."""
    result = run(["manage.py", "check", "--deploy"], **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout + result.stderr


def test_check_deploy_flags_a_development_setup():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], DEBUG="1")
    assert result.returncode != 0
    assert "security.W018" in result.stderr, "DEBUG on in deployment is reported"


def test_check_deploy_warns_of_a_proxy_count_without_the_proxys_address():
    result = run(["manage.py", "check", "--deploy"], **PRODUCTION, TRUSTED_PROXY_COUNT="1")
    assert result.returncode == 0, result.stderr
    assert "canvass.W001" in result.stderr + result.stdout
    assert "TRUSTED_PROXY_ADDRESSES" in result.stderr + result.stdout


def test_trusted_proxy_addresses_are_read_as_a_list():
    assert setting("TRUSTED_PROXY_ADDRESSES", DEBUG="1") == "[]"
    assert setting("TRUSTED_PROXY_ADDRESSES", DEBUG="1", TRUSTED_PROXY_ADDRESSES="10.0.0.2, fd00::/64") == (
        "['10.0.0.2', 'fd00::/64']"
    )


def test_https_turns_on_redirect_secure_cookies_and_hsts():
    out = setting(
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_PRELOAD",
        **PRODUCTION,
    )
    assert out == "True True True 31536000 True"
    assert setting("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "SECURE_HSTS_SECONDS", DEBUG="1") == "False False 0"
