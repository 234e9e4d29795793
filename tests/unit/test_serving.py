"""strangler.serving's small pure parts: where a probe reaches the server."""

from __future__ import annotations

import pytest

from strangler.serving import health_url


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("0.0.0.0", "http://127.0.0.1:8000/_strangler/healthz"),
        ("::", "http://[::1]:8000/_strangler/healthz"),
        ("127.0.0.1", "http://127.0.0.1:8000/_strangler/healthz"),
        ("10.1.2.3", "http://10.1.2.3:8000/_strangler/healthz"),
        ("::1", "http://[::1]:8000/_strangler/healthz"),
    ],
)
def test_a_wildcard_bind_is_probed_on_loopback(host: str, expected: str) -> None:
    assert health_url(host, 8000, "/_strangler/healthz") == expected
