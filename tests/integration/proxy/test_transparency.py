"""Through the proxy, a response equals the direct one except the documented headers.

Documented differences: `date` and `server` are the proxy's own (as with nginx),
`x-request-id` is added when the upstream did not send one, and the upstream sees
`x-forwarded-for/-proto/-host` and `x-request-id`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.integration.proxy.conftest import Proxy, Upstreams, client, fresh_connections
from tests.support.upstreams import GZIP_BODY, pattern

PROXY_RESPONSE_HEADERS = {b"date", b"server", b"x-request-id"}
# What the upstream sees differently: the proxy's additions, and the client's
# hop-by-hop `connection` (the proxy's own connection to the upstream has none).
PROXY_REQUEST_HEADERS = {
    "connection",
    "host",
    "x-request-id",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
}
MB = 1024 * 1024


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with client() as c:
        yield c


def exchange(
    http: httpx.Client, method: str, url: str, **kwargs: object
) -> tuple[int, list, bytes]:
    """Status, headers without the proxy's own, and the raw (undecoded) body."""
    with http.stream(method, url, **kwargs) as reply:  # type: ignore[arg-type]
        body = b"".join(reply.iter_raw())
        headers = [
            (k.lower(), v) for k, v in reply.headers.raw if k.lower() not in PROXY_RESPONSE_HEADERS
        ]
        return reply.status_code, headers, body


@pytest.mark.parametrize(
    "path",
    [
        "/status/200", "/status/201", "/status/204", "/status/304", "/status/400",
        "/status/404", "/status/500", "/status/503", "/cookies", "/redirect", "/gzip",
        "/chunked", "/bytes/100", "/nowhere-mapped",
    ],
)  # fmt: skip
def test_responses_equal_the_direct_ones(
    http: httpx.Client, proxy: Proxy, upstreams: Upstreams, path: str
) -> None:
    direct = exchange(http, "GET", upstreams.legacy.url + path)
    proxied = exchange(http, "GET", proxy.url + path)
    assert proxied == direct


def test_several_set_cookie_headers_all_arrive(http: httpx.Client, proxy: Proxy) -> None:
    reply = http.get(proxy.url + "/cookies?user=ann")
    assert reply.headers.get_list("set-cookie") == [
        "session=ann; Path=/; HttpOnly",
        "theme=dark; Path=/",
        "tracker=ann; Max-Age=60",
    ]


def test_redirects_are_passed_back_not_followed(http: httpx.Client, proxy: Proxy) -> None:
    reply = http.get(proxy.url + "/redirect")
    assert reply.status_code == 302 and reply.headers["location"] == "/echo/redirected"


def test_gzip_bodies_pass_untouched(http: httpx.Client, proxy: Proxy) -> None:
    status, headers, body = exchange(
        http, "GET", proxy.url + "/gzip", headers={"accept-encoding": "gzip"}
    )
    assert status == 200 and body == GZIP_BODY
    assert (b"content-encoding", b"gzip") in headers


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_the_upstream_sees_the_request_as_sent(
    http: httpx.Client, proxy: Proxy, upstreams: Upstreams, method: str
) -> None:
    query = "b=2&a=1&a=%20x&empty=&q=caf%C3%A9+%2B"
    sent_headers = [("X-Custom", "one"), ("x-custom", "two"), ("Accept", "application/json")]
    body = b"" if method in ("GET", "HEAD") else b'{"hello": "w\\u00f6rld"}'
    echo_method = "GET" if method == "HEAD" else method

    def seen_at(base: str) -> dict[str, object]:
        reply = http.request(
            echo_method, f"{base}/echo?{query}", headers=sent_headers, content=body
        )
        seen = reply.json()
        seen["headers"] = [(k, v) for k, v in seen["headers"] if k not in PROXY_REQUEST_HEADERS]
        return seen

    proxied, direct = seen_at(proxy.url), seen_at(upstreams.legacy.url)
    assert proxied == direct
    assert (proxied["method"], proxied["raw_path"], proxied["query_string"]) == (
        echo_method, "/echo", query,
    )  # fmt: skip
    assert str(proxied["body"]).encode("latin-1") == body
    assert [h for h in proxied["headers"] if h[0] == "x-custom"] == [
        ("x-custom", "one"), ("x-custom", "two"),
    ]  # fmt: skip
    if method == "HEAD":
        head = exchange(http, "HEAD", f"{proxy.url}/status/200")
        assert head == exchange(http, "HEAD", f"{upstreams.legacy.url}/status/200")
        assert head[0] == 200 and head[2] == b"" and (b"content-length", b"15") in head[1]


