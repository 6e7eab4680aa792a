"""The translation catalogues: complete, compiled, and holding every string in the source.

English is the source language: every msgid is the English text, so English needs no
catalogue and the only one is zh_Hans. With these tests green, every page shows no
untranslated chrome in Chinese: whatever a template or module marks for translation
is in the catalogue, translated, and compiled into the .mo the server reads.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse

from campaign import i18n
from tests.conftest import need

LOCALE = Path(settings.LOCALE_PATHS[0])
CHINESE = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"

# The options `make messages` passes (MESSAGES_OPTS in the Makefile); the two must stay the same.
MAKEMESSAGES_OPTIONS = [
    "--no-location",
    "--ignore=.venv",
    "--ignore=tests",
    "--ignore=bench",
    "--ignore=staticfiles",
    # Third-party code vendored from npm (ECharts): not ours to translate.
    "--ignore=static/vendor",
]
# `manage.py makemessages --locale=zh_Hans -d DOMAIN` for both domains, as `make messages`
# runs them, but in one process; the options follow the script. Each domain is printed
# first so that a failure says which.
MAKEMESSAGES_BOTH_DOMAINS = """
import sys
import django
from django.core.management import call_command
django.setup()
for domain in ("django", "djangojs"):
    print(f"makemessages -d {domain}", flush=True)
    call_command("makemessages", "--locale=zh_Hans", f"--domain={domain}", *sys.argv[1:])
