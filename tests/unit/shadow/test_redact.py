"""Redaction of credentials in evidence: headers, query strings, JSON, free text."""

from __future__ import annotations

from proxy.exchange import CapturedRequest
from proxy.shadow.diff import Difference
from proxy.shadow.evidence import make_sample
from proxy.shadow.redact import REDACTED, redact, redact_headers, redact_query, redact_text


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


def test_headers() -> None:
    headers = (
        ("authorization", "Bearer t0ken-value"),
        ("cookie", "sid=1"),
        ("set-cookie", "sid=2"),
        ("x-api-key", "k"),
        ("accept", "application/json"),
    )
    assert redact_headers(headers) == [
        ["authorization", REDACTED],
        ["cookie", REDACTED],
        ["set-cookie", REDACTED],
        ["x-api-key", REDACTED],
        ["accept", "application/json"],
    ]


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