def test_percent_encoding_in_the_path_is_kept_byte_for_byte(
    http: httpx.Client, proxy: Proxy
) -> None:
    seen = http.get(proxy.url + "/echo/a%2Fb/caf%C3%A9").json()
    assert seen["raw_path"] == "/echo/a%2Fb/caf%C3%A9"


def test_forwarded_headers_and_request_id(http: httpx.Client, proxy: Proxy) -> None:
    reply = http.get(proxy.url + "/echo", headers={"X-Request-ID": "trace-42"})
    seen = dict((k, v) for k, v in reply.json()["headers"])
    assert seen["x-request-id"] == "trace-42" and reply.headers["x-request-id"] == "trace-42"
    assert seen["x-forwarded-for"] == "127.0.0.1"
    assert seen["x-forwarded-proto"] == "http"
    assert seen["x-forwarded-host"] == proxy.url.removeprefix("http://")
    assert seen["host"] == proxy.url.removeprefix("http://")
    fresh = http.get(proxy.url + "/echo")
    assert len(fresh.headers["x-request-id"]) == 32
    assert (
        dict((k, v) for k, v in fresh.json()["headers"])["x-request-id"]
        == fresh.headers["x-request-id"]
    )


def test_hop_by_hop_request_headers_stop_at_the_proxy(http: httpx.Client, proxy: Proxy) -> None:
    reply = http.get(
        proxy.url + "/echo",
        headers={"Connection": "keep-alive, X-Hop", "X-Hop": "secret", "TE": "trailers"},
    )
    names = {k for k, _ in reply.json()["headers"]}
    assert not names & {"x-hop", "te", "connection", "keep-alive"}


def test_one_users_cookies_never_reach_another_user(proxy: Proxy) -> None:
    # Many users at once over a few shared upstream connections: a cookie jar anywhere
    # in the proxy would show up as someone else's cookie.
    http = fresh_connections()

    def visit(n: int) -> tuple[str, str | None, list[str]]:
        reply = http.get(f"{proxy.url}/cookies?user=u{n}", headers={"Cookie": f"session=u{n}"})
        return f"session=u{n}", reply.json()["cookie_seen"], reply.headers.get_list("set-cookie")

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(visit, range(60)))
    for sent, seen, set_cookies in results:
        assert seen == sent
        assert set_cookies[0] == f"{sent}; Path=/; HttpOnly"
    with client() as anonymous:
        assert anonymous.get(proxy.url + "/cookies").json()["cookie_seen"] is None


@pytest.mark.slow
def test_twenty_megabytes_stream_both_ways(http: httpx.Client, proxy: Proxy) -> None:
    size = 20 * MB
    digest = hashlib.sha256()
    received = 0
    with http.stream("GET", f"{proxy.url}/bytes/{size}") as reply:
        assert reply.headers["content-length"] == str(size)
        for chunk in reply.iter_raw():
            digest.update(chunk)
            received += len(chunk)
    assert received == size and digest.hexdigest() == hashlib.sha256(pattern(size)).hexdigest()

    def upload() -> Iterator[bytes]:
        block = b"z" * MB
        for _ in range(20):
            yield block

    sent = http.post(proxy.url + "/upload", content=upload())  # chunked, streamed
    assert sent.json() == {"size": size, "sha256": hashlib.sha256(b"z" * size).hexdigest()}
    whole = http.put(proxy.url + "/upload", content=b"y" * size)  # with Content-Length
    assert json.loads(whole.content)["size"] == size
