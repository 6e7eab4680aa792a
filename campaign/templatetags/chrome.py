"""The parts of every signed-in page's frame that are the same for many requests — the
menu, the language switch, the bell — drawn once per process for each form they take,
then copied (bench/README.md, "Load": drawing them cost a third of a cached ledger
page's time).

Nothing here is cached that a request could see stale: each part is kept under a key of
*everything* it shows, computed afresh on every request — the menu under its value as
``menu_for`` returned it for this request (entries, links, which is current, the queues'
counts), the language switch under the language, the page's path and whether the user is
signed in. A change of role, count or page gives a new key at once. The one thing the
copy does not hold is the CSRF token: it is drawn as a marker and the request's own token
put in its place. Each process keeps at most ``LIMIT`` copies of each part.
"""

from __future__ import annotations

import secrets
from typing import Any

from django import template
from django.urls import get_script_prefix
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

LIMIT = 1024
# Drawn where a copy's CSRF token goes; the request's token replaces it.
_TOKEN_MARK = "csrf-" + secrets.token_hex(16)


class _Drawn:
    """The copies of one part, by key. A key names labels by ``id``: the labels are the
    menu's module-level constants, kept alive by the copy that names them (``keep``), so
    an ``id`` in a key can never stand for another object."""

    def __init__(self) -> None:
        self.copies: dict[tuple[Any, ...], tuple[str, Any]] = {}

    def get(self, key: tuple[Any, ...]) -> str | None:
        found = self.copies.get(key)
        return found[0] if found is not None else None

    def put(self, key: tuple[Any, ...], html: str, keep: Any = None) -> None:
        if len(self.copies) >= LIMIT:
            self.copies.clear()
        self.copies[key] = (html, keep)

    def clear(self) -> None:
        self.copies.clear()


_menus = _Drawn()
_switches = _Drawn()
_bells = _Drawn()


def clear() -> None:
    """Forget every copy (tests that change a template or a translation at run time)."""
    for drawn in (_menus, _switches, _bells):
        drawn.clear()


def _link_key(link: Any) -> tuple[Any, ...]:
    return (id(link.label), link.href, link.current, link.count)


def menu_key(menu: Any) -> tuple[Any, ...]:
    """Everything ``includes/nav.html`` draws of ``menu``, and the language it is drawn in."""
    groups = tuple(
        (group.key, id(group.label), tuple(_link_key(link) for link in group.links)) for group in menu.groups
    )
    return (get_language(), menu.flat, groups, tuple(_link_key(link) for link in menu.tail))


def _labels(menu: Any) -> list[Any]:
    labels = [group.label for group in menu.groups]
    labels += [link.label for group in menu.groups for link in group.links]
    return labels + [link.label for link in menu.tail]


def _draw(context: template.Context, name: str, values: dict[str, Any]) -> str:
    assert context.template is not None  # a tag is rendered within a template
    return str(context.template.engine.get_template(name).render(context.new(values)))


@register.simple_tag(takes_context=True)
def main_menu(context: template.Context) -> SafeString:
    """``includes/nav.html`` for the request's ``nav_menu`` (its links already hold the
    script prefix: they are the hrefs)."""
    menu = context.get("nav_menu")
    if menu is None:
        return mark_safe("")
    key = menu_key(menu)
    html = _menus.get(key)
    if html is None:
        html = _draw(context, "includes/nav.html", {"nav_menu": menu})
        _menus.put(key, html, keep=_labels(menu))
    return mark_safe(html)  # noqa: S308 - drawn by the template, which escaped it


def _token(context: template.Context) -> str | None:
    """The request's CSRF token as ``{% csrf_token %}`` would draw it; None where that
    tag would draw nothing."""
    token = context.get("csrf_token")
    if not token or str(token) == "NOTPROVIDED":
        return None
    return str(token)


@register.simple_tag(takes_context=True)
def language_switch(context: template.Context) -> SafeString:
    """``includes/language_switch.html``: the same for every page at one path, in one
    language, signed in or not; the request's CSRF token put in."""
    request = context.get("request")
    user = context.get("user")
    token = _token(context)
    values = {"user": user, "request": request}
    if token is None or request is None:  # nothing to key it by: drawn as it is
        return mark_safe(_draw(context, "includes/language_switch.html", {**values, "csrf_token": token or ""}))  # noqa: S308
    key = (get_language(), get_script_prefix(), bool(getattr(user, "is_authenticated", False)), request.get_full_path())
    html = _switches.get(key)
    if html is None:
        html = _draw(context, "includes/language_switch.html", {**values, "csrf_token": _TOKEN_MARK})
        _switches.put(key, html)
    # A token is made of letters and digits: nothing to escape.
    return mark_safe(html.replace(_TOKEN_MARK, token))  # noqa: S308


@register.simple_tag
def bell() -> SafeString:
    """``includes/bell.html``: the same on every page in one language."""
    key = (get_language(), get_script_prefix())
    html = _bells.get(key)
    if html is None:
        from django.template.loader import get_template

        html = str(get_template("includes/bell.html").render({}))
        _bells.put(key, html)
    return mark_safe(html)  # noqa: S308 - drawn by the template, which escaped it
