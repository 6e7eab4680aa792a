#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
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