"""
# What makemessages would skip anyway, or what is not source: not worth copying.
NOT_SOURCE = shutil.ignore_patterns(
    ".*", "__pycache__", "locale", "staticfiles", "media", "db.sqlite3*", "node_modules", "tests", "bench"
)


def _catalogues() -> list[Path]:
    # At least the Chinese one, so that its absence fails here instead of leaving
    # nothing to check.
    return sorted(set(i18n.catalogues()) | {CHINESE})


def _name(path: Path) -> str:
    return str(path.relative_to(LOCALE))


def _keys(po: polib.POFile) -> set[tuple[str | None, str, str]]:
    return {(e.msgctxt, e.msgid, e.msgid_plural) for e in po if e.msgid and not e.obsolete}


def _show(keys: set[tuple[str | None, str, str]] | list[str], limit: int = 25) -> str:
    shown = sorted(str(k if isinstance(k, str) else k[1]) for k in keys)
    more = f"\n  … and {len(shown) - limit} more" if len(shown) > limit else ""
    return "\n  " + "\n  ".join(shown[:limit]) + more


@pytest.mark.parametrize("po_path", _catalogues(), ids=_name)
def test_catalogue_has_every_entry_translated_and_none_fuzzy(po_path: Path):
    assert po_path.exists(), f"{_name(po_path)} is missing: run `make messages` and translate it."
    state = i18n.inspect(po_path)
    assert not state.untranslated, (
        f"{len(state.untranslated)} untranslated in {_name(po_path)}:{_show(state.untranslated)}"
    )
    assert not state.fuzzy, f"{len(state.fuzzy)} fuzzy (unchecked) in {_name(po_path)}:{_show(state.fuzzy)}"


@pytest.mark.parametrize("po_path", _catalogues(), ids=_name)
def test_compiled_catalogue_matches_its_source(po_path: Path):
    assert po_path.exists(), f"{_name(po_path)} is missing: run `make messages` and translate it."
    assert not i18n.inspect(po_path).stale, (
        f"{_name(po_path.with_suffix('.mo'))} is missing or older than its .po: run `manage.py compile_catalogs`."
    )


@pytest.mark.parametrize("po_path", _catalogues(), ids=_name)
def test_plural_forms_fit_the_language(po_path: Path):
    assert po_path.exists(), f"{_name(po_path)} is missing: run `make messages` and translate it."
    po = polib.pofile(str(po_path))
    found = re.match(r"\s*nplurals\s*=\s*(\d+)\s*;", po.metadata.get("Plural-Forms", ""))
    assert found, f"{_name(po_path)} has no usable Plural-Forms header: {po.metadata.get('Plural-Forms')!r}"
    nplurals = int(found.group(1))
    if po_path.parts[-3] == "zh_Hans":
        assert nplurals == 1, "Chinese has one plural form: Plural-Forms: nplurals=1; plural=0;"
    wrong = [e.msgid for e in po if e.msgid_plural and not e.obsolete and len(e.msgstr_plural) != nplurals]
    assert not wrong, f"entries without exactly {nplurals} plural forms in {_name(po_path)}:{_show(wrong)}"


@pytest.fixture(scope="module")
def catalogues_from_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run makemessages over a copy of the source with an empty locale directory: the
    catalogue the committed one must cover. A copy, because makemessages writes into
    the project's own LOCALE_PATHS and merges with what is there."""
    for tool in ("xgettext", "msguniq", "msgmerge"):
        need(bool(shutil.which(tool)), f"GNU gettext ({tool}) is not installed")
    copy = tmp_path_factory.mktemp("source") / "canvass"
    shutil.copytree(settings.BASE_DIR, copy, ignore=NOT_SOURCE)
    (copy / "locale").mkdir()
    env = {**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "config.settings"}
    # Both domains in one process: most of a makemessages run is setting Django up
    # (the copy itself is ~2 MB and takes a tenth of a second).
    done = subprocess.run(
        [sys.executable, "-c", MAKEMESSAGES_BOTH_DOMAINS, *MAKEMESSAGES_OPTIONS],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"makemessages failed:\n{done.stdout}\n{done.stderr}"
    return copy / "locale"


def test_catalogue_holds_every_string_in_the_source(catalogues_from_source: Path):
    generated = sorted(catalogues_from_source.glob("zh_Hans/LC_MESSAGES/*.po"))
    # The django domain always has strings; djangojs only once some JavaScript has.
    assert catalogues_from_source / "zh_Hans/LC_MESSAGES/django.po" in generated
    for source_po in generated:
        committed_po = LOCALE / source_po.relative_to(catalogues_from_source)
        assert committed_po.exists(), (
            f"the source has strings for {_name(committed_po)} but it is missing: run `make messages` and translate it."
        )
        missing = _keys(polib.pofile(str(source_po))) - _keys(polib.pofile(str(committed_po)))
        assert not missing, (
            f"{len(missing)} strings in the source are not in {_name(committed_po)}"
            f" (run `make messages`, translate, `manage.py compile_catalogs`):{_show(missing)}"
        )


@pytest.fixture
def fast_password_hasher(settings) -> None:
    # `world` creates five users; PBKDF2 would spend seconds on each test here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# The page's language, as the test client sees it: Accept-Language decides, Chinese is the
# fallback, and the switch in the top bar (a cookie) wins over both.
@pytest.mark.zh_default
@pytest.mark.parametrize(
    ("accept", "language"),
    [
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("zh-CN", "zh-hans"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-hans"),
        ("zh-Hans", "zh-hans"),
        ("fr-FR", "zh-hans"),
        ("", "zh-hans"),
    ],
)
def test_home_page_language_follows_accept_language(fast_password_hasher, world, login, accept: str, language: str):
    client = login(world.users["office"])
    response = client.get(reverse("campaign:home"), headers={"accept-language": accept})
    assert response.status_code == 200
    assert f'<html lang="{language}">' in response.content.decode()
    assert response["Content-Language"] == language


def test_language_switch_wins_over_accept_language(fast_password_hasher, world, login):
    client = login(world.users["secretary"])
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("campaign:home")})
    assert response.status_code == 302
    response = client.get(reverse("campaign:home"), headers={"accept-language": "zh-CN"})
    assert '<html lang="en">' in response.content.decode()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("campaign:home")})
    response = client.get(reverse("campaign:home"), headers={"accept-language": "en"})
    assert '<html lang="zh-hans">' in response.content.decode()
