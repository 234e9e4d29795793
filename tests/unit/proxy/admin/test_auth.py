"""Session cookies, CSRF tokens and the cross-site test, one module in isolation."""

from __future__ import annotations

from proxy.admin.auth import COOKIE_NAME, Access, Sessions, cross_site, request_is_https


def scope(**headers: str) -> dict[str, object]:
    return {
        "type": "http",
        "scheme": "http",
        "headers": [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()],
    }


def test_a_session_is_valid_until_it_expires_and_only_with_its_signature() -> None:
    sessions = Sessions("s3cret", lifetime=60)
    cookie = sessions.issue(now=1000.0)
    assert sessions.valid(cookie, now=1059.0)
    assert not sessions.valid(cookie, now=1061.0)  # expired
    body, _, signature = cookie.rpartition(".")
    version, expiry, nonce = body.split(".")
    stretched = f"{version}.{int(expiry) + 10_000}.{nonce}.{signature}"
    assert not sessions.valid(stretched, now=1000.0)  # a longer life needs a new signature
    assert not Sessions("another token").valid(cookie, now=1000.0)  # a new token signs out
    for junk in ("", "v1", "v1.x.y.z", "garbage.1.2.3", None):
        assert not sessions.valid(junk, now=1000.0)


def test_the_cookie_never_carries_the_token_and_has_the_safe_flags() -> None:
    sessions = Sessions("s3cret-token")
    cookie = sessions.issue()
    assert "s3cret-token" not in cookie
    header = sessions.set_cookie(cookie, secure=True)
    assert header.startswith(f"{COOKIE_NAME}={cookie};")
    for flag in ("HttpOnly", "SameSite=Strict", "Secure", "Max-Age=", "Path=/_strangler"):
        assert flag in header
    assert "Secure" not in sessions.set_cookie(cookie, secure=False)


def test_csrf_tokens_are_bound_to_their_session() -> None:
    sessions = Sessions("s3cret")
    one, two = sessions.issue(), sessions.issue()
    assert sessions.csrf_valid(one, sessions.csrf_for(one))
    assert not sessions.csrf_valid(one, sessions.csrf_for(two))
    assert not sessions.csrf_valid(one, None) and not sessions.csrf_valid(one, "")


def test_cross_site_reads_sec_fetch_site_then_origin_against_host() -> None:
    assert not cross_site(scope())  # curl: no browser headers at all
    assert not cross_site(scope(host="proxy:8000", origin="http://proxy:8000"))
    assert cross_site(scope(host="proxy:8000", origin="http://evil.example"))
    assert cross_site(scope(host="proxy:8000", origin="null"))
    assert cross_site(scope(host="proxy:8000", sec_fetch_site="same-site"))
    assert cross_site(scope(host="proxy:8000", sec_fetch_site="cross-site"))
    assert not cross_site(scope(host="proxy:8000", sec_fetch_site="same-origin"))


def test_https_is_seen_directly_or_through_the_load_balancer() -> None:
    assert request_is_https({**scope(), "scheme": "https"})
    assert request_is_https(scope(x_forwarded_proto="https"))
    assert not request_is_https(scope(x_forwarded_proto="http"))


def test_the_mode_is_token_then_open_then_read_only() -> None:
    assert Access(token="t", open=True).mode == "token"
    assert Access(token=None, open=True).mode == "open"
    assert Access(token=None).mode == "read-only"


def test_the_session_cookie_is_found_among_others_and_bad_headers_are_no_session() -> None:
    found = Sessions.cookie_of(scope(cookie=f"a=1; {COOKIE_NAME}=v1.2.3.4; b=2"))
    assert found == "v1.2.3.4"
    assert Sessions.cookie_of(scope(cookie='bad"cookie')) is None
    assert Sessions.cookie_of(scope()) is None
