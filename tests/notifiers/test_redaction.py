"""The one redaction: URLs lose their credentials, known secrets are masked wherever they are."""

from __future__ import annotations

import pytest

from notifiers import REDACTED, Redactor, redact_url, url_secrets

R = REDACTED


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://u:p@f.example/a", "https://f.example/a"),
        ("see http://token@f.example/x and more", "see http://f.example/x and more"),
        ("https://f.example/a?b=c@d", "https://f.example/a?b=c@d"),  # an @ in the query
        ("https://f.example/a?token=t1&page=2", f"https://f.example/a?token={R}&page=2"),
        ("https://f.example/a?q=x&api_key=k1#top", f"https://f.example/a?q=x&api_key={R}#top"),
        ("https://f.example/?apiKey=k&accessToken=t", f"https://f.example/?apiKey={R}&accessToken={R}"),
        ("https://f.example/?X-Amz-Signature=s", f"https://f.example/?X-Amz-Signature={R}"),
        ("https://f.example/?client_secret=s&sig=", f"https://f.example/?client_secret={R}&sig="),
        ("https://f.example/?author=a&monkey=1&keyword=k", "https://f.example/?author=a&monkey=1&keyword=k"),
        ('error: "GET http://u:p@h/x?key=k1" failed', f'error: "GET http://h/x?key={R}" failed'),
        ("token=t1 outside any URL", "token=t1 outside any URL"),
    ],
)  # fmt: skip
def test_redact_url_hides_userinfo_and_credential_query_values(text: str, expected: str) -> None:
    assert redact_url(text) == expected


@pytest.mark.parametrize(
    ("url", "secrets"),
    [
        ("https://reader:pa%21ss@f.example/a", ["pa!ss", "pa%21ss"]),
        ("https://ghp_token@f.example/a", ["ghp_token"]),  # a token standing in as the user
        ("https://f.example/a?token=t1&page=2&api_key=k%2B1", ["k%2B1", "k+1", "t1"]),
        ("https://f.example/a", []),
        ("https://[::1/a?token=t1", []),  # unreadable: nothing listed, nothing raised
    ],
)
def test_url_secrets_lists_what_redact_url_hides(url: str, secrets: list[str]) -> None:
    assert url_secrets(url) == secrets


def test_redactor_masks_the_longest_secret_first() -> None:
    """A secret containing another secret is masked whole, not half."""
    redact = Redactor(["abc", "/hooks/abc?t=1", ""], min_length=1)
    assert redact("url /hooks/abc?t=1 and abc") == f"url {REDACTED} and {REDACTED}"


def test_redactor_leaves_secrets_shorter_than_its_minimum_alone() -> None:
    """Short values (a one-letter password) would blank ordinary words in every log line."""
    redact = Redactor(["abc", "s3cret"])
    assert redact("abc s3cret") == f"abc {REDACTED}"
    assert not Redactor(["abc"])
