"""System checks of the deployment that Django's own do not cover."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

W001 = "canvass.W001"


@register(Tags.security, deploy=True)
def check_trusted_proxy(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """TRUSTED_PROXY_COUNT without TRUSTED_PROXY_ADDRESSES trusts X-Forwarded-For from
    anyone who reaches the app directly, and with it the address the lock-out and the
    box's rate limits count."""
    if settings.TRUSTED_PROXY_COUNT and not settings.TRUSTED_PROXY_ADDRESSES:
        return [
            Warning(
                "TRUSTED_PROXY_COUNT is set but TRUSTED_PROXY_ADDRESSES is not: a request that "
                "reaches the app without the proxy can forge X-Forwarded-For and so escape the "
                "log-in lock-out and the public box's rate limits.",
                hint="Set TRUSTED_PROXY_ADDRESSES to the address(es) the proxy connects from, "
                "or make the app reachable only through the proxy.",
                id=W001,
            )
        ]
    return []
