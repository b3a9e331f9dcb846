"""The access rules on their own: a link's life, loopback Host names, same-origin POSTs."""

from __future__ import annotations

import pytest

from mvsep_bridge.bridges.ui.access import Access, loopback_host, same_origin


def test_a_link_gives_one_session_once():
    access = Access()
    token = access.mint_link()

    session = access.redeem(token)

    assert session and access.is_session(session)
    assert access.redeem(token) is None
    assert not access.is_session(token) and not access.is_session("") and not access.is_session(None)


def test_a_link_not_used_in_time_is_worth_nothing():
    access = Access(link_seconds=0.0)

    assert access.redeem(access.mint_link()) is None


@pytest.mark.parametrize("host, expected", [
    ("127.0.0.1:8123", True), ("localhost:8123", True), ("LOCALHOST:8123", True), ("[::1]:8123", True),
    ("127.0.0.1:8124", False), ("127.0.0.1", False), ("attacker.example:8123", False),
    ("127.0.0.1.attacker.example:8123", False), ("", False), (None, False),
])
def test_only_this_servers_loopback_address_is_a_host(host, expected):
    assert loopback_host(host, 8123) is expected


@pytest.mark.parametrize("origin, expected", [
    ("http://127.0.0.1:8123", True), ("http://127.0.0.1:8124", False), ("https://127.0.0.1:8123", False),
    ("http://attacker.example", False), ("null", False), (None, False),
])
def test_a_post_comes_from_the_page_itself(origin, expected):
    assert same_origin(origin, "127.0.0.1:8123") is expected
