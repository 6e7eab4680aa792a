#!/usr/bin/env python
import os
import sys

# Commands that only read the code and write files of the repository (migrations,
# catalogues): they sign, serve and store nothing, so they need no SECRET_KEY and run
# as they are, the way a checker or CI calls them ("manage.py makemigrations --check").
KEYLESS_COMMANDS = frozenset({"makemigrations", "makemessages", "compile_catalogs", "showmigrations", "sqlmigrate"})


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if len(sys.argv) > 1 and sys.argv[1] in KEYLESS_COMMANDS:
        os.environ["CANVASS_KEYLESS_COMMAND"] = sys.argv[1]
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018  (reads config/settings.py now)
    except ImproperlyConfigured as exc:
        # Django would swallow this and fail later with an unrelated AppRegistryNotReady
        # traceback; say the real reason in one line (e.g. run with DEBUG=1 to develop).
        sys.exit(f"ImproperlyConfigured: {exc}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
