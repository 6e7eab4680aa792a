"""The client's address behind a proxy, and the deployment check that goes with it."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from campaign import checks
from campaign.net import client_ip

PROXY = "10.0.0.2"


def request(remote: str, xff: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if xff is not None:
        extra["HTTP_X_FORWARDED_FOR"] = xff
    return RequestFactory().get("/", **extra)


def test_no_proxy_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request("198.51.100.7", "192.0.2.1")) == "198.51.100.7"


def test_proxy_count_without_addresses_reads_the_header_of_every_request(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXY_ADDRESSES = []
    assert client_ip(request("198.51.100.7", "192.0.2.1")) == "192.0.2.1", "the bypass check --deploy warns about"


@pytest.mark.parametrize("proxies", [[PROXY], ["10.0.0.0/24"], ["::1", "10.0.0.0/8"]])
def test_header_is_read_only_from_the_proxys_address(settings, proxies):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXY_ADDRESSES = proxies
    assert client_ip(request(PROXY, "203.0.113.9, 192.0.2.1")) == "192.0.2.1"
    assert client_ip(request("198.51.100.7", "192.0.2.1")) == "198.51.100.7", "around the proxy: its own address"
    assert client_ip(request("", "192.0.2.1")) == "", "no address at all is not the proxy's"


def test_two_proxies_the_nearest_ones_address_is_checked(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    settings.TRUSTED_PROXY_ADDRESSES = [PROXY]
    assert client_ip(request(PROXY, "203.0.113.9, 192.0.2.1, 10.0.1.5")) == "192.0.2.1"
    assert client_ip(request("198.51.100.7", "192.0.2.1, 10.0.1.5")) == "198.51.100.7"


def test_deploy_check_warns_of_a_proxy_count_without_addresses(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXY_ADDRESSES = []
    assert [message.id for message in checks.check_trusted_proxy()] == [checks.W001]
    settings.TRUSTED_PROXY_ADDRESSES = [PROXY]
    assert checks.check_trusted_proxy() == []
    settings.TRUSTED_PROXY_COUNT = 0
    settings.TRUSTED_PROXY_ADDRESSES = []
    assert checks.check_trusted_proxy() == []
