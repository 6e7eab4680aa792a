"""The error pages are the site's: in its layout and the reader's language, saying what
happened and offering a way on, for 400, 403, 404, a refused form (CSRF) and 500."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views import defaults

pytestmark = pytest.mark.django_db


def page(response) -> str:
    return response.content.decode()


def test_a_member_refused_a_page_sees_it_in_the_sites_layout_in_chinese(world, client):
    client.force_login(world.users["member"])
    response = client.get(reverse("campaign:unit_list"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 403
    text = page(response)
    assert "无权访问" in text and "请联系县先进性教育办" in text
    assert 'class="topbar"' in text and reverse("campaign:home") in text  # the layout, a way on
    assert "403 Forbidden" not in text


def test_a_missing_page_in_english_offers_the_login_and_the_box_to_a_visitor(client):
    response = client.get("/no/such/page/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    text = page(response)
    assert "Page not found" in text and reverse("login") in text and reverse("public:index") in text
    # Only the language switch's way back names the path (escaped): the page itself echoes nothing.
    assert text.count("/no/such/page/") == 1 and 'name="next" value="/no/such/page/"' in text


def test_a_refused_form_says_nothing_was_saved_and_what_to_do(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["office"])
    response = client.post(reverse("logout"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 403
    text = page(response)
    assert "表单已失效" in text and "未保存任何内容" in text


def test_the_server_error_page_needs_nothing_but_the_template():
    request = RequestFactory().get("/")
    response = defaults.server_error(request)
    assert response.status_code == 500
    assert "Something went wrong" in page(response) or "系统出错" in page(response)


def test_a_bad_request_page_is_the_sites():
    request = RequestFactory().get("/")
    request.user = None
    response = defaults.bad_request(request, Exception("x"))
    assert response.status_code == 400
    assert "Bad request" in page(response) or "请求有误" in page(response)
