"""mask_url: credentials in a URL are hidden, everything else is kept byte for byte."""

from __future__ import annotations

import pytest

from simulator.core.urls import mask_url, mask_urls_in


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("http://user:pass@host/hook", "http://user:***@host/hook"),
        ("https://u:p%40ss@[::1]:8443/x", "https://u:***@[::1]:8443/x"),
        ("https://ghp_abc123@host/x", "https://***@host/x"),
        ("http://h/x?token=abc&page=2", "http://h/x?token=***&page=2"),
        ("http://h/x?secret=a&key=b&sig=c&code=d", "http://h/x?secret=***&key=***&sig=***&code=***"),
        (
            "http://h/x?access_token=a&API-KEY=b&Signature=c",
            "http://h/x?access_token=***&API-KEY=***&Signature=***",
        ),
        ("http://h/x?password=a#frag", "http://h/x?password=***#frag"),
        ("http://h/x?a=1&b=2&flag", "http://h/x?a=1&b=2&flag"),
        ("http://h/x?token=", "http://h/x?token="),
        ("http://127.0.0.1:8000/webhook", "http://127.0.0.1:8000/webhook"),
        ("asgi://pkg.mod:app/hook", "asgi://pkg.mod:app/hook"),
        ("http://u:p@h/a@b?x=1", "http://u:***@h/a@b?x=1"),
        ("not a url", "not a url"),
    ],
)
def test_credentials_are_masked_and_the_rest_is_kept(url: str, masked: str) -> None:
    """A password, a bare user-name token and secret-named query values become ***; nothing else changes."""
    assert mask_url(url) == masked
    assert mask_url(masked) == masked  # masking twice changes nothing


def test_urls_inside_a_message_are_masked() -> None:
    """An error message that quotes a URL quotes it masked."""
    text = "--target 'http://u:pw@h:9/x?sig=s1': cannot connect; see https://docs/x?code=c2"
    assert (
        mask_urls_in(text)
        == "--target 'http://u:***@h:9/x?sig=***': cannot connect; see https://docs/x?code=***"
    )
