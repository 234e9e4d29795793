"""Redaction of credentials in evidence: headers, query strings, JSON, free text."""

from __future__ import annotations

import secrets

import pytest

from proxy.exchange import CapturedRequest
from proxy.shadow.diff import Difference
from proxy.shadow.evidence import make_sample
from proxy.shadow.redact import (
    REDACTED,
    is_sensitive,
    looks_random,
    redact,
    redact_headers,
    redact_query,
    redact_text,
)


def test_json_values_are_redacted_by_key_at_any_depth() -> None:
    value = {
        "user": {"username": "ann", "password_hash": "pbkdf2$1$ab$cd"},
        "token": "abc",
        "items": [{"api_key": "k", "apiKey": "k2", "client_secret": "s"}],
        "session_id": "x",
    }
    assert redact(value) == {
        "user": {"username": "ann", "password_hash": REDACTED},
        "token": REDACTED,
        "items": [{"api_key": REDACTED, "apiKey": REDACTED, "client_secret": REDACTED}],
        "session_id": REDACTED,
    }


def test_bearer_strings_and_pairs_in_text() -> None:
    text = 'auth Bearer abc.def-ghi and /x?access_token=zz9&q=1 {"password": "hunter2"}'
    out = redact_text(text)
    for secret in ("abc.def-ghi", "zz9", "hunter2"):
        assert secret not in out
    assert "q=1" in out and "Bearer [redacted]" in out


def test_query_strings() -> None:
    assert redact_query("token=abc&q=hello&password=x") == (
        f"token={REDACTED}&q=hello&password={REDACTED}"
    )
    assert redact_query("") == ""


def test_a_sample_carries_no_credential() -> None:
    request = CapturedRequest(
        route_id="login",
        method="POST",
        path="/api/auth/login",
        query_string="token=qs-secret",
        path_params={},
        headers=(("authorization", "Bearer hdr-secret"), ("cookie", "c=cookie-secret")),
        body=b"{}",
        request_id="rid-1",
    )
    diff = Difference("changed", "token", "token", "legacy-secret", "modern-secret")
    nested = Difference("changed", "$", "$", {"user": {"token": "deep-secret"}}, "Bearer abcdefgh")
    for d in (diff, nested):
        text = repr(make_sample("login", d, request))
        for secret in ("qs-secret", "hdr-secret", "cookie-secret", "legacy-secret", "deep-secret"):
            assert secret not in text
        assert "abcdefgh" not in text
        assert "rid-1" in text


def test_large_values_are_cut() -> None:
    request = CapturedRequest("r", "GET", "/", "", {}, (), b"", "id")
    sample = make_sample("r", Difference("changed", "$", "$", "x" * 10_000, "y"), request)
    assert len(str(sample["legacy"])) < 2100 and str(sample["legacy"]).endswith("chars)")


JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1MDEiLCJuYW1lIjoiQW5uIn0"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
RANDOM_TOKEN = "Zx81_qPmA7vLr2KdT0wYbN4s"  # e.g. secrets.token_urlsafe(18)
STD_BASE64 = "dGhpcyBpcyBhIHNlY3JldCB2YWx1ZQ=="


def test_credential_shaped_values_are_redacted_under_any_name() -> None:
    value = {
        "note": f"call me with {JWT} please",
        "x": JWT,
        "nested": [{"v": f"Bearer {RANDOM_TOKEN}"}, RANDOM_TOKEN, STD_BASE64],
        "echo": "sid=s%3Aabc.123; theme=dark",
        "link": f"https://app.example/reset/{RANDOM_TOKEN}?lang=en",
    }
    text = repr(redact(value))
    for secret in (JWT[:20], "Zx81_qPmA7vLr2KdT0wYbN4s", STD_BASE64[:20], "abc.123"):
        assert secret not in text
    assert "theme=dark" in text and "https://app.example/reset/" in text and "lang=en" in text


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param([
            ("authorization", "Bearer t0ken-value", REDACTED),
            ("cookie", "sid=1", REDACTED),
            ("set-cookie", "sid=2", REDACTED),
            ("x-api-key", "k", REDACTED),
            ("accept", "application/json", "application/json"),
        ], id="by name"),
        pytest.param([
            ("x-jwt", "short", REDACTED),
            ("x-forwarded-session", "abc", REDACTED),
            ("x-copy", "sid=abc123; lang=en; connect.sid=s%3Axyz; PHPSESSID=p1",
             f"sid={REDACTED}; lang=en; connect.sid={REDACTED}; PHPSESSID={REDACTED}"),
            ("x-token-copy", "t", REDACTED),
            ("x-upstream-auth", f"Bearer {RANDOM_TOKEN}", REDACTED),
            ("x-opaque", RANDOM_TOKEN, REDACTED),
            ("accept", "application/json", "application/json"),
        ], id="credentials under other names"),
    ],
)  # fmt: skip
def test_headers(headers: list[tuple[str, str, str]]) -> None:
    """Each case lists (name, value sent, value a sample keeps), in order."""
    sent = tuple((name, value) for name, value, _ in headers)
    assert redact_headers(sent) == [[name, kept] for name, _, kept in headers]


@pytest.mark.parametrize(
    "kept",
    [
        "65f1a2b3c4d5e6f708192a3b",  # an ObjectId
        "3854ec98-a3fe-48f3-8a91-934a52b15f56",  # a UUID
        "0123456789abcdef0123456789abcdef",  # a request id, a hash
        "internationalization",
        "camelCaseIdentifierName",
        "room-number-12-is-the-best",
        "2026-11-28T06:00:00.000Z",
        "https://cdn.example.com/img/2024/avatar_9f8e7d6c.png",
        "consider=1&inside=2",
        "The quick brown fox jumps over the lazy dog, 42 times.",
    ],
)
def test_ids_words_dates_and_urls_stay_readable(kept: str) -> None:
    assert redact_text(kept) == kept


@pytest.mark.parametrize("size", [20, 24, 32, 43])
def test_generated_tokens_are_recognised(size: int) -> None:
    misses = sum(not looks_random(secrets.token_urlsafe(64)[:size]) for _ in range(500))
    assert misses <= 25  # a few all-letter draws fall outside the shape; names catch those


@pytest.mark.parametrize(
    ("key", "sensitive"),
    [
        ("sid", True), ("user_sid", True), ("connect.sid", True), ("x-jwt", True),
        ("auth", True), ("x-csrf-token", True), ("PHPSESSID", True),
        ("inside", False), ("consider", False), ("author", False), ("authority", False),
    ],
)  # fmt: skip
def test_names_that_say_credential(key: str, sensitive: bool) -> None:
    assert is_sensitive(key) is sensitive


def test_a_token_in_the_sampled_path_is_redacted() -> None:
    request = CapturedRequest("r", "GET", f"/reset/{RANDOM_TOKEN}/{JWT}", "", {}, (), b"", "id")
    sample = make_sample("r", Difference("changed", "$", "$", 1, 2), request)
    assert sample["request"]["path"] == f"/reset/{REDACTED}/{REDACTED}"  # type: ignore[index]
