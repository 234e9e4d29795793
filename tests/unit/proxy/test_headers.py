"""Which headers cross the proxy, and which the proxy adds."""

from __future__ import annotations

import pytest

from proxy.headers import request_headers, response_headers


def names(pairs: list[tuple[str, str]]) -> list[str]:
    return [name.lower() for name, _ in pairs]


def test_hop_by_hop_and_connection_named_headers_are_dropped() -> None:
    fwd = request_headers(
        [
            (b"Host", b"example.test"),
            (b"Connection", b"keep-alive, X-Secret-Hop"),
            (b"Keep-Alive", b"timeout=5"),
            (b"X-Secret-Hop", b"1"),
            (b"TE", b"trailers"),
            (b"Upgrade", b"h2c"),
            (b"Proxy-Authorization", b"Basic eA=="),
            (b"Accept", b"*/*"),
        ],
        client_host="10.0.0.9",
        scheme="http",
    )
    kept = names(fwd.headers)
    assert "host" in kept and "accept" in kept
    for hop in ("connection", "keep-alive", "x-secret-hop", "te", "upgrade", "proxy-authorization"):
        assert hop not in kept


def test_order_case_and_repeats_are_kept() -> None:
    fwd = request_headers(
        [(b"X-B", b"1"), (b"x-a", b"2"), (b"X-B", b"3")], client_host=None, scheme="http"
    )
    assert fwd.headers[:3] == [("X-B", "1"), ("x-a", "2"), ("X-B", "3")]


def test_forwarded_headers_are_appended_and_set() -> None:
    fwd = request_headers(
        [
            (b"host", b"shop.test"),
            (b"x-forwarded-for", b"203.0.113.7"),
            (b"x-forwarded-proto", b"ftp"),
        ],
        client_host="10.0.0.9",
        scheme="https",
    )
    headers = dict((k.lower(), v) for k, v in fwd.headers)
    assert headers["x-forwarded-for"] == "203.0.113.7, 10.0.0.9"
    assert headers["x-forwarded-proto"] == "https"
    assert headers["x-forwarded-host"] == "shop.test"
    assert names(fwd.headers).count("x-forwarded-proto") == 1


def test_request_id_is_kept_when_sane_and_created_otherwise() -> None:
    kept = request_headers([(b"x-request-id", b"abc-123")], client_host=None, scheme="http")
    assert kept.request_id == "abc-123"
    made = request_headers([(b"x-request-id", b"<script>")], client_host=None, scheme="http")
    assert made.request_id != "<script>" and len(made.request_id) == 32
    assert ("X-Request-ID", made.request_id) in made.headers
    assert names(made.headers).count("x-request-id") == 1


def test_a_bad_content_length_is_refused() -> None:
    for value in (b"12x", b"+5", b"-1", b"0x5", b"", b"1" * 30):
        with pytest.raises(ValueError, match="Content-Length"):
            request_headers([(b"content-length", value)], client_host=None, scheme="http")


def test_content_length_is_forwarded_in_canonical_form() -> None:
    fwd = request_headers([(b"Content-Length", b" 0005 ")], client_host=None, scheme="http")
    assert ("Content-Length", "5") in fwd.headers and fwd.content_length == 5
    same = request_headers(
        [(b"Content-Length", b"5"), (b"content-length", b"05")], client_host=None, scheme="http"
    )
    assert [v for n, v in same.headers if n.lower() == "content-length"] == ["5"]
    with pytest.raises(ValueError, match="conflicting Content-Length"):
        request_headers(
            [(b"Content-Length", b"5"), (b"Content-Length", b"6")], client_host=None, scheme="http"
        )


def test_two_host_headers_are_refused() -> None:
    with pytest.raises(ValueError, match="more than one Host"):
        request_headers(
            [(b"Host", b"a.test"), (b"host", b"a.test")], client_host=None, scheme="http"
        )
    one = request_headers([(b"Host", b"a.test")], client_host=None, scheme="http")
    assert ("Host", "a.test") in one.headers


@pytest.mark.parametrize(
    ("upstream", "expected", "had_id"),
    [
        pytest.param(
            [(b"Set-Cookie", b"a=1"), (b"Date", b"Mon"), (b"Server", b"uvicorn"),
             (b"Transfer-Encoding", b"chunked"), (b"Set-Cookie", b"b=2"),
             (b"Content-Type", b"text/plain")],
            [(b"Set-Cookie", b"a=1"), (b"Set-Cookie", b"b=2"), (b"Content-Type", b"text/plain"),
             (b"x-request-id", b"rid")],
            False,
            id="every Set-Cookie kept, hops, Date and Server dropped, request id appended",
        ),
        # A tuple, not a list: response_headers takes either without copying.
        pytest.param(
            ((b"X-Hop", b"1"), (b"X-Request-ID", b"up"), (b"Connection", b"close, X-Hop, X-Later"),
             (b"X-Later", b"2"), (b"Content-Type", b"text/plain")),
            [(b"X-Request-ID", b"up"), (b"Content-Type", b"text/plain")],
            True,
            id="Connection drops the headers it names, even those before it",
        ),
    ],
)  # fmt: skip
def test_response_headers(
    upstream: list[tuple[bytes, bytes]] | tuple[tuple[bytes, bytes], ...],
    expected: list[tuple[bytes, bytes]],
    had_id: bool,
) -> None:
    out, seen_id = response_headers(upstream, "rid")
    assert out == expected
    assert seen_id is had_id
